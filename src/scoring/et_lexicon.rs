//! The Estonian valence lexicon: fanwatch's own word list (`data/sentiment/et_lexicon.tsv`,
//! compiled in) and phrases (`data/sentiment/et_phrases.tsv`), optionally extended at run
//! time with the EKI valence lexicon (`sqnad.csv`, GPL-3.0, which is why it is never
//! compiled in).
//!
//! Estonian inflects heavily (one adjective has some 30 forms), so a word is found by its
//! exact form, then by its Snowball stem (`tantivy-stemmers`' Estonian algorithm), then by the
//! longest `stem*` prefix entry, which covers gradation the stemmer does not undo
//! (halb → halva-, viga → vea-).

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use tantivy_stemmers::algorithms::estonian_freienthal as stem;

const BUILTIN_WORDS: &str = include_str!("../../data/sentiment/et_lexicon.tsv");
const BUILTIN_PHRASES: &str = include_str!("../../data/sentiment/et_phrases.tsv");

/// Prefix entries shorter than this would match unrelated words.
const MIN_PREFIX_CHARS: usize = 4;
/// EKI polarities are signs only; these put them on VADER's scale. They count as weak
/// evidence: the list flags many forms of words that are neutral in most uses (its authors'
/// own check found positive precision weak), and stronger values pulled neutral news to a
/// side (EKI tuning part macro-F1 0.646 at 1.5, 0.657 at 0.8, 0.689 at 0.4; 0.697 at 0.4
/// with the later verb-form and negator rules). Insults (-8) stay clearly negative.
const EKI_VALENCE: f64 = 0.4;
const EKI_EXTREME: f64 = -1.5;
const EKI_UNCERTAIN_WEIGHT: f64 = 0.5;
/// "without X-ing" is weaker than the opposite of X: lahendamata is not a failure, vigadeta
/// (without flaws) is mild praise.
const ABESSIVE_SCALAR: f64 = -0.5;
/// The privative -tu (edutu "unsuccessful", abitu "helpless", muretu "carefree") and the
/// prefix eba- (ebakasulik "not useful") make the opposite of the word they are built on.
const PRIVATIVE_SCALAR: f64 = -0.8;
/// Singular forms of -tu adjectives and the -tult adverb, longest first. The plural -tud
/// and -tute are left out: they are the passive participle (tehtud, armastatud) as often.
const PRIVATIVE_ENDINGS: &[&str] = &["tult", "tuks", "tut", "tu"];

#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct LexiconError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// How a token was found, for explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    Exact,
    Stem,
    Prefix,
    /// Only in the EKI lexicon.
    Eki,
}

impl MatchKind {
    /// How a form derived from a found word (lahendamata from lahendama, edutu from edu) was
    /// found: by its stem in our lexicon, or still through EKI.
    fn derived(self) -> MatchKind {
        if self == MatchKind::Eki {
            self
        } else {
            MatchKind::Stem
        }
    }

    pub fn rule(self) -> &'static str {
        match self {
            MatchKind::Exact => "lexicon: exact form",
            MatchKind::Stem => "lexicon: same stem",
            MatchKind::Prefix => "lexicon: stem prefix",
            MatchKind::Eki => "EKI lexicon",
        }
    }
}

/// The words after a phrase's first one, and the phrase's valence.
type Phrase = (Vec<Box<str>>, f64);

#[derive(Debug, Default)]
pub struct EtLexicon {
    exact: FxHashMap<Box<str>, f64>,
    stems: FxHashMap<Box<str>, f64>,
    ambiguous_stems: rustc_hash::FxHashSet<Box<str>>,
    prefixes: FxHashMap<Box<str>, f64>,
    /// Multi-word entries by their first word.
    phrases: FxHashMap<Box<str>, Vec<Phrase>>,
    /// `=form` entries: found only as written, never as a guessed lemma of another form.
    exact_only: rustc_hash::FxHashSet<Box<str>>,
    longest_prefix: usize,
    /// EKI forms and stems, consulted only when fanwatch's own entries find nothing: an EKI
    /// form must not shadow one of our stems or prefixes (õnnetuse*, halva*).
    eki_exact: FxHashMap<Box<str>, f64>,
    eki_stems: FxHashMap<Box<str>, f64>,
}

impl EtLexicon {
    /// The lexicon and phrases compiled into fanwatch.
    pub fn builtin() -> Result<EtLexicon, LexiconError> {
        let mut lexicon = EtLexicon::default();
        lexicon.add_tsv(BUILTIN_WORDS, Path::new("data/sentiment/et_lexicon.tsv"))?;
        lexicon.add_tsv(BUILTIN_PHRASES, Path::new("data/sentiment/et_phrases.tsv"))?;
        Ok(lexicon)
    }

