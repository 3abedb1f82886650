//! Which of a few large regexes can match a text, told by one pass over literals that every
//! match of each regex must contain.
//!
//! The intent cue families are alternations of hundreds of cue words. An overlapping search of
//! all of them as one lazy DFA walks a state table far larger than the caches, and most texts
//! match none or one family. The literals a match cannot do without ("recommend" in
//! `(i|we) (\w+ )?recommend\w*`) are few and long enough that one pass finds them cheaply; a
//! family whose literal occurs is then confirmed by its own regex. A family for which no such
//! literal exists is always a candidate, so the answer is never narrower than the truth.

use memchr::memmem;
use regex_syntax::hir::{Class, Hir, HirKind, Look};
use rustc_hash::FxHashMap;

use super::vader::{is_word_byte, word_bytes};

/// A class of at most this many characters is written out as that many one-character
/// literals; larger classes (`\w`, `[0-9]`) require nothing.
const MAX_CLASS_CHARS: u32 = 4;

/// Literals are cut to this many bytes (a literal's prefix is required too): cut ones merge
/// ("does not wo…" for every verb), and a few bytes more rarely tell a text apart.
const MAX_LITERAL_BYTES: usize = 12;

/// The candidate regexes of a text, as a bit set over the patterns given to `new`.
#[derive(Debug)]
pub(super) struct Prefilter {
    literals: Literals,
    /// Patterns with no literal required: candidates for every text.
    always: u32,
    all: u32,
}

impl Prefilter {
    /// Built from the patterns' syntax as the `regex` crate's default parser reads it
    /// (case-sensitive, Unicode). At most 32 patterns.
    pub(super) fn new(patterns: &[&str]) -> Result<Prefilter, String> {
        if patterns.len() > 32 {
            return Err(format!("{} patterns, at most 32", patterns.len()));
        }
        // Literal → its owners, and whether every owner's occurrence starts a word.
        let mut by_literal: std::collections::BTreeMap<Vec<u8>, (u32, bool)> = Default::default();
        let mut always = 0;
        for (i, pattern) in patterns.iter().enumerate() {
            let hir = regex_syntax::Parser::new()
                .parse(pattern)
                .map_err(|e| e.to_string())?;
            // A match may begin anywhere: not only at a word.
            match required(&hir, false) {
                Some(literals) => {
                    for Required {
                        mut bytes,
                        word_start,
                    } in literals
                    {
                        bytes.truncate(MAX_LITERAL_BYTES);
                        let (owners, starts) = by_literal.entry(bytes).or_insert((0, true));
                        *owners |= 1 << i;
                        *starts &= word_start;
                    }
                }
                None => always |= 1 << i,
            }
        }
        let all = if patterns.len() == 32 {
            u32::MAX
        } else {
            (1 << patterns.len()) - 1
        };
        Ok(Prefilter {
            literals: Literals::new(by_literal)?,
            always,
            all,
        })
    }

    /// Patterns that may match `text` (bit i: pattern i); every pattern that does is among them.
    pub(super) fn candidates(&self, text: &str) -> u32 {
        let bits = self.always;
        if bits == self.all {
            return bits;
        }
        self.literals.owners_in(text.as_bytes(), bits, self.all)
    }

    /// Patterns that are candidates for every text (no required literal found for them).
    #[cfg(test)]
    pub(super) fn unconstrained(&self) -> u32 {
        self.always
    }

    /// Whether only the windows where words start are looked at (see `Literals`).
    #[cfg(test)]
    pub(super) fn word_starts_only(&self) -> bool {
        self.literals.word_starts_only
    }
}

