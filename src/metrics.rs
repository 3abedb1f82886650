//! Prometheus metrics, named `fanwatch_<noun>_<verb>_total` and friends.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::pipeline::PollStatus;
use crate::storage::SourceState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    source: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PollLabels {
    source: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EmailLabels {
    outcome: &'static str,
}

/// Cheap to clone; all clones update the same registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    polls: Family<PollLabels, Counter>,
    errors: Family<SourceLabels, Counter>,
    mentions: Family<SourceLabels, Counter>,
    cycles: Counter,
    cycle_seconds: Histogram,
    states: Family<StateLabels, Gauge>,
    down_events: Family<SourceLabels, Counter>,
    emails: Family<EmailLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let polls = Family::<PollLabels, Counter>::default();
        let errors = Family::<SourceLabels, Counter>::default();
        let mentions = Family::<SourceLabels, Counter>::default();
        let cycles = Counter::default();
        let cycle_seconds = Histogram::new(exponential_buckets(0.05, 2.0, 14));
        let states = Family::<StateLabels, Gauge>::default();
        let down_events = Family::<SourceLabels, Counter>::default();
        let emails = Family::<EmailLabels, Counter>::default();
        registry.register(
            "fanwatch_emails",
            "Outbox emails by outcome (sent, retry, dead, folded into a digest, deferred by the hourly cap)",
            emails.clone(),
        );
        registry.register(
            "fanwatch_source_state",
            "1 for the state each source is in (ok, failing, misconfigured, down), 0 for the others",
            states.clone(),
        );
        registry.register(
            "fanwatch_source_down",
            "Times a source was reported down (failing longer than poll.down_after_secs)",
            down_events.clone(),
        );
        registry.register(
            "fanwatch_source_polls",
            "Source polls by outcome (stored, not_modified, failed, cancelled)",
            polls.clone(),
        );
        registry.register(
            "fanwatch_source_errors",
            "Failed source polls",
            errors.clone(),
        );
        registry.register(
            "fanwatch_mentions_stored",
            "New mentions stored",
            mentions.clone(),
        );
        registry.register(
            "fanwatch_cycles_completed",
            "Poll cycles completed",
            cycles.clone(),
        );
        registry.register(
            "fanwatch_cycle_duration_seconds",
            "Wall time of one poll cycle over all due sources",
            cycle_seconds.clone(),
        );
        Self {
            registry: Arc::new(registry),
            polls,
            errors,
            mentions,
            cycles,
            cycle_seconds,
            states,
            down_events,
            emails,
        }
    }

    pub fn email(&self, outcome: &'static str) {
        self.emails.get_or_create(&EmailLabels { outcome }).inc();
    }

    /// Records the state a source is now in (one gauge per state, the current one at 1).
    pub fn set_source_state(&self, source: &str, state: SourceState) {
        for s in [
            SourceState::Ok,
            SourceState::Failing,
            SourceState::Misconfigured,
            SourceState::Down,
        ] {
            self.states
                .get_or_create(&StateLabels {
                    source: source.to_owned(),
                    state: s.as_str(),
                })
                .set(i64::from(s == state));
        }
    }

    pub fn source_went_down(&self, source: &str) {
        self.down_events
            .get_or_create(&SourceLabels {
                source: source.to_owned(),
            })
            .inc();
    }

    pub fn observe_poll(&self, source: &str, status: &PollStatus, _elapsed: Duration) {
        let outcome = match status {
            PollStatus::Stored { report, .. } => {
                self.mentions
                    .get_or_create(&SourceLabels {
                        source: source.to_owned(),
                    })
                    .inc_by(report.new);
                "stored"
            }
            PollStatus::NotModified => "not_modified",
            PollStatus::Failed { .. } => {
                self.errors
                    .get_or_create(&SourceLabels {
                        source: source.to_owned(),
                    })
                    .inc();
                "failed"
            }
            PollStatus::Cancelled => "cancelled",
            PollStatus::Deferred { .. } => "deferred",
        };
        self.polls
            .get_or_create(&PollLabels {
                source: source.to_owned(),
                outcome,
            })
            .inc();
    }

    pub fn observe_cycle(&self, elapsed: Duration) {
        self.cycles.inc();
        self.cycle_seconds.observe(elapsed.as_secs_f64());
    }

    /// The OpenMetrics text exposition, which Prometheus scrapes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StoreReport;

    #[test]
    fn renders_counters_with_labels() {
        let m = Metrics::new();
        m.observe_poll(
            "news",
            &PollStatus::Stored {
                fetched: 3,
                matched: 2,
                report: StoreReport {
                    new: 2,
                    duplicate: 0,
                },
            },
            Duration::ZERO,
        );
        m.observe_poll(
            "news",
            &PollStatus::Failed {
                error: "x".into(),
                consecutive_errors: 1,
                state: SourceState::Failing,
            },
            Duration::ZERO,
        );
        m.observe_cycle(Duration::from_millis(120));
        let text = m.render();
        assert!(
            text.contains("fanwatch_mentions_stored_total{source=\"news\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("fanwatch_source_errors_total{source=\"news\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("fanwatch_source_polls_total{source=\"news\",outcome=\"stored\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("fanwatch_cycle_duration_seconds_count 1"),
            "{text}"
        );
    }
}
