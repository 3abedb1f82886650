//! VADER sentiment for English, rule for rule as the reference vaderSentiment 3.3.2 (Python)
//! computes it, so scores agree with the published tool to its 4 decimals.
//!
//! The lexicons are the public data shipped by the `vader_sentiment` crate. Its word lexicon
//! differs from the reference in two ways, both patched here: it lacks "heart" and "hearts",
//! and it keys words case-insensitively, so emoticons whose case twins carry different
//! valences (":P" 1.4 / ":p" 1.0, "O.o" -0.6 / "o.o" -0.8) collapse into one. The reference
//! looks every token up lowercased, so only the lowercase entries count. Quirks of the
//! reference are kept on purpose where they change scores (see `but_check`).

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::{Contribution, Sentiment};

const B_INCR: f64 = 0.293;
const B_DECR: f64 = -0.293;
const C_INCR: f64 = 0.733;
const N_SCALAR: f64 = -0.74;

const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOSTERS: &[(&str, f64)] = &[
    ("absolutely", B_INCR),
    ("amazingly", B_INCR),
    ("awfully", B_INCR),
    ("completely", B_INCR),
    ("considerable", B_INCR),
    ("considerably", B_INCR),
    ("decidedly", B_INCR),
    ("deeply", B_INCR),
    ("effing", B_INCR),
    ("enormous", B_INCR),
    ("enormously", B_INCR),
    ("entirely", B_INCR),
    ("especially", B_INCR),
    ("exceptional", B_INCR),
    ("exceptionally", B_INCR),
    ("extreme", B_INCR),
    ("extremely", B_INCR),
    ("fabulously", B_INCR),
    ("flipping", B_INCR),
    ("flippin", B_INCR),
    ("frackin", B_INCR),
    ("fracking", B_INCR),
    ("fricking", B_INCR),
    ("frickin", B_INCR),
    ("frigging", B_INCR),
    ("friggin", B_INCR),
    ("fully", B_INCR),
    ("fuckin", B_INCR),
    ("fucking", B_INCR),
    ("fuggin", B_INCR),
    ("fugging", B_INCR),
    ("greatly", B_INCR),
    ("hella", B_INCR),
    ("highly", B_INCR),
    ("hugely", B_INCR),
    ("incredible", B_INCR),
    ("incredibly", B_INCR),
    ("intensely", B_INCR),
    ("major", B_INCR),
    ("majorly", B_INCR),
    ("more", B_INCR),
    ("most", B_INCR),
    ("particularly", B_INCR),
    ("purely", B_INCR),
    ("quite", B_INCR),
    ("really", B_INCR),
    ("remarkably", B_INCR),
    ("so", B_INCR),
    ("substantially", B_INCR),
    ("thoroughly", B_INCR),
    ("total", B_INCR),
    ("totally", B_INCR),
    ("tremendous", B_INCR),
    ("tremendously", B_INCR),
    ("uber", B_INCR),
    ("unbelievably", B_INCR),
    ("unusually", B_INCR),
    ("utter", B_INCR),
    ("utterly", B_INCR),
    ("very", B_INCR),
    ("almost", B_DECR),
    ("barely", B_DECR),
    ("hardly", B_DECR),
    ("just enough", B_DECR),
    ("kind of", B_DECR),
    ("kinda", B_DECR),
    ("kindof", B_DECR),
    ("kind-of", B_DECR),
    ("less", B_DECR),
    ("little", B_DECR),
    ("marginal", B_DECR),
    ("marginally", B_DECR),
    ("occasional", B_DECR),
    ("occasionally", B_DECR),
    ("partly", B_DECR),
    ("scarce", B_DECR),
    ("scarcely", B_DECR),
    ("slight", B_DECR),
    ("slightly", B_DECR),
    ("somewhat", B_DECR),
    ("sort of", B_DECR),
    ("sorta", B_DECR),
    ("sortof", B_DECR),
    ("sort-of", B_DECR),
];

/// Idioms and phrases containing lexicon words, as in 3.3.2 (later versions changed
/// "beating heart" and added "broken heart").
const SPECIAL_CASES: &[(&str, f64)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.5),
];

/// Reference lexicon entries the crate's copy lacks or merged with an uppercase twin.
const LEXICON_PATCH: &[(&str, f64)] =
    &[("heart", 3.2), ("hearts", 3.3), (":p", 1.0), ("o.o", -0.8)];

