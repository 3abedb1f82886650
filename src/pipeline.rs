//! One poll of one source: fetch → parse → match brands → store, with its outcome recorded
//! on the source (validators and cursor on success, error and back-off on failure).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::domain::{Platform, SourceName};
use crate::fetch::FetchError;
use crate::matching::Matcher;
use crate::metrics::Metrics;
use crate::scoring::{MentionScorer, ReachInputs, reach};
use crate::sources::{PollContext, PollResult, RawItem, Source, SourceCursor, SourceError};
use crate::storage::{NewMention, PollFailure, SourceState, StorageError, Store, StoreReport};

/// How one source's poll ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStatus {
    Stored {
        fetched: usize,
        matched: usize,
        report: StoreReport,
    },
    NotModified,
    Failed {
        error: String,
        consecutive_errors: i64,
        /// Failing, down or misconfigured.
        state: SourceState,
    },
    /// Shutdown interrupted the fetch; nothing was written.
    Cancelled,
    /// Not polled this time, through no fault of the source: its host's request budget for
    /// the cycle was spent, or the host asked everyone to wait. Tried again next cycle.
    Deferred {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOutcome {
    pub source: SourceName,
    pub status: PollStatus,
}

/// Exponential back-off for failing sources: `base · 2^(n-1)`, capped, with ±20 % jitter so
/// sources that failed together do not retry together. Never infinite: polling goes on.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    pub fn delay(&self, consecutive_errors: i64, retry_after: Option<Duration>) -> Duration {
        let exp = consecutive_errors.clamp(1, 32) as u32 - 1;
        let raw = self
            .base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.max);
        let jitter = rand::rng().random_range(0.8..1.2);
        let delay = raw.mul_f64(jitter).min(self.max);
        // A server that says when to come back is believed, within our cap.
        retry_after.map_or(delay, |ra| delay.max(ra.min(self.max)))
    }
}

/// Everything a poll needs, shared by all polls of a daemon.
#[derive(Clone)]
pub struct Pipeline {
    pub store: Store,
    pub matcher: Arc<Matcher>,
    pub scorer: Arc<MentionScorer>,
    /// Bounds concurrent CPU-bound scoring to the number of cores.
    pub cpu: Arc<tokio::sync::Semaphore>,
    pub ctx: PollContext,
    pub backoff: Backoff,
    /// A source failing this long is reported down.
    pub down_after: Duration,
    pub metrics: Metrics,
}

impl Pipeline {
    #[tracing::instrument(skip_all, fields(source = %source.name(), kind = source.kind().as_str()))]
    /// Polls one source from `cursor`. A 304 is returned, not written: the cycle records all
    /// unchanged sources at once. `previous` is the source's state before this poll, so
    /// changes (down, misconfigured, recovered) are reported once.
    pub async fn poll_source(
        &self,
        source: &dyn Source,
        cursor: &SourceCursor,
        previous: SourceState,
    ) -> PollOutcome {
        let started = std::time::Instant::now();
        let status = match self.try_poll(source, cursor).await {
            Ok(status) => status,
            Err(PollError::Cancelled) => PollStatus::Cancelled,
            Err(PollError::Source(SourceError::Fetch(
                e @ (FetchError::BudgetSpent { .. } | FetchError::RateLimited { .. }),
            ))) => {
                // A host that said when to come back (a quota reset, a long Retry-After) is
                // not asked again before then; a spent budget waits only for the next cycle.
                if let Some(wait) = e.retry_after()
                    && let Ok(wait) = chrono::Duration::from_std(wait.min(self.backoff.max))
                    && let Err(err) = self
                        .store
                        .defer_until(source.name().as_str(), Utc::now() + wait)
                        .await
                {
                    tracing::error!(error = %err, "cannot record the deferral");
                }
                PollStatus::Deferred {
                    reason: e.to_string(),
                }
            }
            Err(err) => self.fail(source.name(), err).await,
        };
        let name = source.name().as_str();
        self.metrics.observe_poll(name, &status, started.elapsed());
        self.report_state(name, previous, &status);
        match &status {
            PollStatus::Stored {
                fetched,
                matched,
                report,
            } => tracing::info!(
                fetched,
                matched,
                new = report.new,
                duplicate = report.duplicate,
                "polled"
            ),
            PollStatus::NotModified => tracing::debug!("not modified"),
            PollStatus::Failed {
                error,
                consecutive_errors,
                state,
            } => {
                tracing::warn!(error = %error, consecutive_errors, state = state.as_str(), "poll failed")
            }
            PollStatus::Cancelled => tracing::info!("poll cancelled by shutdown"),
            PollStatus::Deferred { reason } => tracing::info!(reason = %reason, "poll deferred"),
        }
        PollOutcome {
            source: source.name().clone(),
            status,
        }
    }

    /// Logs and counts state changes: a source going down or becoming misconfigured is an
    /// event a person must hear about (`event = "source_down"`), and so is its recovery.
    fn report_state(&self, name: &str, previous: SourceState, status: &PollStatus) {
        let now = match status {
            PollStatus::Stored { .. } | PollStatus::NotModified => SourceState::Ok,
            PollStatus::Failed { state, .. } => *state,
            PollStatus::Cancelled | PollStatus::Deferred { .. } => return,
        };
        self.metrics.set_source_state(name, now);
        if now == previous {
            return;
        }
        match now {
            SourceState::Down => {
                self.metrics.source_went_down(name);
                tracing::error!(
                    event = "source_down",
                    down_after_s = self.down_after.as_secs(),
                    "source has been failing for too long; it is down"
                );
            }
            SourceState::Misconfigured => tracing::error!(
                event = "source_misconfigured",
                "source refused our credentials or has none; fix its config or environment"
            ),
            SourceState::Ok if !previous.is_healthy() => tracing::info!(
                event = "source_recovered",
                previous = previous.as_str(),
                "source recovered"
            ),
            _ => {}
        }
    }

