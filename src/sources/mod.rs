//! Connectors. Each kind of source lives in its own file behind the one `Source` trait and
//! turns whatever its origin speaks into `RawItem`s.

mod feed;
mod xml_prep;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::config::{SourceConfig, SourceKind};
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
    /// Review star rating, 1-5.
    pub rating: Option<u8>,
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

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("fetch failed: {0}")]
    Fetch(#[from] FetchError),
    #[error("cannot parse response: {0}")]
    Parse(String),
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
    fn platform(&self) -> Platform;
    /// Fetches what is new since `state`. Must not panic on any response.
    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>>;
}

/// Builds the connector a config entry describes. Config validation guarantees the fields
/// each kind needs, so this cannot fail.
pub fn build(config: &SourceConfig) -> Option<Arc<dyn Source>> {
    match config.kind {
        SourceKind::Feed => config
            .url
            .clone()
            .map(|url| Arc::new(FeedSource::new(config.name.clone(), url)) as Arc<dyn Source>),
    }
}
