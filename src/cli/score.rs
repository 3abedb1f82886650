//! `fanwatch score`: one text per stdin line in, one JSON object per line out, same order.
//! Lines are scored in parallel in chunks and written back in input order.

use std::borrow::Cow;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::scoring::{Contribution, Intent, LangChoice, Scored, Scorer};

/// Lines scored per parallel chunk: large enough to keep all cores busy, small enough that
/// output streams while input is still arriving.
const CHUNK_LINES: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScoreFormat {
    Jsonl,
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// One text per line.
    Text,
    /// One JSON object per line with a `text` field (an `id` field is echoed back).
    Jsonl,
}

pub struct ScoreOptions {
    pub lang: LangChoice,
    pub format: ScoreFormat,
    pub input: InputFormat,
    pub explain: bool,
}

#[derive(Deserialize)]
struct InputLine {
    text: String,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    lang: Option<String>,
}

#[derive(Serialize)]
struct OutputLine<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    lang: &'static str,
    label: Option<&'static str>,
    compound: Option<f64>,
    pos: Option<f64>,
    neu: Option<f64>,
    neg: Option<f64>,
    intents: &'a [Intent],
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<&'a [Contribution]>,
}

#[derive(Serialize)]
struct ErrorLine {
    line: usize,
    error: String,
}

/// Scores stdin to stdout. Returns how many input lines were invalid (each got an error object
/// in its place).
pub fn run(
    scorer: &Scorer,
    options: &ScoreOptions,
    input: impl BufRead,
    out: &mut impl Write,
) -> std::io::Result<usize> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(16);
    let mut lines = input.lines();
    let mut first_line = 1usize;
    let mut bad = 0usize;
    if options.format == ScoreFormat::Table {
        writeln!(
            out,
            "{:<4} {:<9} {:>8}  {:<32} text",
            "lang", "label", "compound", "intents"
        )?;
    }
    loop {
        let mut chunk = Vec::with_capacity(CHUNK_LINES);
        for line in lines.by_ref().take(CHUNK_LINES) {
            chunk.push(line?);
        }
        if chunk.is_empty() {
            break;
        }
        let parts = chunk.len().div_ceil(threads).max(1024);
        let outputs: Vec<(Vec<u8>, usize)> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .chunks(parts)
                .enumerate()
                .map(|(k, lines)| {
                    let start = first_line + k * parts;
                    scope.spawn(move || score_lines(scorer, options, lines, start))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        for (bytes, errors) in outputs {
            out.write_all(&bytes)?;
            bad += errors;
        }
        first_line += chunk.len();
    }
    out.flush()?;
    Ok(bad)
}

fn score_lines(
    scorer: &Scorer,
    options: &ScoreOptions,
    lines: &[String],
    first_line: usize,
) -> (Vec<u8>, usize) {
    let mut buf = Vec::with_capacity(lines.len() * 96);
    let mut errors = 0;
    for (k, line) in lines.iter().enumerate() {
        let parsed = match options.input {
            InputFormat::Text => Ok((Cow::Borrowed(line.as_str()), None, None)),
            InputFormat::Jsonl if line.trim().is_empty() => Ok((Cow::Borrowed(""), None, None)),
            InputFormat::Jsonl => serde_json::from_str::<InputLine>(line)
                .map(|l| (Cow::Owned(l.text), l.id, l.lang))
                .map_err(|e| format!("expected a JSON object with a string `text` field: {e}")),
        };
        let result = match &parsed {
            Ok((text, id, lang)) => {
                let choice = match lang.as_deref().map(str::parse::<LangChoice>) {
                    Some(Ok(choice)) => choice,
                    _ => options.lang,
                };
                let scored = scorer.score(text.as_ref(), choice, None, options.explain);
                write_scored(&mut buf, &scored, id.as_ref(), text.as_ref(), options)
            }
            Err(message) => {
                errors += 1;
                let line = first_line + k;
                serde_json::to_writer(
                    &mut buf,
                    &ErrorLine {
                        line,
                        error: message.clone(),
                    },
                )
                .map_err(std::io::Error::other)
                .and_then(|()| buf.write_all(b"\n"))
            }
        };
        // Writing into a Vec cannot fail.
        debug_assert!(result.is_ok());
    }
    (buf, errors)
}

fn write_scored(
    buf: &mut Vec<u8>,
    scored: &Scored,
    id: Option<&serde_json::Value>,
    text: &str,
    options: &ScoreOptions,
) -> std::io::Result<()> {
    let sentiment = scored.sentiment;
    match options.format {
        ScoreFormat::Jsonl => {
            let line = OutputLine {
                id,
                lang: scored.lang_code(),
                label: scored.label.map(|l| l.as_str()),
                compound: sentiment.map(|s| s.compound),
                pos: sentiment.map(|s| s.pos),
                neu: sentiment.map(|s| s.neu),
                neg: sentiment.map(|s| s.neg),
                intents: &scored.intents,
                explain: options.explain.then_some(scored.explanation.as_slice()),
            };
            serde_json::to_writer(&mut *buf, &line).map_err(std::io::Error::other)?;
            buf.write_all(b"\n")
        }
        ScoreFormat::Table => {
            let intents: Vec<&str> = scored.intents.iter().map(|i| i.kind.as_str()).collect();
            let compound =
                sentiment.map_or_else(|| "-".to_owned(), |s| format!("{:.4}", s.compound));
            let text = crate::domain::truncate_chars(text, 60).replace(['\t', '\r'], " ");
            writeln!(
                buf,
                "{:<4} {:<9} {:>8}  {:<32} {}",
                scored.lang_code(),
                scored.label.map_or("-", |l| l.as_str()),
                compound,
                intents.join(","),
                text
            )?;
            if options.explain {
                for c in &scored.explanation {
                    writeln!(
                        buf,
                        "     {:>+7.3}  {}  [{}]",
                        c.valence,
                        c.token,
                        c.rules.join("; ")
                    )?;
                }
            }
            Ok(())
        }
    }
}
