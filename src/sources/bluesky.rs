//! Bluesky (AT Protocol) post search through the AppView's XRPC API.
//!
//! - Endpoint: `GET /xrpc/app.bsky.feed.searchPosts?q=…&sort=latest&limit=100&since=…&cursor=…`,
//!   one stream per search term (`config.queries`). `since` is the stream's cursor time (or
//!   the backfill start), so the server skips what we have; `cursor` is the opaque paging
//!   token of the previous response (absent on the last page). At most `max_pages` per stream.
//! - Followers: afterwards `GET /xrpc/app.bsky.actor.getProfiles?actors=…` (25 actors per
//!   request) for the distinct authors. Search results carry no follower counts; a failed
//!   lookup only leaves them empty, since the posts themselves are fine.
//! - Auth: the public AppView (https://public.api.bsky.app) needs none for most reads, but
//!   Bluesky often refuses anonymous `searchPosts` (403), always for `cursor` pages. With
//!   `<prefix>_IDENTIFIER` and `<prefix>_APP_PASSWORD` set, the source logs in with
//!   `com.atproto.server.createSession` on the PDS (https://bsky.social, or `base_url`) and
//!   sends the `accessJwt` as a bearer token to the PDS, which proxies to the AppView. The
//!   session lives as long as the source; an expired one is replaced once per request.
//! - Cursor: per stream the newest `createdAt` seen (`paging::Cursors`).
//! - Rate limits: `RateLimit-*` headers (3000 requests / 5 min per IP on the PDS), honoured
//!   by the shared HTTP client; createSession is limited far harder (30 / 5 min), hence the
//!   cached session.
//! - Errors: XRPC errors are `{"error": "InvalidRequest", "message": "…"}`; both go into the
//!   error text.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Deserializer};

use super::paging::{Collector, Cursors, Limits};
use super::{
    BuildError, Engagement, PollContext, PollResult, RawAuthor, RawItem, Source, SourceCursor,
    SourceError, api, base_url, endpoint,
};
use crate::config::{BrandConfig, SourceConfig, SourceKind};
use crate::domain::{Count, ExternalId, Handle, SourceName};
use crate::fetch::{FetchError, Request, Response};

const PUBLIC_APPVIEW: &str = "https://public.api.bsky.app";
const DEFAULT_PDS: &str = "https://bsky.social";
/// getProfiles takes at most 25 actors.
const PROFILES_PER_REQUEST: usize = 25;

pub struct BlueskySource {
    name: SourceName,
    /// Where reads go: the AppView, or the PDS when logged in.
    reads: url::Url,
    /// Where the session is created.
    pds: url::Url,
    queries: Vec<String>,
    limits: Limits,
    login: Login,
    credentials_env: String,
    /// The access token of the current session; created on first use.
    session: tokio::sync::Mutex<Option<String>>,
}

enum Login {
    Anonymous,
    AppPassword {
        identifier: String,
        password: String,
    },
    /// One of the two variables is set: the operator meant to log in.
    Incomplete {
        missing: String,
    },
}

impl BlueskySource {
    pub fn new(config: &SourceConfig, brands: &[BrandConfig]) -> Result<Self, BuildError> {
        let prefix = config.credentials_env();
        let login = match (
            config.credential("IDENTIFIER"),
            config.credential("APP_PASSWORD"),
        ) {
            (Some(identifier), Some(password)) => Login::AppPassword {
                identifier,
                password,
            },
            (None, None) => Login::Anonymous,
            (Some(_), None) => Login::Incomplete {
                missing: format!("{prefix}_APP_PASSWORD"),
            },
            (None, Some(_)) => Login::Incomplete {
                missing: format!("{prefix}_IDENTIFIER"),
            },
        };
        let pds = base_url(config, DEFAULT_PDS)?;
        // A PDS access token means nothing to the AppView: logged in, everything goes to
        // the PDS, which proxies reads.
        let reads = match (&login, config.base_url.is_some()) {
            (Login::AppPassword { .. }, false) => pds.clone(),
            _ => base_url(config, PUBLIC_APPVIEW)?,
        };
        Ok(Self {
            name: config.name.clone(),
            reads,
            pds,
            queries: config.queries(brands),
            limits: Limits::of(config),
            login,
            credentials_env: prefix,
            session: tokio::sync::Mutex::new(None),
        })
    }

