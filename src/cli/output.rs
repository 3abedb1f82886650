//! Rendering results as a table for people, JSON for programs, CSV for spreadsheets.

use std::io::Write;

use serde::Serialize;

use crate::domain::truncate_chars;
use crate::storage::MentionRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

/// The JSON shape of a mention; a contract other tools rely on (add fields, keep these).
#[derive(Serialize)]
struct MentionJson<'a> {
    id: i64,
    source: &'a str,
    platform: &'a str,
    url: Option<&'a str>,
    author: Option<&'a str>,
    author_name: Option<&'a str>,
    followers: Option<i64>,
    published_at: Option<String>,
    fetched_at: String,
    title: Option<&'a str>,
    text: &'a str,
    brands: Vec<&'a str>,
    matches: Vec<MatchJson<'a>>,
    likes: Option<i64>,
    reposts: Option<i64>,
    replies: Option<i64>,
    points: Option<i64>,
    /// Review stars (1-5) where the source has them, next to the sentiment.
    rating: Option<i64>,
    views: Option<i64>,
    /// Subscribers of the subreddit or community it was posted in.
    audience: Option<i64>,
    community: Option<&'a str>,
    app_version: Option<&'a str>,
    /// 0-100 on a log scale; see the README's reach formula.
    reach_score: Option<f64>,
    lang: Option<&'a str>,
    label: Option<&'a str>,
    compound: Option<f64>,
    intents: Vec<IntentJson<'a>>,
}

#[derive(Serialize)]
struct IntentJson<'a> {
    kind: &'a str,
    cue: &'a str,
}

#[derive(Serialize)]
struct MatchJson<'a> {
    brand: &'a str,
    matched_text: &'a str,
}

fn to_json(m: &MentionRow) -> MentionJson<'_> {
    MentionJson {
        id: m.id.0,
        source: &m.source,
        platform: &m.platform,
        url: m.url.as_deref(),
        author: m.author.as_deref(),
        author_name: m.author_name.as_deref(),
        followers: m.followers,
        published_at: m.published_at.map(|t| t.to_rfc3339()),
        fetched_at: m.fetched_at.to_rfc3339(),
        title: m.title.as_deref(),
        text: &m.text,
        brands: m.brands.iter().map(|(b, _)| b.as_str()).collect(),
        matches: m
            .brands
            .iter()
            .map(|(brand, matched_text)| MatchJson {
                brand,
                matched_text,
            })
            .collect(),
        likes: m.likes,
        reposts: m.reposts,
        replies: m.replies,
        points: m.points,
        rating: m.rating,
        views: m.views,
        audience: m.audience,
        community: m.community.as_deref(),
        app_version: m.app_version.as_deref(),
        reach_score: m.reach_score,
        lang: m.lang.as_deref(),
        label: m.label.as_deref(),
        compound: m.compound,
        intents: m
            .intents
            .iter()
            .map(|(kind, cue)| IntentJson { kind, cue })
            .collect(),
    }
}

fn intent_kinds(m: &MentionRow) -> String {
    m.intents
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// "positive +0.83 ★4" — sentiment with the review stars beside it.
fn sentiment_cell(m: &MentionRow) -> String {
    let mut cell = match (&m.label, m.compound) {
        (Some(label), Some(c)) => format!("{label} {c:+.2}"),
        _ => m
            .lang
            .as_deref()
            .map_or("-", |l| if l == "und" { "und" } else { "-" })
            .to_owned(),
    };
    if let Some(stars) = m.rating {
        cell.push_str(&format!(" ★{stars}"));
    }
    cell
}

/// Rows as one pretty JSON array and a final newline.
pub fn write_json(out: &mut impl Write, rows: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, rows)?;
    writeln!(out)?;
    Ok(())
}

/// A header line and one record per row.
pub fn write_csv<const N: usize>(
    out: &mut impl Write,
    header: [&str; N],
    records: impl IntoIterator<Item = [String; N]>,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header)?;
    for record in records {
        w.write_record(record)?;
    }
    w.flush()?;
    Ok(())
}

pub fn write_mentions(
    out: &mut impl Write,
    rows: &[MentionRow],
    format: OutputFormat,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => {
            let items: Vec<MentionJson<'_>> = rows.iter().map(to_json).collect();
            write_json(out, &items)?;
        }
        OutputFormat::Csv => write_csv(
            out,
            [
                "id",
                "published_at",
                "source",
                "platform",
                "brands",
                "author",
                "url",
                "title",
                "text",
                "rating",
                "lang",
                "label",
                "compound",
                "intents",
                "followers",
                "likes",
                "reposts",
                "replies",
                "points",
                "views",
                "audience",
                "community",
                "reach_score",
            ],
            rows.iter().map(|m| {
                let brands: Vec<&str> = m.brands.iter().map(|(b, _)| b.as_str()).collect();
                [
                    m.id.to_string(),
                    m.published_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    m.source.clone(),
                    m.platform.clone(),
                    brands.join(";"),
                    m.author.clone().unwrap_or_default(),
                    m.url.clone().unwrap_or_default(),
                    m.title.clone().unwrap_or_default(),
                    m.text.clone(),
                    opt(m.rating),
                    m.lang.clone().unwrap_or_default(),
                    m.label.clone().unwrap_or_default(),
                    m.compound.map(|c| c.to_string()).unwrap_or_default(),
                    intent_kinds(m),
                    opt(m.followers),
                    opt(m.likes),
                    opt(m.reposts),
                    opt(m.replies),
                    opt(m.points),
                    opt(m.views),
                    opt(m.audience),
                    m.community.clone().unwrap_or_default(),
                    m.reach_score.map(|r| r.to_string()).unwrap_or_default(),
                ]
            }),
        )?,
        OutputFormat::Table => write_table(out, rows)?,
    }
    Ok(())
}

fn opt(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn one_line(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        format!("{}…", truncate_chars(&flat, max.saturating_sub(1)))
    } else {
        flat
    }
}

fn write_table(out: &mut impl Write, rows: &[MentionRow]) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no mentions");
    }
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|m| {
            let when = m
                .published_at
                .unwrap_or(m.fetched_at)
                .format("%Y-%m-%d")
                .to_string();
            let brands: Vec<&str> = m.brands.iter().map(|(b, _)| b.as_str()).collect();
            let text = match &m.title {
                Some(t) if !m.text.starts_with(t.as_str()) => format!("{t} — {}", m.text),
                _ => m.text.clone(),
            };
            [
                m.id.to_string(),
                when,
                one_line(&m.source, 18),
                brands.join(","),
                one_line(m.author.as_deref().unwrap_or("-"), 20),
                sentiment_cell(m),
                intent_kinds(m),
                one_line(&text, 60),
            ]
        })
        .collect();
    let header = [
        "ID",
        "DATE",
        "SOURCE",
        "BRANDS",
        "AUTHOR",
        "SENTIMENT",
        "INTENTS",
        "TEXT",
    ];
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: &[String]| -> String {
        cols.iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    writeln!(out, "{}", line(&header.map(str::to_owned)))?;
    for row in &cells {
        writeln!(out, "{}", line(row))?;
    }
    writeln!(out, "{} mention(s)", rows.len())
}
