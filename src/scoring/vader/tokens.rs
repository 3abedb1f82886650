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
    #[inline(always)]
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

/// `Tokens::new` for ASCII text: every byte is a whole character, so the split, the
/// punctuation strip, lowercasing and the case test need no decoding. The bytes are classified
/// 64 at a time into bit masks, and words are found between the set bits of the space mask, so
/// the work per byte is a few vector instructions and the loop runs once per word, not once per
/// byte with a branch that mispredicts at every word's end. Returns the number of ALL-CAPS
/// words.
fn ascii_words(text: &str, lex: &Lexicons, words: &mut Words) -> usize {
    let bytes = text.as_bytes();
    let mut allcaps = 0;
    // The word being read (it may run on into the next block): its start and classes so far.
    let mut open: Option<(usize, u8)> = None;
    for (index, block) in bytes.chunks(64).enumerate() {
        let base = index * 64;
        let masks = Masks::of(block);
        let mut pos = 0;
        while pos < 64 {
            let from = u64::MAX << pos;
            match open {
                None => {
                    let starts = !masks.space & from;
                    if starts == 0 {
                        break;
                    }
                    pos = starts.trailing_zeros();
                    open = Some((base + pos as usize, 0));
                }
                Some((start, seen)) => {
                    let ends = masks.space & from;
                    let end = if ends == 0 { 64 } else { ends.trailing_zeros() };
                    let seen = seen | masks.classes(from & !u64::MAX.checked_shl(end).unwrap_or(0));
                    if ends == 0 {
                        open = Some((start, seen));
                        break;
                    }
                    allcaps += ascii_word(text, lex, words, (start, base + end as usize), seen);
                    open = None;
                    pos = end;
                }
            }
        }
    }
    if let Some((start, seen)) = open {
        allcaps += ascii_word(text, lex, words, (start, bytes.len()), seen);
    }
    allcaps
}

