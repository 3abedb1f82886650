//! `fanwatch advocates`: the authors who praise and recommend a brand repeatedly, best first.

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::Serialize;

use super::OutputFormat;
use super::output::{write_csv, write_json};
use crate::advocates::{self, Advocate};
use crate::config::Config;
use crate::domain::truncate_chars;
use crate::storage::{CustomerLink, CustomerLinks, Store};

/// The JSON shape of one advocate (a contract: add fields, keep these).
#[derive(Serialize)]
struct AdvocateJson<'a> {
    rank: usize,
    brand: &'a str,
    platform: &'a str,
    handle: &'a str,
    display_name: Option<&'a str>,
    advocate_score: f64,
    quadrant: &'static str,
    positive_weeks: u32,
    active_weeks: u32,
    reach_score: f64,
    followers: Option<i64>,
    mentions: i64,
    positive: i64,
    negative: i64,
    recommendations: i64,
    avg_sentiment: Option<f64>,
    last_seen: DateTime<Utc>,
    customer_id: Option<String>,
    segment: Option<&'static str>,
}

/// "2026-W47" → the last moment of that ISO week.
pub fn parse_week(raw: &str) -> Result<DateTime<Utc>, String> {
    let bad = || format!("--week {raw:?} is not an ISO week such as 2026-W47");
    let (year, week) = raw.trim().split_once(['W', 'w']).ok_or_else(bad)?;
    let year: i32 = year.trim_end_matches('-').parse().map_err(|_| bad())?;
    let week: u32 = week.parse().map_err(|_| bad())?;
    let sunday = NaiveDate::from_isoywd_opt(year, week, Weekday::Sun).ok_or_else(bad)?;
    sunday
        .and_hms_opt(23, 59, 59)
        .map(|t| t.and_utc())
        .ok_or_else(bad)
}

pub async fn write(
    out: &mut impl Write,
    config: &Config,
    store: &Store,
    brand: Option<&str>,
    as_of: DateTime<Utc>,
    limit: usize,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let (from, to) = advocates::window(as_of, &config.advocates);
    let weeks = store.author_weeks(from, to, brand).await?;
    let mut ranked = advocates::rank(&weeks, as_of, &config.advocates);
    // `limit` per brand: each brand's own top list.
    ranked.retain(|a| a.rank <= limit);
    let customers = store.customer_links().await?;
    let rows: Vec<AdvocateJson<'_>> = ranked
        .iter()
        .map(|a| to_json(a, customers.get(&a.platform, &a.handle)))
        .collect();
    match format {
        OutputFormat::Json => write_json(out, &rows)?,
        OutputFormat::Csv => csv_rows(out, &rows)?,
        OutputFormat::Table => write_table(out, &rows, from, to)?,
    }
    Ok(())
}

/// The advocates CSV (`advocates --format csv`, and the weekly email's attachment) for
/// advocates already ranked.
pub fn write_ranked_csv(
    out: &mut impl Write,
    ranked: &[Advocate],
    customers: &CustomerLinks,
) -> anyhow::Result<()> {
    let rows: Vec<AdvocateJson<'_>> = ranked
        .iter()
        .map(|a| to_json(a, customers.get(&a.platform, &a.handle)))
        .collect();
    csv_rows(out, &rows)
}

