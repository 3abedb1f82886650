//! `fanwatch explain MENTION_ID`: what moved a mention's sentiment, which cues set its intents,
//! what its reach is made of, and where its author stands as an advocate.

use std::io::Write;

use chrono::Utc;
use serde::Serialize;

use super::output::write_json;
use super::{CliError, OutputFormat};
use crate::advocates::{self, Advocate};
use crate::config::Config;
use crate::domain::Platform;
use crate::pipeline::mention_text;
use crate::scoring::{Contribution, LangChoice, ReachInputs, Scorer, reach};
use crate::storage::{MentionFilter, MentionRow, Store};

#[derive(Serialize)]
struct Explanation<'a> {
    id: i64,
    source: &'a str,
    platform: &'a str,
    url: Option<&'a str>,
    author: Option<&'a str>,
    text: String,
    lang: Option<&'a str>,
    label: Option<&'a str>,
    compound: Option<f64>,
    contributions: Vec<Contribution>,
    intents: Vec<Cue<'a>>,
    reach: ReachJson,
    /// The author's standing with each brand the mention matched.
    advocate: Vec<Advocate>,
}

#[derive(Serialize)]
struct Cue<'a> {
    kind: &'a str,
    cue: &'a str,
}

#[derive(Serialize)]
struct ReachJson {
    reach_score: Option<f64>,
    impressions: f64,
    followers: Option<i64>,
    reposts: Option<i64>,
    likes: Option<i64>,
    replies: Option<i64>,
    points: Option<i64>,
    views: Option<i64>,
    audience: Option<i64>,
}

fn platform_of(raw: &str) -> Platform {
    Platform::parse(raw).unwrap_or(Platform::Web)
}

pub async fn write(
    out: &mut impl Write,
    config: &Config,
    store: &Store,
    id: i64,
    format: OutputFormat,
) -> Result<(), CliError> {
    let rows = store
        .mentions(&MentionFilter {
            id: Some(id),
            ..MentionFilter::default()
        })
        .await?;
    let Some(m) = rows.first() else {
        return Err(CliError::Usage(format!("no mention with id {id}")));
    };
    let text = mention_text(m.title.as_deref(), &m.text).into_owned();
    let choice = match m.lang.as_deref().and_then(|l| l.parse().ok()) {
        Some(lang) => LangChoice::Fixed(lang),
        None => LangChoice::Auto,
    };
    let scorer = Scorer::new(
        &config.scoring.languages,
        config.scoring.et_lexicon_path.as_deref(),
    )
    .map_err(|e| CliError::Runtime(e.into()))?;
    let contributions = scorer.score(&text, choice, None, true).explanation;
    let inputs = ReachInputs {
        followers: m.followers,
        reposts: m.reposts,
        likes: m.likes,
        replies: m.replies,
        points: m.points,
        views: m.views,
        audience: m.audience,
    };
    let computed = reach(platform_of(&m.platform), &inputs);
    let advocate = author_standing(config, store, m).await?;
    let explanation = Explanation {
        id,
        source: &m.source,
        platform: &m.platform,
        url: m.url.as_deref(),
        author: m.author.as_deref(),
        text,
        lang: m.lang.as_deref(),
        label: m.label.as_deref(),
        compound: m.compound,
        contributions,
        intents: m
            .intents
            .iter()
            .map(|(kind, cue)| Cue { kind, cue })
            .collect(),
        reach: ReachJson {
            reach_score: m.reach_score,
            impressions: computed.impressions,
            followers: m.followers,
            reposts: m.reposts,
            likes: m.likes,
            replies: m.replies,
            points: m.points,
            views: m.views,
            audience: m.audience,
        },
        advocate,
    };
    let written = match format {
        OutputFormat::Json | OutputFormat::Csv => write_json(out, &explanation),
        OutputFormat::Table => write_text(out, &explanation).map_err(Into::into),
    };
    written.map_err(CliError::Runtime)
}

async fn author_standing(
    config: &Config,
    store: &Store,
    m: &MentionRow,
) -> Result<Vec<Advocate>, CliError> {
    let Some(handle) = m.author.as_deref() else {
        return Ok(Vec::new());
    };
    let now = Utc::now();
    let (from, to) = advocates::window(now, &config.advocates);
    let mut out = Vec::new();
    for (brand, _) in &m.brands {
        let weeks = store.author_weeks(from, to, Some(brand)).await?;
        out.extend(
            advocates::rank(&weeks, now, &config.advocates)
                .into_iter()
                .filter(|a| a.platform == m.platform && a.handle == handle),
        );
    }
    Ok(out)
}

fn write_text(out: &mut impl Write, e: &Explanation<'_>) -> std::io::Result<()> {
    writeln!(
        out,
        "mention {} from {} ({}) by {}",
        e.id,
        e.source,
        e.platform,
        e.author.unwrap_or("-")
    )?;
    if let Some(url) = e.url {
        writeln!(out, "{url}")?;
    }
    writeln!(out, "\n{}\n", e.text)?;
    match (e.label, e.compound) {
        (Some(label), Some(c)) => writeln!(
            out,
            "sentiment: {label} {c:+.3} ({})",
            e.lang.unwrap_or("?")
        )?,
        _ => writeln!(
            out,
            "sentiment: none (language {})",
            e.lang.unwrap_or("not scored")
        )?,
    }
    for c in &e.contributions {
        writeln!(
            out,
            "  {:<20} base {:+.2} → {:+.3}  {}",
            c.token,
            c.base,
            c.valence,
            c.rules.join(", ")
        )?;
    }
    writeln!(out, "intents:")?;
    if e.intents.is_empty() {
        writeln!(out, "  none")?;
    }
    for i in &e.intents {
        writeln!(out, "  {:<15} cue {:?}", i.kind, i.cue)?;
    }
    let r = &e.reach;
    let n = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    writeln!(
        out,
        "reach: {} (≈{:.0} impressions; followers {}, reposts {}, likes {}, replies {}, points {}, views {}, community {})",
        r.reach_score
            .map_or_else(|| "-".to_owned(), |s| format!("{s:.1}")),
        r.impressions,
        n(r.followers),
        n(r.reposts),
        n(r.likes),
        n(r.replies),
        n(r.points),
        n(r.views),
        n(r.audience)
    )?;
    for a in &e.advocate {
        let b = &a.breakdown;
        writeln!(
            out,
            "advocate for {}: #{} score {:.1} = loyalty {:.1} ({:.2} decayed weeks) + recommending {:.1} + reach {:.1} {:+.1} negatives; {} positive weeks, {}",
            a.brand,
            a.rank,
            a.advocate_score,
            b.loyalty_points,
            b.loyalty,
            b.recommendation_points,
            b.reach_points,
            b.negative_points,
            a.positive_weeks,
            a.quadrant.as_str()
        )?;
    }
    Ok(())
}
