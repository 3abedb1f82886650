//! `[[sources]]`: what to poll and how much of it. Every kind shares one struct, so the TOML
//! stays flat (`kind = "reddit"`, `subreddits = [...]`); `validate` says which keys a kind needs.

use serde::Deserialize;

use super::{BrandConfig, HttpUrl};
use crate::domain::{Platform, SourceName};

/// The kinds of source fanwatch can poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed.
    Feed,
    /// Hacker News through the Algolia search API.
    Hackernews,
    Mastodon,
    Bluesky,
    Reddit,
    Lemmy,
    /// Apple App Store customer reviews.
    Appstore,
    /// YouTube comment threads (Data API v3).
    Youtube,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Hackernews => "hackernews",
            SourceKind::Mastodon => "mastodon",
            SourceKind::Bluesky => "bluesky",
            SourceKind::Reddit => "reddit",
            SourceKind::Lemmy => "lemmy",
            SourceKind::Appstore => "appstore",
            SourceKind::Youtube => "youtube",
        }
    }

    pub fn platform(self) -> Platform {
        match self {
            SourceKind::Feed => Platform::Web,
            SourceKind::Hackernews => Platform::HackerNews,
            SourceKind::Mastodon => Platform::Mastodon,
            SourceKind::Bluesky => Platform::Bluesky,
            SourceKind::Reddit => Platform::Reddit,
            SourceKind::Lemmy => Platform::Lemmy,
            SourceKind::Appstore => Platform::AppStore,
            SourceKind::Youtube => Platform::YouTube,
        }
    }

    /// Where credentials are looked up unless `credentials_env` says otherwise, e.g.
    /// `FANWATCH_REDDIT` → `FANWATCH_REDDIT_CLIENT_ID`. Single underscores, so these never
    /// read as config overrides (those need `__`).
    pub fn default_credentials_env(self) -> String {
        format!("FANWATCH_{}", self.as_str().to_ascii_uppercase())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: SourceName,
    pub kind: SourceKind,
    /// The feed's address (kind = "feed").
    pub url: Option<HttpUrl>,
    /// Set to false to keep a source in the file without polling it.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// API root; defaults to the public service of the kind. Point it at a self-hosted
    /// instance or a test server.
    pub base_url: Option<HttpUrl>,
    /// Mastodon: further instances polled by the same source, besides `base_url`.
    #[serde(default)]
    pub instances: Vec<HttpUrl>,
    /// Search terms; default: the brands' terms.
    pub query: Option<String>,
    /// Mastodon hashtags (without `#`); default: the brands' one-word terms.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Reddit: subreddits whose `new` listing is searched; empty means site-wide search.
    #[serde(default)]
    pub subreddits: Vec<String>,
    /// App Store: the numeric app id (the digits in `apps.apple.com/.../id1234567890`).
    pub app_id: Option<String>,
    /// App Store: two-letter storefront country.
    pub country: Option<String>,
    /// YouTube: channel ids whose videos' comment threads are read.
    #[serde(default)]
    pub channels: Vec<String>,
    /// YouTube: video ids whose comment threads are read.
    #[serde(default)]
    pub videos: Vec<String>,
    /// On the first poll, nothing older than this many days is fetched.
    #[serde(default = "default_backfill_days")]
    pub backfill_days: u32,
    /// On the first poll, at most this many items are fetched.
    #[serde(default = "default_backfill_items")]
    pub backfill_items: u32,
    /// Pages fetched per cycle and stream at most; a burst larger than this is cut.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Prefix of the environment variables holding this source's credentials (default
    /// `FANWATCH_<KIND>`, e.g. `FANWATCH_MASTODON_TOKEN`). Secrets never go in the file.
    pub credentials_env: Option<String>,
}

fn default_true() -> bool {
    true
}

fn default_backfill_days() -> u32 {
    7
}

fn default_backfill_items() -> u32 {
    500
}

fn default_max_pages() -> u32 {
    5
}

impl SourceConfig {
    /// The prefix of this source's credential variables.
    pub fn credentials_env(&self) -> String {
        self.credentials_env
            .clone()
            .unwrap_or_else(|| self.kind.default_credentials_env())
    }

