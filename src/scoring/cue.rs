//! A compiled cue pattern, with the choice the `regex` crate does not offer: whether the
//! search first looks for the pattern's literal prefixes.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

use regex_automata::util::iter::Searcher;
use regex_automata::{Input, meta, util::syntax};

pub(super) struct Cue {
    re: meta::Regex,
    pattern: String,
    /// This cue's slot in every thread's `CACHES`.
    id: usize,
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Each thread's search caches, one per cue. The regex's own pool hands its cache to
    /// one thread quickly and to every other through a lock, on each of the several
    /// searches a text takes; a scoring thread owning its caches pays neither.
    static CACHES: RefCell<Vec<Option<meta::Cache>>> = const { RefCell::new(Vec::new()) };
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
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Runs `search` with this thread's cache for this cue. A search runs no other, so the
    /// borrow never nests.
    fn with_cache<R>(&self, search: impl FnOnce(&meta::Regex, &mut meta::Cache) -> R) -> R {
        CACHES.with_borrow_mut(|caches| {
            if caches.len() <= self.id {
                caches.resize_with(self.id + 1, || None);
            }
            let cache = caches[self.id].get_or_insert_with(|| self.re.create_cache());
            search(&self.re, cache)
        })
    }

    pub(super) fn as_str(&self) -> &str {
        &self.pattern
    }

    pub(super) fn is_match(&self, text: &str) -> bool {
        self.with_cache(|re, cache| re.is_match_with(cache, &Input::new(text)))
    }

    pub(super) fn find<'t>(&self, text: &'t str) -> Option<Found<'t>> {
        let found = self.with_cache(|re, cache| re.search_with(cache, &Input::new(text)));
        found.map(|m| Found {
            text,
            start: m.start(),
            end: m.end(),
        })
    }

    pub(super) fn find_iter<'t>(&self, text: &'t str) -> impl Iterator<Item = Found<'t>> {
        let mut searcher = Searcher::new(Input::new(text));
        std::iter::from_fn(move || {
            self.with_cache(|re, cache| searcher.advance(|input| Ok(re.search_with(cache, input))))
        })
        .map(move |m| Found {
            text,
            start: m.start(),
            end: m.end(),
        })
    }
}