/// Finds every occurrence of a set of literals, overlapping ones included ("love" in "gloves"),
/// and reports who owns them.
///
/// Literals of four bytes or more are found by their first four bytes: each four-byte window
/// of the text is hashed into a small bit map (8 KB, so it stays in the first-level cache),
/// and only a window whose bit is set is looked up and compared with the literals starting
/// with it. Unlike a walk through an automaton, where each step waits for the state the
/// previous one loaded, the windows are independent of each other, and the processor works on
/// several at once. The few shorter literals are each searched for on their own (SIMD).
#[derive(Debug)]
struct Literals {
    /// Bit `slot(w)` is set for the first four bytes `w` of every long literal. A fixed-size
    /// array: every slot is in bounds by type, so the hot loop has no bounds checks.
    seen: Box<[u64; SEEN_WORDS]>,
    /// Long literals by their first four bytes: a range of `rest`.
    by_prefix: FxHashMap<u32, (u32, u32)>,
    /// What follows each long literal's first four bytes, and the literal's owners.
    rest: Vec<(Tail, u32)>,
    /// Literals under four bytes, and their owners.
    short: Vec<(memmem::Finder<'static>, u32)>,
    /// Every long literal starts a word wherever a match needs it (as the cue words after
    /// `\b` do) or starts with a non-ASCII byte (emoji): then in ASCII text only the windows
    /// where words start are looked at, a fifth of them in prose.
    word_starts_only: bool,
}

/// Bits of the window hash: a 2^16-bit map is 8 KB.
const HASH_BITS: u32 = 16;
const SEEN_WORDS: usize = (1 << HASH_BITS) / 64;

fn slot(window: u32) -> usize {
    (window.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

impl Literals {
    /// From each literal's owners and whether it always starts a word.
    fn new(
        by_literal: std::collections::BTreeMap<Vec<u8>, (u32, bool)>,
    ) -> Result<Literals, String> {
        let mut literals = Literals {
            seen: Box::new([0u64; SEEN_WORDS]),
            by_prefix: FxHashMap::default(),
            rest: Vec::new(),
            short: Vec::new(),
            word_starts_only: true,
        };
        // The map is sorted, so literals sharing their first four bytes are neighbours.
        for (literal, (owners, word_start)) in by_literal {
            let Some((head, tail)) = literal.split_first_chunk::<4>() else {
                literals
                    .short
                    .push((memmem::Finder::new(&literal).into_owned(), owners));
                continue;
            };
            literals.word_starts_only &= word_start || !head[0].is_ascii();
            let window = u32::from_le_bytes(*head);
            let h = slot(window);
            literals.seen[h / 64] |= 1 << (h % 64);
            let at = u32::try_from(literals.rest.len()).map_err(|e| e.to_string())?;
            literals.by_prefix.entry(window).or_insert((at, at)).1 = at + 1;
            literals.rest.push((Tail::new(tail), owners));
        }
        Ok(literals)
    }

    /// `bits` plus the owners of every literal in `text`, stopping early once `bits` is `all`.
    fn owners_in(&self, text: &[u8], mut bits: u32, all: u32) -> u32 {
        for (finder, owners) in &self.short {
            if owners & !bits != 0 && finder.find(text).is_some() {
                bits |= owners;
            }
        }
        if self.word_starts_only && text.is_ascii() {
            return self.owners_at_word_starts(text, bits, all);
        }
        let mut at = 0;
        while let Some(i) = self.next_marked(text, at) {
            at = i + 1;
            bits = self.owners_at(text, i, bits);
            if bits == all {
                break;
            }
        }
        bits
    }

    /// `owners_in` for long literals that all start words: the window of each word start.
    fn owners_at_word_starts(&self, text: &[u8], mut bits: u32, all: u32) -> u32 {
        let mut word_before = false;
        for (c, block) in text.chunks(64).enumerate() {
            let word = word_bytes(block);
            let mut starts = word & !(word << 1 | u64::from(word_before));
            word_before = word >> 63 != 0;
            while starts != 0 {
                let i = c * 64 + starts.trailing_zeros() as usize;
                starts &= starts - 1;
                let Some(window) = text.get(i..).and_then(<[u8]>::first_chunk::<4>) else {
                    // Later word starts are closer still to the end.
                    return bits;
                };
                if self.marked(u32::from_le_bytes(*window)) {
                    bits = self.owners_at(text, i, bits);
                    if bits == all {
                        return bits;
                    }
                }
            }
        }
        bits
    }

    /// `bits` plus the owners of the long literals at `text[i..]` (which has four bytes).
    #[inline(always)]
    fn owners_at(&self, text: &[u8], i: usize, mut bits: u32) -> u32 {
        let window = u32::from_le_bytes([text[i], text[i + 1], text[i + 2], text[i + 3]]);
        let Some(&(from, to)) = self.by_prefix.get(&window) else {
            return bits;
        };
        let after = &text[i + 4..];
        let next8 = after.first_chunk::<8>().map(|b| u64::from_le_bytes(*b));
        for (tail, owners) in &self.rest[from as usize..to as usize] {
            if owners & !bits != 0 && tail.opens(after, next8) {
                bits |= owners;
            }
        }
        bits
    }

    /// The first position from `at` on whose four-byte window has its bit set. A loop of its
    /// own, with nothing else live, so that it compiles to a few instructions per byte.
    #[inline(always)]
    fn next_marked(&self, text: &[u8], at: usize) -> Option<usize> {
        text.get(at..)?
            .array_windows::<4>()
            .position(|w| self.marked(u32::from_le_bytes(*w)))
            .map(|k| at + k)
    }

    /// Whether `window`'s bit is set: it may be the first four bytes of a long literal.
    #[inline(always)]
    fn marked(&self, window: u32) -> bool {
        let h = slot(window);
        self.seen[h / 64] & (1 << (h % 64)) != 0
    }
}

/// What follows a long literal's first four bytes: at most eight bytes (literals are cut to
/// `MAX_LITERAL_BYTES`), kept as an integer and a mask so that one compare tells whether it
/// follows.
#[derive(Debug)]
struct Tail {
    value: u64,
    mask: u64,
    len: usize,
}

const _: () = assert!(MAX_LITERAL_BYTES <= 12);

impl Tail {
    fn new(bytes: &[u8]) -> Tail {
        let mask = u64::MAX
            .checked_shr(64 - 8 * bytes.len() as u32)
            .unwrap_or(0);
        Tail {
            value: first8(bytes),
            mask,
            len: bytes.len(),
        }
    }

    /// Whether `after` starts with this tail; `next8` is its first eight bytes, if it has
    /// them (read once for all the tails of a window).
    #[inline(always)]
    fn opens(&self, after: &[u8], next8: Option<u64>) -> bool {
        let next = match next8 {
            Some(next) => next,
            None if after.len() < self.len => return false,
            None => first8(after),
        };
        next & self.mask == self.value
    }
}

/// The first eight bytes of `bytes` as a little-endian integer, zeros where it is shorter.
fn first8(bytes: &[u8]) -> u64 {
    let mut padded = [0u8; 8];
    let n = bytes.len().min(8);
    padded[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(padded)
}

/// A literal that every match must contain, and whether that occurrence always starts a word:
/// its first byte is an ASCII word byte (`[0-9A-Za-z_]`) and the byte before is not one (or
/// there is none). Such literals need looking for only where words start.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Required {
    bytes: Vec<u8>,
    word_start: bool,
}

impl Required {
    /// `bytes` where the position before them `starts_words` (see `after`). Leading ASCII
    /// bytes that are not word bytes are dropped when a word byte follows them: what remains
    /// is required too, and starts a word (" good" from "sooo+ good" is "good").
    fn new(bytes: Vec<u8>, starts_words: bool) -> Required {
        let lead = bytes
            .iter()
            .take_while(|&&b| b.is_ascii() && !is_word_byte(b))
            .count();
        if lead > 0 && bytes.get(lead).copied().is_some_and(is_word_byte) {
            return Required {
                bytes: bytes[lead..].to_vec(),
                word_start: true,
            };
        }
        let word_start = starts_words && bytes.first().copied().is_some_and(is_word_byte);
        Required { bytes, word_start }
    }
}

/// Literals one of which occurs in every match of `hir`; `None` when no such set was found
/// (the empty match, or only large classes). `starts_words`: a word byte at the position where
/// `hir`'s match begins is always the start of a word.
fn required(hir: &Hir, starts_words: bool) -> Option<Vec<Required>> {
    let found = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(literal) => Some(vec![Required::new(literal.0.to_vec(), starts_words)]),
        HirKind::Class(class) => class_literals(class).map(|members| {
            members
                .into_iter()
                .map(|m| Required::new(m, starts_words))
                .collect()
        }),
        // The first repetition begins where the whole does.
        HirKind::Repetition(rep) if rep.min > 0 => required(&rep.sub, starts_words),
        HirKind::Repetition(_) => None,
        HirKind::Capture(capture) => required(&capture.sub, starts_words),
        HirKind::Concat(parts) => required_in_concat(parts, starts_words),
        // A match of an alternation is a match of one of its branches: every branch must
        // require something.
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(required(branch, starts_words)?);
            }
            Some(all)
        }
    };
    // The empty literal occurs in every text: it filters nothing.
    found.filter(|literals| literals.iter().all(|l| !l.bytes.is_empty()))
}