    /// Adds `term<TAB>valence` lines; `#` starts a comment line. A term is a lemma or word form
    /// (also found by its stem), `=form` (this exact form only: its stem would collide with
    /// unrelated words, as tänan/täna), `stem*` (a prefix), or several words (a phrase).
    pub fn add_tsv(&mut self, text: &str, origin: &Path) -> Result<(), LexiconError> {
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| LexiconError {
                path: origin.to_owned(),
                line: index + 1,
                message,
            };
            let (term, valence) = line
                .split_once('\t')
                .ok_or_else(|| err("expected `term<TAB>valence`".to_owned()))?;
            let valence: f64 = valence
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && (-4.0..=4.0).contains(v))
                .ok_or_else(|| err(format!("valence {valence:?} is not a number in [-4, 4]")))?;
            self.insert(&term.trim().to_lowercase(), valence)
                .map_err(err)?;
        }
        Ok(())
    }

    fn insert(&mut self, term: &str, valence: f64) -> Result<(), String> {
        if term.contains(' ') {
            let mut words = term
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(Box::<str>::from);
            let first = words.next().ok_or("empty phrase")?;
            self.phrases
                .entry(first)
                .or_default()
                .push((words.collect(), valence));
        } else if let Some(prefix) = term.strip_suffix('*') {
            let chars = prefix.chars().count();
            if chars < MIN_PREFIX_CHARS {
                return Err(format!(
                    "prefix {term:?} is shorter than {MIN_PREFIX_CHARS} letters"
                ));
            }
            self.longest_prefix = self.longest_prefix.max(chars);
            self.prefixes.insert(prefix.into(), valence);
        } else if let Some(form) = term.strip_prefix('=') {
            if form.is_empty() {
                return Err("empty term".to_owned());
            }
            self.exact.insert(form.into(), valence);
            self.exact_only.insert(form.into());
        } else if term.is_empty() {
            return Err("empty term".to_owned());
        } else {
            self.exact.insert(term.into(), valence);
            self.add_stem(stem(term).into(), valence);
        }
        Ok(())
    }

    /// Words of opposite polarity can share a stem (õnnetus "accident" and õnne "luck" both
    /// stem to "õnne"); such a stem says nothing and is dropped, leaving the exact forms.
    fn add_stem(&mut self, stem: Box<str>, valence: f64) {
        if self.ambiguous_stems.contains(&stem) {
            return;
        }
        match self.stems.get(&stem) {
            Some(existing) if existing.signum() != valence.signum() => {
                self.stems.remove(&stem);
                self.ambiguous_stems.insert(stem);
            }
            Some(_) => {}
            None => {
                self.stems.insert(stem, valence);
            }
        }
    }

    /// Loads the EKI valence lexicon (`sqnad.csv`: `wordform,polarity,POS[,notes]`, polarity
    /// 1, -1 or -8 for insults, a leading `?` marking uncertain entries). fanwatch's own
    /// entries win where both have a word.
    pub fn add_eki(&mut self, path: &Path) -> Result<(), LexiconError> {
        let text = std::fs::read_to_string(path).map_err(|e| LexiconError {
            path: path.to_owned(),
            line: 0,
            message: format!("cannot read the EKI lexicon: {e}"),
        })?;
        let mut added = 0usize;
        let mut stem_votes: FxHashMap<Box<str>, (f64, u32)> = FxHashMap::default();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = line.split(',');
            let (Some(word), Some(polarity)) = (fields.next(), fields.next()) else {
                return Err(LexiconError {
                    path: path.to_owned(),
                    line: index + 1,
                    message: "expected `wordform,polarity,POS`".to_owned(),
                });
            };
            let (word, weight) = match word.strip_prefix('?') {
                Some(w) => (w, EKI_UNCERTAIN_WEIGHT),
                None => (word, 1.0),
            };
            let valence = match polarity.trim() {
                "1" => EKI_VALENCE,
                "-1" => -EKI_VALENCE,
                "-8" => EKI_EXTREME,
                other => {
                    return Err(LexiconError {
                        path: path.to_owned(),
                        line: index + 1,
                        message: format!("polarity {other:?} is not 1, -1 or -8"),
                    });
                }
            } * weight;
            let word = word.trim().to_lowercase();
            if word.is_empty() || word.contains(' ') {
                continue;
            }
            let vote = stem_votes.entry(stem(&word).into()).or_default();
            vote.0 += valence;
            vote.1 += 1;
            if !self.exact.contains_key(word.as_str()) {
                self.eki_exact.insert(word.into(), valence);
                added += 1;
            }
        }
        for (stem, (sum, count)) in stem_votes {
            if !self.stems.contains_key(&stem) && !self.ambiguous_stems.contains(&stem) {
                self.eki_stems.insert(stem, sum / f64::from(count));
            }
        }
        tracing::info!(path = %path.display(), added, "loaded the EKI valence lexicon");
        Ok(())
    }

    /// Valence of one lowercase word and how it was found.
    pub fn lookup(&self, word: &str) -> Option<(f64, MatchKind)> {
        if let Some(v) = self.exact.get(word) {
            return Some((*v, MatchKind::Exact));
        }
        // The abessive -mata ("without ...ing") reverses its verb: lahendamata (unresolved),
        // kaotamata (without losing). The stemmer maps it onto the verb's stem unchanged.
        if let Some(verb) = word.strip_suffix("mata").filter(|b| b.chars().count() >= 3) {
            return self
                .lookup(&format!("{verb}ma"))
                .map(|(v, m)| (v * ABESSIVE_SCALAR, m.derived()));
        }
        if let Some(found) = self.privative(word) {
            return Some(found);
        }
        if let Some(found) = self.abessive(word) {
            return Some(found);
        }
        if word.chars().all(char::is_alphabetic) {
            if let Some(v) = self.stems.get(stem(word).as_ref()) {
                return Some((*v, MatchKind::Stem));
            }
            // Nominative forms first, then the ma-infinitives of verb forms.
            if let Some(v) = lemma_guesses(word)
                .chain(verb_guesses(word))
                .filter(|lemma| !self.exact_only.contains(lemma.as_str()))
                .find_map(|lemma| self.exact.get(lemma.as_str()))
            {
                return Some((*v, MatchKind::Stem));
            }
        }
        if let Some(v) = self.prefix(word) {
            return Some((v, MatchKind::Prefix));
        }
        if let Some(rest) = word.strip_prefix("eba").filter(|r| r.chars().count() >= 4)
            && let Some((v, m)) = self.lookup(rest)
        {
            return Some((v * PRIVATIVE_SCALAR, m));
        }
        self.eki_exact
            .get(word)
            .or_else(|| {
                (!self.eki_stems.is_empty() && word.chars().all(char::is_alphabetic))
                    .then(|| self.eki_stems.get(stem(word).as_ref()))
                    .flatten()
            })
            .map(|v| (*v, MatchKind::Eki))
    }

    /// A -tu adjective (edutu, abitult, lootusetu) found by the word it is built on, reversed;
    /// our own prefix entries for it win (õnnetu*). The stemmer maps these forms onto the
    /// base word unchanged, which gave "edutu" the valence of "edu". A base ending in -ta/-da
    /// is a verb stem and the form a participle (armastatut), as is a base whose ma-infinitive
    /// is a lexicon verb (varjatuks).
    fn privative(&self, word: &str) -> Option<(f64, MatchKind)> {
        if !word.chars().all(char::is_alphabetic) {
            return None;
        }
        let base = PRIVATIVE_ENDINGS
            .iter()
            .find_map(|ending| word.strip_suffix(ending))
            .filter(|b| b.chars().count() >= 3 && !b.ends_with("ta") && !b.ends_with("da"))
            // -matu is lexicalised both ways (väsimatu "tireless", kannatamatu "impatient").
            .filter(|b| !b.ends_with("ma"))?;
        // A verb's own stem (õnnestu-ma) or a participle of one (varja-tu: varjama).
        if [format!("{word}ma"), format!("{base}ma")]
            .iter()
            .any(|verb| self.exact.contains_key(verb.as_str()))
        {
            return None;
        }
        let (v, m) = self.lookup(base)?;
        if let Some(own) = self.prefix(word) {
            return Some((own, MatchKind::Prefix));
        }
        Some((v * PRIVATIVE_SCALAR, m.derived()))
    }

    /// The abessive case (-ta after the genitive: vea-ta, probleemide-ta, kaotuse-ta) says
    /// "without": vigadeta (flawless), tõrgeteta (without glitches) are praise and eduta
    /// (without success) is not, so the noun's valence turns, weakened like -mata. The stem
    /// look-ups below would give "vigadeta" the valence of viga. A base ending in -ta/-da is a
    /// passive stem (ei armastata, ei kiideta), and da-infinitives that look like an abessive
    /// (vihata "to hate") are listed in the lexicon as exact forms, which are found first.
    fn abessive(&self, word: &str) -> Option<(f64, MatchKind)> {
        let base = word
            .strip_suffix("ta")
            .filter(|b| b.chars().count() >= 3 && b.chars().all(char::is_alphabetic))
            .filter(|b| b.ends_with(['a', 'e', 'i', 'o', 'u', 'õ', 'ä', 'ö', 'ü']))
            .filter(|b| !b.ends_with("ta") && !b.ends_with("da"))?;
        let (v, m) = self.lookup(base)?;
        Some((v * ABESSIVE_SCALAR, m.derived()))
    }

    fn prefix(&self, word: &str) -> Option<f64> {
        let ends = word
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(word.len()));
        let mut best = None;
        for (chars, end) in ends.enumerate() {
            if chars > self.longest_prefix {
                break;
            }
            if chars >= MIN_PREFIX_CHARS
                && let Some(v) = self.prefixes.get(&word[..end])
            {
                best = Some(*v);
            }
        }
        best
    }

    /// The longest phrase starting at `words[0]`: (number of words, valence).
    pub fn phrase(&self, words: &[&str]) -> Option<(usize, f64)> {
        let (first, rest) = words.split_first()?;
        self.phrases
            .get(*first)?
            .iter()
            .filter(|(tail, _)| {
                tail.len() <= rest.len() && tail.iter().zip(rest).all(|(a, b)| a.as_ref() == *b)
            })
            .max_by_key(|(tail, _)| tail.len())
            .map(|(tail, v)| (tail.len() + 1, *v))
    }

    pub fn len(&self) -> usize {
        self.exact.len()
            + self.eki_exact.len()
            + self.prefixes.len()
            + self.phrases.values().map(Vec::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Case and plural endings, longest first. The Snowball stemmer leaves many inflected forms
/// alone (suurepärase, fantastilist), so these are tried too; the bare partitive vowels last
/// (halba, kurba, halbu: "midagi halba").
const ENDINGS: &[&str] = &[
    "tega", "dega", "test", "dest", "tele", "dele", "teks", "deks", "sse", "des", "tes", "lt",
    "le", "st", "ga", "ks", "ni", "na", "ta", "id", "de", "te", "l", "s", "d", "t", "e", "a", "u",
    "i",
];

/// Nominative forms a word may be an inflection of: the word minus an ending, and for the
/// -ne/-se/-s adjectives (suurepärane: suurepärase, suurepärast) the -ne form.
fn lemma_guesses(word: &str) -> impl Iterator<Item = String> + '_ {
    ENDINGS
        .iter()
        .filter_map(move |ending| word.strip_suffix(ending))
        .filter(|base| base.chars().count() >= 3)
        .flat_map(|base| {
            let ne = base
                .strip_suffix("se")
                .or_else(|| base.strip_suffix('s'))
                .map(|b| format!("{b}ne"));
            std::iter::once(base.to_owned()).chain(ne)
        })
}

/// Verb endings, longest first: passive (alistati, alistatakse, alistatud), past (kaotas,
/// kaotasid), present (kaotab, kaotavad), participle (kaotanud), da-infinitive (kaotada),
/// conditional (kaotaks) and the -mine noun (kaotamine). The lexicon lists verbs by their
/// ma-infinitive, and the Snowball stemmer rarely maps these forms onto it. The abessive
/// -mata (kaotamata, "without losing") is left out: it reverses the verb.
const VERB_ENDINGS: &[&str] = &[
    "takse", "ksime", "ksite", "ksid", "sime", "site", "mise", "mine", "tud", "nud", "vad", "sid",
    "sin", "des", "mas", "ks", "ti", "da", "b", "s",
];

/// ma-infinitives a word may be a form of: its stem before a verb ending, plus "ma".
fn verb_guesses(word: &str) -> impl Iterator<Item = String> + '_ {
    VERB_ENDINGS
        .iter()
        .filter_map(move |ending| word.strip_suffix(ending))
        .filter(|base| base.chars().count() >= 3)
        .map(|base| format!("{base}ma"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon(text: &str) -> EtLexicon {
        let mut l = EtLexicon::default();
        l.add_tsv(text, Path::new("test.tsv")).unwrap();
        l
    }

    #[test]
    fn finds_inflected_forms() {
        let l = lexicon("pettuma\t-2.0\nhalva*\t-2.5\nsuurepärane\t3.0\nei tööta\t-2.0\n");
        assert_eq!(l.lookup("suurepärane"), Some((3.0, MatchKind::Exact)));
        assert_eq!(l.lookup("suurepärase").map(|m| m.1), Some(MatchKind::Stem));
        assert_eq!(l.lookup("halvasti"), Some((-2.5, MatchKind::Prefix)));
        assert_eq!(l.lookup("hal"), None);
        assert_eq!(l.phrase(&["ei", "tööta", "üldse"]), Some((2, -2.0)));
        assert_eq!(l.phrase(&["ei"]), None);
    }

    #[test]
    fn finds_verb_forms_by_their_ma_infinitive() {
        let l = lexicon("alistama\t1.6\n");
        for form in [
            "alistati",
            "alistatakse",
            "alistatud",
            "alistab",
            "alistanud",
            "alistada",
        ] {
            assert_eq!(l.lookup(form), Some((1.6, MatchKind::Stem)), "{form}");
        }
        assert_eq!(l.lookup("alistamata"), Some((-0.8, MatchKind::Stem)));
    }

    #[test]
    fn privative_and_eba_reverse_their_base() {
        let l = lexicon(
            "edu\t2.0\nabi\t1.0\nmure\t-1.5\nõnnetu*\t-2.5\nkasulik\t1.8\narmas\t2.0\nõnnestuma\t2.0\n",
        );
        assert_eq!(l.lookup("edutu"), Some((-1.6, MatchKind::Stem)));
        assert_eq!(l.lookup("abitult"), Some((-0.8, MatchKind::Stem)));
        assert!(l.lookup("muretu").is_some_and(|(v, _)| v > 0.0));
        assert_eq!(l.lookup("õnnetu"), Some((-2.5, MatchKind::Prefix)));
        assert!(l.lookup("ebakasulik").is_some_and(|(v, _)| v < 0.0));
        // A participle, not a privative.
        assert!(l.lookup("armastatut").is_none_or(|(v, _)| v > 0.0));
        assert_eq!(l.lookup("tu"), None);
        assert!(l.lookup("õnnestu").is_some_and(|(v, _)| v > 0.0));
        assert!(l.lookup("varjatuks").is_none_or(|(v, _)| v < 0.0));
        assert!(l.lookup("kannatamatult").is_none_or(|(v, _)| v < 0.0));
    }

    #[test]
    fn abessive_turns_its_noun() {
        let l = lexicon(
            "viga\t-1.6\nprobleem\t-1.4\nprobleemide\t-1.4\nedu\t2.0\n=vihata\t-2.4\nviha\t-2.5\n",
        );
        assert!(l.lookup("vigadeta").is_some_and(|(v, _)| v > 0.0));
        assert!(l.lookup("probleemideta").is_some_and(|(v, _)| v > 0.0));
        assert!(l.lookup("probleemita").is_some_and(|(v, _)| v > 0.0));
        assert!(l.lookup("eduta").is_some_and(|(v, _)| v < 0.0));
        // A da-infinitive listed as it is written, not "without hate".
        assert_eq!(l.lookup("vihata"), Some((-2.4, MatchKind::Exact)));
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let mut l = EtLexicon::default();
        let err = l
            .add_tsv("hea\t2\nkurb\tvery\n", Path::new("x.tsv"))
            .unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.to_string().starts_with("x.tsv:2:"), "{err}");
        assert!(l.add_tsv("ab*\t1\n", Path::new("x.tsv")).is_err());
        assert!(l.add_tsv("hea\t9\n", Path::new("x.tsv")).is_err());
    }

    #[test]
    fn eki_forms_do_not_shadow_own_entries() {
        let path = std::env::temp_dir().join(format!("fanwatch-eki-{}.csv", std::process::id()));
        std::fs::write(&path, "halvasti,1,D\r\nkole,-8,A\r\n?kena,1,A\r\n").unwrap();
        let mut l = lexicon("halva*\t-2.5\n");
        let loaded = l.add_eki(&path);
        let _ = std::fs::remove_file(&path);
        loaded.unwrap();
        assert_eq!(l.lookup("halvasti"), Some((-2.5, MatchKind::Prefix)));
        assert_eq!(l.lookup("kole"), Some((EKI_EXTREME, MatchKind::Eki)));
        assert_eq!(
            l.lookup("kena"),
            Some((EKI_VALENCE * EKI_UNCERTAIN_WEIGHT, MatchKind::Eki))
        );
    }

    #[test]
    fn builtin_loads() {
        let l = EtLexicon::builtin().unwrap();
        assert!(l.len() > 1000, "{}", l.len());
        assert!(l.lookup("suurepärane").is_some_and(|(v, _)| v > 0.0));
        assert!(l.lookup("pettunud").is_some_and(|(v, _)| v < 0.0));
    }
}
