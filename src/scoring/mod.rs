//! Scoring: language, sentiment (English VADER, Estonian rules) and intents of one text.
//!
//! `Scorer` is built once (lexicons load at start-up) and is cheap to share between threads.

mod cue;
mod emoji;
pub mod estonian;
mod et_lexicon;
pub mod intent;
pub mod lang;
mod prefilter;
pub mod reach;
pub mod vader;

use std::fmt;
use std::path::Path;

use serde::Serialize;

pub use et_lexicon::{EtLexicon, LexiconError};
pub use intent::{Intent, IntentKind};
pub use lang::{Lang, LangChoice, LangDetector};
pub use reach::{Reach, ReachInputs, reach};

/// Sentiment in VADER's four numbers: `compound` in [-1, 1], and the shares of positive,
/// neutral and negative words (they sum to about 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sentiment {
    pub compound: f64,
    pub pos: f64,
    pub neu: f64,
    pub neg: f64,
}

impl Sentiment {
    pub const NEUTRAL: Sentiment = Sentiment {
        compound: 0.0,
        pos: 0.0,
        neu: 0.0,
        neg: 0.0,
    };
}

/// The three-way verdict a marketer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    Positive,
    Neutral,
    Negative,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Positive => "positive",
            Label::Neutral => "neutral",
            Label::Negative => "negative",
        }
    }

    pub fn parse(s: &str) -> Option<Label> {
        match s {
            "positive" => Some(Label::Positive),
            "neutral" => Some(Label::Neutral),
            "negative" => Some(Label::Negative),
            _ => None,
        }
    }

    /// The label of a compound score in a language. English uses VADER's published ±0.05;
    /// Estonian its own tuned thresholds (`estonian::POSITIVE_FROM`, `NEGATIVE_FROM`).
    pub fn of(compound: f64, lang: Lang) -> Label {
        let (positive_from, negative_from) = match lang {
            Lang::En => (0.05, -0.05),
            Lang::Et => (estonian::POSITIVE_FROM, estonian::NEGATIVE_FROM),
        };
        if compound >= positive_from {
            Label::Positive
        } else if compound <= negative_from {
            Label::Negative
        } else {
            Label::Neutral
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the score moved: one word, emoji or rule and what it contributed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub token: String,
    /// The valence the word has on its own (0 for pure rules such as "!!!").
    pub base: f64,
    /// What it added to the sum after the rules below.
    pub valence: f64,
    pub rules: Vec<&'static str>,
}

/// Everything scoring says about one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// `None`: the text is in a language not watched (stored as `und`, without sentiment).
    pub lang: Option<Lang>,
    pub sentiment: Option<Sentiment>,
    pub label: Option<Label>,
    pub intents: Vec<Intent>,
    pub explanation: Vec<Contribution>,
}

impl Scored {
    /// A text in a language not watched: stored as `und`, without sentiment or intents.
    pub fn unscored() -> Scored {
        Scored {
            lang: None,
            sentiment: None,
            label: None,
            intents: Vec::new(),
            explanation: Vec::new(),
        }
    }

    /// The language code as stored: "en", "et", or "und".
    pub fn lang_code(&self) -> &'static str {
        self.lang.map_or(Lang::UNDETERMINED, Lang::as_str)
    }
}

/// Language, sentiment and intents for texts in the watched languages.
#[derive(Debug)]
pub struct Scorer {
    detector: LangDetector,
    estonian: estonian::Estonian,
}

impl Scorer {
    /// The languages this scorer detects and scores.
    pub fn languages(&self) -> &[Lang] {
        self.detector.watched()
    }

    /// A scorer for `languages` with the built-in lexicons, plus the EKI valence lexicon
    /// (`sqnad.csv`) when a path is given.
    pub fn new(languages: &[Lang], eki_lexicon: Option<&Path>) -> Result<Scorer, LexiconError> {
        // Compiling the English intent cues costs about as much as loading the lexicons; done
        // on another core meanwhile, they are ready when the first text arrives instead of
        // holding up the first worker to need them (see `intent::warm_up`).
        std::thread::scope(|scope| {
            scope.spawn(|| intent::warm_up(languages));
            let mut lexicon = EtLexicon::builtin()?;
            if let Some(path) = eki_lexicon {
                lexicon.add_eki(path)?;
            }
            vader::warm_up();
            Ok(Scorer {
                detector: LangDetector::new(languages),
                estonian: estonian::Estonian::new(lexicon),
            })
        })
    }

    /// Scores one text. `hint` is the language the source declared, if any.
    pub fn score(
        &self,
        text: &str,
        choice: LangChoice,
        hint: Option<&str>,
        explain: bool,
    ) -> Scored {
        let fixed = match choice {
            LangChoice::Fixed(lang) => Some(lang),
            LangChoice::Auto => None,
        };
        if text.trim().is_empty() {
            return Scored {
                lang: fixed,
                sentiment: Some(Sentiment::NEUTRAL),
                label: Some(Label::Neutral),
                intents: Vec::new(),
                explanation: Vec::new(),
            };
        }
        let Some(lang) = fixed.or_else(|| self.detector.detect(text, hint)) else {
            return Scored::unscored();
        };
        let mut explanation = Vec::new();
        let sentiment = match lang {
            Lang::En if explain => vader::polarity_explained(text, &mut explanation),
            Lang::En => vader::polarity(text),
            Lang::Et => self
                .estonian
                .score(text, explain.then_some(&mut explanation)),
        };
        Scored {
            lang: Some(lang),
            sentiment: Some(sentiment),
            label: Some(Label::of(sentiment.compound, lang)),
            intents: intent::detect(text, lang, Some(&sentiment)),
            explanation,
        }
    }
}

/// Scores mentions for the brands they matched: a text is scored only in a language one of
/// its brands is watched in.
#[derive(Debug)]
pub struct MentionScorer {
    scorer: Scorer,
    /// Lowercase brand name → its languages; brands not listed use `default`.
    brand_languages: std::collections::HashMap<String, Vec<Lang>>,
    default: Vec<Lang>,
}

impl MentionScorer {
    pub fn new(config: &crate::config::Config) -> Result<MentionScorer, LexiconError> {
        let default = config.scoring.languages.clone();
        let mut all = default.clone();
        let mut brand_languages = std::collections::HashMap::new();
        for brand in &config.brands {
            if !brand.languages.is_empty() {
                all.extend(&brand.languages);
                brand_languages.insert(brand.name.as_str().to_lowercase(), brand.languages.clone());
            }
        }
        all.sort();
        all.dedup();
        Ok(MentionScorer {
            scorer: Scorer::new(&all, config.scoring.et_lexicon_path.as_deref())?,
            brand_languages,
            default,
        })
    }

    /// Frees memory that reloads on demand (language models).
    pub fn release(&self) {
        self.scorer.detector.release();
    }

    /// Scores `text` (title and body) of a mention of `brands`.
    pub fn score<'b>(
        &self,
        text: &str,
        hint: Option<&str>,
        brands: impl IntoIterator<Item = &'b str>,
    ) -> Scored {
        // Language first: a text no brand watches in its language is not scored at all.
        let Some(lang) = self.scorer.detector.detect(text, hint) else {
            return Scored::unscored();
        };
        let mut brands = brands.into_iter().peekable();
        let watched = brands.peek().is_none()
            || brands.any(|b| {
                self.brand_languages
                    .get(&b.to_lowercase())
                    .unwrap_or(&self.default)
                    .contains(&lang)
            });
        if watched {
            self.scorer
                .score(text, LangChoice::Fixed(lang), hint, false)
        } else {
            Scored::unscored()
        }
    }
}
