//! Which of a few large regexes can match a text, told by one Aho-Corasick pass over literals
//! that every match of each regex must contain.
//!
//! The intent cue families are alternations of hundreds of cue words. An overlapping search of
//! all of them as one lazy DFA walks a state table far larger than the caches, and most texts
//! match none or one family. The literals a match cannot do without ("recommend" in
//! `(i|we) (\w+ )?recommend\w*`) are few and long enough that one pass finds them cheaply; a
//! family whose literal occurs is then confirmed by its own regex. A family for which no such
//! literal exists is always a candidate, so the answer is never narrower than the truth.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

/// A class of at most this many characters is written out as that many one-character
/// literals; larger classes (`\w`, `[0-9]`) require nothing.
const MAX_CLASS_CHARS: u32 = 4;

/// Literals are cut to this many bytes: cut ones merge ("does not wo…" for every verb), which
/// halves the automaton (4.4 to 2.3 MB for the English cues) for 2% more candidates.
const MAX_LITERAL_BYTES: usize = 12;

/// The candidate regexes of a text, as a bit set over the patterns given to `new`.
#[derive(Debug)]
pub(super) struct Prefilter {
    literals: AhoCorasick,
    /// For each literal of `literals`, the patterns that require it (one bit each).
    owners: Vec<u32>,
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
        let mut by_literal: std::collections::BTreeMap<Vec<u8>, u32> = Default::default();
        let mut always = 0;
        for (i, pattern) in patterns.iter().enumerate() {
            let hir = regex_syntax::Parser::new()
                .parse(pattern)
                .map_err(|e| e.to_string())?;
            match required(&hir) {
                Some(literals) => {
                    for mut literal in literals {
                        // A literal's prefix is required too.
                        literal.truncate(MAX_LITERAL_BYTES);
                        *by_literal.entry(literal).or_default() |= 1 << i;
                    }
                }
                None => always |= 1 << i,
            }
        }
        let (literals, owners): (Vec<Vec<u8>>, Vec<u32>) = by_literal.into_iter().unzip();
        let literals = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            // About 2.3 MB for the English cues. A contiguous NFA is a tenth of that, but its
            // walk cost half as much CPU again as the DFA's.
            .kind(Some(AhoCorasickKind::DFA))
            // The literals start with most letters: a prefilter would be consulted at nearly
            // every word and cost more than the DFA steps it skips.
            .prefilter(false)
            .build(&literals)
            .map_err(|e| e.to_string())?;
        let all = if patterns.len() == 32 {
            u32::MAX
        } else {
            (1 << patterns.len()) - 1
        };
        Ok(Prefilter {
            literals,
            owners,
            always,
            all,
        })
    }

    /// Patterns that may match `text` (bit i: pattern i); every pattern that does is among them.
    pub(super) fn candidates(&self, text: &str) -> u32 {
        let mut bits = self.always;
        if bits == self.all {
            return bits;
        }
        // Overlapping: a literal inside another one ("love" in "gloves") must be seen too.
        for m in self.literals.find_overlapping_iter(text) {
            bits |= self.owners[m.pattern().as_usize()];
            if bits == self.all {
                break;
            }
        }
        bits
    }

    /// Patterns that are candidates for every text (no required literal found for them).
    #[cfg(test)]
    pub(super) fn unconstrained(&self) -> u32 {
        self.always
    }
}

/// Literals one of which occurs in every match of `hir`; `None` when no such set was found
/// (the empty match, or only large classes).
fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let found = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(literal) => Some(vec![literal.0.to_vec()]),
        HirKind::Class(class) => class_literals(class),
        HirKind::Repetition(rep) if rep.min > 0 => required(&rep.sub),
        HirKind::Repetition(_) => None,
        HirKind::Capture(capture) => required(&capture.sub),
        HirKind::Concat(parts) => required_in_concat(parts),
        // A match of an alternation is a match of one of its branches: every branch must
        // require something.
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(required(branch)?);
            }
            Some(all)
        }
    };
    // The empty literal occurs in every text: it filters nothing.
    found.filter(|literals| literals.iter().all(|l| !l.is_empty()))
}

/// Every part of a concatenation occurs in each of its matches, and so does every run of
/// consecutive parts: the best of the parts' literals, and of the runs whose whole language
/// is small enough to write out ("does not" + " " + "work"/"load" instead of "work").
fn required_in_concat(parts: &[Hir]) -> Option<Vec<Vec<u8>>> {
    let mut best: Option<Vec<Vec<u8>>> = None;
    let mut consider = |candidate: Option<Vec<Vec<u8>>>| {
        let candidate = candidate.filter(|l| l.iter().all(|l| !l.is_empty()));
        if let Some(candidate) = candidate
            && best
                .as_ref()
                .is_none_or(|b| quality(&candidate) > quality(b))
        {
            best = Some(candidate);
        }
    };
    let mut run: Option<Vec<Vec<u8>>> = None;
    for part in parts {
        match (exact(part), run.take()) {
            (Some(strings), Some(so_far)) => {
                let longer = product(&so_far, &strings);
                if longer.is_none() {
                    consider(Some(so_far));
                }
                run = longer.or(Some(strings));
            }
            (Some(strings), None) => run = Some(strings),
            (None, so_far) => consider(so_far),
        }
        consider(required(part));
    }
    consider(run);
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
fn quality(literals: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = literals.iter().map(Vec::len).min().unwrap_or(0);
    (shortest, std::cmp::Reverse(literals.len()))
}

fn class_literals(class: &Class) -> Option<Vec<Vec<u8>>> {
    let ranges: Vec<(u32, u32)> = match class {
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
    };
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
        required(&hir).map(|l| {
            l.into_iter()
                .map(|b| String::from_utf8(b).unwrap())
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

    #[test]
    fn candidates_cover_every_match() {
        let patterns = [r"\b(love[sd]?|great)\b", r"cancel\w* my", r"\d+ days", "x?"];
        let filter = Prefilter::new(&patterns).unwrap();
        assert_eq!(filter.unconstrained(), 0b1000);
        let regexes: Vec<regex::Regex> = patterns
            .iter()
            .map(|p| regex::Regex::new(p).unwrap())
            .collect();
        for text in [
            "i love it",
            "gloves",
            "cancelled my plan",
            "3 days later",
            "nothing here",
            "",
        ] {
            let found = filter.candidates(text);
            for (i, re) in regexes.iter().enumerate() {
                if re.is_match(text) {
                    assert_ne!(found & 1 << i, 0, "{text:?} matches pattern {i}");
                }
            }
        }
        assert_eq!(filter.candidates("nothing here"), 0b1000);
    }
}
