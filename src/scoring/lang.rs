//! Language of a mention, limited to the languages fanwatch scores.
//!
//! Detection runs on the words only: hashtags, @handles, URLs, emoji and digits are removed
//! first, as they say nothing about the language and mislead n-gram models on short posts.
//! The detector also knows the languages most often confused with the watched ones (Finnish
//! and Latvian with Estonian, the big European ones with English), so a Finnish post is
//! recognised as Finnish and stored as `und` instead of being scored as bad Estonian.
//! Two detectors, chosen by measurement on short posts (README, "Language"): `whatlang`
//! (fast, tiny, but on short Estonian posts it often answers Finnish or another language)
//! settles the clear cases, when it names a watched language with high confidence; `lingua`
//! (accurate on short texts, but ~2,000 texts/s and ~5 MB of models per language) decides the
//! rest. Its models load on first use and `release` frees them between poll cycles.

use std::fmt;
use std::str::FromStr;

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};
use serde::{Deserialize, Serialize};

/// A language fanwatch can score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Et,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Et];
    /// What is stored for texts in any other language, or none at all.
    pub const UNDETERMINED: &'static str = "und";

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Et => "et",
        }
    }

    fn lingua(self) -> Language {
        match self {
            Lang::En => Language::English,
            Lang::Et => Language::Estonian,
        }
    }

    fn from_lingua(language: Language) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.lingua() == language)
    }

    fn whatlang(self) -> whatlang::Lang {
        match self {
            Lang::En => whatlang::Lang::Eng,
            Lang::Et => whatlang::Lang::Est,
        }
    }

    /// A BCP 47 tag as sources declare it ("et", "en-US", "EN_gb").
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.as_str() == primary)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| format!("unknown language {s:?} (expected en or et)"))
    }
}

/// `--lang auto|en|et`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LangChoice {
    Auto,
    Fixed(Lang),
}

impl FromStr for LangChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "auto" {
            Ok(LangChoice::Auto)
        } else {
            s.parse()
                .map(LangChoice::Fixed)
                .map_err(|_| format!("unknown language {s:?} (expected auto, en or et)"))
        }
    }
}

/// Languages the detectors also know so that texts in them are not mistaken for a watched
/// one, as lingua and whatlang name them.
const DECOYS: &[(Language, whatlang::Lang)] = &[
    (Language::Finnish, whatlang::Lang::Fin),
    (Language::Latvian, whatlang::Lang::Lav),
    (Language::Lithuanian, whatlang::Lang::Lit),
    (Language::Russian, whatlang::Lang::Rus),
    (Language::German, whatlang::Lang::Deu),
    (Language::Swedish, whatlang::Lang::Swe),
    (Language::French, whatlang::Lang::Fra),
    (Language::Spanish, whatlang::Lang::Spa),
    (Language::Polish, whatlang::Lang::Pol),
    (Language::Dutch, whatlang::Lang::Nld),
    (Language::Italian, whatlang::Lang::Ita),
    (Language::Portuguese, whatlang::Lang::Por),
];

/// whatlang's answer is taken when it names a watched language at least this confidently
/// (on the short-post set: best overall accuracy, 98.7 %, and few texts left for lingua).
const FAST_PATH_CONFIDENCE: f64 = 0.3;

/// Below this many letters there is nothing to detect (emoji, "ok"); such texts take the
/// source's declared language, else the first watched language.
const MIN_LETTERS: usize = 3;

pub struct LangDetector {
    watched: Vec<Lang>,
    fast: whatlang::Detector,
    detector: LanguageDetector,
}

impl fmt::Debug for LangDetector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LangDetector")
            .field("watched", &self.watched)
            .finish_non_exhaustive()
    }
}

impl LangDetector {
    /// A detector deciding between `watched` (en if empty) and everything else.
    pub fn new(watched: &[Lang]) -> LangDetector {
        let mut watched: Vec<Lang> = watched.to_vec();
        if watched.is_empty() {
            watched.push(Lang::En);
        }
        watched.dedup();
        let mut languages: Vec<Language> = watched.iter().map(|l| l.lingua()).collect();
        languages.extend(DECOYS.iter().map(|(l, _)| *l));
        let detector = LanguageDetectorBuilder::from_languages(&languages).build();
        let mut allow: Vec<whatlang::Lang> = watched.iter().map(|l| l.whatlang()).collect();
        allow.extend(DECOYS.iter().map(|(_, w)| *w));
        let fast = whatlang::Detector::with_allowlist(allow);
        LangDetector {
            watched,
            fast,
            detector,
        }
    }