/// What the rules need to know about one lowercase token, found with a single look-up. Four
/// bytes, so that the whole word table stays in the processor's caches.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    /// Index of the word's valence in `Lexicons::valences` (0: not in the lexicon). The
    /// lexicon holds a few dozen distinct values.
    valence: u8,
    /// +1 for `B_INCR`, -1 for `B_DECR`, 0 for none: the only booster values there are.
    booster: i8,
    negate: bool,
    /// Number of the word among those of idioms and multi-word boosters (0: none of them).
    idiom: u8,
}

/// An idiom or multi-word booster as the `Entry::idiom` numbers of its words.
type Phrase = (Vec<u8>, f64);

struct Lexicons {
    words: WordMap,
    /// The distinct valences `Entry::valence` indexes.
    valences: Vec<f64>,
    emoji: FxHashMap<char, &'static str>,
    /// `SPECIAL_CASES` in their order.
    idioms: Vec<Phrase>,
    /// Boosters of more than one word ("kind of").
    phrase_boosters: Vec<Phrase>,
}

impl Lexicons {
    fn valence(&self, entry: &Entry) -> Option<f64> {
        (entry.valence != 0).then(|| self.valences[usize::from(entry.valence)])
    }
}

/// Lowercase words and their entries. Words of up to 15 bytes (nearly all) are keyed by their
/// bytes and length packed in two `u64`s: a look-up hashes and compares two machine words
/// instead of hashing a string and comparing it with a key stored elsewhere in memory.
#[derive(Default)]
struct WordMap {
    short: FxHashMap<(u64, u64), Entry>,
    long: FxHashMap<String, Entry>,
}

impl WordMap {
    fn key(word: &str) -> Option<(u64, u64)> {
        let bytes = word.as_bytes();
        if bytes.len() > 15 {
            return None;
        }
        let mut packed = [0u8; 16];
        packed[..bytes.len()].copy_from_slice(bytes);
        packed[15] = bytes.len() as u8;
        let key = u128::from_le_bytes(packed);
        // Two halves rather than one u128: keeps the table's entries 8-byte aligned (24
        // bytes instead of 32).
        Some((key as u64, (key >> 64) as u64))
    }

    fn get(&self, word: &str) -> Option<&Entry> {
        match Self::key(word) {
            Some(key) => self.short.get(&key),
            None => self.long.get(word),
        }
    }

    fn entry(&mut self, word: &str) -> &mut Entry {
        match Self::key(word) {
            Some(key) => self.short.entry(key).or_default(),
            None => self.long.entry(word.to_owned()).or_default(),
        }
    }
}

static LEXICONS: LazyLock<Lexicons> = LazyLock::new(|| {
    let mut words = WordMap::default();
    let lexicon = vader_sentiment::LEXICON
        .iter()
        .map(|(k, v)| (k.as_ref().to_lowercase(), *v));
    let mut valences = vec![f64::NAN];
    for (word, valence) in lexicon.chain(LEXICON_PATCH.iter().map(|(w, v)| ((*w).to_owned(), *v))) {
        let index = match valences.iter().position(|v| *v == valence) {
            Some(index) => index,
            None => {
                valences.push(valence);
                valences.len() - 1
            }
        };
        // The lexicon is constant data with under a hundred distinct values (unit-tested).
        #[allow(clippy::expect_used)]
        let index = u8::try_from(index).expect("at most 255 distinct valences");
        words.entry(&word).valence = index;
    }
    for (word, booster) in BOOSTERS {
        words.entry(word).booster = if *booster > 0.0 { 1 } else { -1 };
    }
    for word in NEGATE {
        words.entry(word).negate = true;
    }
    // Idioms compare words by number: cheaper than the reference's joined n-gram strings,
    // and the same test, since a word never contains a space.
    let mut numbered = 0;
    let mut phrase = |text: &str| -> Vec<u8> {
        text.split(' ')
            .map(|word| {
                let entry = words.entry(word);
                if entry.idiom == 0 {
                    numbered += 1;
                    entry.idiom = numbered;
                }
                entry.idiom
            })
            .collect()
    };
    let idioms = SPECIAL_CASES.iter().map(|(k, v)| (phrase(k), *v)).collect();
    let phrase_boosters = BOOSTERS
        .iter()
        .filter(|(k, _)| k.contains(' '))
        .map(|(k, v)| (phrase(k), *v))
        .collect();
    // Python looks emoji up one code point at a time, so only single-code-point keys apply.
    let emoji = vader_sentiment::EMOJI_LEXICON
        .iter()
        .filter_map(|(k, v)| {
            let mut chars = k.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some((c, *v)),
                _ => None,
            }
        })
        .collect();
    Lexicons {
        words,
        valences,
        emoji,
        idioms,
        phrase_boosters,
    }
});

