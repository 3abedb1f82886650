//! Advocates: who praises or recommends a brand repeatedly, over weeks, and how far they are
//! heard. Loyalty comes first, reach second, negative mentions subtract:
//!
//! ```text
//! decay(week)     = 0.5 ^ (age of the week's middle in days / half_life_days)
//! loyalty         = Σ decay over weeks with praise, a recommendation or a positive mention
//! recommending    = Σ decay over weeks with a recommendation
//! negatives       = Σ decay · negative mentions (negative sentiment, complaint or churn risk)
//! advocate_score  = 20 · loyalty + 5 · recommending + 0.1 · best reach_score − 15 · negatives
//! ```
//!
//! One week of praise is worth 20 points and the best possible reach 10, so a fan who came
//! back for a second week outranks any one-off poster however large their audience, while
//! among equally loyal fans the one heard further ranks higher.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::storage::AuthorWeek;

const LOYALTY_POINTS: f64 = 20.0;
const RECOMMENDATION_POINTS: f64 = 5.0;
const REACH_WEIGHT: f64 = 0.1;
const NEGATIVE_POINTS: f64 = 15.0;

/// `[advocates]` in the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvocateConfig {
    /// Only mentions of the last this many days count.
    #[serde(default = "default_window_days")]
    pub window_days: u32,
    /// A week this many days old counts half.
    #[serde(default = "default_half_life_days")]
    pub half_life_days: u32,
    /// Best reach_score from which an author counts as high-reach (champion, at-risk voice).
    #[serde(default = "default_high_reach")]
    pub high_reach: f64,
}

impl Default for AdvocateConfig {
    fn default() -> Self {
        Self {
            window_days: default_window_days(),
            half_life_days: default_half_life_days(),
            high_reach: default_high_reach(),
        }
    }
}

fn default_window_days() -> u32 {
    90
}

fn default_half_life_days() -> u32 {
    45
}

fn default_high_reach() -> f64 {
    50.0
}

/// Sentiment × reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// Positive and widely heard.
    Champion,
    /// Positive, smaller audience.
    LoyalFan,
    /// Negative and widely heard: one bad experience shared far.
    AtRiskVoice,
    /// Negative, smaller audience.
    Detractor,
}

impl Quadrant {
    pub fn as_str(self) -> &'static str {
        match self {
            Quadrant::Champion => "champion",
            Quadrant::LoyalFan => "loyal_fan",
            Quadrant::AtRiskVoice => "at_risk_voice",
            Quadrant::Detractor => "detractor",
        }
    }
}

/// One author's standing with one brand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advocate {
    pub rank: usize,
    pub brand: String,
    pub platform: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub followers: Option<i64>,
    pub advocate_score: f64,
    pub quadrant: Quadrant,
    /// Distinct weeks with praise, a recommendation or a positive mention.
    pub positive_weeks: u32,
    pub active_weeks: u32,
    /// The best reach of their mentions in the window.
    pub reach_score: f64,
    pub mentions: i64,
    pub positive: i64,
    pub negative: i64,
    pub recommendations: i64,
    pub avg_sentiment: Option<f64>,
    pub last_seen: DateTime<Utc>,
    /// The parts of the score, for `explain`.
    pub breakdown: Breakdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Breakdown {
    pub loyalty: f64,
    pub recommending: f64,
    pub negatives: f64,
    pub loyalty_points: f64,
    pub recommendation_points: f64,
    pub reach_points: f64,
    pub negative_points: f64,
}

/// The window of weeks (first and last Monday) that counts at `as_of`.
pub fn window(as_of: DateTime<Utc>, config: &AdvocateConfig) -> (NaiveDate, NaiveDate) {
    let from = as_of - chrono::Duration::days(i64::from(config.window_days));
    (
        crate::storage::week_of(from),
        crate::storage::week_of(as_of),
    )
}

