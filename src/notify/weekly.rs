//! The weekly advocate list: what it holds for one brand and ISO week, and when it is due.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::advocates::{self, Advocate, Quadrant, WeeklyNps, iso_week_name};
use crate::cli::write_ranked_csv;
use crate::config::Config;
use crate::storage::{CustomerLinks, FlagDetail, StorageError, Store, week_of};

/// Weeks of sentiment shown in the trend.
const TREND_WEEKS: i64 = 8;
/// Flags of each kind listed.
const FLAGS_LISTED: i64 = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct AdvocateLine {
    pub rank: usize,
    pub handle: String,
    pub platform: String,
    pub advocate_score: f64,
    pub positive_weeks: u32,
    pub reach_score: f64,
    /// Not among the top advocates a week earlier.
    pub new: bool,
    pub customer_id: Option<String>,
    pub segment: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendWeek {
    pub week: String,
    pub average: Option<f64>,
    pub mentions: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyReport {
    pub brand: String,
    /// "2026-W48".
    pub week: String,
    pub advocates: Vec<AdvocateLine>,
    pub at_risk: Vec<AdvocateLine>,
    pub negatives: Vec<FlagDetail>,
    pub questions: Vec<FlagDetail>,
    /// Oldest first, ending with the report's week.
    pub trend: Vec<TrendWeek>,
    pub nps: Option<WeeklyNps>,
    /// Every ranked advocate, as `fanwatch advocates --format csv` writes them.
    pub csv: String,
}

/// The end of the ISO week that starts on `monday`.
fn end_of_week(monday: NaiveDate) -> DateTime<Utc> {
    (monday + Duration::days(7))
        .and_hms_opt(0, 0, 0)
        .map_or_else(Utc::now, |t| t.and_utc())
        - Duration::seconds(1)
}

/// "2026-W48" → its Monday.
pub fn parse_iso_week(raw: &str) -> Result<NaiveDate, String> {
    crate::cli::parse_week(raw).map(week_of)
}

/// The report of `brand` for the ISO week starting `monday`.
pub async fn build(
    store: &Store,
    config: &Config,
    brand: &str,
    monday: NaiveDate,
) -> Result<WeeklyReport, StorageError> {
    let as_of = end_of_week(monday);
    let top = config.notify.weekly_top;
    let now_ranked = ranked(store, config, brand, as_of).await?;
    let week_before = ranked(store, config, brand, as_of - Duration::days(7)).await?;
    let before: std::collections::HashSet<(String, String)> = ranked_top(&week_before, top)
        .map(|a| (a.platform.clone(), a.handle.clone()))
        .collect();
    let customers = store.customer_links().await?;
    let line = |a: &Advocate| line(a, &customers, &before);
    let advocates: Vec<AdvocateLine> = ranked_top(&now_ranked, top).map(line).collect();
    let at_risk: Vec<AdvocateLine> = now_ranked
        .iter()
        .filter(|a| a.quadrant == Quadrant::AtRiskVoice)
        .take(top)
        .map(line)
        .collect();

    let first = monday - Duration::weeks(TREND_WEEKS - 1);
    let weeks = store.author_weeks(first, monday, Some(brand)).await?;
    let trend = (0..TREND_WEEKS)
        .map(|i| {
            let day = first + Duration::weeks(i);
            let key = day.to_string();
            let (sum, scored, mentions) = weeks
                .iter()
                .filter(|w| w.week == key)
                .fold((0.0, 0, 0), |(s, n, m), w| {
                    (s + w.sum_compound, n + w.scored, m + w.mentions)
                });
            TrendWeek {
                week: iso_week_name(day),
                average: (scored > 0).then(|| sum / scored as f64),
                mentions,
            }
        })
        .collect();
    let this_week = iso_week_name(monday);
    let nps = advocates::social_nps(&weeks)
        .into_iter()
        .find(|n| n.week == this_week);

    let mut csv = Vec::new();
    write_ranked_csv(&mut csv, &now_ranked, &customers)
        .map_err(|e| StorageError::Other(format!("advocates CSV: {e:#}")))?;
    Ok(WeeklyReport {
        brand: brand.to_owned(),
        week: this_week,
        advocates,
        at_risk,
        negatives: store
            .open_flag_details(brand, "negative_experience", FLAGS_LISTED)
            .await?,
        questions: store
            .open_flag_details(brand, "question", FLAGS_LISTED)
            .await?,
        trend,
        nps,
        csv: String::from_utf8_lossy(&csv).into_owned(),
    })
}

async fn ranked(
    store: &Store,
    config: &Config,
    brand: &str,
    as_of: DateTime<Utc>,
) -> Result<Vec<Advocate>, StorageError> {
    let (from, to) = advocates::window(as_of, &config.advocates);
    let weeks = store.author_weeks(from, to, Some(brand)).await?;
    Ok(advocates::rank(&weeks, as_of, &config.advocates))
}

/// The top advocates: on the positive side, best first.
fn ranked_top(ranked: &[Advocate], top: usize) -> impl Iterator<Item = &Advocate> {
    ranked
        .iter()
        .filter(|a| matches!(a.quadrant, Quadrant::Champion | Quadrant::LoyalFan))
        .filter(|a| a.positive_weeks > 0)
        .take(top)
}

fn line(
    a: &Advocate,
    customers: &CustomerLinks,
    before: &std::collections::HashSet<(String, String)>,
) -> AdvocateLine {
    let customer = customers.get(&a.platform, &a.handle);
    AdvocateLine {
        rank: a.rank,
        handle: a.handle.clone(),
        platform: a.platform.clone(),
        advocate_score: a.advocate_score,
        positive_weeks: a.positive_weeks,
        reach_score: a.reach_score,
        new: !before.contains(&(a.platform.clone(), a.handle.clone())),
        customer_id: customer.map(|c| c.customer_id.clone()),
        segment: customer.map(|c| c.segment.as_str()),
    }
}

/// The report due at `now`, if the weekly schedule fired in the last day: the Monday of the
/// last full ISO week before that firing. A daemon that was down at the time catches up
/// within the day; older firings are not sent late.
pub fn due_week(config: &crate::notify::NotifyConfig, now: DateTime<Utc>) -> Option<NaiveDate> {
    let tz = config.tz();
    let fired = config
        .weekly_schedule
        .occurrences_in(&tz, now - Duration::days(1), now)
        .last()?;
    let local_day = fired.with_timezone(&tz).date_naive();
    let monday = local_day - Duration::days(i64::from(local_day.weekday().num_days_from_monday()));
    Some(monday - Duration::weeks(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_monday_report_covers_the_week_before() {
        let config = crate::notify::NotifyConfig::default();
        // Monday 2026-11-30 08:00 in Tallinn is 06:00 UTC.
        let before = Utc.with_ymd_and_hms(2026, 11, 30, 5, 59, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 30, 6, 0, 30).unwrap();
        let late = Utc.with_ymd_and_hms(2026, 12, 1, 6, 1, 0).unwrap();
        assert_eq!(due_week(&config, before), None);
        assert_eq!(
            due_week(&config, after),
            NaiveDate::from_ymd_opt(2026, 11, 23)
        );
        assert_eq!(due_week(&config, late), None);
        assert_eq!(
            iso_week_name(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            "2026-W48"
        );
    }
}