    /// Frees the language models loaded so far; they load again when next needed.
    pub fn release(&self) {
        self.detector.unload_language_models();
    }

    pub fn watched(&self) -> &[Lang] {
        &self.watched
    }

    /// The watched language `text` is written in, or `None` for any other language.
    /// `hint` is the language the source declared, used when the text is too short to tell.
    pub fn detect(&self, text: &str, hint: Option<&str>) -> Option<Lang> {
        let hinted = hint
            .and_then(Lang::from_tag)
            .filter(|l| self.watched.contains(l));
        let words = detection_text(text);
        let letters = words.chars().filter(|c| c.is_alphabetic()).count();
        if letters < MIN_LETTERS {
            // Emoji-only or a word or two: trust the source, else score as the main language.
            return Some(hinted.unwrap_or(self.watched[0]));
        }
        // "õ" is written in no other language detected here: decisive on posts too short for
        // n-grams ("kõik ok").
        if self.watched.contains(&Lang::Et) && words.contains(['õ', 'Õ']) {
            return Some(Lang::Et);
        }
        // whatlang's guess settles it when confident, or when the source declared the same
        // language (feeds' <language>, Mastodon's "language").
        if let Some(info) = self.fast.detect(&words)
            && let Some(lang) = self.watched.iter().find(|l| l.whatlang() == info.lang())
            && (info.confidence() >= FAST_PATH_CONFIDENCE || hinted == Some(*lang))
        {
            return Some(*lang);
        }
        let detected = self.detector.detect_language_of(&words)?;
        Lang::from_lingua(detected).filter(|l| self.watched.contains(l))
    }
}

/// Detection reads at most this many bytes of a text's words. The detectors' accuracy
/// levels off within a few hundred letters, and their cost grows with the text: a 6 MB
/// post took 2.5 s and 120 MB to detect whole.
const MAX_DETECTION_BYTES: usize = 2048;

/// The words of a post: without URLs, #hashtags, @handles (also user@instance), emoji and
/// digits; only its beginning (`MAX_DETECTION_BYTES`) when it is long.
pub fn detection_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_DETECTION_BYTES + 64));
    for token in text.split_whitespace() {
        if out.len() >= MAX_DETECTION_BYTES {
            break;
        }
        let lower = token.to_ascii_lowercase();
        if token.starts_with('#')
            || token.starts_with('@')
            || lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
        {
            continue;
        }
        let kept: String = token
            .chars()
            .filter(|c| c.is_alphabetic() || matches!(c, '\'' | '-' | '.' | ',' | '!' | '?'))
            .collect();
        if kept.chars().any(char::is_alphabetic) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&kept);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_noise_before_detection() {
        assert_eq!(
            detection_text("@acme@mastodon.social väga hea! 👍 #acme https://x.ee/a 100%"),
            "väga hea!"
        );
    }

    #[test]
    fn long_texts_are_detected_by_their_beginning() {
        let long = "See on väga hea pood ja teenindus oli suurepärane. ".repeat(10_000);
        let words = detection_text(&long);
        assert!(words.len() < MAX_DETECTION_BYTES + 64, "{}", words.len());
        let d = LangDetector::new(&[Lang::En, Lang::Et]);
        assert_eq!(d.detect(&long, None), Some(Lang::Et));
    }

    #[test]
    fn detects_watched_and_other_languages() {
        let d = LangDetector::new(&[Lang::En, Lang::Et]);
        assert_eq!(
            d.detect(
                "The delivery was late again and nobody answers the phone",
                None
            ),
            Some(Lang::En)
        );
        assert_eq!(
            d.detect("Pakk jäi jälle hiljaks ja keegi ei vasta telefonile", None),
            Some(Lang::Et)
        );
        assert_eq!(
            d.detect("Paketti myöhästyi taas eikä kukaan vastaa puhelimeen", None),
            None
        );
        assert_eq!(d.detect("👍👍", Some("et")), Some(Lang::Et));
        assert_eq!(d.detect("👍👍", None), Some(Lang::En));
    }

    #[test]
    fn only_watched_languages_come_out() {
        let d = LangDetector::new(&[Lang::Et]);
        assert_eq!(
            d.detect(
                "The delivery was late again and nobody answers the phone",
                None
            ),
            None
        );
    }

    #[test]
    fn tags() {
        assert_eq!(Lang::from_tag("en-US"), Some(Lang::En));
        assert_eq!(Lang::from_tag("ET"), Some(Lang::Et));
        assert_eq!(Lang::from_tag("fi"), None);
        assert_eq!("auto".parse::<LangChoice>(), Ok(LangChoice::Auto));
        assert!("xx".parse::<LangChoice>().is_err());
    }
}