/// Ranks every (brand, author) in `weeks`, best first, ranks counted per brand.
pub fn rank(weeks: &[AuthorWeek], as_of: DateTime<Utc>, config: &AdvocateConfig) -> Vec<Advocate> {
    let half_life = f64::from(config.half_life_days.max(1));
    // Grouping by sorting references: a million weeks group in well under a second, where
    // a map of vectors spent most of its time allocating.
    let mut sorted: Vec<&AuthorWeek> = weeks.iter().collect();
    sorted.sort_unstable_by(|a, b| a.brand.cmp(&b.brand).then(a.author_id.cmp(&b.author_id)));
    let mut out: Vec<Advocate> = sorted
        .chunk_by(|a, b| a.brand == b.brand && a.author_id == b.author_id)
        .filter_map(|rows| {
            let first = rows.first()?;
            let mut b = Breakdown {
                loyalty: 0.0,
                recommending: 0.0,
                negatives: 0.0,
                loyalty_points: 0.0,
                recommendation_points: 0.0,
                reach_points: 0.0,
                negative_points: 0.0,
            };
            let (mut positive_weeks, mut mentions, mut positive, mut negative) = (0, 0, 0, 0);
            let (mut recommendations, mut sum, mut scored) = (0, 0.0, 0);
            let mut best_reach: f64 = 0.0;
            let mut last_seen = first.last_seen;
            for w in rows {
                let decay = NaiveDate::parse_from_str(&w.week, "%Y-%m-%d")
                    .ok()
                    .and_then(|monday| monday.and_hms_opt(12, 0, 0))
                    .map_or(0.0, |monday| {
                        let middle = monday.and_utc() + chrono::Duration::days(3);
                        let age = (as_of - middle).num_seconds().max(0) as f64 / 86_400.0;
                        0.5f64.powf(age / half_life)
                    });
                if w.praise > 0 || w.recommendations > 0 || w.positive > 0 {
                    positive_weeks += 1;
                    b.loyalty += decay;
                }
                if w.recommendations > 0 {
                    b.recommending += decay;
                }
                b.negatives += decay * w.negative as f64;
                mentions += w.mentions;
                positive += w.positive;
                negative += w.negative;
                recommendations += w.recommendations;
                sum += w.sum_compound;
                scored += w.scored;
                best_reach = best_reach.max(w.best_reach.unwrap_or(0.0));
                last_seen = last_seen.max(w.last_seen);
            }
            b.loyalty_points = LOYALTY_POINTS * b.loyalty;
            b.recommendation_points = RECOMMENDATION_POINTS * b.recommending;
            b.reach_points = REACH_WEIGHT * best_reach;
            b.negative_points = -NEGATIVE_POINTS * b.negatives;
            let score =
                b.loyalty_points + b.recommendation_points + b.reach_points + b.negative_points;
            let avg = (scored > 0).then(|| sum / scored as f64);
            let positive_side = avg.unwrap_or(0.0) >= 0.0 && positive >= negative;
            let high = best_reach >= config.high_reach;
            let quadrant = match (positive_side, high) {
                (true, true) => Quadrant::Champion,
                (true, false) => Quadrant::LoyalFan,
                (false, true) => Quadrant::AtRiskVoice,
                (false, false) => Quadrant::Detractor,
            };
            Some(Advocate {
                rank: 0,
                brand: first.brand.clone(),
                platform: first.platform.clone(),
                handle: first.handle.clone(),
                display_name: first.display_name.clone(),
                followers: first.followers,
                advocate_score: round1(score),
                quadrant,
                positive_weeks,
                active_weeks: rows.len() as u32,
                reach_score: round1(best_reach),
                mentions,
                positive,
                negative,
                recommendations,
                avg_sentiment: avg.map(|a| (a * 1000.0).round() / 1000.0),
                last_seen,
                breakdown: b,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.brand
            .cmp(&b.brand)
            .then(b.advocate_score.total_cmp(&a.advocate_score))
            .then(b.reach_score.total_cmp(&a.reach_score))
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.handle.cmp(&b.handle))
    });
    let mut brand = String::new();
    let mut n = 0;
    for a in &mut out {
        if a.brand != brand {
            brand.clone_from(&a.brand);
            n = 0;
        }
        n += 1;
        a.rank = n;
    }
    out
}

/// Social NPS of one brand in one ISO week: each author who mentioned the brand that week
/// is a promoter (recommended it, or averaged sentiment ≥ 0.5 without negative mentions), a
/// detractor (more negative than positive mentions, or averaged ≤ -0.05), or passive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyNps {
    pub brand: String,
    /// ISO week, e.g. "2026-W47".
    pub week: String,
    pub authors: u32,
    pub promoters: u32,
    pub detractors: u32,
    /// % promoters − % detractors, -100..100.
    pub nps: f64,
}

/// A date's ISO week as people write it: "2026-W47".
pub fn iso_week_name(day: NaiveDate) -> String {
    let iso = day.iso_week();
    format!("{}-W{:02}", iso.year(), iso.week())
}

