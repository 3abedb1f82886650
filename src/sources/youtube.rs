//! YouTube comment threads through the YouTube Data API v3.
//!
//! - Endpoint: `GET /youtube/v3/commentThreads?part=snippet&videoId=…` for each configured
//!   video and `…&allThreadsRelatedToChannelId=…` for each channel (every video of it), with
//!   `order=time&maxResults=100&textFormat=plainText`. One stream per video or channel.
//! - Auth: an API key, `<prefix>_API_KEY` (default `FANWATCH_YOUTUBE_API_KEY`), sent as
//!   `key=`. Without one every poll fails as misconfigured. The key never goes into an error
//!   text or a log line we write.
//! - Paging: `pageToken` = the previous response's `nextPageToken`, newest first, at most
//!   `max_pages` pages per stream. The API has no time filter, so paging stops on reaching
//!   the stream's cursor: the newest `publishedAt` seen (`paging::Cursors`).
//! - Quota: 10,000 units a day per project by default, one unit per page. It resets at
//!   midnight Pacific time; `quotaExceeded` defers the source until about then (08:00 UTC)
//!   instead of marking it broken.
//! - Errors: `{"error": {"code", "message", "errors": [{"reason"}]}}`. A video with comments
//!   turned off (`commentsDisabled`) is skipped and the other streams go on; a refused key,
//!   another 403 or an unknown video or channel (404) needs a person.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;

use super::paging::{Collector, Cursors, Limits};
use super::{
    BuildError, Engagement, PollContext, PollResult, RawAuthor, RawItem, Source, SourceCursor,
    SourceError, api, base_url, endpoint,
};
use crate::config::{BrandConfig, SourceConfig, SourceKind};
use crate::domain::{Count, ExternalId, Handle, SourceName};
use crate::fetch::{FetchError, Request};

const DEFAULT_BASE: &str = "https://www.googleapis.com";
const WHAT: &str = "youtube commentThreads";

pub struct YouTubeSource {
    name: SourceName,
    base: url::Url,
    key: Option<String>,
    credentials_env: String,
    streams: Vec<Stream>,
    limits: Limits,
}

#[derive(Debug, Clone)]
enum Stream {
    Video(String),
    Channel(String),
}

impl Stream {
    fn key(&self) -> String {
        match self {
            Stream::Video(id) => format!("video:{id}"),
            Stream::Channel(id) => format!("channel:{id}"),
        }
    }

    /// How a person would name it in an error: `video "abc"`.
    fn describe(&self) -> String {
        match self {
            Stream::Video(id) => format!("video {id:?}"),
            Stream::Channel(id) => format!("channel {id:?}"),
        }
    }
}

/// What a failed page means for the poll.
enum Failure {
    /// Only this stream cannot be read (comments turned off); the others go on.
    Skip(String),
    Fail(SourceError),
}

impl YouTubeSource {
    pub fn new(config: &SourceConfig, _brands: &[BrandConfig]) -> Result<Self, BuildError> {
        let streams = config
            .videos
            .iter()
            .map(|v| Stream::Video(v.trim().to_owned()))
            .chain(
                config
                    .channels
                    .iter()
                    .map(|c| Stream::Channel(c.trim().to_owned())),
            )
            .collect();
        Ok(Self {
            name: config.name.clone(),
            base: base_url(config, DEFAULT_BASE)?,
            key: config.credential("API_KEY"),
            credentials_env: config.credentials_env(),
            streams,
            limits: Limits::of(config),
        })
    }