/// Whether a word byte right after a match of `hir` starts a word, given whether one right
/// before it does: after `\b`, `^` or a last byte that is not a word byte. Never true where
/// that is not certain.
fn after(hir: &Hir, starts_words: bool) -> bool {
    match hir.kind() {
        HirKind::Empty => starts_words,
        HirKind::Look(look) => starts_words || opens_words(*look),
        HirKind::Literal(literal) => literal.0.last().is_some_and(|&b| !is_word_byte(b)),
        HirKind::Class(class) => !class_has_word_byte(class),
        // Each repetition after the first begins where one ended; none leaves the position.
        HirKind::Repetition(rep) => after(&rep.sub, false) && (rep.min > 0 || starts_words),
        HirKind::Capture(capture) => after(&capture.sub, starts_words),
        HirKind::Concat(parts) => parts.iter().fold(starts_words, |at, part| after(part, at)),
        HirKind::Alternation(branches) => branches.iter().all(|b| after(b, starts_words)),
    }
}

/// Assertions after which a word byte starts a word: the text or a line begins there, or a
/// word boundary is there (so the byte before, if any, is not a word byte).
fn opens_words(look: Look) -> bool {
    matches!(
        look,
        Look::Start
            | Look::StartLF
            | Look::StartCRLF
            | Look::WordAscii
            | Look::WordUnicode
            | Look::WordStartAscii
            | Look::WordStartUnicode
            | Look::WordStartHalfAscii
            | Look::WordStartHalfUnicode
    )
}