    /// Reads one credential, `<prefix>_<suffix>`, from the environment; blank counts as unset.
    pub fn credential(&self, suffix: &str) -> Option<String> {
        std::env::var(format!("{}_{suffix}", self.credentials_env()))
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// What to search for: the source's own `query`, else each distinct brand term.
    pub fn queries(&self, brands: &[BrandConfig]) -> Vec<String> {
        if let Some(q) = &self.query {
            return vec![q.trim().to_owned()];
        }
        let mut terms: Vec<String> = Vec::new();
        for term in brands.iter().flat_map(|b| &b.terms) {
            let term = term.trim().to_lowercase();
            if !term.is_empty() && !terms.contains(&term) {
                terms.push(term);
            }
        }
        terms
    }

    /// Hashtags to follow: the configured `tags`, else the brand terms written as hashtags
    /// ("acme cloud" → "acmecloud").
    pub fn hashtags(&self, brands: &[BrandConfig]) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        let candidates: Vec<String> = if self.tags.is_empty() {
            self.queries(brands)
                .iter()
                .map(|t| t.chars().filter(|c| !c.is_whitespace()).collect())
                .collect()
        } else {
            self.tags.clone()
        };
        for tag in candidates.iter().filter_map(|t| normalize_tag(t)) {
            let tag = tag.to_lowercase();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        tags
    }

    /// One line for `check-config`: what the source reads, and which credential variables
    /// are set (names only, never values).
    pub fn describe(&self, brands: &[BrandConfig]) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(url) = self.url.as_ref().or(self.base_url.as_ref()) {
            parts.push(url.to_string());
        }
        let list = |v: &[String]| v.join(", ");
        match self.kind {
            SourceKind::Feed => {}
            SourceKind::Mastodon => {
                parts.push(format!("tags: {}", list(&self.hashtags(brands))));
                if !self.instances.is_empty() {
                    parts.push(format!("+{} instance(s)", self.instances.len()));
                }
            }
            SourceKind::Reddit if !self.subreddits.is_empty() => {
                parts.push(format!("subreddits: {}", list(&self.subreddits)));
            }
            SourceKind::Appstore => parts.push(format!(
                "app {} in {}",
                self.app_id.as_deref().unwrap_or_default(),
                self.country.as_deref().unwrap_or("us")
            )),
            SourceKind::Youtube => parts.push(format!(
                "{} channel(s), {} video(s)",
                self.channels.len(),
                self.videos.len()
            )),
            _ => parts.push(format!("query: {}", list(&self.queries(brands)))),
        }
        let prefix = self.credentials_env();
        let set: Vec<String> = std::env::vars()
            .filter(|(k, v)| k.starts_with(&format!("{prefix}_")) && !v.trim().is_empty())
            .map(|(k, _)| k)
            .collect();
        if !set.is_empty() {
            parts.push(format!("credentials: {} set", set.join(", ")));
        }
        parts.join("; ")
    }