pub fn social_nps(weeks: &[AuthorWeek]) -> Vec<WeeklyNps> {
    let mut groups: std::collections::BTreeMap<(&str, &str), (u32, u32, u32)> =
        std::collections::BTreeMap::new();
    for w in weeks {
        let avg = (w.scored > 0).then(|| w.sum_compound / w.scored as f64);
        let promoter = w.negative == 0 && (w.recommendations > 0 || avg.is_some_and(|a| a >= 0.5));
        let detractor = w.negative > w.positive || avg.is_some_and(|a| a <= -0.05);
        let entry = groups.entry((&w.brand, &w.week)).or_default();
        entry.0 += 1;
        if promoter {
            entry.1 += 1;
        } else if detractor {
            entry.2 += 1;
        }
    }
    groups
        .into_iter()
        .map(
            |((brand, week), (authors, promoters, detractors))| WeeklyNps {
                brand: brand.to_owned(),
                week: NaiveDate::parse_from_str(week, "%Y-%m-%d")
                    .map_or_else(|_| week.to_owned(), iso_week_name),
                authors,
                promoters,
                detractors,
                nps: round1(
                    100.0 * (f64::from(promoters) - f64::from(detractors)) / f64::from(authors),
                ),
            },
        )
        .collect()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(author: i64, weeks_ago: i64, now: DateTime<Utc>) -> AuthorWeek {
        let monday = crate::storage::week_of(now - chrono::Duration::weeks(weeks_ago));
        AuthorWeek {
            author_id: author,
            platform: "mastodon".into(),
            handle: format!("a{author}"),
            display_name: None,
            followers: None,
            brand: "Acme".into(),
            week: monday.to_string(),
            mentions: 1,
            positive: 1,
            negative: 0,
            praise: 1,
            recommendations: 0,
            complaints: 0,
            sum_compound: 0.7,
            scored: 1,
            best_reach: Some(30.0),
            last_seen: now - chrono::Duration::weeks(weeks_ago),
        }
    }

    #[test]
    fn ten_loyal_fans_outrank_a_thousand_one_off_posters() {
        let now = Utc::now();
        let mut rows = Vec::new();
        for fan in 0..10 {
            for w in 0..8 {
                rows.push(week(fan, w, now));
            }
        }
        for poster in 1_000..2_000 {
            // This week, louder than any fan, and recommending.
            let mut r = week(poster, 0, now);
            r.best_reach = Some(100.0);
            r.recommendations = 1;
            rows.push(r);
        }
        let ranked = rank(&rows, now, &AdvocateConfig::default());
        let top: Vec<i64> = ranked[..10]
            .iter()
            .map(|a| a.handle[1..].parse().unwrap())
            .collect();
        assert!(top.iter().all(|id| *id < 10), "{top:?}");
        assert_eq!(ranked[0].positive_weeks, 8);
        assert_eq!(ranked[0].quadrant, Quadrant::LoyalFan);
        assert_eq!(ranked[10].quadrant, Quadrant::Champion);
    }

    #[test]
    fn among_equally_loyal_fans_reach_decides_and_negatives_subtract() {
        let now = Utc::now();
        let mut rows = Vec::new();
        for w in 0..4 {
            rows.push(week(1, w, now));
            let mut loud = week(2, w, now);
            loud.best_reach = Some(70.0);
            rows.push(loud);
            let mut mixed = week(3, w, now);
            mixed.best_reach = Some(90.0);
            mixed.negative = 1;
            mixed.sum_compound = -0.5;
            rows.push(mixed);
        }
        let ranked = rank(&rows, now, &AdvocateConfig::default());
        let order: Vec<&str> = ranked.iter().map(|a| a.handle.as_str()).collect();
        assert_eq!(order, ["a2", "a1", "a3"]);
        assert_eq!(ranked[0].quadrant, Quadrant::Champion);
        assert_eq!(ranked[2].quadrant, Quadrant::AtRiskVoice);
        assert!(ranked[2].advocate_score < ranked[1].advocate_score);
    }

    #[test]
    fn nps_counts_authors_per_week() {
        let now = Utc::now();
        let mut detractor = week(2, 0, now);
        detractor.positive = 0;
        detractor.negative = 2;
        detractor.sum_compound = -0.6;
        let mut recommender = week(3, 0, now);
        recommender.recommendations = 1;
        recommender.sum_compound = 0.2;
        let mut passive = week(4, 0, now);
        passive.sum_compound = 0.1;
        let nps = social_nps(&[week(1, 0, now), detractor, recommender, passive]);
        assert_eq!(nps.len(), 1);
        assert_eq!(
            (nps[0].authors, nps[0].promoters, nps[0].detractors),
            (4, 2, 1)
        );
        assert_eq!(nps[0].nps, 25.0);
        assert!(nps[0].week.contains("-W"), "{}", nps[0].week);
    }

    #[test]
    fn old_weeks_count_less() {
        let now = Utc::now();
        let recent = rank(&[week(1, 0, now)], now, &AdvocateConfig::default());
        let old = rank(&[week(1, 6, now)], now, &AdvocateConfig::default());
        assert!(recent[0].advocate_score > old[0].advocate_score);
        let b = old[0].breakdown;
        assert!((0.3..0.6).contains(&b.loyalty), "{b:?}");
    }
}