    async fn try_poll(
        &self,
        source: &dyn Source,
        cursor: &SourceCursor,
    ) -> Result<PollStatus, PollError> {
        let name = source.name();
        let result = source.poll(&self.ctx, cursor).await?;
        let now = Utc::now();
        match result {
            PollResult::NotModified => Ok(PollStatus::NotModified),
            PollResult::Page { items, next } => {
                let fetched = items.len();
                let matcher = Arc::clone(&self.matcher);
                let scorer = Arc::clone(&self.scorer);
                let platform = source.platform();
                // Matching and scoring are CPU work (language models, lexicons): off the async
                // threads so a large page does not stall other sources' I/O, and no more at a
                // time than there are cores (each extra thread only adds a stack and an arena).
                let _permit = self
                    .cpu
                    .acquire()
                    .await
                    .map_err(|e| PollError::Internal(e.to_string()))?;
                let mentions = tokio::task::spawn_blocking(move || {
                    match_and_score(&matcher, &scorer, platform, items)
                })
                .await
                .map_err(|e| PollError::Internal(format!("scoring task failed: {e}")))?;
                let report = self
                    .store
                    .record_poll(name, &next, fetched, &mentions, now)
                    .await?;
                Ok(PollStatus::Stored {
                    fetched,
                    matched: mentions.len(),
                    report,
                })
            }
        }
    }

    async fn fail(&self, name: &SourceName, err: PollError) -> PollStatus {
        let error = err.to_string();
        let misconfigured = err.is_misconfiguration();
        let retry_after = err.retry_after();
        let backoff = self.backoff;
        let now = Utc::now();
        let retry_at = move |errors: i64| -> DateTime<Utc> {
            // Retrying a refused credential every minute helps nobody; once per back-off cap
            // (and at every daemon start) notices a fix.
            let delay = if misconfigured {
                backoff.max
            } else {
                backoff.delay(errors, retry_after)
            };
            now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(6))
        };
        let failure = PollFailure {
            error: &error,
            at: now,
            retry_at: &retry_at,
            misconfigured,
            down_after: chrono::Duration::from_std(self.down_after)
                .unwrap_or(chrono::Duration::hours(6)),
        };
        match self.store.record_failure(name.as_str(), failure).await {
            Ok(record) => PollStatus::Failed {
                error,
                consecutive_errors: record.consecutive_errors,
                state: record.state,
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot record poll failure");
                PollStatus::Failed {
                    error,
                    consecutive_errors: 0,
                    state: SourceState::Failing,
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error("{0}")]
    Source(SourceError),
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Internal(String),
}

impl From<SourceError> for PollError {
    fn from(e: SourceError) -> Self {
        match e {
            SourceError::Fetch(FetchError::Cancelled) => PollError::Cancelled,
            other => PollError::Source(other),
        }
    }
}

impl PollError {
    fn retry_after(&self) -> Option<Duration> {
        match self {
            PollError::Source(SourceError::Fetch(e)) => e.retry_after(),
            _ => None,
        }
    }

    fn is_misconfiguration(&self) -> bool {
        matches!(self, PollError::Source(e) if e.is_misconfiguration())
    }
}

/// What is matched and scored of an item: its title and body.
pub fn mention_text<'a>(title: Option<&str>, text: &'a str) -> std::borrow::Cow<'a, str> {
    match title {
        Some(title) => std::borrow::Cow::Owned(format!("{title}\n{text}")),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// The items that mention a brand, each scored in the languages its brands are watched in.
fn match_and_score(
    matcher: &Matcher,
    scorer: &MentionScorer,
    platform: Platform,
    items: Vec<RawItem>,
) -> Vec<NewMention> {
    items
        .into_iter()
        .filter_map(|item| {
            let haystack = mention_text(item.title.as_deref(), &item.text);
            let brands = matcher.find(&haystack);
            if brands.is_empty() {
                return None;
            }
            let score = scorer.score(
                &haystack,
                item.lang_hint.as_deref(),
                brands.iter().map(|b| b.brand.as_str()),
            );
            let reach_score = reach(platform, &ReachInputs::of(&item)).score;
            Some(NewMention {
                platform,
                item,
                brands,
                score,
                reach_score,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Backoff {
            base: Duration::from_secs(60),
            max: Duration::from_secs(6 * 3600),
        };
        let secs = |n| b.delay(n, None).as_secs_f64();
        assert!((48.0..=72.0).contains(&secs(1)));
        assert!((96.0..=144.0).contains(&secs(2)));
        assert!((384.0..=576.0).contains(&secs(4)));
        assert!(secs(100) <= 6.0 * 3600.0);
        assert!(secs(100) >= 0.8 * 6.0 * 3600.0);
    }

    #[test]
    fn retry_after_is_honoured_within_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(3600),
        };
        assert!(b.delay(1, Some(Duration::from_secs(600))).as_secs() >= 600);
        assert!(b.delay(1, Some(Duration::from_secs(999_999))).as_secs() <= 3600);
    }
}
