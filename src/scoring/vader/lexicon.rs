//! The VADER word and emoji lexicons, with the reference's negations, boosters and idioms.
//!
//! The lexicons are the public data shipped by the `vader_sentiment` crate. Its word lexicon
//! differs from the reference in two ways, both patched here: it lacks "heart" and "hearts",
//! and it keys words case-insensitively, so emoticons whose case twins carry different
//! valences (":P" 1.4 / ":p" 1.0, "O.o" -0.6 / "o.o" -0.8) collapse into one. The reference
//! looks every token up lowercased, so only the lowercase entries count.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::{B_DECR, B_INCR};

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
pub(super) struct Entry {
    /// Index of the word's valence in `Lexicons::valences` (0: not in the lexicon). The
    /// lexicon holds a few dozen distinct values.
    pub(super) valence: u8,
    /// +1 for `B_INCR`, -1 for `B_DECR`, 0 for none: the only booster values there are.
    pub(super) booster: i8,
    pub(super) negate: bool,
    /// Number of the word among those of idioms and multi-word boosters (0: none of them).
    pub(super) idiom: u8,
}

/// An idiom or multi-word booster as the `Entry::idiom` numbers of its words.
pub(super) type Phrase = (Vec<u8>, f64);

pub(super) struct Lexicons {
    pub(super) words: WordMap,
    /// The distinct valences `Entry::valence` indexes.
    valences: Vec<f64>,
    pub(super) emoji: FxHashMap<char, &'static str>,
    /// `SPECIAL_CASES` in their order.
    pub(super) idioms: Vec<Phrase>,
    /// Boosters of more than one word ("kind of").
    pub(super) phrase_boosters: Vec<Phrase>,
}

impl Lexicons {
    pub(super) fn valence(&self, entry: &Entry) -> Option<f64> {
        (entry.valence != 0).then(|| self.valences[usize::from(entry.valence)])
    }
}

/// A lowercase word of at most 15 bytes (nearly all are), its bytes and length packed into one
/// integer. The rules compare words as keys, and a look-up hashes and compares two machine
/// words instead of hashing a string and comparing it with a key stored elsewhere in memory.
pub(super) type Key = u128;

/// The key of every longer word. Never a packed key: their top byte is their length (< 16).
pub(super) const LONG: Key = u128::MAX;

/// The key of a lowercase word.
pub(super) const fn key(word: &[u8]) -> Key {
    if word.len() > 15 {
        return LONG;
    }
    let mut packed = (word.len() as u128) << 120;
    let mut i = 0;
    while i < word.len() {
        packed |= (word[i] as u128) << (8 * i);
        i += 1;
    }
    packed
}

/// The bytes of a packed key's word.
pub(super) fn key_bytes(key: &Key) -> Option<([u8; 16], usize)> {
    (*key != LONG).then(|| {
        let bytes = key.to_le_bytes();
        (bytes, usize::from(bytes[15]))
    })
}

/// Lowercase words and their entries: short ones by key, longer ones by their text.
#[derive(Default)]
pub(super) struct WordMap {
    /// Keys as two halves rather than one u128: keeps the table's entries 8-byte aligned (24
    /// bytes instead of 32).
    short: FxHashMap<(u64, u64), Entry>,
    long: FxHashMap<String, Entry>,
}

fn halves(key: Key) -> (u64, u64) {
    (key as u64, (key >> 64) as u64)
}

impl WordMap {
    /// The entry of a word of at most 15 bytes, by its key.
    #[inline]
    pub(super) fn get_key(&self, key: Key) -> Option<&Entry> {
        self.short.get(&halves(key))
    }

    pub(super) fn get(&self, word: &str) -> Option<&Entry> {
        match key(word.as_bytes()) {
            LONG => self.long.get(word),
            k => self.get_key(k),
        }
    }

    fn entry(&mut self, word: &str) -> &mut Entry {
        match key(word.as_bytes()) {
            LONG => self.long.entry(word.to_owned()).or_default(),
            k => self.short.entry(halves(k)).or_default(),
        }
    }
}

pub(super) static LEXICONS: LazyLock<Lexicons> = LazyLock::new(|| {
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
pub(in crate::scoring) fn emoji_description(c: char) -> Option<&'static str> {
    LEXICONS.emoji.get(&c).copied()
}

/// Forces the lexicons to load (they load lazily on first use otherwise).
pub fn warm_up() {
    LazyLock::force(&LEXICONS);
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn keys_pack_bytes_and_length() {
        assert_eq!(
            key_bytes(&key(b"good")).map(|(b, n)| b[..n].to_vec()),
            Some(b"good".to_vec())
        );
        assert_ne!(key(b"no"), key(b"no\0"));
        assert_eq!(key(b"advantageousness"), LONG);
        assert_eq!(key_bytes(&LONG), None);
    }
}