    /// Rules per kind; the error names the key (relative to this source) and what is wrong.
    pub(super) fn validate(&self) -> Result<(), (&'static str, String)> {
        let kind = self.kind.as_str();
        if self.kind == SourceKind::Feed {
            if self.url.is_none() {
                return Err(("url", "a feed source needs `url`".into()));
            }
        } else if self.url.is_some() {
            return Err((
                "url",
                format!("`url` is for feeds; a {kind} source takes `base_url`"),
            ));
        }
        if !(1..=365).contains(&self.backfill_days) {
            return Err(("backfill_days", "must be between 1 and 365".into()));
        }
        if !(1..=10_000).contains(&self.backfill_items) {
            return Err(("backfill_items", "must be between 1 and 10000".into()));
        }
        if !(1..=100).contains(&self.max_pages) {
            return Err(("max_pages", "must be between 1 and 100".into()));
        }
        if let Some(q) = &self.query
            && q.trim().is_empty()
        {
            return Err((
                "query",
                "empty query (leave it out to use the brands' terms)".into(),
            ));
        }
        if let Some(prefix) = &self.credentials_env
            && (prefix.is_empty()
                || !prefix
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
        {
            return Err((
                "credentials_env",
                format!("{prefix:?} is not an environment variable prefix (A-Z, 0-9, _)"),
            ));
        }
        if let Some(tag) = self.tags.iter().find(|t| normalize_tag(t).is_none()) {
            return Err((
                "tags",
                format!("{tag:?} is not a hashtag (letters, digits and _ only)"),
            ));
        }
        if let Some(sub) = self
            .subreddits
            .iter()
            .find(|s| normalize_subreddit(s).is_none())
        {
            return Err((
                "subreddits",
                format!("{sub:?} is not a subreddit name (e.g. \"estonia\" or \"r/estonia\")"),
            ));
        }
        let only_for = |key: &'static str, used: bool, owner: SourceKind| {
            if used && self.kind != owner {
                Err((key, format!("`{key}` is for {} sources", owner.as_str())))
            } else {
                Ok(())
            }
        };
        only_for(
            "instances",
            !self.instances.is_empty(),
            SourceKind::Mastodon,
        )?;
        only_for("tags", !self.tags.is_empty(), SourceKind::Mastodon)?;
        only_for(
            "subreddits",
            !self.subreddits.is_empty(),
            SourceKind::Reddit,
        )?;
        only_for("app_id", self.app_id.is_some(), SourceKind::Appstore)?;
        only_for("country", self.country.is_some(), SourceKind::Appstore)?;
        only_for("channels", !self.channels.is_empty(), SourceKind::Youtube)?;
        only_for("videos", !self.videos.is_empty(), SourceKind::Youtube)?;
        match self.kind {
            SourceKind::Appstore => {
                let id = self.app_id.as_deref().map(str::trim).unwrap_or_default();
                if id.is_empty() {
                    return Err(("app_id", "an appstore source needs `app_id`".into()));
                }
                if !id.bytes().all(|b| b.is_ascii_digit()) || id.len() > 20 {
                    return Err((
                        "app_id",
                        format!("{id:?} is not an App Store id (digits only, e.g. \"1234567890\")"),
                    ));
                }
                if let Some(c) = &self.country
                    && !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
                {
                    return Err((
                        "country",
                        format!("{c:?} is not a two-letter country code (e.g. \"ee\")"),
                    ));
                }
            }
            SourceKind::Youtube => {
                if self.channels.is_empty() && self.videos.is_empty() {
                    return Err((
                        "channels",
                        "a youtube source needs `channels` or `videos`".into(),
                    ));
                }
                let bad = self
                    .channels
                    .iter()
                    .chain(&self.videos)
                    .find(|id| !is_youtube_id(id));
                if let Some(id) = bad {
                    return Err((
                        if self.channels.contains(id) {
                            "channels"
                        } else {
                            "videos"
                        },
                        format!("{id:?} is not a YouTube id (letters, digits, - and _)"),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A hashtag without its `#`, or `None` if it cannot be one.
pub fn normalize_tag(raw: &str) -> Option<String> {
    let tag = raw.trim().trim_start_matches('#');
    (!tag.is_empty() && tag.len() <= 100 && tag.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| tag.to_owned())
}

/// A subreddit name without `r/`, or `None` if it cannot be one.
pub fn normalize_subreddit(raw: &str) -> Option<String> {
    let name = raw.trim().trim_start_matches('/');
    let name = name
        .strip_prefix("r/")
        .or_else(|| name.strip_prefix("R/"))
        .unwrap_or(name)
        .trim_end_matches('/');
    (2..=21)
        .contains(&name.len())
        .then_some(name)
        .filter(|n| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .map(str::to_owned)
}

fn is_youtube_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_subreddits_are_normalised() {
        assert_eq!(normalize_tag("#Acme_1").as_deref(), Some("Acme_1"));
        assert_eq!(normalize_tag("äpp").as_deref(), Some("äpp"));
        assert!(normalize_tag("two words").is_none());
        assert!(normalize_tag("#").is_none());
        assert_eq!(normalize_subreddit("r/Eesti").as_deref(), Some("Eesti"));
        assert_eq!(normalize_subreddit("/r/rust").as_deref(), Some("rust"));
        assert!(normalize_subreddit("r/a").is_none());
        assert!(normalize_subreddit("no spaces").is_none());
    }
}
