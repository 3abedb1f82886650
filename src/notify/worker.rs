//! The outbox worker. One step (`try_send_next`) gathers due digests, queues a due weekly
//! list, claims due emails with a lease, and delivers them; the loop around it sleeps, wakes
//! when flags are raised, and stops on shutdown. A daemon killed mid-send leaves its rows
//! claimed; once the lease runs out another step claims them again and sends the same email
//! (same Message-ID, same stored content).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures::StreamExt;
use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::email::{Mailer, build_message};
use super::{Language, Recipient, Router, render, weekly};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::storage::{EmailKind, OutboxRow, RenderedEmail, StorageError, Store};

/// What one step did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StepReport {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    /// Alerts over the hourly cap, moved into the next digest.
    pub folded: usize,
    /// Digests and weekly lists over the hourly cap, put off until it frees up.
    pub deferred: usize,
    pub digests: u64,
    pub weekly: u64,
}

impl StepReport {
    pub fn is_idle(&self) -> bool {
        self.claimed == 0 && self.digests == 0 && self.weekly == 0
    }

    fn add(&mut self, other: &StepReport) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retried += other.retried;
        self.dead += other.dead;
        self.folded += other.folded;
        self.deferred += other.deferred;
        self.digests += other.digests;
        self.weekly += other.weekly;
    }
}

pub struct Notifier {
    store: Store,
    config: Arc<Config>,
    router: Router,
    mailer: Mailer,
    from: Recipient,
    metrics: Metrics,
    /// Flag detection rings this so an alert goes out without waiting for the next tick.
    wake: Arc<tokio::sync::Notify>,
    /// The last weekly list queued by this process, so the schedule is read, not re-queued,
    /// on every tick of the day it fires.
    weekly_done: std::sync::Mutex<Option<NaiveDate>>,
}

