//! VADER sentiment for English, rule for rule as the reference vaderSentiment 3.3.2 (Python)
//! computes it, so scores agree with the published tool to its 4 decimals.
//!
//! `lexicon` holds the data (and how it differs from the crate it comes from), `tokens` the
//! words of a text; the rules are here. Quirks of the reference are kept on purpose where
//! they change scores (see `but_check`).

mod lexicon;
mod tokens;

use super::{Contribution, Sentiment};
use lexicon::{Key, LEXICONS, Lexicons, key};
use tokens::{Tokens, Words, is_py_space};

pub(super) use lexicon::emoji_description;
pub use lexicon::{warm_up, word_valence};
pub(super) use tokens::{is_upper, is_word_byte, word_bytes};

pub(super) const B_INCR: f64 = 0.293;
pub(super) const B_DECR: f64 = -0.293;
const C_INCR: f64 = 0.733;
const N_SCALAR: f64 = -0.74;

/// The words the rules look for, as keys.
const NO: Key = key(b"no");
const OR: Key = key(b"or");
const NOR: Key = key(b"nor");
const KIND: Key = key(b"kind");
const OF: Key = key(b"of");
const NEVER: Key = key(b"never");
const SO: Key = key(b"so");
const THIS: Key = key(b"this");
const WITHOUT: Key = key(b"without");
const DOUBT: Key = key(b"doubt");
const LEAST: Key = key(b"least");
const AT: Key = key(b"at");
const VERY: Key = key(b"very");
const BUT: Key = key(b"but");

