//! `fanwatch score`: one text per stdin line in, one JSON object per line out, same order.
//! Lines are scored in parallel in chunks and written back in input order.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::{Mutex, PoisonError, mpsc};

use serde::{Deserialize, Serialize};

use crate::scoring::{Contribution, Intent, LangChoice, Scored, Scorer};

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

impl<'a> OutputLine<'a> {
    fn new(
        scored: &'a Scored,
        id: Option<&'a serde_json::Value>,
        explain: Option<&'a [Contribution]>,
    ) -> OutputLine<'a> {
        let sentiment = scored.sentiment;
        OutputLine {
            id,
            lang: scored.lang_code(),
            label: scored.label.map(|l| l.as_str()),
            compound: sentiment.map(|s| s.compound),
            pos: sentiment.map(|s| s.pos),
            neu: sentiment.map(|s| s.neu),
            neg: sentiment.map(|s| s.neg),
            intents: &scored.intents,
            explain,
        }
    }
}

#[derive(Serialize)]
struct ErrorLine {
    line: usize,
    error: String,
}

/// Scores stdin to stdout. Returns how many input lines were invalid (each got an error object
/// in its place).
///
/// The calling thread reads blocks of whole lines and writes finished blocks back in input
/// order while long-lived workers score: a worker keeps its warm regex caches and scratch
/// buffers for the whole run (threads spawned per chunk started cold every time), and reading
/// and writing overlap with scoring.
pub fn run(
    scorer: &Scorer,
    options: &ScoreOptions,
    input: impl BufRead,
    out: &mut impl Write,
) -> std::io::Result<usize> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(16);
    if options.format == ScoreFormat::Table {
        writeln!(
            out,
            "{:<4} {:<9} {:>8}  {:<32} text",
            "lang", "label", "compound", "intents"
        )?;
    }
    let (job_tx, job_rx) = mpsc::sync_channel::<Block>(threads * 2);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<BlockOutput>();
    let bad = std::thread::scope(|scope| {
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            scope.spawn(move || {
                loop {
                    // Hold the lock only to take the next block, not while scoring it.
                    let next = job_rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(block) = next else { break };
                    if done_tx.send(score_block(scorer, options, block)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        feed(input, job_tx, &done_rx, out)
    })?;
    out.flush()?;
    Ok(bad)
}

/// Bytes read per block: a few hundred lines, enough to amortise hand-offs between threads,
/// few enough that output streams while input is still arriving.
const BLOCK_BYTES: usize = 64 << 10;

/// Whole input lines (each ending in `\n`, except perhaps the input's last one).
struct Block {
    seq: usize,
    first_line: usize,
    bytes: Vec<u8>,
}

/// A block's output and how many of its lines were invalid.
struct BlockOutput {
    seq: usize,
    output: Vec<u8>,
    errors: usize,
}

/// Reads `input` into blocks for the workers and writes their results in order; returns the
/// number of invalid lines.
fn feed(
    mut input: impl BufRead,
    jobs: mpsc::SyncSender<Block>,
    done: &mpsc::Receiver<BlockOutput>,
    out: &mut impl Write,
) -> std::io::Result<usize> {
    let mut writer = InOrder::default();
    let mut carry = Vec::new();
    let mut seq = 0;
    let mut first_line = 1;
    let mut eof = false;
    while !eof {
        let mut bytes = std::mem::take(&mut carry);
        loop {
            let filled = bytes.len();
            bytes.resize(filled + BLOCK_BYTES, 0);
            let n = loop {
                match input.read(&mut bytes[filled..]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            bytes.truncate(filled + n);
            eof = n == 0;
            // A block ends at a line end; a partial last line waits for the next read.
            if eof || bytes[filled..].contains(&b'\n') {
                break;
            }
        }
        if !eof && let Some(end) = bytes.iter().rposition(|&b| b == b'\n') {
            carry = bytes.split_off(end + 1);
        }
        if bytes.is_empty() {
            continue;
        }
        let lines = line_count(&bytes);
        let block = Block {
            seq,
            first_line,
            bytes,
        };
        seq += 1;
        first_line += lines;
        while let Ok(result) = done.try_recv() {
            writer.accept(result, out)?;
        }
        if jobs.send(block).is_err() {
            break;
        }
    }
    drop(jobs);
    while writer.written < seq {
        let Ok(result) = done.recv() else { break };
        writer.accept(result, out)?;
    }
    Ok(writer.bad)
}

fn line_count(bytes: &[u8]) -> usize {
    let newlines = crate::text::count_byte(bytes, b'\n');
    newlines + usize::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

/// Writes block results in input order, whatever order the workers finish them in.
#[derive(Default)]
struct InOrder {
    written: usize,
    waiting: BTreeMap<usize, BlockOutput>,
    bad: usize,
}

impl InOrder {
    fn accept(&mut self, result: BlockOutput, out: &mut impl Write) -> std::io::Result<()> {
        self.waiting.insert(result.seq, result);
        while let Some(next) = self.waiting.remove(&self.written) {
            out.write_all(&next.output)?;
            self.bad += next.errors;
            self.written += 1;
        }
        Ok(())
    }
}

fn score_block(scorer: &Scorer, options: &ScoreOptions, block: Block) -> BlockOutput {
    let mut output = Vec::with_capacity(block.bytes.len() * 3);
    let mut errors = 0;
    for (k, raw) in lines(&block.bytes).enumerate() {
        let line_no = block.first_line + k;
        // One line in another encoding costs that line, not the rest of the input.
        let valid = match std::str::from_utf8(raw) {
            Ok(line) => score_line(scorer, options, line, line_no, &mut output),
            Err(e) => {
                let message = format!(
                    "not valid UTF-8 (invalid byte at byte {} of the line)",
                    e.valid_up_to() + 1
                );
                write_error(&mut output, line_no, message);
                false
            }
        };
        errors += usize::from(!valid);
    }
    BlockOutput {
        seq: block.seq,
        output,
        errors,
    }
}

/// The lines of `bytes` as `BufRead::lines` has them: a line ends at "\n" or "\r\n" (not
/// included); the last one may have no end, and then keeps a final "\r". Line ends are found
/// by SIMD search.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let line = match memchr::memchr(b'\n', rest) {
            Some(end) => {
                let line = &rest[..end];
                rest = &rest[end + 1..];
                line.strip_suffix(b"\r").unwrap_or(line)
            }
            None => std::mem::take(&mut rest),
        };
        Some(line)
    })
}

/// Appends the result for one line to `buf`; false if the line was invalid input.
fn score_line(
    scorer: &Scorer,
    options: &ScoreOptions,
    line: &str,
    line_no: usize,
    buf: &mut Vec<u8>,
) -> bool {
    let parsed = match options.input {
        InputFormat::Text => Ok((Cow::Borrowed(line), None, None)),
        InputFormat::Jsonl if line.trim().is_empty() => Ok((Cow::Borrowed(""), None, None)),
        InputFormat::Jsonl => serde_json::from_str::<InputLine>(line)
            .map(|l| (Cow::Owned(l.text), l.id, l.lang))
            .map_err(|e| format!("expected a JSON object with a string `text` field: {e}")),
    };
    let (result, valid) = match &parsed {
        Ok((text, id, lang)) => {
            let choice = match lang.as_deref().map(str::parse::<LangChoice>) {
                Some(Ok(choice)) => choice,
                _ => options.lang,
            };
            let scored = scorer.score(text.as_ref(), choice, None, options.explain);
            (
                write_scored(buf, &scored, id.as_ref(), text.as_ref(), options),
                true,
            )
        }
        Err(message) => {
            write_error(buf, line_no, message.clone());
            (Ok(()), false)
        }
    };
    // Writing into a Vec cannot fail.
    debug_assert!(result.is_ok());
    valid
}

/// The error object that stands in the output for invalid input line `line`.
fn write_error(buf: &mut Vec<u8>, line: usize, error: String) {
    let result = serde_json::to_writer(&mut *buf, &ErrorLine { line, error })
        .map_err(std::io::Error::other)
        .and_then(|()| buf.write_all(b"\n"));
    // Writing into a Vec cannot fail.
    debug_assert!(result.is_ok());
}

/// The `OutputLine` of a result without explanation, written field by field: the same bytes
/// as serialising `OutputLine`, without the generic map machinery that cost as much as
/// scoring the sentiment of a short text.
fn write_jsonl(
    buf: &mut Vec<u8>,
    scored: &Scored,
    id: Option<&serde_json::Value>,
) -> std::io::Result<()> {
    buf.push(b'{');
    if let Some(id) = id {
        buf.extend_from_slice(b"\"id\":");
        json(buf, id)?;
        buf.push(b',');
    }
    buf.extend_from_slice(b"\"lang\":\"");
    buf.extend_from_slice(scored.lang_code().as_bytes());
    buf.extend_from_slice(b"\",\"label\":");
    match scored.label {
        Some(label) => {
            buf.push(b'"');
            buf.extend_from_slice(label.as_str().as_bytes());
            buf.push(b'"');
        }
        None => buf.extend_from_slice(b"null"),
    }
    let sentiment = scored.sentiment;
    for (name, value) in [
        (&b",\"compound\":"[..], sentiment.map(|s| s.compound)),
        (b",\"pos\":", sentiment.map(|s| s.pos)),
        (b",\"neu\":", sentiment.map(|s| s.neu)),
        (b",\"neg\":", sentiment.map(|s| s.neg)),
    ] {
        buf.extend_from_slice(name);
        match value.and_then(four_decimals) {
            Some(fixed) => fixed.write(buf),
            None => json(buf, &value)?,
        }
    }
    buf.extend_from_slice(b",\"intents\":[");
    for (k, intent) in scored.intents.iter().enumerate() {
        if k > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"kind\":\"");
        buf.extend_from_slice(intent.kind.as_str().as_bytes());
        buf.extend_from_slice(b"\",\"cue\":");
        json(buf, &intent.cue.as_str())?;
        buf.push(b'}');
    }
    buf.extend_from_slice(b"]}\n");
    Ok(())
}

/// A float that is the f64 nearest to a decimal with at most four decimals (as every VADER
/// score is, rounded as the reference rounds): its shortest form, which serde_json would
/// print, is that decimal. Writing it from integers skips the general float formatter.
struct FourDecimals {
    negative: bool,
    whole: u32,
    /// Ten-thousandths.
    fraction: u16,
}

fn four_decimals(value: f64) -> Option<FourDecimals> {
    let scaled = (value * 10_000.0).round();
    // Zero (and its sign) and large values are left to the general formatter.
    if value == 0.0 || scaled.abs() > 1e12 || scaled / 10_000.0 != value {
        return None;
    }
    let units = scaled.abs() as u64;
    Some(FourDecimals {
        negative: value < 0.0,
        whole: u32::try_from(units / 10_000).ok()?,
        fraction: (units % 10_000) as u16,
    })
}

impl FourDecimals {
    fn write(&self, buf: &mut Vec<u8>) {
        if self.negative {
            buf.push(b'-');
        }
        buf.extend_from_slice(itoa::Buffer::new().format(self.whole).as_bytes());
        buf.push(b'.');
        let digits = [
            self.fraction / 1000,
            self.fraction / 100 % 10,
            self.fraction / 10 % 10,
            self.fraction % 10,
        ];
        let used = digits
            .iter()
            .rposition(|&d| d != 0)
            .map_or(1, |last| last + 1);
        buf.extend(digits[..used].iter().map(|&d| b'0' + d as u8));
    }
}

/// A value in serde_json's own formatting (floats, escaped strings, ids).
fn json(buf: &mut Vec<u8>, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(buf, value).map_err(std::io::Error::other)
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
        ScoreFormat::Jsonl if !options.explain => write_jsonl(buf, scored, id),
        ScoreFormat::Jsonl => {
            let line = OutputLine::new(scored, id, Some(&scored.explanation));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{IntentKind, Label, Lang, Sentiment};

    #[test]
    fn four_decimals_print_as_serde_json_prints_them() {
        let mut state: u64 = 11;
        let samples = (-20_000..=20_000)
            .map(|k| f64::from(k) / 10_000.0)
            .chain((0..20_000).map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 20) as f64 / 10_000.0 * if state & 1 == 0 { 1.0 } else { -1.0 }
            }));
        let mut fast = 0;
        for value in samples.chain([0.1 + 0.2, 1.0 / 3.0, -0.0, 1e-9, 123.456_789]) {
            let expected = serde_json::to_string(&value).unwrap();
            let mut ours = Vec::new();
            match four_decimals(value) {
                Some(fixed) => {
                    fixed.write(&mut ours);
                    fast += 1;
                }
                None => ours.extend_from_slice(expected.as_bytes()),
            }
            assert_eq!(String::from_utf8(ours).unwrap(), expected, "{value:e}");
        }
        assert!(fast >= 39_998, "{fast}");
    }

    #[test]
    fn lines_split_as_bufread_lines() {
        for input in [
            &b""[..],
            b"a",
            b"a\n",
            b"a\r\nb\n\nc",
            b"\n\n",
            b"last\r",
            b"x\r\r\n\ry",
        ] {
            let ours: Vec<&[u8]> = lines(input).collect();
            let expected: Vec<String> =
                std::io::BufRead::lines(input).map(|l| l.unwrap()).collect();
            let ours: Vec<String> = ours
                .iter()
                .map(|l| String::from_utf8(l.to_vec()).unwrap())
                .collect();
            assert_eq!(ours, expected, "{input:?}");
        }
    }

    /// What serialising `OutputLine` writes, which `write_jsonl` must equal byte for byte.
    fn serde_line(scored: &Scored, id: Option<&serde_json::Value>) -> Vec<u8> {
        let line = OutputLine::new(scored, id, None);
        let mut out = serde_json::to_vec(&line).unwrap();
        out.push(b'\n');
        out
    }

    #[test]
    fn hand_written_lines_equal_the_serialised_ones() {
        let scored = Scored {
            lang: Some(Lang::En),
            sentiment: Some(Sentiment {
                compound: -0.7424,
                pos: 0.0,
                neu: 0.1,
                neg: 1.0,
            }),
            label: Some(Label::Negative),
            intents: vec![
                crate::scoring::Intent {
                    kind: IntentKind::Complaint,
                    cue: "said \"never\" \\ again\u{1}\u{2028} 😡".to_owned(),
                },
                crate::scoring::Intent {
                    kind: IntentKind::ChurnRisk,
                    cue: "cancel".to_owned(),
                },
            ],
            explanation: Vec::new(),
        };
        let id = serde_json::json!({"n": [1, 2.5, "x\ny"], "k": null});
        for (scored, id) in [
            (&scored, Some(&id)),
            (&scored, None),
            (&Scored::unscored(), Some(&serde_json::json!(7))),
            (&Scored::unscored(), None),
        ] {
            let mut buf = Vec::new();
            write_jsonl(&mut buf, scored, id).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&buf),
                String::from_utf8_lossy(&serde_line(scored, id))
            );
        }
    }
}
