//! Poll cycles and the long-running daemon: cron schedule, bounded concurrency, back-off
//! aware selection of due sources, and a graceful shutdown.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, CronSchedule};
use crate::fetch::{HttpClient, Politeness};
use crate::matching::Matcher;
use crate::metrics::Metrics;
use crate::pipeline::{Backoff, Pipeline, PollOutcome, PollStatus};
use crate::scoring::MentionScorer;
use crate::sources::{self, PollContext, Source, SourceCursor};
use crate::storage::Store;
use crate::storage::{SourceState, SourceStatus};

/// How long shutdown waits for in-flight work before exiting anyway. Every write is one
/// transaction, so stopping later than this would lose nothing either; it only bounds the wait.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// The configured sources and everything needed to poll them.
pub struct Poller {
    pub pipeline: Pipeline,
    sources: Vec<Arc<dyn Source>>,
    concurrency: usize,
    flags: crate::flags::FlagConfig,
    advocates: crate::advocates::AdvocateConfig,
    router: Option<crate::notify::Router>,
    /// Rung when flags were raised, so the outbox worker sends their alerts at once.
    notify_wake: Option<Arc<tokio::sync::Notify>>,
}

impl Poller {
    /// Builds connectors for the enabled sources and registers them in the database.
    pub async fn new(
        config: &Config,
        store: Store,
        metrics: Metrics,
        cancel: CancellationToken,
    ) -> anyhow::Result<Self> {
        let http = HttpClient::new(
            config.poll.timeout_secs.duration(),
            config.poll.max_body_bytes,
            Politeness {
                per_host_concurrency: config.poll.per_host_concurrency,
                per_host_requests: config.poll.per_host_requests_per_cycle,
                retries: config.poll.retries,
                ..Politeness::default()
            },
        )?;
        let matcher = Matcher::new(&config.brands)?;
        let scorer = MentionScorer::new(config)?;
        let sources: Vec<Arc<dyn Source>> = config
            .enabled_sources()
            .map(|s| sources::build(s, &config.brands))
            .collect::<Result<_, _>>()?;
        let names: Vec<(&str, &str)> = sources
            .iter()
            .map(|s| (s.name().as_str(), s.kind().as_str()))
            .collect();
        store.register_sources(&names).await?;
        store.retry_misconfigured().await?;
        Ok(Self {
            pipeline: Pipeline {
                store,
                matcher: Arc::new(matcher),
                scorer: Arc::new(scorer),
                cpu: Arc::new(tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
                )),
                ctx: PollContext { http, cancel },
                backoff: Backoff {
                    base: config.poll.backoff_base_secs.duration(),
                    max: config.poll.backoff_max_secs.duration(),
                },
                down_after: config.poll.down_after_secs.duration(),
                metrics,
            },
            sources,
            concurrency: config.poll.concurrency,
            flags: config.flags.clone(),
            advocates: config.advocates.clone(),
            router: crate::notify::Router::new(&config.notify),
            notify_wake: None,
        })
    }

    /// Wakes `notifier`'s worker whenever a cycle raises flags.
    pub fn wake_on_flags(&mut self, wake: Arc<tokio::sync::Notify>) {
        self.notify_wake = Some(wake);
    }

    pub fn source_names(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|s| s.name().as_str())
    }

    /// Polls sources, at most `concurrency` at a time, and returns their outcomes in config
    /// order. With `only_due`, sources still backing off after failures are skipped.
    pub async fn cycle(
        &self,
        only_due: bool,
        only: Option<&str>,
    ) -> anyhow::Result<Vec<PollOutcome>> {
        let started = Instant::now();
        let now = Utc::now();
        self.pipeline.ctx.http.begin_cycle();
        // One read of every source's state per cycle, rather than one per poll.
        let mut cursors: HashMap<String, SourceStatus> = self
            .pipeline
            .store
            .source_statuses()
            .await?
            .into_iter()
            .map(|st| (st.name.clone(), st))
            .collect();
        let selected: Vec<(Arc<dyn Source>, SourceCursor, SourceState)> = self
            .sources
            .iter()
            .filter(|s| only.is_none_or(|name| s.name().as_str() == name))
            .filter_map(|s| {
                let status = cursors.remove(s.name().as_str());
                if only_due && status.as_ref().is_some_and(|st| !st.is_due(now)) {
                    return None;
                }
                let previous = status
                    .as_ref()
                    .map_or(SourceState::Pending, SourceStatus::state);
                Some((
                    s.clone(),
                    status.map(|st| st.cursor()).unwrap_or_default(),
                    previous,
                ))
            })
            .collect();
        let outcomes: Vec<PollOutcome> = futures::stream::iter(selected)
            .map(|(source, cursor, previous)| {
                let pipeline = self.pipeline.clone();
                // Each poll runs as its own task so parsing and storing spread over all cores.
                async move {
                    let name = source.name().clone();
                    tokio::spawn(async move {
                        pipeline
                            .poll_source(source.as_ref(), &cursor, previous)
                            .await
                    })
                    .await
                    .unwrap_or_else(|e| PollOutcome {
                        source: name,
                        status: PollStatus::Failed {
                            error: format!("poll task failed: {e}"),
                            consecutive_errors: 0,
                            state: SourceState::Failing,
                        },
                    })
                }
            })
            .buffered(self.concurrency)
            .collect()
            .await;
        // Unchanged sources (HTTP 304) are recorded together: on a quiet cycle that is nearly
        // every source, and one statement beats a commit per source.
        let unchanged: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.status == PollStatus::NotModified)
            .map(|o| o.source.as_str())
            .collect();
        self.pipeline
            .store
            .record_not_modified(&unchanged, Utc::now())
            .await?;
        // What was stored is looked at before the cycle ends, so a negative experience
        // reaches a person within one cycle. A failure here loses nothing: the watermark
        // stays and the next cycle looks again.
        match crate::flags::detect(
            &self.pipeline.store,
            &self.flags,
            &self.advocates,
            self.router.as_ref(),
            Utc::now(),
        )
        .await
        {
            Ok(0) => {}
            Ok(new) => {
                tracing::info!(new_flags = new, "flags raised");
                if let Some(wake) = &self.notify_wake {
                    wake.notify_one();
                }
            }
            Err(e) => tracing::error!(error = %e, "flag detection failed"),
        }
        let elapsed = started.elapsed();
        self.pipeline.metrics.observe_cycle(elapsed);
        tracing::info!(
            sources = outcomes.len(),
            elapsed_ms = elapsed.as_millis() as u64,
            "cycle done"
        );
        Ok(outcomes)
    }
}