/// Records the ASCII word `text[span]` whose bytes have the classes `seen`; 1 if it is in
/// capitals.
#[inline(always)]
fn ascii_word(
    text: &str,
    lex: &Lexicons,
    words: &mut Words,
    span: (usize, usize),
    seen: u8,
) -> usize {
    let bytes = text.as_bytes();
    let (mut start, mut end) = span;
    // Punctuation has no case, so the case of the whole word is that of the stripped one.
    if seen & PUNCT != 0 {
        while start < end && class_of(bytes[start]) == PUNCT {
            start += 1;
        }
        while end > start && class_of(bytes[end - 1]) == PUNCT {
            end -= 1;
        }
        // Two characters or fewer left: probably an emoticon such as ":)", kept whole.
        if end - start <= 2 {
            (start, end) = span;
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
    usize::from(upper)
}

/// The classes of up to 64 ASCII bytes as bit masks: bit k is byte k.
#[derive(Debug, Default, PartialEq, Eq)]
struct Masks {
    space: u64,
    punct: u64,
    upper: u64,
    lower: u64,
}

impl Masks {
    /// Bytes past the end of a short block count as space, which ends its last word.
    fn of(block: &[u8]) -> Masks {
        let mut masks = Masks::default();
        for_each16(block, |k, chunk| {
            let [space, punct, upper, lower] = classify16(chunk).map(|m| u64::from(m) << (16 * k));
            masks.space |= space;
            masks.punct |= punct;
            masks.upper |= upper;
            masks.lower |= lower;
        });
        if block.len() < 64 {
            masks.space |= u64::MAX << block.len();
        }
        masks
    }

    /// The classes (`PUNCT | UPPER | LOWER`) of the bytes in `span`.
    #[inline]
    fn classes(&self, span: u64) -> u8 {
        let has = |mask: u64, class: u8| if mask & span != 0 { class } else { 0 };
        has(self.punct, PUNCT) | has(self.upper, UPPER) | has(self.lower, LOWER)
    }
}

/// The four 16-byte chunks of a block of at most 64 bytes (`k`, chunk), zeros past its end.
#[inline(always)]
fn for_each16(block: &[u8], mut f: impl FnMut(usize, &[u8; 16])) {
    let mut padded = [0u8; 64];
    let full = match block.first_chunk::<64>() {
        Some(full) => full,
        None => {
            padded[..block.len()].copy_from_slice(block);
            &padded
        }
    };
    for (k, chunk) in full.as_chunks::<16>().0.iter().enumerate() {
        f(k, chunk);
    }
}

/// Bit k set if byte k of `block` (at most 64 bytes) is an ASCII word byte, `[0-9A-Za-z_]`
/// as the regex `(?-u:\w)` has it: for the intent prefilter, which looks for cue words only
/// where words start. Here because the tokenizer's SSE2 byte classes are.
#[inline(always)]
pub(in crate::scoring) fn word_bytes(block: &[u8]) -> u64 {
    let mut mask = 0;
    for_each16(block, |k, chunk| {
        mask |= u64::from(word16(chunk)) << (16 * k)
    });
    mask
}

/// Space, punctuation, upper- and lowercase masks of 16 bytes, as `class_of` tells them, in
/// SSE2: one comparison of all 16 bytes per class boundary.
#[cfg(target_arch = "x86_64")]
#[inline]
fn classify16(chunk: &[u8; 16]) -> [u16; 4] {
    // SAFETY: SSE2 is part of every x86_64 processor.
    unsafe { sse2::classify16(chunk) }
}

/// `word_bytes` of 16 bytes, in SSE2.
#[cfg(target_arch = "x86_64")]
#[inline]
fn word16(chunk: &[u8; 16]) -> u16 {
    // SAFETY: SSE2 is part of every x86_64 processor.
    unsafe { sse2::word16(chunk) }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8,
        _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    #[target_feature(enable = "sse2")]
    pub(super) fn word16(chunk: &[u8; 16]) -> u16 {
        // SAFETY: reads the 16 bytes of `chunk` and no others, with no alignment required.
        let v = unsafe { _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>()) };
        // Setting bit 5 folds A-Z onto a-z and moves no other byte into a-z.
        let letters = range(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', b'z');
        let digits = range(v, b'0', b'9');
        let underscore = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'_' as i8));
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letters, digits), underscore)) as u16
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn classify16(chunk: &[u8; 16]) -> [u16; 4] {
        // SAFETY: reads the 16 bytes of `chunk` and no others, with no alignment required.
        let v = unsafe { _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>()) };
        let space = _mm_or_si128(range(v, b'\t', b'\r'), range(v, 0x1c, b' '));
        let upper = range(v, b'A', b'Z');
        let lower = range(v, b'a', b'z');
        let alnum = _mm_or_si128(_mm_or_si128(upper, lower), range(v, b'0', b'9'));
        let punct = _mm_andnot_si128(alnum, range(v, b'!', b'~'));
        [
            _mm_movemask_epi8(space) as u16,
            _mm_movemask_epi8(punct) as u16,
            _mm_movemask_epi8(upper) as u16,
            _mm_movemask_epi8(lower) as u16,
        ]
    }

    /// Bytes from `lo` to `hi`. Signed comparisons: non-ASCII bytes are negative and fall in
    /// no range.
    #[target_feature(enable = "sse2")]
    fn range(v: __m128i, lo: u8, hi: u8) -> __m128i {
        _mm_and_si128(
            _mm_cmpgt_epi8(v, _mm_set1_epi8((lo - 1) as i8)),
            _mm_cmplt_epi8(v, _mm_set1_epi8((hi + 1) as i8)),
        )
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn classify16(chunk: &[u8; 16]) -> [u16; 4] {
    classify16_scalar(chunk)
}

#[cfg(not(target_arch = "x86_64"))]
fn word16(chunk: &[u8; 16]) -> u16 {
    word16_scalar(chunk)
}

/// An ASCII word byte, `[0-9A-Za-z_]`: what the regex `(?-u:\w)` and `(?-u:\b)` take for one.
pub(in crate::scoring) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `word16` one byte at a time.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn word16_scalar(chunk: &[u8; 16]) -> u16 {
    chunk
        .iter()
        .enumerate()
        .fold(0, |mask, (k, &b)| mask | u16::from(is_word_byte(b)) << k)
}

/// `classify16` one byte at a time: the definition, and the code where SSE2 is missing.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn classify16_scalar(chunk: &[u8; 16]) -> [u16; 4] {
    let mut masks = [0u16; 4];
    for (k, &b) in chunk.iter().enumerate() {
        let class = if b.is_ascii() { class_of(b) } else { 0 };
        for (mask, bit) in masks.iter_mut().zip([SPACE, PUNCT, UPPER, LOWER]) {
            if class == bit {
                *mask |= 1 << k;
            }
        }
    }
    masks
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
    fn byte_classes_in_bulk_match_the_table() {
        let all: Vec<u8> = (0..=255).collect();
        for chunk in all.as_chunks::<16>().0 {
            assert_eq!(classify16(chunk), classify16_scalar(chunk), "{chunk:?}");
        }
        let sample = b" aB,\tZ9:~";
        let text: Vec<u8> = (0..100).map(|i| sample[i % sample.len()]).collect();
        for len in [0, 1, 15, 16, 17, 63, 64] {
            let masks = Masks::of(&text[..len]);
            for (k, &b) in text[..len].iter().enumerate() {
                let bit = |mask: u64| mask >> k & 1 == 1;
                assert_eq!(bit(masks.space), class_of(b) == SPACE, "{len} {k}");
                assert_eq!(bit(masks.punct), class_of(b) == PUNCT, "{len} {k}");
            }
            let past_end = u64::MAX.checked_shl(len as u32).unwrap_or(0);
            assert_eq!(masks.space & past_end, past_end, "{len}");
        }
    }

    #[test]
    fn word_bytes_in_bulk_match_the_definition() {
        let all: Vec<u8> = (0..=255).collect();
        for chunk in all.as_chunks::<16>().0 {
            assert_eq!(word16(chunk), word16_scalar(chunk), "{chunk:?}");
        }
        let text = b"ab_9 Z-@[`{\xc3\xa9!".repeat(5);
        for len in [0, 1, 15, 16, 17, 63, 64] {
            let mask = word_bytes(&text[..len]);
            for (k, &b) in text[..len].iter().enumerate() {
                assert_eq!(mask >> k & 1 == 1, is_word_byte(b), "{len} {k}");
            }
            assert_eq!(mask.checked_shr(len as u32).unwrap_or(0), 0, "{len}");
        }
    }

    #[test]
    fn words_across_blocks() {
        for text in [
            "a".repeat(64),
            format!("{} {}", "b".repeat(63), "CC"),
            format!("{}!! ok", "x".repeat(62)),
            format!("  {}\t:) ", "Word ".repeat(30)),
            String::new(),
            " ".repeat(130),
        ] {
            let mut words = Words::default();
            let tokens = Tokens::new(&text, &mut words);
            let ours: Vec<&str> = (0..tokens.len()).map(|i| tokens.word(i)).collect();
            let reference: Vec<&str> = text
                .split(is_py_space)
                .filter(|w| !w.is_empty())
                .map(strip_punc_if_word)
                .collect();
            assert_eq!(ours, reference, "{text:?}");
        }
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