fn csv_rows(out: &mut impl Write, rows: &[AdvocateJson<'_>]) -> anyhow::Result<()> {
    write_csv(
        out,
        [
            "rank",
            "brand",
            "platform",
            "handle",
            "advocate_score",
            "quadrant",
            "positive_weeks",
            "reach_score",
            "mentions",
            "negative",
            "customer_id",
            "segment",
        ],
        rows.iter().map(|r| {
            [
                r.rank.to_string(),
                r.brand.to_owned(),
                r.platform.to_owned(),
                r.handle.to_owned(),
                r.advocate_score.to_string(),
                r.quadrant.to_owned(),
                r.positive_weeks.to_string(),
                r.reach_score.to_string(),
                r.mentions.to_string(),
                r.negative.to_string(),
                r.customer_id.clone().unwrap_or_default(),
                r.segment.unwrap_or_default().to_owned(),
            ]
        }),
    )
}

/// `fanwatch nps`: social NPS per brand and ISO week, oldest first.
pub async fn write_nps(
    out: &mut impl Write,
    store: &Store,
    brand: Option<&str>,
    weeks: u32,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let to = crate::storage::week_of(now);
    let from = to - chrono::Duration::weeks(i64::from(weeks.max(1)) - 1);
    let rows = advocates::social_nps(&store.author_weeks(from, to, brand).await?);
    match format {
        OutputFormat::Json => write_json(out, &rows)?,
        OutputFormat::Csv => write_csv(
            out,
            ["brand", "week", "authors", "promoters", "detractors", "nps"],
            rows.iter().map(|r| {
                [
                    r.brand.clone(),
                    r.week.clone(),
                    r.authors.to_string(),
                    r.promoters.to_string(),
                    r.detractors.to_string(),
                    r.nps.to_string(),
                ]
            }),
        )?,
        OutputFormat::Table => {
            writeln!(
                out,
                "{:<16} {:<9} {:>7} {:>9} {:>10} {:>6}",
                "BRAND", "WEEK", "AUTHORS", "PROMOTERS", "DETRACTORS", "NPS"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{:<16} {:<9} {:>7} {:>9} {:>10} {:>+6.0}",
                    truncate_chars(&r.brand, 16),
                    r.week,
                    r.authors,
                    r.promoters,
                    r.detractors,
                    r.nps
                )?;
            }
        }
    }
    Ok(())
}

fn to_json<'a>(a: &'a Advocate, customer: Option<&CustomerLink>) -> AdvocateJson<'a> {
    AdvocateJson {
        rank: a.rank,
        brand: &a.brand,
        platform: &a.platform,
        handle: &a.handle,
        display_name: a.display_name.as_deref(),
        advocate_score: a.advocate_score,
        quadrant: a.quadrant.as_str(),
        positive_weeks: a.positive_weeks,
        active_weeks: a.active_weeks,
        reach_score: a.reach_score,
        followers: a.followers,
        mentions: a.mentions,
        positive: a.positive,
        negative: a.negative,
        recommendations: a.recommendations,
        avg_sentiment: a.avg_sentiment,
        last_seen: a.last_seen,
        customer_id: customer.map(|c| c.customer_id.clone()),
        segment: customer.map(|c| c.segment.as_str()),
    }
}

fn write_table(
    out: &mut impl Write,
    rows: &[AdvocateJson<'_>],
    from: NaiveDate,
    to: NaiveDate,
) -> std::io::Result<()> {
    writeln!(out, "weeks {from} .. {to}")?;
    if rows.is_empty() {
        return writeln!(out, "no authors in this window");
    }
    writeln!(
        out,
        "{:>4}  {:<14} {:<10} {:<28} {:>7}  {:<13} {:>5} {:>5} {:>4} {:>4}",
        "RANK", "BRAND", "PLATFORM", "HANDLE", "SCORE", "QUADRANT", "WEEKS", "REACH", "POS", "NEG"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:>4}  {:<14} {:<10} {:<28} {:>7.1}  {:<13} {:>5} {:>5.1} {:>4} {:>4}",
            r.rank,
            truncate_chars(r.brand, 14),
            r.platform,
            truncate_chars(r.handle, 28),
            r.advocate_score,
            r.quadrant,
            r.positive_weeks,
            r.reach_score,
            r.positive,
            r.negative
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_end_on_sunday_night() {
        assert_eq!(
            parse_week("2026-W47").unwrap().to_rfc3339(),
            "2026-11-22T23:59:59+00:00"
        );
        assert!(parse_week("2026-W54").is_err());
        assert!(parse_week("last week").is_err());
    }
}