/// Runs until `shutdown` is cancelled: a cycle at start-up (if configured), then one at every
/// tick of the cron schedule, over the sources that are due.
pub async fn run(
    poller: Poller,
    schedule: CronSchedule,
    on_start: bool,
    shutdown: CancellationToken,
) {
    if on_start && !shutdown.is_cancelled() {
        run_logged(&poller).await;
    }
    loop {
        let Some(next) = schedule.next_after(Utc::now()) else {
            tracing::error!(
                schedule = schedule.as_str(),
                "schedule has no next run; stopping"
            );
            break;
        };
        let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tracing::debug!(next = %next, "waiting for next cycle");
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
        run_logged(&poller).await;
        if shutdown.is_cancelled() {
            break;
        }
    }
}

async fn run_logged(poller: &Poller) {
    if let Err(e) = poller.cycle(true, None).await {
        tracing::error!(error = %e, "poll cycle failed");
    }
    // The language models (~5 MB per language) load when a cycle needs them; between cycles
    // the daemon idles for minutes, so they are dropped and reload in milliseconds next time.
    poller.pipeline.scorer.release();
    release_freed_memory();
}

/// A cycle allocates tens of megabytes for bodies and parsed items and frees them again, but
/// glibc keeps freed heap in its arenas. Between cycles the daemon idles for minutes, so hand
/// that memory back to the system.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory held by the allocator; it has no
    // preconditions and touches no memory the program owns.
    unsafe {
        libc::malloc_trim(0);
    }
}
