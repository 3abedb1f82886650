//! Types that carry meaning. External data becomes one of these only through `parse`,
//! so code past the edge never re-checks.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value was rejected at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_newtype!(
    /// A brand as the marketing team names it, e.g. "Acme".
    BrandName
);
string_newtype!(
    /// A configured source's unique name; used as a key in the database and in metrics labels.
    SourceName
);
string_newtype!(
    /// An author's handle on a platform (user name, account, or byline for feeds).
    Handle
);
string_newtype!(
    /// The id an item has at its origin (feed guid, status id, ...); unique per source.
    ExternalId
);

impl BrandName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(InvalidValue("brand name is empty".into()));
        }
        if name.chars().count() > 100 {
            return Err(InvalidValue(
                "brand name is longer than 100 characters".into(),
            ));
        }
        Ok(Self(name.to_owned()))
    }
}

impl SourceName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue(format!(
                "source name {raw:?} must be 1-64 characters of a-z, A-Z, 0-9, '-', '_' or '.'"
            )))
        }
    }
}

impl Handle {
    /// Handles are compared as given, minus surrounding white space and a leading '@'
    /// (people write "@mari" and "mari" for the same account).
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let handle = raw.trim().trim_start_matches('@').trim();
        if handle.is_empty() {
            return Err(InvalidValue("handle is empty".into()));
        }
        Ok(Self(truncate_chars(handle, 200).to_owned()))
    }
}

impl ExternalId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let id = raw.trim();
        if id.is_empty() {
            return Err(InvalidValue("external id is empty".into()));
        }
        // Very long ids (some feeds use whole URLs with tracking junk) are hashed so the
        // unique index stays small and the id stays stable.
        if id.len() > 512 {
            return Ok(Self(format!(
                "sha256:{}",
                crate::text::sha256_hex(id.as_bytes())
            )));
        }
        Ok(Self(id.to_owned()))
    }
}

/// Primary key of a stored mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MentionId(pub i64);

impl fmt::Display for MentionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a mention was published. Authors are unique per platform and handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Blogs, news sites and anything else reached through RSS, Atom or JSON Feed.
    Web,
    Mastodon,
    Reddit,
    HackerNews,
    Bluesky,
    Lemmy,
    AppStore,
    YouTube,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Web => "web",
            Platform::Mastodon => "mastodon",
            Platform::Reddit => "reddit",
            Platform::HackerNews => "hackernews",
            Platform::Bluesky => "bluesky",
            Platform::Lemmy => "lemmy",
            Platform::AppStore => "appstore",
            Platform::YouTube => "youtube",
        }
    }

    /// The platform named exactly as `as_str` writes it.
    pub fn parse(raw: &str) -> Option<Platform> {
        match raw {
            "web" => Some(Platform::Web),
            "mastodon" => Some(Platform::Mastodon),
            "reddit" => Some(Platform::Reddit),
            "hackernews" => Some(Platform::HackerNews),
            "bluesky" => Some(Platform::Bluesky),
            "lemmy" => Some(Platform::Lemmy),
            "appstore" => Some(Platform::AppStore),
            "youtube" => Some(Platform::YouTube),
            _ => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-negative count shown by a platform (likes, followers, ...). Absurd values from a
/// misbehaving API are clamped rather than trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Count(i64);

impl Count {
    /// No real audience is larger than this; anything above is an API error.
    pub const MAX: i64 = 10_000_000_000;

    pub fn new(value: i64) -> Self {
        Self(value.clamp(0, Self::MAX))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// Cuts a string to at most `max` characters without splitting a character.
pub fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((idx, _)) => &s[..idx],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_are_restricted() {
        assert!(SourceName::parse("acme-news_1.x").is_ok());
        assert!(SourceName::parse("").is_err());
        assert!(SourceName::parse("has space").is_err());
        assert!(SourceName::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn handles_lose_at_sign_and_space() {
        assert_eq!(Handle::parse("  @mari ").unwrap().as_str(), "mari");
        assert!(Handle::parse(" @ ").is_err());
    }

    #[test]
    fn long_external_ids_are_hashed_stably() {
        let long = "x".repeat(600);
        let a = ExternalId::parse(&long).unwrap();
        let b = ExternalId::parse(&long).unwrap();
        assert_eq!(a, b);
        assert!(a.as_str().starts_with("sha256:"));
    }

    #[test]
    fn counts_are_clamped() {
        assert_eq!(Count::new(-5).get(), 0);
        assert_eq!(Count::new(i64::MAX).get(), Count::MAX);
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate_chars("õunapuu", 3), "õun");
        assert_eq!(truncate_chars("ab", 5), "ab");
    }
}