impl Notifier {
    /// None when notify is off or has no routes.
    pub fn new(
        config: &Config,
        store: Store,
        metrics: Metrics,
    ) -> Result<Option<Notifier>, String> {
        let Some(router) = Router::new(&config.notify) else {
            return Ok(None);
        };
        let from = config
            .notify
            .from
            .clone()
            .ok_or("notify.from: routes need a sender address")?;
        Ok(Some(Notifier {
            mailer: Mailer::new(&config.notify)?,
            store,
            config: Arc::new(config.clone()),
            router,
            from,
            metrics,
            wake: Arc::new(tokio::sync::Notify::new()),
            weekly_done: std::sync::Mutex::new(None),
        }))
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    pub fn waker(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    pub fn from(&self) -> &Recipient {
        &self.from
    }

    /// Runs until `shutdown`: a step, then, when it found nothing, a nap that a wake-up or
    /// `notify.poll_interval_ms` ends. A failing database is logged and retried.
    pub async fn run(&self, shutdown: CancellationToken) {
        let nap = StdDuration::from_millis(self.router.config().poll_interval_ms);
        while !shutdown.is_cancelled() {
            let idle = match self.try_send_next(Utc::now()).await {
                Ok(report) => {
                    if !report.is_idle() {
                        tracing::info!(
                            sent = report.sent,
                            retried = report.retried,
                            dead = report.dead,
                            folded = report.folded,
                            deferred = report.deferred,
                            digests = report.digests,
                            weekly = report.weekly,
                            "outbox step"
                        );
                    }
                    report.is_idle()
                }
                Err(e) => {
                    tracing::error!(error = %e, "outbox step failed");
                    true
                }
            };
            if idle {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(nap) => {}
                }
            }
        }
    }

    /// Steps until nothing is due or `deadline` passes; for `report weekly --send`, the demo
    /// and tests.
    pub async fn drain(&self, deadline: StdDuration) -> Result<StepReport, StorageError> {
        let start = std::time::Instant::now();
        let mut total = StepReport::default();
        loop {
            let step = self.try_send_next(Utc::now()).await?;
            total.add(&step);
            if step.is_idle() || start.elapsed() >= deadline {
                return Ok(total);
            }
        }
    }

    /// One pass over the outbox at `now`.
    pub async fn try_send_next(&self, now: DateTime<Utc>) -> Result<StepReport, StorageError> {
        let mut report = StepReport {
            digests: self
                .store
                .compose_digests(now, &|to, lang, due| {
                    self.router.digest_email(to, lang, due)
                })
                .await?,
            weekly: self.queue_weekly(now).await?,
            ..StepReport::default()
        };
        let config = self.router.config();
        let lease = Duration::seconds(config.claim_timeout_secs as i64);
        let rows = self
            .store
            .claim_emails(now, lease, (config.concurrency * 8) as i64)
            .await?;
        report.claimed = rows.len();
        // Measured on the clock, not on `now` (which tests move): once a send could outlast
        // the lease, the rest of the claim goes back.
        let hand_back_at = std::time::Instant::now()
            + StdDuration::from_secs(
                config
                    .claim_timeout_secs
                    .saturating_sub(config.smtp_timeout_secs),
            );
        // One recipient's emails go one after the other so the hourly cap counts each send;
        // different recipients are served side by side.
        let mut by_recipient: BTreeMap<String, Vec<OutboxRow>> = BTreeMap::new();
        for row in rows {
            by_recipient
                .entry(row.recipient.clone())
                .or_default()
                .push(row);
        }
        let outcomes: Vec<Result<StepReport, StorageError>> =
            futures::stream::iter(by_recipient.into_values())
                .map(|rows| self.deliver_to_one(rows, now, hand_back_at))
                .buffer_unordered(config.concurrency)
                .collect()
                .await;
        for outcome in outcomes {
            report.add(&outcome?);
        }
        Ok(report)
    }

    async fn deliver_to_one(
        &self,
        rows: Vec<OutboxRow>,
        now: DateTime<Utc>,
        hand_back_at: std::time::Instant,
    ) -> Result<StepReport, StorageError> {
        let mut report = StepReport::default();
        let Some(first) = rows.first() else {
            return Ok(report);
        };
        let config = self.router.config();
        let cap = config.max_per_recipient_per_hour as usize;
        let mut sent = self
            .store
            .sent_since(&first.recipient, now - Duration::hours(1))
            .await?;
        for row in rows {
            if std::time::Instant::now() >= hand_back_at {
                // Slow sends ate the lease: hand the rest back untried rather than let
                // another daemon claim them while this one may still be sending.
                self.store.defer_email(row.id, Utc::now()).await?;
                report.deferred += 1;
                continue;
            }
            let allowed = Recipient::parse(&row.recipient)
                .is_ok_and(|to| self.router.config().is_allowed(&to));
            if !allowed {
                // The allow-list was narrowed after this row was queued: never send it.
                self.store
                    .mark_failed(
                        row.id,
                        "recipient is not in notify.allow_recipients",
                        now,
                        true,
                    )
                    .await?;
                self.outcome(&mut report.dead, "dead", &row, "not allow-listed");
                continue;
            }
            if sent.len() >= cap {
                if row.kind() == Some(EmailKind::Alert) {
                    self.store
                        .fold_into_digest(row.id, self.router.next_digest(now))
                        .await?;
                    self.outcome(&mut report.folded, "folded", &row, "hourly cap");
                } else {
                    // Due again when the oldest send in the window is an hour old.
                    let free_at =
                        sent[sent.len() - cap] + Duration::hours(1) + Duration::seconds(1);
                    self.store.defer_email(row.id, free_at).await?;
                    self.outcome(&mut report.deferred, "deferred", &row, "hourly cap");
                }
                continue;
            }
            match self.send(&row).await {
                Ok(()) => {
                    let at = Utc::now();
                    self.store.mark_sent(row.id, at).await?;
                    sent.push(at);
                    self.outcome(&mut report.sent, "sent", &row, "");
                }
                Err(error) => {
                    let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
                    let dead = attempts >= config.max_attempts;
                    let retry_at = now + self.backoff(attempts);
                    self.store
                        .mark_failed(row.id, &error, retry_at, dead)
                        .await?;
                    if dead {
                        self.outcome(&mut report.dead, "dead", &row, &error);
                    } else {
                        self.outcome(&mut report.retried, "retry", &row, &error);
                    }
                }
            }
        }
        Ok(report)
    }

    fn outcome(&self, count: &mut usize, outcome: &'static str, row: &OutboxRow, why: &str) {
        *count += 1;
        self.metrics.email(outcome);
        match outcome {
            "sent" => tracing::debug!(id = row.id, key = %row.key, "email sent"),
            "dead" => tracing::error!(
                id = row.id, key = %row.key, attempts = row.attempts, error = %why,
                event = "email_dead", "email dead-lettered"
            ),
            _ => {
                tracing::warn!(id = row.id, key = %row.key, attempts = row.attempts, why, outcome, "email not sent")
            }
        }
    }

    /// Exponential from `retry_base_secs`, capped at `retry_max_secs`, with up to 20 %
    /// jitter so that many failed emails do not all retry in the same second.
    fn backoff(&self, attempts: u32) -> Duration {
        let config = self.router.config();
        let exp = config
            .retry_base_secs
            .saturating_mul(1u64 << attempts.saturating_sub(1).min(20));
        let secs = exp.min(config.retry_max_secs) as f64;
        let jitter = rand::rng().random_range(0.0..0.2);
        Duration::milliseconds((secs * (1.0 + jitter) * 1000.0) as i64)
    }

    async fn send(&self, row: &OutboxRow) -> Result<(), String> {
        let rendered = match row.rendered() {
            Some(r) => r,
            None => {
                let fresh = self.render(row).await?;
                self.store
                    .store_rendered(row.id, &fresh)
                    .await
                    .map_err(|e| e.to_string())?
                    .unwrap_or(fresh)
            }
        };
        let message = build_message(&self.from, row, &rendered)?;
        self.mailer
            .send(&message, &row.key)
            .await
            .map_err(|e| e.message)
    }

    /// The content of an outbox row, from what is stored now.
    pub async fn render(&self, row: &OutboxRow) -> Result<RenderedEmail, String> {
        let lang = Language::parse(&row.language).unwrap_or_default();
        let db = |e: StorageError| e.to_string();
        match row.kind() {
            Some(EmailKind::Alert | EmailKind::DigestItem) => {
                let id = row.flag_id.ok_or("alert without a flag")?;
                let flags = self.store.flag_details(&[id]).await.map_err(db)?;
                let flag = flags
                    .first()
                    .ok_or_else(|| format!("flag {id} no longer exists"))?;
                render::alert(flag, lang)
            }
            Some(EmailKind::Digest) => {
                let ids = self.store.digest_flag_ids(row.id).await.map_err(db)?;
                let flags = self.store.flag_details(&ids).await.map_err(db)?;
                render::digest(&flags, lang)
            }
            Some(EmailKind::Weekly) => {
                let brand = row.brand.as_deref().ok_or("weekly list without a brand")?;
                let week = row.week.as_deref().ok_or("weekly list without a week")?;
                let report = self
                    .weekly_report(brand, weekly::parse_iso_week(week)?)
                    .await?;
                render::weekly(&report, lang)
            }
            None => Err(format!("unknown outbox kind {:?}", row.kind)),
        }
    }

    pub async fn weekly_report(
        &self,
        brand: &str,
        monday: NaiveDate,
    ) -> Result<weekly::WeeklyReport, String> {
        weekly::build(&self.store, &self.config, brand, monday)
            .await
            .map_err(|e| e.to_string())
    }

    /// Queues the weekly list of every brand (or one) for `monday`'s week; lists queued
    /// before, by any daemon or command, are skipped.
    pub async fn queue_weekly_for(
        &self,
        monday: NaiveDate,
        brand: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let week = crate::advocates::iso_week_name(monday);
        let emails: Vec<_> = self
            .config
            .brands
            .iter()
            .filter(|b| brand.is_none_or(|x| x == b.name.as_str()))
            .flat_map(|b| self.router.weekly_emails(b.name.as_str(), &week, now))
            .collect();
        self.store.enqueue_emails(&emails, now).await
    }

    async fn queue_weekly(&self, now: DateTime<Utc>) -> Result<u64, StorageError> {
        let Some(monday) = weekly::due_week(self.router.config(), now) else {
            return Ok(0);
        };
        let done = self
            .weekly_done
            .lock()
            .map(|d| *d == Some(monday))
            .unwrap_or(false);
        if done {
            return Ok(0);
        }
        let queued = self.queue_weekly_for(monday, None, now).await?;
        if let Ok(mut d) = self.weekly_done.lock() {
            *d = Some(monday);
        }
        Ok(queued)
    }
}
