//! Flags: the mentions and people a person should look at, raised once per cause after each
//! poll cycle.
//!
//! - `negative_experience`: negative sentiment or a complaint; `high` when widely heard
//!   (reach ≥ `flags.high_reach`), `critical` when also from a `top`/`large` customer.
//! - `churn_risk`: someone says they are leaving; `high`, `critical` for top/large customers
//!   or wide reach.
//! - `question`: a question about the brand (what the website does not answer); `low`.
//! - `influential_fan`: a positive post with reach ≥ `flags.influential_reach`, or an author
//!   who entered a brand's top `flags.top_advocates` with at least two positive weeks.
//! - `spike`: negative mentions published in the last hour ≥ `flags.spike_min` and ≥
//!   `flags.spike_factor` × the mean of the same hour on the previous 14 days.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::advocates::{self, AdvocateConfig};
use crate::crm::Segment;
use crate::domain::truncate_chars;
use crate::storage::{CustomerLink, CustomerLinks, FlagCandidate, NewFlag, StorageError, Store};

/// `[flags]` in the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagConfig {
    /// Positive posts with at least this reach_score raise `influential_fan`.
    #[serde(default = "default_influential_reach")]
    pub influential_reach: f64,
    /// Negative mentions with at least this reach_score are `high` severity.
    #[serde(default = "default_high_reach")]
    pub high_reach: f64,
    /// Entering a brand's top this-many advocates raises `influential_fan` (0: never).
    #[serde(default = "default_top_advocates")]
    pub top_advocates: usize,
    /// Last hour's negative mentions against the same hour's 14-day mean.
    #[serde(default = "default_spike_factor")]
    pub spike_factor: f64,
    /// And at least this many.
    #[serde(default = "default_spike_min")]
    pub spike_min: usize,
}

impl Default for FlagConfig {
    fn default() -> Self {
        Self {
            influential_reach: default_influential_reach(),
            high_reach: default_high_reach(),
            top_advocates: default_top_advocates(),
            spike_factor: default_spike_factor(),
            spike_min: default_spike_min(),
        }
    }
}

fn default_influential_reach() -> f64 {
    60.0
}

fn default_high_reach() -> f64 {
    55.0
}

fn default_top_advocates() -> usize {
    10
}

fn default_spike_factor() -> f64 {
    3.0
}

fn default_spike_min() -> usize {
    5
}

/// Looks at every mention stored since the last run, the advocate ranking and the last
/// hour's negative volume; returns how many flags are new.
/// With a `router`, each new flag's emails are queued in the transaction that raises it.
pub async fn detect(
    store: &Store,
    config: &FlagConfig,
    advocates: &AdvocateConfig,
    router: Option<&crate::notify::Router>,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let emails =
        |id: i64, flag: &NewFlag| router.map_or_else(Vec::new, |r| r.flag_emails(id, flag, now));
    let customers = store.customer_links().await?;
    let mut new = 0;
    loop {
        let (upto, candidates, intents) = store.flag_candidates().await?;
        if candidates.is_empty() && intents.is_empty() {
            // Either nothing new, or a batch of mentions without brands: move past it.
            new += store.raise_flags(&[], Some(upto), now, &emails).await?;
            break;
        }
        let flags = from_mentions(&candidates, &intents, &customers, config);
        new += store.raise_flags(&flags, Some(upto), now, &emails).await?;
    }
    let mut flags = top_advocates(store, config, advocates, now).await?;
    flags.extend(spikes(
        &store.negative_times(now - Duration::days(15)).await?,
        config,
        now,
    ));
    new += store.raise_flags(&flags, None, now, &emails).await?;
    Ok(new)
}

fn is_key_customer(link: Option<&CustomerLink>) -> bool {
    link.is_some_and(|c| matches!(c.segment, Segment::Top | Segment::Large))
}

