//! A compiled cue pattern, with the choice the `regex` crate does not offer: whether the
//! search first looks for the pattern's literal prefixes.

use regex_automata::{Input, meta, util::syntax};

pub(super) struct Cue {
    re: meta::Regex,
    pattern: String,
}

/// Where a cue matched, as `regex::Match` has it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Found<'t> {
    text: &'t str,
    start: usize,
    end: usize,
}

impl<'t> Found<'t> {
    pub(super) fn as_str(&self) -> &'t str {
        &self.text[self.start..self.end]
    }

    pub(super) fn start(&self) -> usize {
        self.start
    }

    pub(super) fn end(&self) -> usize {
        self.end
    }
}

impl Cue {
    /// `prefilter: false` for the long cue lists: their prefixes start with most letters, so
    /// a literal prefilter stops at nearly every word and then hands over to the automaton
    /// anyway. Measured on the English ground-truth texts, praise runs 4.6 times faster
    /// without it, recommendation 2.8 and churn 1.6; the short lists are faster with it.
    pub(super) fn new(pattern: &str, case_insensitive: bool, prefilter: bool) -> Cue {
        // The patterns are constants of `intent`, checked by its unit tests.
        #[allow(clippy::expect_used)]
        let re = meta::Builder::new()
            .configure(
                meta::Config::new()
                    .auto_prefilter(prefilter)
                    // Room for the lazy DFA of the large alternations, so its cache is not
                    // rebuilt over and over while scoring a batch.
                    .hybrid_cache_capacity(16 << 20),
            )
            .syntax(syntax::Config::new().case_insensitive(case_insensitive))
            .build(pattern)
            .expect("intent pattern compiles");
        Cue {
            re,
            pattern: pattern.to_owned(),
        }
    }

    pub(super) fn as_str(&self) -> &str {
        &self.pattern
    }

    pub(super) fn is_match(&self, text: &str) -> bool {
        self.re.is_match(text)
    }

    pub(super) fn find<'t>(&self, text: &'t str) -> Option<Found<'t>> {
        self.re.find(Input::new(text)).map(|m| Found {
            text,
            start: m.start(),
            end: m.end(),
        })
    }

    pub(super) fn find_iter<'t>(&self, text: &'t str) -> impl Iterator<Item = Found<'t>> {
        self.re.find_iter(text).map(move |m| Found {
            text,
            start: m.start(),
            end: m.end(),
        })
    }
}