    fn page_url(
        &self,
        stream: &Stream,
        key: &str,
        token: Option<&str>,
    ) -> Result<url::Url, SourceError> {
        let mut url = endpoint(&self.base, "youtube/v3/commentThreads")?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("part", "snippet");
            match stream {
                Stream::Video(id) => q.append_pair("videoId", id),
                Stream::Channel(id) => q.append_pair("allThreadsRelatedToChannelId", id),
            };
            q.append_pair("order", "time")
                .append_pair("maxResults", "100")
                .append_pair("textFormat", "plainText")
                .append_pair("key", key);
            if let Some(t) = token {
                q.append_pair("pageToken", t);
            }
        }
        Ok(url)
    }

    /// One stream, newest first, until the collector has enough.
    async fn read_stream(
        &self,
        ctx: &PollContext,
        stream: &Stream,
        key: &str,
        collector: &mut Collector,
    ) -> Result<(), Failure> {
        let mut token: Option<String> = None;
        loop {
            let url = self
                .page_url(stream, key, token.as_deref())
                .map_err(Failure::Fail)?;
            let response = match ctx.http.send(&Request::get(url.clone()), &ctx.cancel).await {
                Ok(r) => r,
                Err(e) => {
                    return match self.classify(e, stream, &url, key) {
                        // Turned off mid-paging: keep what came before.
                        Failure::Skip(_) if collector.pages() > 0 => Ok(()),
                        Failure::Skip(why) => Err(Failure::Skip(why)),
                        Failure::Fail(e) => collector.stop_on(e).map_err(Failure::Fail),
                    };
                }
            };
            let (items, next) = comment_page(response.content_type.as_deref(), &response.bytes)
                .map_err(Failure::Fail)?;
            if !collector.push_page(items) {
                return Ok(());
            }
            match next {
                Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => return Ok(()),
            }
        }
    }

    /// Reads a failed request: quota → defer, comments off → skip, refused key or unknown
    /// target → misconfigured, anything else a plain fetch failure.
    fn classify(&self, err: FetchError, stream: &Stream, url: &url::Url, key: &str) -> Failure {
        let (status, retry_after, detail) = match err {
            FetchError::Status {
                status,
                retry_after,
                detail,
            } => (status, retry_after, detail),
            // reqwest names the URL, key included, in network errors.
            FetchError::Network(msg) => {
                return Failure::Fail(FetchError::Network(msg.replace(key, "***")).into());
            }
            other => return Failure::Fail(other.into()),
        };
        let error = GoogleError::read(detail.as_deref());
        let target = stream.describe();
        if error.has(&[
            "quotaExceeded",
            "rateLimitExceeded",
            "userRateLimitExceeded",
            "dailyLimitExceeded",
            "RATE_LIMIT_EXCEEDED",
        ]) || (status == 403
            && error.text.contains("exceeded your")
            && error.text.contains("quota"))
        {
            let host = match (url.host_str(), url.port_or_known_default()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (h, _) => h.unwrap_or_default().to_owned(),
            };
            let wait = until_quota_reset(Utc::now());
            tracing::warn!(
                reason = %error.summary(),
                wait_s = wait.as_secs(),
                "youtube quota spent; deferring until it resets"
            );
            return Failure::Fail(
                FetchError::RateLimited {
                    host,
                    retry_after: retry_after.map_or(wait, |ra| ra.max(wait)),
                }
                .into(),
            );
        }
        if error.has(&["commentsDisabled"]) || error.text.contains("has disabled comments") {
            return Failure::Skip(format!("{target}: comments are turned off"));
        }
        let misconfigured = |why: String| Failure::Fail(SourceError::Misconfigured(why));
        let summary = error.summary();
        if status == 404
            || error.has(&["videoNotFound", "channelNotFound", "commentThreadNotFound"])
        {
            let setting = match stream {
                Stream::Video(_) => "videos",
                Stream::Channel(_) => "channels",
            };
            return misconfigured(format!(
                "{WHAT}: {target} not found (HTTP {status}{summary}); check `{setting}` and base_url"
            ));
        }
        if error.has(&[
            "keyInvalid",
            "keyExpired",
            "API_KEY_INVALID",
            "API_KEY_EXPIRED",
        ]) || error.text.contains("API key not valid")
            || error.text.contains("API key expired")
        {
            return misconfigured(format!(
                "{WHAT}: the API key was refused (HTTP {status}{summary}); set a valid {}_API_KEY",
                self.credentials_env
            ));
        }
        if matches!(status, 401 | 403) {
            return misconfigured(format!(
                "{WHAT}: {target}: HTTP {status}{summary}; check the API key ({}_API_KEY) and that the YouTube Data API v3 is enabled for its project",
                self.credentials_env
            ));
        }
        Failure::Fail(
            FetchError::Status {
                status,
                retry_after,
                detail: detail.map(|_| format!("{WHAT}: {target}{summary}")),
            }
            .into(),
        )
    }
}

