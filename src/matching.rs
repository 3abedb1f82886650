//! Brand matching: terms as whole words or phrases (case-insensitive, Unicode-aware, so
//! Estonian letters count as letters), regexes, and exclusions that veto the matches they cover.

use regex::{Regex, RegexBuilder};

use crate::config::BrandConfig;
use crate::domain::BrandName;

/// One brand a text matched, and the words that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandMatch {
    pub brand: BrandName,
    pub matched_text: String,
}

/// All configured brands, compiled once.
#[derive(Debug, Clone)]
pub struct Matcher {
    brands: Vec<CompiledBrand>,
}

#[derive(Debug, Clone)]
struct CompiledBrand {
    name: BrandName,
    include: Vec<Regex>,
    exclude: Option<Regex>,
}

/// Builds `\bterm\b`, except that a term starting or ending in a non-word character (e.g.
/// "c++", "#acme") gets `\B` there instead, which requires a non-word neighbour.
fn term_pattern(term: &str) -> String {
    let words: Vec<String> = term.split_whitespace().map(regex::escape).collect();
    let body = words.join(r"[\s\p{Pd}]+");
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let start = if is_word(term.trim().chars().next()) {
        r"\b"
    } else {
        r"\B"
    };
    let end = if is_word(term.trim().chars().last()) {
        r"\b"
    } else {
        r"\B"
    };
    format!("{start}{body}{end}")
}

fn alternation(terms: &[String]) -> Result<Option<Regex>, regex::Error> {
    let mut terms: Vec<String> = terms
        .iter()
        .map(|t| crate::text::nfc(t.trim()))
        .filter(|t| !t.is_empty())
        .collect();
    // The regex takes the first alternative that matches; longest first makes "acme cloud"
    // win over "acme", so the stored match is the most specific one.
    terms.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
    let parts: Vec<String> = terms.iter().map(|t| term_pattern(t)).collect();
    if parts.is_empty() {
        return Ok(None);
    }
    RegexBuilder::new(&format!("(?:{})", parts.join("|")))
        .case_insensitive(true)
        .build()
        .map(Some)
}

impl Matcher {
    pub fn new(brands: &[BrandConfig]) -> Result<Self, regex::Error> {
        let brands = brands
            .iter()
            .map(|b| {
                let mut include: Vec<Regex> = alternation(&b.terms)?.into_iter().collect();
                include.extend(b.regex.iter().map(|r| r.regex().clone()));
                Ok(CompiledBrand {
                    name: b.name.clone(),
                    include,
                    exclude: alternation(&b.exclude)?,
                })
            })
            .collect::<Result<_, regex::Error>>()?;
        Ok(Self { brands })
    }

    /// Every brand the text mentions. A match that lies inside an excluded phrase does not
    /// count; another match of the same brand elsewhere in the text still does.
    pub fn find(&self, text: &str) -> Vec<BrandMatch> {
        self.brands
            .iter()
            .filter_map(|brand| {
                let excluded: Vec<(usize, usize)> = brand
                    .exclude
                    .as_ref()
                    .map(|re| re.find_iter(text).map(|m| (m.start(), m.end())).collect())
                    .unwrap_or_default();
                brand
                    .include
                    .iter()
                    .flat_map(|re| re.find_iter(text))
                    .find(|m| {
                        !excluded
                            .iter()
                            .any(|&(s, e)| s <= m.start() && m.end() <= e)
                    })
                    .map(|m| BrandMatch {
                        brand: brand.name.clone(),
                        matched_text: m.as_str().to_owned(),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegexPattern;

    fn brand(name: &str, terms: &[&str], regex: &[&str], exclude: &[&str]) -> BrandConfig {
        BrandConfig {
            name: BrandName::parse(name).unwrap(),
            terms: terms.iter().map(|s| s.to_string()).collect(),
            regex: regex
                .iter()
                .map(|r| RegexPattern::parse(r).unwrap())
                .collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            languages: Vec::new(),
        }
    }

    fn names(m: &Matcher, text: &str) -> Vec<String> {
        m.find(&crate::text::nfc(text))
            .into_iter()
            .map(|b| b.brand.to_string())
            .collect()
    }

    #[test]
    fn whole_words_case_insensitive() {
        let m = Matcher::new(&[brand("Acme", &["acme", "acme cloud"], &[], &[])]).unwrap();
        assert_eq!(names(&m, "I love ACME!"), ["Acme"]);
        assert_eq!(names(&m, "(acme)"), ["Acme"]);
        assert_eq!(names(&m, "Acme's support"), ["Acme"]);
        assert!(names(&m, "acmetic and subacme").is_empty());
        assert!(names(&m, "acme_corp").is_empty());
        let found = m.find("Moved to Acme   Cloud today");
        assert_eq!(found[0].matched_text, "Acme   Cloud");
    }

    #[test]
    fn phrases_span_any_white_space() {
        let m = Matcher::new(&[brand("Taevas", &["taevas telecom"], &[], &[])]).unwrap();
        assert_eq!(names(&m, "Taevas\n  Telecom on hea"), ["Taevas"]);
        assert!(names(&m, "taevas on sinine").is_empty());
    }

    #[test]
    fn estonian_letters_are_word_characters() {
        let m = Matcher::new(&[brand("Õun", &["õun"], &[], &[])]).unwrap();
        assert_eq!(names(&m, "ÕUN on parim."), ["Õun"]);
        assert_eq!(names(&m, "«Õun», ütles ta"), ["Õun"]);
        // Inflected forms and compounds are other words.
        assert!(names(&m, "õuna ja õunapuu").is_empty());
        assert!(names(&m, "Põun").is_empty());
        let m = Matcher::new(&[brand("Šokk", &["šokolaad žürii"], &[], &[])]).unwrap();
        assert_eq!(names(&m, "ŠOKOLAAD ŽÜRII võitis"), ["Šokk"]);
        // Decomposed input matches a composed term once normalised.
        assert_eq!(names(&m, "s\u{30c}okolaad z\u{30c}u\u{308}rii"), ["Šokk"]);
    }

    #[test]
    fn symbols_at_the_edges() {
        let m = Matcher::new(&[brand("C++", &["c++", "#acme"], &[], &[])]).unwrap();
        assert_eq!(names(&m, "I write C++ daily"), ["C++"]);
        assert_eq!(names(&m, "love it #acme"), ["C++"]);
        assert!(names(&m, "c++x").is_empty());
    }

    #[test]
    fn exclusions_veto_only_what_they_cover() {
        let m = Matcher::new(&[brand("Acme", &["acme"], &[], &["acme looney"])]).unwrap();
        assert!(names(&m, "Acme Looney Tunes marathon").is_empty());
        assert_eq!(
            names(&m, "Acme looney tunes, and Acme cloud is down"),
            ["Acme"]
        );
    }

    #[test]
    fn regexes_and_several_brands() {
        let m = Matcher::new(&[
            brand("Acme", &["acme"], &[], &[]),
            brand("Nordwind", &[], &[r"\bnord\s?wind\b"], &[]),
        ])
        .unwrap();
        assert_eq!(names(&m, "acme vs Nord Wind"), ["Acme", "Nordwind"]);
    }
}