/// Flags for individual mentions.
pub fn from_mentions(
    candidates: &[FlagCandidate],
    intents: &[(i64, String, String)],
    customers: &CustomerLinks,
    config: &FlagConfig,
) -> Vec<NewFlag> {
    let mut by_mention: HashMap<i64, Vec<(&str, &str)>> = HashMap::new();
    for (id, kind, cue) in intents {
        by_mention.entry(*id).or_default().push((kind, cue));
    }
    let mut out = Vec::new();
    for m in candidates {
        let cues = by_mention.get(&m.id).map(Vec::as_slice).unwrap_or_default();
        let has = |k: &str| cues.iter().any(|(kind, _)| *kind == k);
        let reach = m.reach_score.unwrap_or(0.0);
        let link = m
            .handle
            .as_deref()
            .and_then(|h| customers.get(&m.platform, h));
        let key = is_key_customer(link);
        let reason = reason(m, cues, link);
        let mut raise = |kind: &'static str, severity: &'static str| {
            out.push(NewFlag {
                kind,
                severity,
                reason: reason.clone(),
                brand: m.brand.clone(),
                author_id: m.author_id,
                mention_id: Some(m.id),
                cause_key: format!("{kind}:{}:{}", m.id, m.brand),
            });
        };
        let negative = m.label.as_deref() == Some("negative") || has("complaint");
        if has("churn_risk") {
            raise(
                "churn_risk",
                if key || reach >= config.high_reach {
                    "critical"
                } else {
                    "high"
                },
            );
        } else if negative {
            let severity = match (key, reach >= config.high_reach) {
                (true, true) => "critical",
                (true, false) | (false, true) => "high",
                (false, false) => "medium",
            };
            raise("negative_experience", severity);
        }
        if has("question") {
            raise("question", if key { "medium" } else { "low" });
        }
        if m.label.as_deref() == Some("positive") && reach >= config.influential_reach {
            raise("influential_fan", "medium");
        }
    }
    out
}

/// "negative -0.76; complaint: "billed twice"; reach 72 (15400 followers); customer C-17
/// (top); "Third outage this week…""
fn reason(m: &FlagCandidate, cues: &[(&str, &str)], link: Option<&CustomerLink>) -> String {
    let mut parts = Vec::new();
    if let (Some(label), Some(c)) = (&m.label, m.compound) {
        parts.push(format!("{label} {c:+.2}"));
    }
    for (kind, cue) in cues {
        parts.push(format!("{kind}: {cue:?}"));
    }
    if let Some(r) = m.reach_score {
        match m.followers {
            Some(f) => parts.push(format!("reach {r:.0} ({f} followers)")),
            None => parts.push(format!("reach {r:.0}")),
        }
    }
    if let Some(c) = link {
        parts.push(format!(
            "customer {} ({})",
            c.customer_id,
            c.segment.as_str()
        ));
    }
    let text = crate::pipeline::mention_text(m.title.as_deref(), &m.text);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let excerpt = truncate_chars(&flat, 140);
    let ellipsis = if excerpt.len() < flat.len() {
        "…"
    } else {
        ""
    };
    parts.push(format!("\"{excerpt}{ellipsis}\""));
    parts.join("; ")
}

/// Authors in a brand's top list with at least two positive weeks, flagged once.
async fn top_advocates(
    store: &Store,
    config: &FlagConfig,
    advocates: &AdvocateConfig,
    now: DateTime<Utc>,
) -> Result<Vec<NewFlag>, StorageError> {
    if config.top_advocates == 0 {
        return Ok(Vec::new());
    }
    let (from, to) = advocates::window(now, advocates);
    let weeks = store.author_weeks(from, to, None).await?;
    let ids: HashMap<(&str, &str, &str), i64> = weeks
        .iter()
        .map(|w| {
            (
                (w.brand.as_str(), w.platform.as_str(), w.handle.as_str()),
                w.author_id,
            )
        })
        .collect();
    Ok(advocates::rank(&weeks, now, advocates)
        .into_iter()
        .filter(|a| a.rank <= config.top_advocates && a.positive_weeks >= 2 && a.advocate_score > 0.0)
        .filter_map(|a| {
            let author = *ids.get(&(a.brand.as_str(), a.platform.as_str(), a.handle.as_str()))?;
            Some(NewFlag {
                kind: "influential_fan",
                severity: if a.quadrant == advocates::Quadrant::Champion {
                    "high"
                } else {
                    "medium"
                },
                reason: format!(
                    "entered the top {} advocates of {} at #{}: {} positive weeks, score {:.1}, reach {:.0}, {}",
                    config.top_advocates,
                    a.brand,
                    a.rank,
                    a.positive_weeks,
                    a.advocate_score,
                    a.reach_score,
                    a.quadrant.as_str()
                ),
                brand: a.brand.clone(),
                author_id: Some(author),
                mention_id: None,
                cause_key: format!("influential_fan:top:{}:{author}", a.brand),
            })
        })
        .collect())
}