/// Whether any member of `class` is an ASCII word byte (a non-ASCII character's bytes never
/// are).
fn class_has_word_byte(class: &Class) -> bool {
    let ranges = class_ranges(class);
    ranges.iter().any(|&(start, end)| {
        (start..=end.min(0x7f)).any(|c| u8::try_from(c).is_ok_and(is_word_byte))
    })
}

/// The ranges of a class's members, as code points or bytes.
fn class_ranges(class: &Class) -> Vec<(u32, u32)> {
    match class {
        Class::Unicode(class) => class
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Bytes(class) => class
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    }
}

/// Every part of a concatenation occurs in each of its matches, and so does every run of
/// consecutive parts: the best of the parts' literals, and of the runs whose whole language
/// is small enough to write out ("does not" + " " + "work"/"load" instead of "work").
fn required_in_concat(parts: &[Hir], starts_words: bool) -> Option<Vec<Required>> {
    let mut best: Option<Vec<Required>> = None;
    let mut consider = |candidate: Option<Vec<Required>>| {
        let candidate = candidate.filter(|l| l.iter().all(|l| !l.bytes.is_empty()));
        if let Some(candidate) = candidate
            && best
                .as_ref()
                .is_none_or(|b| quality(&candidate) > quality(b))
        {
            best = Some(candidate);
        }
    };
    let written = |strings: Vec<Vec<u8>>, at: bool| {
        Some(strings.into_iter().map(|s| Required::new(s, at)).collect())
    };
    // Whether a word byte where the current part (and a run starting there) begins starts a
    // word; a zero-width assertion starting a run holds where the run's strings begin.
    let mut at = starts_words;
    let mut run: Option<(Vec<Vec<u8>>, bool)> = None;
    for part in parts {
        let run_at = at || matches!(part.kind(), HirKind::Look(look) if opens_words(*look));
        match (exact(part), run.take()) {
            (Some(strings), Some((so_far, so_far_at))) => {
                run = Some(match product(&so_far, &strings) {
                    Some(longer) => (longer, so_far_at),
                    None => {
                        consider(written(so_far, so_far_at));
                        (strings, run_at)
                    }
                });
            }
            (Some(strings), None) => run = Some((strings, run_at)),
            (None, so_far) => consider(so_far.and_then(|(s, a)| written(s, a))),
        }
        consider(required(part, at));
        at = after(part, at);
    }
    consider(run.and_then(|(s, a)| written(s, a)));
    best
}