/// The valence this implementation uses for a lowercase word or emoticon such as ":)" (the
/// crate's lexicon with the patches above), as the reference's `vader_lexicon.txt` has it.
pub fn word_valence(token: &str) -> Option<f64> {
    let lex = &*LEXICONS;
    lex.words.get(token).and_then(|e| lex.valence(e))
}

/// The reference's English description of an emoji code point ("smiling face with ...").
pub(super) fn emoji_description(c: char) -> Option<&'static str> {
    LEXICONS.emoji.get(&c).copied()
}

/// Forces the lexicons to load (they load lazily on first use otherwise).
pub fn warm_up() {
    LazyLock::force(&LEXICONS);
}

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

/// Python's `str.isspace` set: Unicode White_Space plus the four ASCII separators.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.isupper`: at least one cased character and no lowercase or titlecase one.
pub(super) fn is_upper(s: &str) -> bool {
    if s.is_ascii() {
        let b = s.as_bytes();
        return b.iter().any(u8::is_ascii_uppercase) && !b.iter().any(u8::is_ascii_lowercase);
    }
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase()
            || (c.is_alphabetic() && !c.is_uppercase() && c.to_lowercase().ne(std::iter::once(c)))
        {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

fn lower(s: &str) -> String {
    if s.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
        s.to_owned()
    } else {
        s.to_lowercase()
    }
}

/// Strips leading and trailing ASCII punctuation unless that leaves two characters or fewer
/// (then it was probably an emoticon such as ":)" and is kept whole).
fn strip_punc_if_word(token: &str) -> &str {
    // ASCII punctuation bytes never occur inside a multi-byte UTF-8 sequence, so trimming
    // bytes trims the same characters as trimming chars, without decoding them.
    let bytes = token.as_bytes();
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_punctuation())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_punctuation())
        .map_or(start, |i| i + 1);
    let stripped = token.get(start..end).unwrap_or(token);
    // More than two bytes of ASCII are more than two characters; only other text needs counting.
    if stripped.len() <= 2 || (!stripped.is_ascii() && stripped.chars().count() <= 2) {
        token
    } else {
        stripped
    }
}

fn negated(t: &Tokens<'_>, k: usize) -> bool {
    t.info[k].negate || t.lower(k).as_bytes().windows(3).any(|w| w == b"n't")
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

/// The words of one text, as `Tokens` reads them.
#[derive(Default)]
struct Words {
    spans: Vec<(usize, usize)>,
    lower_buf: String,
    ends: Vec<usize>,
    info: Vec<Info>,
}

impl Words {
    /// Records the word at `span` whose lowercase form was appended to `lower_buf` from
    /// `from` on, with its lexicon entry.
    fn push(&mut self, lex: &Lexicons, span: (usize, usize), upper: bool, from: usize) {
        let entry = lex
            .words
            .get(&self.lower_buf[from..])
            .copied()
            .unwrap_or_default();
        self.spans.push(span);
        self.ends.push(self.lower_buf.len());
        self.info.push(Info {
            valence: lex.valence(&entry),
            booster: match entry.booster {
                0 => None,
                1 => Some(B_INCR),
                _ => Some(B_DECR),
            },
            negate: entry.negate,
            idiom: entry.idiom,
            upper,
        });
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// A token's lexicon entry and case, looked up once instead of at every rule that asks.
#[derive(Clone, Copy)]
struct Info {
    valence: Option<f64>,
    booster: Option<f64>,
    negate: bool,
    idiom: u8,
    upper: bool,
}

struct Tokens<'a> {
    text: &'a str,
    /// Byte range of each word in `text`.
    spans: &'a [(usize, usize)],
    /// All lowercased words, one after another; `ends[i]` is where word i ends.
    lower_buf: &'a str,
    ends: &'a [usize],
    info: &'a [Info],
    is_cap_diff: bool,
}

/// What the tokenizer needs to know of an ASCII byte, one table look-up per byte.
const SPACE: u8 = 1;
const PUNCT: u8 = 2;
const UPPER: u8 = 4;
const LOWER: u8 = 8;

static ASCII_CLASS: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        // Python's `str.isspace` on ASCII: \t..\r, the four separators 0x1c..0x1f, and ' '.
        table[b] = if matches!(c, b'\t'..=b'\r' | 0x1c..=b' ') {
            SPACE
        } else if c.is_ascii_punctuation() {
            PUNCT
        } else if c.is_ascii_uppercase() {
            UPPER
        } else if c.is_ascii_lowercase() {
            LOWER
        } else {
            0
        };
        b += 1;
    }
    table
};