    fn anonymous(&self) -> bool {
        matches!(self.login, Login::Anonymous)
    }

    fn search_url(
        &self,
        query: &str,
        since: DateTime<Utc>,
        cursor: Option<&str>,
    ) -> Result<url::Url, SourceError> {
        let mut url = endpoint(&self.reads, "xrpc/app.bsky.feed.searchPosts")?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("q", query)
                .append_pair("sort", "latest")
                .append_pair("limit", "100")
                .append_pair("since", &since.to_rfc3339_opts(SecondsFormat::Secs, true));
            if let Some(c) = cursor {
                q.append_pair("cursor", c);
            }
        }
        Ok(url)
    }

    /// One search stream, newest first, until the collector has enough.
    async fn search(
        &self,
        ctx: &PollContext,
        query: &str,
        collector: &mut Collector,
    ) -> Result<(), SourceError> {
        let what = "bluesky searchPosts";
        let mut page_cursor: Option<String> = None;
        loop {
            let url = self.search_url(query, collector.since(), page_cursor.as_deref())?;
            let response = match self.xrpc(ctx, &url).await {
                Ok(r) => r,
                Err(SourceError::Fetch(FetchError::Status { status: 403, .. }))
                    if self.anonymous() && page_cursor.is_some() =>
                {
                    // Anonymous search is allowed one page at most; what we have is fine.
                    tracing::info!(query, "anonymous bluesky search refused the next page");
                    return Ok(());
                }
                Err(e) => return collector.stop_on(self.describe(e, what, &url)),
            };
            let (items, next) =
                search_page(what, response.content_type.as_deref(), &response.bytes)?;
            if !collector.push_page(items) {
                return Ok(());
            }
            match next {
                Some(next) if page_cursor.as_deref() != Some(next.as_str()) => {
                    page_cursor = Some(next)
                }
                _ => return Ok(()),
            }
        }
    }

    /// Follower counts of the items' authors, by DID. Lookups that fail are logged and left
    /// out: followers are a nicety, the posts are what the poll is for.
    async fn followers(
        &self,
        ctx: &PollContext,
        items: &[RawItem],
    ) -> Result<HashMap<String, Count>, SourceError> {
        let mut seen = HashSet::new();
        let actors: Vec<&str> = items
            .iter()
            .filter_map(|i| did_of(i.external_id.as_str()))
            .filter(|did| seen.insert(*did))
            .collect();
        let mut counts = HashMap::new();
        for chunk in actors.chunks(PROFILES_PER_REQUEST) {
            let mut url = endpoint(&self.reads, "xrpc/app.bsky.actor.getProfiles")?;
            url.query_pairs_mut()
                .extend_pairs(chunk.iter().map(|a| ("actors", *a)));
            let what = "bluesky getProfiles";
            let result = match self.xrpc(ctx, &url).await {
                Ok(r) => profiles(what, r.content_type.as_deref(), &r.bytes),
                Err(e) => Err(self.describe(e, what, &url)),
            };
            match result {
                Ok(found) => counts.extend(found),
                Err(SourceError::Fetch(FetchError::Cancelled)) => {
                    return Err(FetchError::Cancelled.into());
                }
                Err(e @ SourceError::Fetch(FetchError::BudgetSpent { .. })) => {
                    tracing::warn!(error = %e, "follower lookups stopped; followers left empty");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, actors = chunk.len(), "follower lookup failed; followers left empty");
                }
            }
        }
        Ok(counts)
    }

    /// A GET with the session token when logged in; an expired or rejected session is
    /// replaced once. HTTP errors come back as they are, for `describe`.
    async fn xrpc(&self, ctx: &PollContext, url: &url::Url) -> Result<Response, SourceError> {
        let token = self.session(ctx, None).await?;
        let send = |token: Option<&str>| {
            let mut request = Request::get(url.clone());
            if let Some(t) = token {
                request = request.bearer(t);
            }
            async move { ctx.http.send(&request, &ctx.cancel).await }
        };
        match send(token.as_deref()).await {
            Err(FetchError::Status { status, detail, .. })
                if token.is_some() && session_expired(status, detail.as_deref()) =>
            {
                tracing::info!(status, "bluesky session expired; logging in again");
                let token = self.session(ctx, token.as_deref()).await?;
                Ok(send(token.as_deref()).await?)
            }
            other => Ok(other?),
        }
    }

    /// The access token to use, logging in when there is none or when `stale` (the token
    /// a request was just refused with) is still the current one.
    async fn session(
        &self,
        ctx: &PollContext,
        stale: Option<&str>,
    ) -> Result<Option<String>, SourceError> {
        let (identifier, password) = match &self.login {
            Login::Anonymous => return Ok(None),
            Login::Incomplete { missing } => {
                return Err(SourceError::Misconfigured(format!(
                    "bluesky login needs both {p}_IDENTIFIER and {p}_APP_PASSWORD; {missing} is not set",
                    p = self.credentials_env
                )));
            }
            Login::AppPassword {
                identifier,
                password,
            } => (identifier, password),
        };
        let mut current = self.session.lock().await;
        if let Some(token) = current.as_ref()
            && stale.is_none_or(|s| s != token)
        {
            return Ok(Some(token.clone()));
        }
        *current = None;
        let token = self.create_session(ctx, identifier, password).await?;
        *current = Some(token.clone());
        Ok(Some(token))
    }

    async fn create_session(
        &self,
        ctx: &PollContext,
        identifier: &str,
        password: &str,
    ) -> Result<String, SourceError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Session {
            access_jwt: String,
        }
        let url = endpoint(&self.pds, "xrpc/com.atproto.server.createSession")?;
        let body = serde_json::to_vec(&serde_json::json!({
            "identifier": identifier,
            "password": password,
        }))
        .map_err(|e| SourceError::Parse(format!("bluesky createSession body: {e}")))?;
        let request = Request::post(url.clone(), "application/json", body);
        let response = match ctx.http.send(&request, &ctx.cancel).await {
            Ok(r) => r,
            Err(FetchError::Status {
                status: status @ (400 | 401 | 403),
                detail,
                ..
            }) => {
                return Err(SourceError::Misconfigured(format!(
                    "bluesky login as {identifier:?} refused: HTTP {status}{}; check {p}_IDENTIFIER and {p}_APP_PASSWORD (an app password, not the account password)",
                    xrpc_text(detail.as_deref()),
                    p = self.credentials_env
                )));
            }
            Err(FetchError::Status { status: 404, .. }) => {
                return Err(SourceError::Misconfigured(format!(
                    "bluesky createSession: HTTP 404 Not Found at {url} (is base_url a PDS?)"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let session: Session = api::decode_json("bluesky createSession", &response)?;
        Ok(session.access_jwt)
    }

    /// Turns a failed request into an error a person can act on.
    fn describe(&self, err: SourceError, what: &str, url: &url::Url) -> SourceError {
        let SourceError::Fetch(FetchError::Status { status, detail, .. }) = &err else {
            return err;
        };
        let xrpc = xrpc_text(detail.as_deref());
        let auth_error = detail.as_deref().is_some_and(|d| {
            [
                "AuthenticationRequired",
                "AuthFactorTokenRequired",
                "ExpiredToken",
                "InvalidToken",
                "AccountTakedown",
            ]
            .iter()
            .any(|code| d.contains(code))
        });
        let hint = if self.anonymous() {
            format!(
                "Bluesky may refuse anonymous search: set {p}_IDENTIFIER and {p}_APP_PASSWORD",
                p = self.credentials_env
            )
        } else {
            "the session was refused; check the app password".to_owned()
        };
        match status {
            401 | 403 => SourceError::Misconfigured(format!("{what}: HTTP {status}{xrpc}; {hint}")),
            404 => SourceError::Misconfigured(format!(
                "{what}: HTTP 404 Not Found for {} (check base_url)",
                api::redact(url)
            )),
            _ if auth_error => {
                SourceError::Misconfigured(format!("{what}: HTTP {status}{xrpc}; {hint}"))
            }
            // Still a fetch failure (retried later, Retry-After kept), but readable.
            _ => match err {
                SourceError::Fetch(FetchError::Status {
                    status,
                    retry_after,
                    detail: Some(_),
                }) => SourceError::Fetch(FetchError::Status {
                    status,
                    retry_after,
                    detail: Some(format!("{what}{xrpc}")),
                }),
                other => other,
            },
        }
    }
}

impl Source for BlueskySource {
    fn name(&self) -> &SourceName {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Bluesky
    }

    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>> {
        async move {
            let mut cursors = Cursors::load(state.cursor.as_deref());
            let now = Utc::now();
            let mut items: Vec<RawItem> = Vec::new();
            let mut seen: HashSet<ExternalId> = HashSet::new();
            for query in &self.queries {
                let stream = format!("search:{query}");
                let mut collector = Collector::new(self.limits, cursors.get(&stream), now);
                self.search(ctx, query, &mut collector).await?;
                let (found, newest) = collector.finish();
                cursors.set(&stream, newest);
                // Overlapping terms ("acme", "acme cloud") find the same posts.
                items.extend(
                    found
                        .into_iter()
                        .filter(|i| seen.insert(i.external_id.clone())),
                );
            }
            let followers = self.followers(ctx, &items).await?;
            for item in &mut items {
                let count = did_of(item.external_id.as_str()).and_then(|d| followers.get(d));
                if let (Some(author), Some(count)) = (item.author.as_mut(), count) {
                    author.followers = Some(*count);
                }
            }
            Ok(PollResult::from_streams(items, &cursors))
        }
        .boxed()
    }
}

/// Whether a request failed because the session token is no longer good.
fn session_expired(status: u16, detail: Option<&str>) -> bool {
    status == 401
        || detail.is_some_and(|d| d.contains("ExpiredToken") || d.contains("InvalidToken"))
}

/// `": InvalidRequest: message"` from an XRPC error body (or its raw start when it is cut
/// short), empty without one.
fn xrpc_text(detail: Option<&str>) -> String {
    #[derive(Deserialize)]
    struct XrpcError {
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        message: Option<String>,
    }
    let Some(detail) = detail else {
        return String::new();
    };
    match serde_json::from_str::<XrpcError>(detail) {
        Ok(XrpcError { error, message }) if error.is_some() || message.is_some() => {
            let parts: Vec<String> = [error, message].into_iter().flatten().collect();
            format!(": {}", parts.join(": "))
        }
        _ => format!(": {detail}"),
    }
}

/// The DID in a post's `at://did/collection/rkey` URI.
fn did_of(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("at://")?;
    let did = rest.split('/').next()?;
    did.starts_with("did:").then_some(did)
}

#[derive(Deserialize)]
struct SearchPage {
    posts: Vec<PostView>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct FeedPage {
    feed: Vec<FeedViewPost>,
}

#[derive(Deserialize)]
struct FeedViewPost {
    post: PostView,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostView {
    #[serde(default, deserialize_with = "api::string_or_number")]
    uri: Option<String>,
    #[serde(default)]
    author: Option<AuthorView>,
    #[serde(default)]
    record: Option<PostRecord>,
    #[serde(default, deserialize_with = "api::count")]
    reply_count: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    repost_count: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    like_count: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    quote_count: Option<Count>,
    #[serde(default, deserialize_with = "api::timestamp")]
    indexed_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorView {
    #[serde(default, deserialize_with = "api::string_or_number")]
    did: Option<String>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    handle: Option<String>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostRecord {
    #[serde(default, deserialize_with = "api::string_or_number")]
    text: Option<String>,
    #[serde(default, deserialize_with = "api::timestamp")]
    created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "first_lang")]
    langs: Option<String>,
}

/// `langs[0]`, ignoring anything that is not a list of strings.
fn first_lang<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(value
        .as_ref()
        .and_then(|v| v.as_array())
        .and_then(|a| a.first())
        .and_then(|l| l.as_str())
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.len() <= 35)
        .map(str::to_owned))
}

fn search_page(
    what: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<(Vec<RawItem>, Option<String>), SourceError> {
    let page: SearchPage = api::decode_json_bytes(what, content_type, bytes)?;
    let next = page.cursor.filter(|c| !c.trim().is_empty());
    Ok((page.posts.into_iter().filter_map(item_of).collect(), next))
}

/// Posts of an `app.bsky.feed.searchPosts` (or `app.bsky.feed.getPosts`) response, in the order given (newest first for
/// `sort=latest`). Posts without a URI are skipped; a body that is not a search response is
/// a `SourceError::Parse` naming what is wrong.
pub fn parse_search(bytes: &[u8]) -> Result<Vec<RawItem>, SourceError> {
    search_page("bluesky searchPosts", None, bytes).map(|(items, _)| items)
}

/// Posts of an `app.bsky.feed.getAuthorFeed` or `app.bsky.feed.getFeed` response
/// (`feed[].post`; a repost yields the original post).
pub fn parse_feed(bytes: &[u8]) -> Result<Vec<RawItem>, SourceError> {
    let page: FeedPage = api::decode_json_bytes("bluesky feed", None, bytes)?;
    Ok(page
        .feed
        .into_iter()
        .filter_map(|f| item_of(f.post))
        .collect())
}

/// Follower counts from an `app.bsky.actor.getProfiles` response, keyed by DID (by handle
/// for a profile without one). Profiles without `followersCount` are left out.
pub fn parse_profiles(bytes: &[u8]) -> Result<Vec<(String, Count)>, SourceError> {
    profiles("bluesky getProfiles", None, bytes)
}

fn profiles(
    what: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<Vec<(String, Count)>, SourceError> {
    #[derive(Deserialize)]
    struct Profiles {
        profiles: Vec<Profile>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Profile {
        #[serde(default, deserialize_with = "api::string_or_number")]
        did: Option<String>,
        #[serde(default, deserialize_with = "api::string_or_number")]
        handle: Option<String>,
        #[serde(default, deserialize_with = "api::count")]
        followers_count: Option<Count>,
    }
    let page: Profiles = api::decode_json_bytes(what, content_type, bytes)?;
    Ok(page
        .profiles
        .into_iter()
        .filter_map(|p| {
            let key = p.did.or(p.handle).filter(|k| !k.trim().is_empty())?;
            Some((key, p.followers_count?))
        })
        .collect())
}

fn item_of(post: PostView) -> Option<RawItem> {
    let uri = post.uri?.trim().to_owned();
    let external_id = ExternalId::parse(&uri).ok()?;
    let author = post.author.unwrap_or(AuthorView {
        did: None,
        handle: None,
        display_name: None,
    });
    let did = author
        .did
        .filter(|d| !d.trim().is_empty())
        .or_else(|| did_of(&uri).map(str::to_owned));
    // Bluesky shows "handle.invalid" for an account whose handle no longer verifies; its
    // DID still reaches the profile.
    let profile_id = author
        .handle
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h != "handle.invalid")
        .or(did);
    let rkey = uri
        .strip_prefix("at://")
        .and_then(|rest| rest.split_once("/app.bsky.feed.post/"))
        .map(|(_, rkey)| rkey)
        .filter(|r| !r.is_empty() && !r.contains('/'));
    let url = match (&profile_id, rkey) {
        (Some(who), Some(rkey)) => Some(format!("https://bsky.app/profile/{who}/post/{rkey}")),
        _ => None,
    };
    let author = profile_id.and_then(|who| {
        Some(RawAuthor {
            handle: Handle::parse(&who).ok()?,
            display_name: author
                .display_name
                .map(|n| crate::text::nfc(n.trim()))
                .filter(|n| !n.is_empty()),
            profile_url: Some(format!("https://bsky.app/profile/{who}")),
            followers: None,
        })
    });
    let record = post.record.unwrap_or(PostRecord {
        text: None,
        created_at: None,
        langs: None,
    });
    let text = record.text.unwrap_or_default();
    let text = crate::text::nfc(crate::domain::truncate_chars(
        &text,
        crate::text::MAX_TEXT_CHARS,
    ));
    let reposts = match (post.repost_count, post.quote_count) {
        (None, None) => None,
        (r, q) => Some(Count::new(
            r.map_or(0, Count::get)
                .saturating_add(q.map_or(0, Count::get)),
        )),
    };
    Some(RawItem {
        external_id,
        url,
        title: None,
        text,
        author,
        published_at: record.created_at.or(post.indexed_at),
        engagement: Engagement {
            likes: post.like_count,
            reposts,
            replies: post.reply_count,
            ..Engagement::default()
        },
        lang_hint: record.langs,
        community: None,
        app_version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_view_maps_to_an_item() {
        let body = br#"{"posts":[{"uri":"at://did:plc:abc/app.bsky.feed.post/3k2x","cid":"bafy",
            "author":{"did":"did:plc:abc","handle":"mari.bsky.social","displayName":" Mari "},
            "record":{"$type":"app.bsky.feed.post","text":"Acme rocks","createdAt":"2025-05-19T17:10:09.561858Z","langs":["et","en"]},
            "replyCount":2,"repostCount":3,"likeCount":"4","quoteCount":1,"indexedAt":"2025-05-19T17:10:10Z"},
            {"cid":"no uri"},
            {"uri":"at://did:plc:xyz/app.bsky.feed.post/3k2y","author":{"did":"did:plc:xyz","handle":"handle.invalid"},
             "record":{"text":"x","langs":"et"},"indexedAt":"2025-05-19T17:00:00Z"}],"cursor":"25"}"#;
        let items = parse_search(body).unwrap();
        assert_eq!(items.len(), 2);
        let a = &items[0];
        assert_eq!(
            a.external_id.as_str(),
            "at://did:plc:abc/app.bsky.feed.post/3k2x"
        );
        assert_eq!(
            a.url.as_deref(),
            Some("https://bsky.app/profile/mari.bsky.social/post/3k2x")
        );
        let author = a.author.as_ref().unwrap();
        assert_eq!(author.handle.as_str(), "mari.bsky.social");
        assert_eq!(author.display_name.as_deref(), Some("Mari"));
        assert_eq!(a.lang_hint.as_deref(), Some("et"));
        assert_eq!(a.engagement.likes, Some(Count::new(4)));
        assert_eq!(a.engagement.reposts, Some(Count::new(4)));
        assert_eq!(a.engagement.replies, Some(Count::new(2)));
        assert_eq!(
            a.published_at.unwrap().to_rfc3339(),
            "2025-05-19T17:10:09.561858+00:00"
        );
        let b = &items[1];
        assert_eq!(
            b.url.as_deref(),
            Some("https://bsky.app/profile/did:plc:xyz/post/3k2y")
        );
        assert_eq!(b.author.as_ref().unwrap().handle.as_str(), "did:plc:xyz");
        assert_eq!(b.lang_hint, None);
        assert!(b.published_at.is_some(), "indexedAt is the fallback");
    }

    #[test]
    fn xrpc_errors_read_well() {
        assert_eq!(
            xrpc_text(Some(r#"{"error":"InvalidRequest","message":"bad q"}"#)),
            ": InvalidRequest: bad q"
        );
        assert_eq!(
            xrpc_text(Some(r#"{"error":"Invalid"#)),
            r#": {"error":"Invalid"#
        );
        assert_eq!(xrpc_text(None), "");
        assert!(session_expired(
            400,
            Some(r#"{"error":"ExpiredToken","message":"Token has expired"}"#)
        ));
        assert!(!session_expired(400, Some(r#"{"error":"InvalidRequest"}"#)));
        assert_eq!(
            did_of("at://did:plc:a/app.bsky.feed.post/1"),
            Some("did:plc:a")
        );
        assert_eq!(did_of("at://someone.test/x/1"), None);
    }
}
