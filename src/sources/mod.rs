//! Connectors. Each kind of source lives in its own file behind the one `Source` trait and
//! turns whatever its origin speaks into `RawItem`s.

pub mod api;
pub mod appstore;
pub mod bluesky;
mod feed;
pub mod hackernews;
pub mod lemmy;
pub mod mastodon;
pub mod paging;
pub mod reddit;
mod xml_prep;
pub mod youtube;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::config::{BrandConfig, SourceConfig, SourceKind};
use crate::domain::{Count, ExternalId, Handle, Platform, SourceName};
use crate::fetch::{FetchError, HttpClient, Validators};

pub use feed::{FeedSource, parse_feed};

/// Who wrote an item, as its platform shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct RawAuthor {
    pub handle: Handle,
    pub display_name: Option<String>,
    pub profile_url: Option<String>,
    /// Follower count where the platform shows one.
    pub followers: Option<Count>,
}

/// The numbers reach is computed from, where the platform shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Engagement {
    pub likes: Option<Count>,
    pub reposts: Option<Count>,
    pub replies: Option<Count>,
    pub points: Option<Count>,
    /// Views or plays, where shown (YouTube).
    pub views: Option<Count>,
    /// Review star rating, 1-5.
    pub rating: Option<u8>,
    /// Size of the community the item was posted in (subreddit or Lemmy community
    /// subscribers): the audience beyond the author's own followers.
    pub audience: Option<Count>,
}

/// One post, review or article as fetched, before brand matching.
#[derive(Debug, Clone, PartialEq)]
pub struct RawItem {
    pub external_id: ExternalId,
    /// Public web address of the item.
    pub url: Option<String>,
    pub title: Option<String>,
    /// Plain text (HTML already removed), NFC-normalised.
    pub text: String,
    pub author: Option<RawAuthor>,
    pub published_at: Option<DateTime<Utc>>,
    pub engagement: Engagement,
    /// Language the origin declares, e.g. "et" or "en-US".
    pub lang_hint: Option<String>,
    /// Where on the platform it was posted: subreddit, Lemmy community, Mastodon instance,
    /// YouTube video, App Store country.
    pub community: Option<String>,
    /// App Store reviews: the app version reviewed.
    pub app_version: Option<String>,
}

/// What a source remembers between polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceCursor {
    pub validators: Validators,
    /// Connector-specific position (last seen id or time) for incremental polling.
    pub cursor: Option<String>,
}

#[derive(Debug)]
pub enum PollResult {
    /// The origin said nothing changed (HTTP 304).
    NotModified,
    Page {
        items: Vec<RawItem>,
        next: SourceCursor,
    },
}

impl PollResult {
    /// A poll of a JSON API: its items and every stream's new position. Such APIs have no
    /// cache validators; the cursors say where to resume.
    pub fn from_streams(items: Vec<RawItem>, cursors: &paging::Cursors) -> Self {
        PollResult::Page {
            items,
            next: SourceCursor {
                validators: Validators::default(),
                cursor: cursors.save(),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("fetch failed: {0}")]
    Fetch(#[from] FetchError),
    #[error("cannot parse response: {0}")]
    Parse(String),
    /// Credentials missing, refused (401/403) or the configured target does not exist: retrying
    /// will not help until someone changes the config or the environment.
    #[error("misconfigured: {0}")]
    Misconfigured(String),
}

impl SourceError {
    /// Whether this failure needs a person rather than a retry.
    pub fn is_misconfiguration(&self) -> bool {
        matches!(
            self,
            SourceError::Misconfigured(_)
                | SourceError::Fetch(FetchError::Status {
                    status: 401 | 403,
                    ..
                })
        )
    }
}

/// Shared by every poll of a cycle.
#[derive(Clone)]
pub struct PollContext {
    pub http: HttpClient,
    pub cancel: CancellationToken,
}

pub trait Source: Send + Sync {
    fn name(&self) -> &SourceName;
    fn kind(&self) -> SourceKind;
    fn platform(&self) -> Platform {
        self.kind().platform()
    }
    /// Fetches what is new since `state`. Must not panic on any response.
    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>>;
}

/// Builds the connector a config entry describes. Config validation guarantees the fields
/// each kind needs, so this only fails on what validation cannot see (e.g. a base URL that
/// cannot take a path).
pub fn build(config: &SourceConfig, brands: &[BrandConfig]) -> Result<Arc<dyn Source>, BuildError> {
    let source: Arc<dyn Source> = match config.kind {
        SourceKind::Feed => {
            let url = config
                .url
                .clone()
                .ok_or_else(|| BuildError::new(config, "a feed source needs `url`"))?;
            Arc::new(FeedSource::new(config.name.clone(), url))
        }
        SourceKind::Hackernews => Arc::new(hackernews::HackerNewsSource::new(config, brands)?),
        SourceKind::Appstore => Arc::new(appstore::AppStoreSource::new(config, brands)?),
        SourceKind::Mastodon => Arc::new(mastodon::MastodonSource::new(config, brands)?),
        SourceKind::Lemmy => Arc::new(lemmy::LemmySource::new(config, brands)?),
        SourceKind::Reddit => Arc::new(reddit::RedditSource::new(config, brands)?),
        SourceKind::Bluesky => Arc::new(bluesky::BlueskySource::new(config, brands)?),
        SourceKind::Youtube => Arc::new(youtube::YouTubeSource::new(config, brands)?),
    };
    Ok(source)
}

/// A source that cannot be built from its config.
#[derive(Debug, thiserror::Error)]
#[error("source {name}: {reason}")]
pub struct BuildError {
    pub name: SourceName,
    pub reason: String,
}

impl BuildError {
    pub fn new(config: &SourceConfig, reason: impl Into<String>) -> Self {
        Self {
            name: config.name.clone(),
            reason: reason.into(),
        }
    }
}

/// The API root of a source: its `base_url`, else the public service. A trailing slash is
/// added so relative paths (`api/v1/...`) join under it, e.g. for an instance at a subpath.
pub fn base_url(config: &SourceConfig, default: &str) -> Result<url::Url, BuildError> {
    let raw = config.base_url.as_ref().map_or(default, |u| u.as_str());
    let mut url =
        url::Url::parse(raw).map_err(|e| BuildError::new(config, format!("base_url: {e}")))?;
    if url.cannot_be_a_base() {
        return Err(BuildError::new(config, "base_url cannot take a path"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// `base` joined with a relative `path` (no leading slash).
pub fn endpoint(base: &url::Url, path: &str) -> Result<url::Url, SourceError> {
    base.join(path.trim_start_matches('/'))
        .map_err(|e| SourceError::Misconfigured(format!("cannot build URL for {path}: {e}")))
}