impl Source for YouTubeSource {
    fn name(&self) -> &SourceName {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Youtube
    }

    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>> {
        async move {
            let Some(key) = self.key.as_deref() else {
                return Err(SourceError::Misconfigured(format!(
                    "youtube needs an API key: set {}_API_KEY",
                    self.credentials_env
                )));
            };
            let mut cursors = Cursors::load(state.cursor.as_deref());
            let now = Utc::now();
            let mut items = Vec::new();
            let mut seen: HashSet<ExternalId> = HashSet::new();
            for stream in &self.streams {
                let name = stream.key();
                let mut collector = Collector::new(self.limits, cursors.get(&name), now);
                match self.read_stream(ctx, stream, key, &mut collector).await {
                    Ok(()) => {}
                    Err(Failure::Skip(why)) => {
                        tracing::warn!(stream = %name, reason = %why, "youtube stream skipped");
                        continue;
                    }
                    Err(Failure::Fail(e)) => return Err(e),
                }
                let (found, newest) = collector.finish();
                cursors.set(&name, newest);
                // A channel's stream holds its videos' comments too.
                items.extend(
                    found
                        .into_iter()
                        .filter(|i| seen.insert(i.external_id.clone())),
                );
            }
            Ok(PollResult::from_streams(items, &cursors))
        }
        .boxed()
    }
}