fn class_of(b: u8) -> u8 {
    ASCII_CLASS[usize::from(b & 0x7f)]
}

/// `Tokens::new` for ASCII text, in one pass over the bytes: every byte is a whole character,
/// so the split, the punctuation strip, lowercasing and the case test need no decoding. Returns
/// the number of ALL-CAPS words.
fn ascii_words(text: &str, lex: &Lexicons, words: &mut Words) -> usize {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut allcaps = 0;
    let mut i = 0;
    while i < n {
        if class_of(bytes[i]) == SPACE {
            i += 1;
            continue;
        }
        let word_start = i;
        // Punctuation has no case, so the case of the whole word is that of the stripped one.
        let mut seen = 0;
        while i < n {
            let class = class_of(bytes[i]);
            if class == SPACE {
                break;
            }
            seen |= class;
            i += 1;
        }
        let (mut start, mut end) = (word_start, i);
        if seen & PUNCT != 0 {
            while start < end && class_of(bytes[start]) == PUNCT {
                start += 1;
            }
            while end > start && class_of(bytes[end - 1]) == PUNCT {
                end -= 1;
            }
            // Two characters or fewer left: probably an emoticon such as ":)", kept whole.
            if end - start <= 2 {
                (start, end) = (word_start, i);
            }
        }
        let from = words.lower_buf.len();
        words.lower_buf.push_str(&text[start..end]);
        if seen & UPPER != 0 {
            words.lower_buf[from..].make_ascii_lowercase();
        }
        let upper = seen & UPPER != 0 && seen & LOWER == 0;
        words.push(lex, (start, end), upper, from);
        allcaps += usize::from(upper);
    }
    allcaps
}

