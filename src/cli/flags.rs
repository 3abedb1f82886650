//! `fanwatch flags` and `fanwatch flags ack ID`.

use std::io::Write;

use serde::Serialize;

use super::OutputFormat;
use super::output::{write_csv, write_json};
use crate::domain::truncate_chars;
use crate::storage::{FlagRow, Store};

/// The JSON shape of one flag (a contract: add fields, keep these).
#[derive(Serialize)]
struct FlagJson<'a> {
    id: i64,
    kind: &'a str,
    severity: &'a str,
    reason: &'a str,
    brand: &'a str,
    platform: Option<&'a str>,
    handle: Option<&'a str>,
    mention_url: Option<&'a str>,
    acknowledged: bool,
    created_at: String,
    acknowledged_at: Option<String>,
}

fn to_json(f: &FlagRow) -> FlagJson<'_> {
    FlagJson {
        id: f.id,
        kind: &f.kind,
        severity: &f.severity,
        reason: &f.reason,
        brand: &f.brand,
        platform: f.platform.as_deref(),
        handle: f.handle.as_deref(),
        mention_url: f.mention_url.as_deref(),
        acknowledged: f.acknowledged_at.is_some(),
        created_at: f.created_at.to_rfc3339(),
        acknowledged_at: f.acknowledged_at.map(|t| t.to_rfc3339()),
    }
}

pub async fn list(
    out: &mut impl Write,
    store: &Store,
    open_only: bool,
    kind: Option<&str>,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let flags = store.flags(open_only, kind).await?;
    let rows: Vec<FlagJson<'_>> = flags.iter().map(to_json).collect();
    match format {
        OutputFormat::Json => write_json(out, &rows)?,
        OutputFormat::Csv => write_csv(
            out,
            [
                "id",
                "kind",
                "severity",
                "brand",
                "handle",
                "mention_url",
                "acknowledged",
                "created_at",
                "reason",
            ],
            rows.iter().map(|r| {
                [
                    r.id.to_string(),
                    r.kind.to_owned(),
                    r.severity.to_owned(),
                    r.brand.to_owned(),
                    r.handle.unwrap_or_default().to_owned(),
                    r.mention_url.unwrap_or_default().to_owned(),
                    r.acknowledged.to_string(),
                    r.created_at.clone(),
                    r.reason.to_owned(),
                ]
            }),
        )?,
        OutputFormat::Table => {
            if rows.is_empty() {
                writeln!(out, "no flags")?;
            }
            for r in &rows {
                writeln!(
                    out,
                    "#{:<5} {:<8} {:<19} {:<14} {:<24} {}{}",
                    r.id,
                    r.severity,
                    r.kind,
                    truncate_chars(r.brand, 14),
                    truncate_chars(r.handle.unwrap_or("-"), 24),
                    if r.acknowledged { "[ack] " } else { "" },
                    truncate_chars(r.reason, 110)
                )?;
            }
        }
    }
    Ok(())
}