/// Time until the daily quota resets: midnight in California, taken as 08:00 UTC (an hour
/// late in summer, which costs nothing but an hour).
fn until_quota_reset(now: DateTime<Utc>) -> Duration {
    let today = now
        .date_naive()
        .and_hms_opt(8, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let next = if now < today {
        today
    } else {
        today + chrono::Duration::days(1)
    };
    (next - now)
        .to_std()
        .unwrap_or(Duration::from_secs(60 * 60))
        .max(Duration::from_secs(60))
}

/// What a Google API error body says, read from the start the fetch layer kept. That start
/// is often cut short before `errors[].reason`, so the raw text is searched as well.
struct GoogleError {
    reasons: Vec<String>,
    message: Option<String>,
    text: String,
}

impl GoogleError {
    fn read(detail: Option<&str>) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        #[derive(Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "api::string_or_number")]
            message: Option<String>,
            #[serde(default)]
            errors: Vec<Reason>,
            #[serde(default)]
            details: Vec<Reason>,
        }
        #[derive(Deserialize)]
        struct Reason {
            #[serde(default, deserialize_with = "api::string_or_number")]
            reason: Option<String>,
        }
        let text = detail.unwrap_or_default().to_owned();
        match serde_json::from_str::<Envelope>(&text) {
            Ok(Envelope { error }) => Self {
                reasons: error
                    .errors
                    .into_iter()
                    .chain(error.details)
                    .filter_map(|r| r.reason)
                    .collect(),
                message: error
                    .message
                    .map(|m| crate::text::html_to_text(&m))
                    .filter(|m| !m.is_empty()),
                text,
            },
            Err(_) => Self {
                reasons: Vec::new(),
                message: None,
                text,
            },
        }
    }

    fn has(&self, reasons: &[&str]) -> bool {
        reasons
            .iter()
            .any(|r| self.reasons.iter().any(|have| have == r) || self.text.contains(r))
    }

    /// `": commentsDisabled: The video … has disabled comments."`, or the raw start.
    fn summary(&self) -> String {
        let mut parts: Vec<&str> = self.reasons.iter().take(1).map(String::as_str).collect();
        if let Some(m) = &self.message {
            parts.push(m);
        }
        if parts.is_empty() && !self.text.is_empty() {
            let raw = crate::domain::truncate_chars(&self.text, 200);
            return format!(": {raw}");
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join(": "))
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadList {
    items: Vec<Thread>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct Thread {
    #[serde(default, deserialize_with = "api::string_or_number")]
    id: Option<String>,
    #[serde(default)]
    snippet: Option<ThreadSnippet>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadSnippet {
    #[serde(default, deserialize_with = "api::string_or_number")]
    video_id: Option<String>,
    #[serde(default)]
    top_level_comment: Option<Comment>,
    #[serde(default, deserialize_with = "api::count")]
    total_reply_count: Option<Count>,
}

#[derive(Deserialize)]
struct Comment {
    #[serde(default, deserialize_with = "api::string_or_number")]
    id: Option<String>,
    #[serde(default)]
    snippet: Option<CommentSnippet>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CommentSnippet {
    #[serde(default, deserialize_with = "api::string_or_number")]
    author_display_name: Option<String>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    author_channel_url: Option<String>,
    #[serde(default)]
    author_channel_id: Option<ChannelId>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    text_original: Option<String>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    text_display: Option<String>,
    #[serde(default, deserialize_with = "api::count")]
    like_count: Option<Count>,
    #[serde(default, deserialize_with = "api::timestamp")]
    published_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    video_id: Option<String>,
}

#[derive(Deserialize)]
struct ChannelId {
    #[serde(default, deserialize_with = "api::string_or_number")]
    value: Option<String>,
}

fn comment_page(
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<(Vec<RawItem>, Option<String>), SourceError> {
    let list: ThreadList = api::decode_json_bytes(WHAT, content_type, bytes)?;
    let next = list.next_page_token.filter(|t| !t.trim().is_empty());
    Ok((list.items.into_iter().filter_map(item_of).collect(), next))
}

/// Top-level comments of a `commentThreads.list` response (`part=snippet`), in the order
/// given (newest first for `order=time`). Threads without a comment id are skipped; a body
/// that is not a thread list is a `SourceError::Parse` naming what is wrong.
pub fn parse_comment_threads(bytes: &[u8]) -> Result<Vec<RawItem>, SourceError> {
    comment_page(None, bytes).map(|(items, _)| items)
}

fn item_of(thread: Thread) -> Option<RawItem> {
    let snippet = thread.snippet?;
    let comment = snippet.top_level_comment?;
    let id = comment.id.or(thread.id)?;
    let external_id = ExternalId::parse(&id).ok()?;
    let c = comment.snippet.unwrap_or_default();
    let video = c
        .video_id
        .or(snippet.video_id)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let mut url = None;
    if let Some(v) = &video
        && let Ok(mut u) = url::Url::parse("https://www.youtube.com/watch")
    {
        u.query_pairs_mut()
            .append_pair("v", v)
            .append_pair("lc", external_id.as_str());
        url = Some(u.to_string());
    }
    let text = match c.text_original.filter(|t| !t.trim().is_empty()) {
        Some(t) => crate::text::nfc(crate::domain::truncate_chars(
            &t,
            crate::text::MAX_TEXT_CHARS,
        )),
        None => crate::text::html_to_text(c.text_display.as_deref().unwrap_or_default()),
    };
    let channel_id = c
        .author_channel_id
        .and_then(|c| c.value)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let display = c
        .author_display_name
        .map(|n| crate::text::nfc(n.trim()))
        .filter(|n| !n.is_empty());
    // Display names are "@handle" since YouTube's handles; older comments carry a name.
    let author = display
        .as_deref()
        .or(channel_id.as_deref())
        .and_then(|h| Handle::parse(h).ok())
        .map(|handle| RawAuthor {
            handle,
            display_name: display.clone(),
            profile_url: c
                .author_channel_url
                .map(|u| u.trim().to_owned())
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .or_else(|| {
                    channel_id
                        .as_ref()
                        .map(|id| format!("https://www.youtube.com/channel/{id}"))
                }),
            followers: None,
        });
    Some(RawItem {
        external_id,
        url,
        title: None,
        text,
        author,
        published_at: c.published_at,
        engagement: Engagement {
            likes: c.like_count,
            replies: snippet.total_reply_count,
            ..Engagement::default()
        },
        lang_hint: None,
        community: video,
        app_version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_resets_at_the_next_eight_utc() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            until_quota_reset(at("2026-03-01T07:00:00Z")),
            Duration::from_secs(3600)
        );
        assert_eq!(
            until_quota_reset(at("2026-03-01T09:00:00Z")),
            Duration::from_secs(23 * 3600)
        );
    }

    #[test]
    fn cut_short_error_bodies_still_say_what() {
        // What the fetch layer keeps of a real quota error: 300 characters, before `reason`.
        let cut = r#"{ "error": { "code": 403, "message": "The request cannot be completed because you have exceeded your \u003ca href=\"/youtube/v3/getting-started#quota\"\u003equota\u003c/a\u003e.", "errors": [ { "message": "The request cannot be completed because you have exceeded your \u003ca href=\"/youtube/v3/getting-st"#;
        let e = GoogleError::read(Some(cut));
        assert!(e.text.contains("exceeded your") && e.text.contains("quota"));
        let whole = r#"{"error":{"code":403,"message":"The video identified by the \u003ccode\u003e\u003ca href=\"/youtube/v3/docs/commentThreads/list#videoId\"\u003evideoId\u003c/a\u003e\u003c/code\u003e parameter has disabled comments.","errors":[{"message":"x","domain":"youtube.commentThread","reason":"commentsDisabled","location":"videoId","locationType":"parameter"}]}}"#;
        let e = GoogleError::read(Some(whole));
        assert!(e.has(&["commentsDisabled"]));
        assert_eq!(
            e.summary(),
            ": commentsDisabled: The video identified by the videoId parameter has disabled comments."
        );
    }
}