/// `Tokens::new` for other text: split on Python's white space, strip ASCII punctuation,
/// lowercase as Python does. Returns the number of ALL-CAPS words.
fn unicode_words(text: &str, lex: &Lexicons, words: &mut Words) -> usize {
    let base = text.as_ptr() as usize;
    let mut allcaps = 0;
    for w in text.split(is_py_space).filter(|w| !w.is_empty()) {
        let w = strip_punc_if_word(w);
        let start = w.as_ptr() as usize - base;
        let from = words.lower_buf.len();
        words.lower_buf.push_str(&lower(w));
        let upper = is_upper(w);
        words.push(lex, (start, start + w.len()), upper, from);
        allcaps += usize::from(upper);
    }
    allcaps
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str, lex: &Lexicons, words: &'a mut Words) -> Self {
        words.spans.clear();
        words.lower_buf.clear();
        words.ends.clear();
        words.info.clear();
        let allcaps = if text.is_ascii() {
            ascii_words(text, lex, words)
        } else {
            unicode_words(text, lex, words)
        };
        let n = words.spans.len();
        let diff = n - allcaps;
        Self {
            text,
            spans: &words.spans,
            lower_buf: &words.lower_buf,
            ends: &words.ends,
            info: &words.info,
            is_cap_diff: diff > 0 && diff < n,
        }
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    #[inline]
    fn word(&self, i: usize) -> &'a str {
        let (start, end) = self.spans[i];
        &self.text[start..end]
    }

    #[inline]
    fn lower(&self, i: usize) -> &'a str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.lower_buf[start..self.ends[i]]
    }

    #[inline]
    fn in_lexicon(&self, i: usize) -> bool {
        self.info[i].valence.is_some()
    }

    fn position(&self, word: &str) -> Option<usize> {
        (0..self.len()).find(|&i| self.lower(i) == word)
    }
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
    let tokens = Tokens::new(&text, lex, words);
    let n = tokens.len();
    sentiments.clear();
    let mut notes: Vec<Vec<&'static str>> = Vec::new();
    for i in 0..n {
        if tokens.info[i].booster.is_some()
            || (i + 1 < n && tokens.lower(i) == "kind" && tokens.lower(i + 1) == "of")
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
                base: tokens.info[i].valence.unwrap_or(0.0),
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
    let item_lower = t.lower(i);
    let Some(base) = t.info[i].valence else {
        return 0.0;
    };
    let mut valence = base;
    // "no" directly before a lexicon word negates it instead of counting itself.
    if item_lower == "no" && i != n - 1 && t.in_lexicon(i + 1) {
        valence = 0.0;
        notes.note("\"no\" before a lexicon word");
    }
    if (i > 0 && t.lower(i - 1) == "no")
        || (i > 1 && t.lower(i - 2) == "no")
        || (i > 2 && t.lower(i - 3) == "no" && matches!(t.lower(i - 1), "or" | "nor"))
    {
        valence = base * N_SCALAR;
        notes.note("negated by \"no\"");
    }
    if t.info[i].upper && t.is_cap_diff {
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
    let Some(booster) = t.info[j].booster else {
        return 0.0;
    };
    let mut scalar = if valence < 0.0 { -booster } else { booster };
    if t.info[j].upper && t.is_cap_diff {
        if valence > 0.0 {
            scalar += C_INCR;
        } else {
            scalar -= C_INCR;
        }
    }
    scalar
}

fn negation_check(valence: f64, t: &Tokens<'_>, start_i: usize, i: usize) -> f64 {
    let w = |k: usize| t.lower(i - k);
    let negated = |k: usize| negated(t, i - k);
    match start_i {
        0 if negated(1) => valence * N_SCALAR,
        1 if w(2) == "never" && matches!(w(1), "so" | "this") => valence * 1.25,
        1 if w(2) == "without" && w(1) == "doubt" => valence,
        1 if negated(2) => valence * N_SCALAR,
        // The reference groups this test as (never and (so|this)) or (so|this): any "so" or
        // "this" right before the word boosts it.
        2 if (w(3) == "never" && matches!(w(2), "so" | "this"))
            || matches!(w(1), "so" | "this") =>
        {
            valence * 1.25
        }
        2 if w(3) == "without" && (w(2) == "doubt" || w(1) == "doubt") => valence,
        2 if negated(3) => valence * N_SCALAR,
        _ => valence,
    }
}

fn special_idioms_check(valence: f64, t: &Tokens<'_>, i: usize, lex: &Lexicons) -> f64 {
    // Without a word of an idiom nearby no idiom can match.
    let last = (i + 2).min(t.len() - 1);
    if !(i - 3..=last).any(|k| t.info[k].idiom != 0) {
        return valence;
    }
    special_idioms_slow(valence, t, i, lex)
}

/// Whether the words at `indices` are those of `phrase`.
fn spells(t: &Tokens<'_>, indices: &[usize], phrase: &[u8]) -> bool {
    indices.len() == phrase.len()
        && indices
            .iter()
            .zip(phrase)
            .all(|(&k, &id)| t.info[k].idiom == id)
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
    let prev_is_least = |k: usize| t.lower(k) == "least" && !t.in_lexicon(k);
    if i > 1 && prev_is_least(i - 1) {
        if t.lower(i - 2) != "at" && t.lower(i - 2) != "very" {
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
    let Some(bi) = t.position("but") else {
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
    // Two counting passes vectorise; one pass with a branch per byte does not.
    let ep_count = text.bytes().filter(|&b| b == b'!').count();
    let qm_count = text.bytes().filter(|&b| b == b'?').count();
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

    #[test]
    fn compact_entries_hold_every_value() {
        assert!(BOOSTERS.iter().all(|(_, b)| *b == B_INCR || *b == B_DECR));
        let lex = &*LEXICONS;
        for word in vader_sentiment::LEXICON.keys() {
            assert!(word_valence(&word.to_lowercase()).is_some(), "{word}");
        }
        assert!(lex.valences.len() < 256);
        assert_eq!(word_valence("good"), Some(1.9));
        assert_eq!(word_valence("heart"), Some(3.2));
        assert_eq!(word_valence("supercalifragilistic"), None);
        // Longer than 15 bytes: the other half of the word map.
        assert_eq!(word_valence("advantageousness"), Some(1.6));
    }

    #[test]
    fn python_isupper() {
        assert!(is_upper("SUX!"));
        assert!(is_upper(":D"));
        assert!(!is_upper(":)"));
        assert!(!is_upper("Sux"));
        assert!(is_upper("ÕUN"));
    }
}
