//! VADER's tokens: the text split on white space, ASCII punctuation stripped from each word
//! unless that leaves an emoticon, each word looked up once in its lowercase form.

use super::lexicon::{Entry, Key, LEXICONS, LONG, Lexicons, key, key_bytes};
use super::{B_DECR, B_INCR};

/// Python's `str.isspace` set: Unicode White_Space plus the four ASCII separators.
pub(super) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.isupper`: at least one cased character and no lowercase or titlecase one.
pub(in crate::scoring) fn is_upper(s: &str) -> bool {
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

/// A token's span, key, lexicon entry and case, looked up once instead of at every rule that
/// asks. The entry stays in its compact form until a rule reads it: 40 bytes a word.
#[derive(Clone, Copy)]
pub(super) struct Info {
    /// Its lowercase form (`LONG` for longer words than keys hold).
    key: Key,
    /// Byte range of the word in the text.
    start: usize,
    end: usize,
    entry: Entry,
    upper: bool,
}

/// The words of one text, as `Tokens` reads them: a buffer reused from text to text.
#[derive(Default)]
pub(super) struct Words {
    info: Vec<Info>,
}

impl Words {
    /// Records the word at `span` with lowercase form `key` (and `long`, its text, when the
    /// key is `LONG`).
    #[inline]
    fn push(&mut self, lex: &Lexicons, span: (usize, usize), key: Key, long: &str, upper: bool) {
        let entry = match key {
            LONG => lex.words.get(long),
            key => lex.words.get_key(key),
        }
        .copied()
        .unwrap_or_default();
        self.info.push(Info {
            key,
            start: span.0,
            end: span.1,
            entry,
            upper,
        });
    }
}

pub(super) struct Tokens<'a> {
    text: &'a str,
    lex: &'a Lexicons,
    info: &'a [Info],
    pub(super) is_cap_diff: bool,
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

/// The key of the ASCII word `bytes[start..end]`, lowercased. The word's bytes are read as one
/// 16-byte load where the text has 16 bytes from `start` on, and lowercased all at once.
#[inline]
fn ascii_key(bytes: &[u8], start: usize, end: usize, has_upper: bool) -> Key {
    let len = end - start;
    if len > 15 {
        return LONG;
    }
    let loaded = match bytes[start..].first_chunk::<16>() {
        Some(chunk) => u128::from_le_bytes(*chunk),
        None => {
            let mut chunk = [0u8; 16];
            chunk[..len].copy_from_slice(&bytes[start..end]);
            u128::from_le_bytes(chunk)
        }
    };
    let mut packed = loaded & ((1u128 << (8 * len)) - 1);
    if has_upper {
        packed = ascii_lowercase(packed);
    }
    packed | (len as u128) << 120
}

/// Lowercases the ASCII bytes packed in `x`: a byte from 'A' to 'Z' gains 0x20. Adding
/// 0x80 - 'A' sets a byte's top bit when it is 'A' or more, adding 0x80 - 'Z' - 1 when it is
/// over 'Z'; bytes are below 0x80, so no sum carries into the next byte.
fn ascii_lowercase(x: u128) -> u128 {
    const ONES: u128 = u128::MAX / 255;
    let from_a = x + ONES * u128::from(0x80 - b'A');
    let over_z = x + ONES * u128::from(0x80 - b'Z' - 1);
    let upper = from_a & !over_z & (ONES * 0x80);
    x | upper >> 2
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
        let key = ascii_key(bytes, start, end, seen & UPPER != 0);
        let long = if key == LONG {
            text[start..end].to_ascii_lowercase()
        } else {
            String::new()
        };
        let upper = seen & UPPER != 0 && seen & LOWER == 0;
        words.push(lex, (start, end), key, &long, upper);
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
        let lowered = lower(w);
        let upper = is_upper(w);
        words.push(
            lex,
            (start, start + w.len()),
            key(lowered.as_bytes()),
            &lowered,
            upper,
        );
        allcaps += usize::from(upper);
    }
    allcaps
}

impl<'a> Tokens<'a> {
    pub(super) fn new(text: &'a str, words: &'a mut Words) -> Self {
        let lex = &*LEXICONS;
        words.info.clear();
        let allcaps = if text.is_ascii() {
            ascii_words(text, lex, words)
        } else {
            unicode_words(text, lex, words)
        };
        let n = words.info.len();
        let diff = n - allcaps;
        Self {
            text,
            lex,
            info: &words.info,
            is_cap_diff: diff > 0 && diff < n,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.info.len()
    }

    /// Word `i` as written.
    #[inline]
    pub(super) fn word(&self, i: usize) -> &'a str {
        let info = &self.info[i];
        &self.text[info.start..info.end]
    }

    /// Whether word `i` is `word` (a key of a lowercase word of at most 15 bytes).
    #[inline]
    pub(super) fn is(&self, i: usize, word: Key) -> bool {
        self.info[i].key == word
    }

    #[inline]
    pub(super) fn in_lexicon(&self, i: usize) -> bool {
        self.info[i].entry.valence != 0
    }

    /// The lexicon valence of word `i`, if it has one.
    #[inline]
    pub(super) fn valence(&self, i: usize) -> Option<f64> {
        self.lex.valence(&self.info[i].entry)
    }

    /// The booster value of word `i`, if it is a booster or dampener.
    #[inline]
    pub(super) fn booster(&self, i: usize) -> Option<f64> {
        match self.info[i].entry.booster {
            0 => None,
            1 => Some(B_INCR),
            _ => Some(B_DECR),
        }
    }

    /// Whether word `i` is one of the reference's negations.
    #[inline]
    pub(super) fn negates(&self, i: usize) -> bool {
        self.info[i].entry.negate
    }

    /// The number of word `i` among the words of idioms (0: none).
    #[inline]
    pub(super) fn idiom(&self, i: usize) -> u8 {
        self.info[i].entry.idiom
    }

    /// Whether word `i` is in capitals (Python's `isupper`).
    #[inline]
    pub(super) fn upper(&self, i: usize) -> bool {
        self.info[i].upper
    }

    pub(super) fn position(&self, word: Key) -> Option<usize> {
        self.info.iter().position(|info| info.key == word)
    }

    /// Whether the lowercase form of word `i` contains "n't".
    pub(super) fn has_nt(&self, i: usize) -> bool {
        match key_bytes(&self.info[i].key) {
            Some((bytes, len)) => bytes[..len].windows(3).any(|w| w == b"n't"),
            None => lower(self.word(i)).contains("n't"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_isupper() {
        assert!(is_upper("SUX!"));
        assert!(is_upper(":D"));
        assert!(!is_upper(":)"));
        assert!(!is_upper("Sux"));
        assert!(is_upper("ÕUN"));
    }

    #[test]
    fn ascii_keys_are_lowercase_keys() {
        let text = "Hello WORLD mIxEd-Case_09 @[`{ z";
        for (start, end) in [(0, 5), (6, 11), (12, 25), (26, 30), (31, 32)] {
            let word = &text[start..end];
            let upper = word.bytes().any(|b| b.is_ascii_uppercase());
            assert_eq!(
                ascii_key(text.as_bytes(), start, end, upper),
                key(word.to_ascii_lowercase().as_bytes()),
                "{word}"
            );
        }
        // Every ASCII byte, in a load of 16 and near the end of the text.
        let all: Vec<u8> = (0u8..128).collect();
        for start in 0..120 {
            let end = (start + 15).min(128);
            let expected = key(&all[start..end].to_ascii_lowercase());
            assert_eq!(ascii_key(&all, start, end, true), expected, "{start}");
        }
    }
}