/// Collects the names of the rules that changed a word's valence, for `--explain`. The unit
/// type collects nothing, so plain scoring pays nothing for explanations.
pub(super) trait Notes {
    fn note(&mut self, rule: &'static str);
}

impl Notes for () {
    #[inline(always)]
    fn note(&mut self, _rule: &'static str) {}
}

impl Notes for Vec<&'static str> {
    fn note(&mut self, rule: &'static str) {
        if !self.contains(&rule) {
            self.push(rule);
        }
    }
}

fn negated(t: &Tokens<'_>, k: usize) -> bool {
    t.negates(k) || t.has_nt(k)
}

pub(super) fn normalize(score: f64) -> f64 {
    let norm = score / (score * score + 15.0).sqrt();
    norm.clamp(-1.0, 1.0)
}

/// Python's `round(x, n)`: correctly rounded, ties to even on the exact binary value, which
/// is what formatting with a precision does too.
fn round_to(x: f64, digits: usize) -> f64 {
    let scale = if digits == 3 { 1e3 } else { 1e4 };
    let y = x * scale;
    // Away from a tie the product's rounding error cannot change the result, and dividing
    // the integer by a power of ten gives the same double as parsing the decimal; only
    // near-ties need the exact (slow) decimal formatting.
    if ((y - y.floor()) - 0.5).abs() > 1e-6 {
        return y.round() / scale;
    }
    format!("{x:.digits$}").parse().unwrap_or(x)
}

/// Per-text buffers, kept per thread so that scoring a text allocates nothing once they have
/// grown to the longest text seen.
#[derive(Default)]
struct Scratch {
    words: Words,
    sentiments: Vec<f64>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Scores English text exactly as vaderSentiment 3.3.2's `polarity_scores`.
pub fn polarity(text: &str) -> Sentiment {
    score(text, None)
}

/// Like `polarity`, also appending each word's contribution and the rules behind it.
pub fn polarity_explained(text: &str, out: &mut Vec<Contribution>) -> Sentiment {
    score(text, Some(out))
}

fn replace_emoji<'t>(text: &'t str, lex: &Lexicons) -> std::borrow::Cow<'t, str> {
    if text.is_ascii() {
        return std::borrow::Cow::Borrowed(text.trim_matches(is_py_space));
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut prev_space = true;
    for c in text.chars() {
        if let Some(description) = lex.emoji.get(&c) {
            if !prev_space {
                out.push(' ');
            }
            out.push_str(description);
            prev_space = false;
        } else {
            out.push(c);
            prev_space = c == ' ';
        }
    }
    std::borrow::Cow::Owned(out.trim_matches(is_py_space).to_owned())
}

fn score(text: &str, explain: Option<&mut Vec<Contribution>>) -> Sentiment {
    SCRATCH.with_borrow_mut(|scratch| score_with(text, explain, scratch))
}

fn score_with(
    text: &str,
    explain: Option<&mut Vec<Contribution>>,
    scratch: &mut Scratch,
) -> Sentiment {
    let lex = &*LEXICONS;
    let text = replace_emoji(text, lex);
    let Scratch { words, sentiments } = scratch;
    let tokens = Tokens::new(&text, words);
    let n = tokens.len();
    sentiments.clear();
    let mut notes: Vec<Vec<&'static str>> = Vec::new();
    for i in 0..n {
        if tokens.booster(i).is_some() || (i + 1 < n && tokens.is(i, KIND) && tokens.is(i + 1, OF))
        {
            sentiments.push(0.0);
            if explain.is_some() {
                notes.push(Vec::new());
            }
            continue;
        }
        if explain.is_some() {
            let mut rules = Vec::new();
            sentiments.push(sentiment_valence(&tokens, i, lex, &mut rules));
            notes.push(rules);
        } else {
            sentiments.push(sentiment_valence(&tokens, i, lex, &mut ()));
        }
    }
    let before_but = explain.is_some().then(|| sentiments.clone());
    but_check(&tokens, sentiments);
    let result = score_valence(sentiments, &text);
    if let (Some(out), Some(before_but)) = (explain, before_but) {
        for (i, (&valence, rules)) in sentiments.iter().zip(notes).enumerate() {
            if valence == 0.0 {
                continue;
            }
            let mut rules = rules;
            if valence != before_but[i] {
                rules.push(if valence.abs() < before_but[i].abs() {
                    "before \"but\": x0.5"
                } else {
                    "after \"but\": x1.5"
                });
            }
            out.push(Contribution {
                token: tokens.word(i).to_owned(),
                base: tokens.valence(i).unwrap_or(0.0),
                valence,
                rules,
            });
        }
        let amplifier = punctuation_emphasis(&text);
        if amplifier != 0.0 && result.compound != 0.0 {
            out.push(Contribution {
                token: "!/?".to_owned(),
                base: 0.0,
                valence: amplifier.copysign(result.compound),
                rules: vec!["exclamation/question emphasis"],
            });
        }
    }
    result
}

fn sentiment_valence(t: &Tokens<'_>, i: usize, lex: &Lexicons, notes: &mut impl Notes) -> f64 {
    let n = t.len();
    let Some(base) = t.valence(i) else {
        return 0.0;
    };
    let mut valence = base;
    // "no" directly before a lexicon word negates it instead of counting itself.
    if t.is(i, NO) && i != n - 1 && t.in_lexicon(i + 1) {
        valence = 0.0;
        notes.note("\"no\" before a lexicon word");
    }
    if (i > 0 && t.is(i - 1, NO))
        || (i > 1 && t.is(i - 2, NO))
        || (i > 2 && t.is(i - 3, NO) && (t.is(i - 1, OR) || t.is(i - 1, NOR)))
    {
        valence = base * N_SCALAR;
        notes.note("negated by \"no\"");
    }
    if t.upper(i) && t.is_cap_diff {
        notes.note("ALL CAPS emphasis");
        if valence > 0.0 {
            valence += C_INCR;
        } else {
            valence -= C_INCR;
        }
    }
    for start_i in 0..3 {
        if i > start_i && !t.in_lexicon(i - (start_i + 1)) {
            let mut s = scalar_inc_dec(t, i - (start_i + 1), valence);
            if s != 0.0 {
                notes.note("booster/dampener");
            }
            if start_i == 1 && s != 0.0 {
                s *= 0.95;
            }
            if start_i == 2 && s != 0.0 {
                s *= 0.9;
            }
            valence += s;
            let checked = negation_check(valence, t, start_i, i);
            if checked != valence {
                notes.note(if checked.abs() > valence.abs() {
                    "never so/this emphasis"
                } else {
                    "negation"
                });
            }
            valence = checked;
            if start_i == 2 {
                let idiom = special_idioms_check(valence, t, i, lex);
                if idiom != valence {
                    notes.note("idiom");
                }
                valence = idiom;
            }
        }
    }
    let checked = least_check(valence, t, i);
    if checked != valence {
        notes.note("\"least\"");
    }
    checked
}

fn scalar_inc_dec(t: &Tokens<'_>, j: usize, valence: f64) -> f64 {
    let Some(booster) = t.booster(j) else {
        return 0.0;
    };
    let mut scalar = if valence < 0.0 { -booster } else { booster };
    if t.upper(j) && t.is_cap_diff {
        if valence > 0.0 {
            scalar += C_INCR;
        } else {
            scalar -= C_INCR;
        }
    }
    scalar
}

fn negation_check(valence: f64, t: &Tokens<'_>, start_i: usize, i: usize) -> f64 {
    let w = |k: usize, word: Key| t.is(i - k, word);
    let so_this = |k: usize| w(k, SO) || w(k, THIS);
    let negated = |k: usize| negated(t, i - k);
    match start_i {
        0 if negated(1) => valence * N_SCALAR,
        1 if w(2, NEVER) && so_this(1) => valence * 1.25,
        1 if w(2, WITHOUT) && w(1, DOUBT) => valence,
        1 if negated(2) => valence * N_SCALAR,
        // The reference groups this test as (never and (so|this)) or (so|this): any "so" or
        // "this" right before the word boosts it.
        2 if (w(3, NEVER) && so_this(2)) || so_this(1) => valence * 1.25,
        2 if w(3, WITHOUT) && (w(2, DOUBT) || w(1, DOUBT)) => valence,
        2 if negated(3) => valence * N_SCALAR,
        _ => valence,
    }
}

fn special_idioms_check(valence: f64, t: &Tokens<'_>, i: usize, lex: &Lexicons) -> f64 {
    // Every sequence tried is two or three neighbouring words in i-3..=i+2: without two
    // neighbours there that both belong to idioms, none can match. ("the" or "to" alone are
    // frequent; pairs of idiom words are rare.)
    let last = (i + 2).min(t.len() - 1);
    if !(i - 3..last).any(|k| t.idiom(k) != 0 && t.idiom(k + 1) != 0) {
        return valence;
    }
    special_idioms_slow(valence, t, i, lex)
}

/// Whether the words at `indices` are those of `phrase`.
fn spells(t: &Tokens<'_>, indices: &[usize], phrase: &[u8]) -> bool {
    indices.len() == phrase.len() && indices.iter().zip(phrase).all(|(&k, &id)| t.idiom(k) == id)
}

fn special_idioms_slow(mut valence: f64, t: &Tokens<'_>, i: usize, lex: &Lexicons) -> f64 {
    let onezero = [i - 1, i];
    let twoonezero = [i - 2, i - 1, i];
    let twoone = [i - 2, i - 1];
    let threetwoone = [i - 3, i - 2, i - 1];
    let threetwo = [i - 3, i - 2];
    let special = |seq: &[usize]| {
        lex.idioms
            .iter()
            .find(|(k, _)| spells(t, seq, k))
            .map(|(_, v)| *v)
    };
    let sequences: [&[usize]; 5] = [&onezero, &twoonezero, &twoone, &threetwoone, &threetwo];
    if let Some(v) = sequences.into_iter().find_map(special) {
        valence = v;
    }
    let n = t.len();
    if n - 1 > i
        && let Some(v) = special(&[i, i + 1])
    {
        valence = v;
    }
    if n - 1 > i + 1
        && let Some(v) = special(&[i, i + 1, i + 2])
    {
        valence = v;
    }
    let ngrams: [&[usize]; 3] = [&threetwoone, &threetwo, &twoone];
    for ngram in ngrams {
        if let Some((_, b)) = lex
            .phrase_boosters
            .iter()
            .find(|(k, _)| spells(t, ngram, k))
        {
            valence += b;
        }
    }
    valence
}

fn least_check(valence: f64, t: &Tokens<'_>, i: usize) -> f64 {
    let prev_is_least = |k: usize| t.is(k, LEAST) && !t.in_lexicon(k);
    if i > 1 && prev_is_least(i - 1) {
        if !t.is(i - 2, AT) && !t.is(i - 2, VERY) {
            return valence * N_SCALAR;
        }
    } else if i > 0 && prev_is_least(i - 1) {
        return valence * N_SCALAR;
    }
    valence
}

/// "but" halves what came before it and adds half to what follows. The reference walks the
/// list and finds each value's position with `list.index`, i.e. the *first* equal value, so
/// repeated valences are re-scaled at the wrong place; that is reproduced here.
fn but_check(t: &Tokens<'_>, sentiments: &mut [f64]) {
    let Some(bi) = t.position(BUT) else {
        return;
    };
    for k in 0..sentiments.len() {
        let value = sentiments[k];
        let Some(si) = sentiments.iter().position(|s| *s == value) else {
            continue;
        };
        if si < bi {
            sentiments[si] = value * 0.5;
        } else if si > bi {
            sentiments[si] = value * 1.5;
        }
    }
}

pub(super) fn punctuation_emphasis(text: &str) -> f64 {
    // The marks are ASCII, so never part of another char.
    let ep_count = crate::text::count_byte(text.as_bytes(), b'!');
    let qm_count = crate::text::count_byte(text.as_bytes(), b'?');
    let ep = ep_count.min(4) as f64 * 0.292;
    let qm = match qm_count {
        0 | 1 => 0.0,
        2 | 3 => qm_count as f64 * 0.18,
        _ => 0.96,
    };
    ep + qm
}

pub(super) fn score_valence(sentiments: &[f64], text: &str) -> Sentiment {
    if sentiments.is_empty() {
        return Sentiment {
            compound: 0.0,
            pos: 0.0,
            neu: 0.0,
            neg: 0.0,
        };
    }
    let mut sum: f64 = sentiments.iter().fold(0.0, |acc, s| acc + s);
    let amplifier = punctuation_emphasis(text);
    if sum > 0.0 {
        sum += amplifier;
    } else if sum < 0.0 {
        sum -= amplifier;
    }
    let compound = normalize(sum);
    let (mut pos_sum, mut neg_sum, mut neu_count) = (0.0f64, 0.0f64, 0usize);
    for &s in sentiments {
        if s > 0.0 {
            pos_sum += s + 1.0;
        }
        if s < 0.0 {
            neg_sum += s - 1.0;
        }
        if s == 0.0 {
            neu_count += 1;
        }
    }
    if pos_sum > neg_sum.abs() {
        pos_sum += amplifier;
    } else if pos_sum < neg_sum.abs() {
        neg_sum -= amplifier;
    }
    let total = pos_sum + neg_sum.abs() + neu_count as f64;
    Sentiment {
        compound: round_to(compound, 4),
        pos: round_to((pos_sum / total).abs(), 3),
        neu: round_to((neu_count as f64 / total).abs(), 3),
        neg: round_to((neg_sum / total).abs(), 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(text: &str) -> f64 {
        polarity(text).compound
    }

    // Examples from the vaderSentiment README, with the scores 3.3.2 prints for them.
    #[test]
    fn readme_examples() {
        assert_eq!(c("VADER is smart, handsome, and funny."), 0.8316);
        assert_eq!(c("VADER is smart, handsome, and funny!"), 0.8439);
        assert_eq!(c("VADER is very smart, handsome, and funny."), 0.8545);
        assert_eq!(c("VADER is VERY SMART, handsome, and FUNNY."), 0.9227);
        assert_eq!(c("VADER is VERY SMART, handsome, and FUNNY!!!"), 0.9342);
        assert_eq!(
            c("VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!"),
            0.9469
        );
        assert_eq!(c("VADER is not smart, handsome, nor funny."), -0.7424);
        assert_eq!(c("The book was good."), 0.4404);
        assert_eq!(c("At least it isn't a horrible book."), 0.431);
        assert_eq!(c("The book was only kind of good."), 0.3832);
        assert_eq!(
            c(
                "The plot was good, but the characters are uncompelling and the dialog is not great."
            ),
            -0.7042
        );
        assert_eq!(c("Today SUX!"), -0.5461);
        assert_eq!(c("Today only kinda sux! But I'll get by, lol"), 0.5249);
        assert_eq!(c("Make sure you :) or :D today!"), 0.8633);
        assert_eq!(
            c("Catch utf-8 emoji such as such as 💘 and 💋 and 😁"),
            0.875
        );
        assert_eq!(c("Not bad at all"), 0.431);
    }

    #[test]
    fn empty_and_neutral() {
        assert_eq!(
            polarity(""),
            Sentiment {
                compound: 0.0,
                pos: 0.0,
                neu: 0.0,
                neg: 0.0
            }
        );
        let p = polarity("The table is made of wood.");
        assert_eq!((p.compound, p.neu), (0.0, 1.0));
    }
}