/// Most strings a written-out language may have.
const MAX_EXACT: usize = 256;

/// Every string `hir` can match, when they are few; assertions (`\b`, `^`) are dropped,
/// which only adds strings.
fn exact(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![Vec::new()]),
        HirKind::Literal(literal) => Some(vec![literal.0.to_vec()]),
        HirKind::Class(class) => class_literals(class),
        HirKind::Capture(capture) => exact(&capture.sub),
        HirKind::Repetition(rep) => {
            let max = rep.max?;
            if max > 2 {
                return None;
            }
            let sub = exact(&rep.sub)?;
            let mut all = Vec::new();
            let mut power = vec![Vec::new()];
            for k in 0..=max {
                if k >= rep.min {
                    all.extend(power.iter().cloned());
                }
                power = product(&power, &sub)?;
            }
            (all.len() <= MAX_EXACT).then_some(all)
        }
        HirKind::Concat(parts) => parts.iter().try_fold(vec![Vec::new()], |so_far, part| {
            product(&so_far, &exact(part)?)
        }),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(exact(branch)?);
                if all.len() > MAX_EXACT {
                    return None;
                }
            }
            Some(all)
        }
    }
}

/// Each string of `a` followed by each of `b`, unless that makes more than `MAX_EXACT`.
fn product(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > MAX_EXACT {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| [x.as_slice(), y].concat()))
            .collect(),
    )
}

/// Longer shortest literal first (a one-letter literal occurs in nearly every text), then
/// fewer literals.
fn quality(literals: &[Required]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = literals.iter().map(|l| l.bytes.len()).min().unwrap_or(0);
    (shortest, std::cmp::Reverse(literals.len()))
}