/// A spike per brand whose last hour is far above the same hour on the 14 days before.
pub fn spikes(
    negatives: &[(String, DateTime<Utc>)],
    config: &FlagConfig,
    now: DateTime<Utc>,
) -> Vec<NewFlag> {
    let brands: HashSet<&str> = negatives.iter().map(|(b, _)| b.as_str()).collect();
    let mut out = Vec::new();
    for brand in brands {
        let in_hour = |end: DateTime<Utc>| {
            negatives
                .iter()
                .filter(|(b, at)| b == brand && *at > end - Duration::hours(1) && *at <= end)
                .count()
        };
        let last = in_hour(now);
        let baseline = (1..=14)
            .map(|d| in_hour(now - Duration::days(d)))
            .sum::<usize>() as f64
            / 14.0;
        if last >= config.spike_min && last as f64 >= config.spike_factor * baseline.max(1.0 / 14.0)
        {
            out.push(NewFlag {
                kind: "spike",
                severity: "high",
                reason: format!(
                    "{last} negative mentions of {brand} in the last hour; the same hour averaged {baseline:.1} over the previous 14 days"
                ),
                brand: brand.to_owned(),
                author_id: None,
                mention_id: None,
                cause_key: format!("spike:{brand}:{}", now.format("%Y-%m-%dT%H")),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: i64, label: &str, reach: f64, handle: &str) -> FlagCandidate {
        FlagCandidate {
            id,
            brand: "Acme".into(),
            platform: "mastodon".into(),
            author_id: Some(id),
            handle: Some(handle.into()),
            followers: Some(1200),
            label: Some(label.into()),
            compound: Some(if label == "negative" { -0.7 } else { 0.7 }),
            reach_score: Some(reach),
            title: None,
            text: "Acme billed me twice".into(),
        }
    }

    #[test]
    fn severity_follows_reach_and_customer_segment() {
        let mut customers = CustomerLinks::default();
        customers.insert(
            "mastodon",
            "bigco",
            CustomerLink {
                customer_id: "C-1".into(),
                name: "Big Co".into(),
                segment: Segment::Top,
            },
        );
        let rows = [
            candidate(1, "negative", 20.0, "nobody"),
            candidate(2, "negative", 80.0, "loud"),
            candidate(3, "negative", 20.0, "@BigCo"),
            candidate(4, "positive", 80.0, "fan"),
        ];
        let intents = vec![(3, "complaint".to_owned(), "billed twice".to_owned())];
        let flags = from_mentions(&rows, &intents, &customers, &FlagConfig::default());
        let got: Vec<(&str, &str, Option<i64>)> = flags
            .iter()
            .map(|f| (f.kind, f.severity, f.mention_id))
            .collect();
        assert_eq!(
            got,
            [
                ("negative_experience", "medium", Some(1)),
                ("negative_experience", "high", Some(2)),
                ("negative_experience", "high", Some(3)),
                ("influential_fan", "medium", Some(4)),
            ]
        );
        assert!(
            flags[2].reason.contains("customer C-1 (top)"),
            "{}",
            flags[2].reason
        );
        assert!(flags[2].reason.contains("complaint: \"billed twice\""));
    }

    #[test]
    fn a_spike_needs_volume_above_the_same_hour_baseline() {
        let now = Utc::now();
        let at = |mins: i64| ("Acme".to_owned(), now - Duration::minutes(mins));
        let mut negatives: Vec<_> = (0..6).map(|i| at(i * 5)).collect();
        let config = FlagConfig::default();
        assert_eq!(spikes(&negatives, &config, now).len(), 1);
        // The same hour was this busy every day: no spike.
        for day in 1..=14 {
            for i in 0..3 {
                negatives.push(at(day * 24 * 60 + i * 5));
            }
        }
        assert!(spikes(&negatives, &config, now).is_empty());
        // Too few to matter.
        assert!(spikes(&[at(1), at(2)], &config, now).is_empty());
    }
}
