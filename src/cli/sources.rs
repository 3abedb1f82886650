//! `fanwatch sources`: every configured source with its kind, state, last and next poll,
//! items fetched, mentions stored and errors.

use std::io::Write;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::OutputFormat;
use super::output::{write_csv, write_json};
use crate::config::Config;
use crate::domain::truncate_chars;
use crate::storage::{SourceState, SourceStatus, Store};

/// The JSON shape of one source (add fields, keep these).
#[derive(Serialize)]
struct SourceJson<'a> {
    name: &'a str,
    kind: &'a str,
    enabled: bool,
    /// Not in the config file any more, but its history is kept.
    configured: bool,
    state: SourceState,
    state_since: Option<DateTime<Utc>>,
    last_poll_at: Option<DateTime<Utc>>,
    last_success_at: Option<DateTime<Utc>>,
    next_poll_at: Option<DateTime<Utc>>,
    items_fetched: i64,
    mentions_stored: i64,
    consecutive_errors: i64,
    last_error: Option<&'a str>,
}

/// Lists configured sources (registering new ones, so they show as pending) and sources
/// that have state in the database but are no longer configured.
pub async fn write(
    out: &mut impl Write,
    config: &Config,
    store: &Store,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let names: Vec<(&str, &str)> = config
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.kind.as_str()))
        .collect();
    store.register_sources(&names).await?;
    let statuses = store.source_statuses().await?;
    let rows: Vec<SourceJson<'_>> = statuses
        .iter()
        .map(|st| {
            let configured = config.sources.iter().find(|s| s.name.as_str() == st.name);
            row(st, configured.map(|c| c.enabled))
        })
        .collect();
    match format {
        OutputFormat::Json => write_json(&mut *out, &rows)?,
        OutputFormat::Csv => write_sources_csv(&mut *out, &rows)?,
        OutputFormat::Table => write_table(&mut *out, &rows)?,
    }
    out.flush().context("cannot write output")
}

fn row(st: &SourceStatus, enabled: Option<bool>) -> SourceJson<'_> {
    SourceJson {
        name: &st.name,
        kind: &st.kind,
        enabled: enabled.unwrap_or(false),
        configured: enabled.is_some(),
        state: st.state(),
        state_since: st.state_since,
        last_poll_at: st.last_poll_at,
        last_success_at: st.last_success_at,
        next_poll_at: st.next_poll_at,
        items_fetched: st.items_fetched,
        mentions_stored: st.mentions_stored,
        consecutive_errors: st.consecutive_errors,
        last_error: st.last_error.as_deref(),
    }
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

fn state_cell(r: &SourceJson<'_>) -> String {
    match (r.configured, r.enabled) {
        (false, _) => format!("{} (not configured)", r.state),
        (true, false) => format!("{} (disabled)", r.state),
        (true, true) => r.state.to_string(),
    }
}

fn write_table(out: &mut impl Write, rows: &[SourceJson<'_>]) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no sources configured");
    }
    let header = [
        "NAME",
        "KIND",
        "STATE",
        "LAST POLL",
        "NEXT POLL",
        "ITEMS",
        "MENTIONS",
        "ERRORS",
        "LAST ERROR",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            [
                r.name.to_owned(),
                r.kind.to_owned(),
                state_cell(r),
                when(r.last_poll_at),
                // No next time means "at the next scheduled cycle".
                r.next_poll_at
                    .map_or_else(|| "next cycle".into(), |t| when(Some(t))),
                r.items_fetched.to_string(),
                r.mentions_stored.to_string(),
                r.consecutive_errors.to_string(),
                r.last_error
                    .map(|e| truncate_chars(e, 80).to_owned())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, row: &[&str]| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:w$}  "));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &header)?;
    for row in &cells {
        let refs: Vec<&str> = row.iter().map(String::as_str).collect();
        line(out, &refs)?;
    }
    Ok(())
}

fn write_sources_csv(out: &mut impl Write, rows: &[SourceJson<'_>]) -> anyhow::Result<()> {
    let t = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    write_csv(
        out,
        [
            "name",
            "kind",
            "state",
            "last_poll_at",
            "next_poll_at",
            "items_fetched",
            "mentions_stored",
            "consecutive_errors",
            "last_error",
        ],
        rows.iter().map(|r| {
            [
                r.name.to_owned(),
                r.kind.to_owned(),
                r.state.to_string(),
                t(r.last_poll_at),
                t(r.next_poll_at),
                r.items_fetched.to_string(),
                r.mentions_stored.to_string(),
                r.consecutive_errors.to_string(),
                r.last_error.unwrap_or_default().to_owned(),
            ]
        }),
    )
}