fn class_literals(class: &Class) -> Option<Vec<Vec<u8>>> {
    let ranges = class_ranges(class);
    let size: u32 = ranges.iter().map(|(start, end)| end - start + 1).sum();
    if size == 0 || size > MAX_CLASS_CHARS {
        return None;
    }
    let members = ranges.into_iter().flat_map(|(start, end)| start..=end);
    members
        .map(|member| match class {
            Class::Unicode(_) => char::from_u32(member).map(|c| c.to_string().into_bytes()),
            Class::Bytes(_) => u8::try_from(member).ok().map(|b| vec![b]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::Parser::new().parse(pattern).unwrap();
        required(&hir, false).map(|l| {
            l.into_iter()
                .map(|l| String::from_utf8(l.bytes).unwrap())
                .collect()
        })
    }

    #[test]
    fn best_part_of_a_concatenation() {
        assert_eq!(
            literals(r"\b(i|we) (\w+ )?recommend\w*\b").unwrap(),
            ["recommend"]
        );
        assert_eq!(
            literals(r"\b(does not|doesn'?t) (work|load)").unwrap(),
            [
                "does not work",
                "does not load",
                "doesnt work",
                "doesnt load",
                "doesn't work",
                "doesn't load"
            ]
        );
        assert_eq!(
            literals(r"[0-3]/10").unwrap(),
            ["0/10", "1/10", "2/10", "3/10"]
        );
        assert_eq!(literals(r"\w+"), None);
        assert_eq!(literals(r"a|\d+"), None);
        assert_eq!(literals(r"(ab)?c"), Some(vec!["c".to_owned()]));
    }

    /// Every pattern that matches one of `texts` is among the filter's candidates for it.
    fn assert_covers(filter: &Prefilter, patterns: &[&str], texts: &[&str]) {
        let regexes: Vec<regex::Regex> = patterns
            .iter()
            .map(|p| regex::Regex::new(p).unwrap())
            .collect();
        for text in texts {
            let found = filter.candidates(text);
            for (i, re) in regexes.iter().enumerate() {
                if re.is_match(text) {
                    assert_ne!(found & 1 << i, 0, "{text:?} matches pattern {i}");
                }
            }
        }
    }

    #[test]
    fn candidates_cover_every_match() {
        let patterns = [
            r"\b(love[sd]?|great)\b",
            r"cancel\w* my",
            r"\d+ days",
            "x?",
            r"a\+|ba[dt]",
        ];
        let filter = Prefilter::new(&patterns).unwrap();
        assert_eq!(filter.unconstrained(), 0b1000);
        assert_covers(
            &filter,
            &patterns,
            &[
                "i love it",
                "gloves",
                "cancelled my plan",
                "3 days later",
                "nothing here",
                "",
                "a+",
                "so bad",
                "bat",
                "i love",
                "love",
            ],
        );
        assert_eq!(filter.candidates("nothing here"), 0b1000);
        // Literals at the very start and end, and short ones (under four bytes).
        assert_eq!(filter.candidates("love"), 0b1001);
        assert_eq!(filter.candidates("i love"), 0b1001);
        assert_eq!(filter.candidates("bat"), 0b11000);
        assert_eq!(filter.candidates("grade a+"), 0b11000);
    }

    /// The integer compare of a tail agrees with comparing its bytes, for every length and
    /// with or without eight bytes of text after it.
    #[test]
    fn tails_compare_as_their_bytes() {
        let text = b"abcdefghij";
        for len in 0..=8 {
            for (k, variant) in [&text[..len], b"abcdefgX".get(..len).unwrap()]
                .iter()
                .enumerate()
            {
                let tail = Tail::new(variant);
                for end in 0..=text.len() {
                    let after = &text[..end];
                    let next8 = after.first_chunk::<8>().map(|b| u64::from_le_bytes(*b));
                    assert_eq!(
                        tail.opens(after, next8),
                        after.starts_with(variant),
                        "tail {variant:?} ({k}) after {after:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn literals_after_a_boundary_or_a_space_start_words() {
        let starts = |pattern: &str| {
            let hir = regex_syntax::Parser::new().parse(pattern).unwrap();
            required(&hir, false)
                .unwrap()
                .into_iter()
                .map(|l| (String::from_utf8(l.bytes).unwrap(), l.word_start))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            starts(r"\b(love|great)"),
            [("love".into(), true), ("great".into(), true)]
        );
        assert_eq!(
            starts(r"(i|we) (\w+ )?recommend"),
            [("recommend".into(), true)]
        );
        assert_eq!(starts(r"sooo+ good"), [("good".into(), true)]);
        assert_eq!(
            starts(r"^\s*(how|what) is"),
            [("how is".into(), true), ("what is".into(), true)]
        );
        // No boundary: "cancel" also occurs inside "precancel".
        assert_eq!(starts(r"cancel\w* my"), [("cancel".into(), false)]);
        assert_eq!(starts(r"\b(x|\w)cancel"), [("cancel".into(), false)]);
        assert_eq!(
            starts(r"\bno|cancel"),
            [("no".into(), true), ("cancel".into(), false)]
        );
    }

    #[test]
    fn word_start_scan_finds_what_the_regexes_match() {
        let patterns = [
            r"\b(love[sd]?|great|thank you)\b",
            r"\bcancel\w* (my|our)",
            r"\b(so|really) (good|bad)|sooo+ good",
            "🙃|\\bnever again",
        ];
        let filter = Prefilter::new(&patterns).unwrap();
        assert!(filter.literals.word_starts_only);
        let long = format!("{}great", "x".repeat(60));
        let across = format!("{} cancelled our plan, soooo good", "y ".repeat(30));
        let carried = format!("{}great", "x".repeat(64));
        assert_covers(
            &filter,
            &patterns,
            &[
                "love",
                "i love it",
                "gloves and greatness",
                "_love",
                "thank you!",
                "thank  you",
                "we cancelled my plan",
                "precancelled my plan",
                "it was sooooo good",
                "really bad",
                "oh 🙃 never again",
                "niceloves",
                &long,
                &across,
                &carried,
                "",
                "lov",
            ],
        );
        assert_eq!(filter.candidates("gloves and greatness"), 0b0001);
        assert_eq!(filter.candidates("niceloves"), 0);
        assert_eq!(filter.candidates(&long), 0);
        assert_eq!(filter.candidates(&carried), 0);
        assert_eq!(
            filter.candidates(&format!("{} great", "x".repeat(63))),
            0b0001
        );
    }
}
