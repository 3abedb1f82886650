//! Reddit posts and comments through Reddit's JSON listings.
//!
//! Endpoints: without `subreddits`, the site-wide search
//! `GET /search.json?q=<query>&sort=new&type=link&limit=100&raw_json=1`, once per query. With
//! `subreddits`, each subreddit's `GET /r/<sub>/new.json` and `GET /r/<sub>/comments.json`
//! (`limit=100&raw_json=1`): brand mentions are often in comments, and the pipeline keeps only
//! items that name a brand. `raw_json=1` makes Reddit send text unescaped (no `&amp;`).
//!
//! Auth: the public JSON on `https://www.reddit.com` by default. With `<prefix>_CLIENT_ID` and
//! `<prefix>_CLIENT_SECRET` set, OAuth app-only ("client credentials"): a token from
//! `POST /api/v1/access_token` (HTTP Basic with the app's id and secret), then requests go to
//! `https://oauth.reddit.com` without `.json`, with `Authorization: bearer <token>`. The token
//! is kept until shortly before it expires; a 401 fetches a new one once. A `base_url` serves
//! both the token endpoint and the API (tests, proxies).
//!
//! Paging: every listing is newest first and pages with `after=<data.after>`; one stream per
//! query or per subreddit listing, each with its own cursor (newest `created_utc` seen), so a
//! poll pages back only to what the last one saw.
//!
//! Rate limits: Reddit sends `x-ratelimit-remaining/-reset`, which the shared HTTP client
//! obeys; the public JSON is throttled harder than OAuth (about 10 vs 100 requests a minute).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;

use super::paging::{Collector, Cursors, Limits};
use super::{
    BuildError, Engagement, PollContext, PollResult, RawAuthor, RawItem, Source, SourceCursor,
    SourceError, api,
};
use crate::config::{BrandConfig, SourceConfig, SourceKind, normalize_subreddit};
use crate::domain::{Count, ExternalId, Handle, SourceName};
use crate::fetch::{FetchError, Request};
use crate::text::{collapse_whitespace, nfc};

const PUBLIC_BASE: &str = "https://www.reddit.com/";
const OAUTH_BASE: &str = "https://oauth.reddit.com/";
/// Where item, author and subreddit links point, whatever host the API was read from.
const WEB: &str = "https://www.reddit.com";
/// Listing pages are capped at 100 by Reddit.
const PAGE_SIZE: &str = "100";

pub struct RedditSource {
    name: SourceName,
    limits: Limits,
    streams: Vec<Stream>,
    /// API root for listing requests (public or OAuth host).
    api_base: url::Url,
    auth: Option<OAuth>,
}

/// One newest-first listing, paged on its own and with its own cursor.
#[derive(Debug, Clone)]
enum Stream {
    Search(String),
    New(String),
    Comments(String),
}

impl Stream {
    fn key(&self) -> String {
        match self {
            Stream::Search(q) => format!("search:{q}"),
            Stream::New(sub) => format!("r/{sub}/new"),
            Stream::Comments(sub) => format!("r/{sub}/comments"),
        }
    }

    fn path(&self) -> String {
        match self {
            Stream::Search(_) => "search".into(),
            Stream::New(sub) => format!("r/{sub}/new"),
            Stream::Comments(sub) => format!("r/{sub}/comments"),
        }
    }
}

struct OAuth {
    client_id: String,
    client_secret: String,
    token_url: url::Url,
    env_prefix: String,
    token: tokio::sync::Mutex<Option<Token>>,
}

struct Token {
    value: String,
    /// When to stop using it: a little before Reddit says it expires.
    renew_at: Instant,
}

impl RedditSource {
    pub fn new(config: &SourceConfig, brands: &[BrandConfig]) -> Result<Self, BuildError> {
        let client_id = config.credential("CLIENT_ID");
        let client_secret = config.credential("CLIENT_SECRET");
        let auth = match (client_id, client_secret) {
            (Some(client_id), Some(client_secret)) => {
                let token_base = super::base_url(config, PUBLIC_BASE)?;
                let token_url = token_base
                    .join("api/v1/access_token")
                    .map_err(|e| BuildError::new(config, format!("base_url: {e}")))?;
                Some(OAuth {
                    client_id,
                    client_secret,
                    token_url,
                    env_prefix: config.credentials_env(),
                    token: tokio::sync::Mutex::new(None),
                })
            }
            (None, None) => None,
            _ => {
                return Err(BuildError::new(
                    config,
                    format!(
                        "reddit OAuth needs both {0}_CLIENT_ID and {0}_CLIENT_SECRET",
                        config.credentials_env()
                    ),
                ));
            }
        };
        let api_base = if auth.is_some() {
            super::base_url(config, OAUTH_BASE)?
        } else {
            super::base_url(config, PUBLIC_BASE)?
        };
        let mut streams = Vec::new();
        if config.subreddits.is_empty() {
            streams.extend(config.queries(brands).into_iter().map(Stream::Search));
            if streams.is_empty() {
                return Err(BuildError::new(
                    config,
                    "nothing to search: set `query` or `subreddits`, or give the brands terms",
                ));
            }
        } else {
            let mut seen = HashSet::new();
            for raw in &config.subreddits {
                let sub = normalize_subreddit(raw).ok_or_else(|| {
                    BuildError::new(config, format!("{raw:?} is not a subreddit name"))
                })?;
                if seen.insert(sub.to_ascii_lowercase()) {
                    streams.push(Stream::New(sub.clone()));
                    streams.push(Stream::Comments(sub));
                }
            }
        }
        Ok(Self {
            name: config.name.clone(),
            limits: Limits::of(config),
            streams,
            api_base,
            auth,
        })
    }

    fn listing_url(&self, stream: &Stream, after: Option<&str>) -> Result<url::Url, SourceError> {
        let path = stream.path();
        // The public host serves JSON only with `.json`; the OAuth host always speaks JSON.
        let path = if self.auth.is_some() {
            path
        } else {
            format!("{path}.json")
        };
        let mut url = super::endpoint(&self.api_base, &path)?;
        {
            let mut q = url.query_pairs_mut();
            if let Stream::Search(query) = stream {
                q.append_pair("q", query)
                    .append_pair("sort", "new")
                    .append_pair("type", "link");
            }
            q.append_pair("limit", PAGE_SIZE)
                .append_pair("raw_json", "1");
            if let Some(after) = after {
                q.append_pair("after", after);
            }
        }
        Ok(url)
    }

    /// One listing page: its items and the `after` token of the next page.
    async fn fetch_page(
        &self,
        ctx: &PollContext,
        stream: &Stream,
        after: Option<&str>,
    ) -> Result<(Vec<RawItem>, Option<String>), SourceError> {
        let url = self.listing_url(stream, after)?;
        let what = format!("reddit {}", stream.key());
        let mut renewed = false;
        loop {
            let mut request = Request::get(url.clone());
            if let Some(auth) = &self.auth {
                request = request.bearer(&self.token(ctx, auth, renewed).await?);
            }
            let (listing, _) = match api::get_json::<Listing>(ctx, &request, &what).await {
                Ok(ok) => ok,
                Err(SourceError::Fetch(FetchError::Status { status: 401, .. }))
                    if self.auth.is_some() && !renewed =>
                {
                    // Tokens can be revoked before their stated expiry: one fresh try.
                    renewed = true;
                    continue;
                }
                Err(SourceError::Fetch(FetchError::Status {
                    status: status @ (401 | 403),
                    detail,
                    ..
                })) => {
                    return Err(SourceError::Misconfigured(refused(
                        stream,
                        status,
                        detail.as_deref(),
                        self.auth.as_ref().map(|a| a.env_prefix.as_str()),
                    )));
                }
                Err(e) => return Err(e),
            };
            let after = listing.data.after.clone().filter(|a| !a.is_empty());
            let items = listing_items(listing, &what)?;
            return Ok((items, after));
        }
    }

    /// A valid token: the cached one, or a new one when there is none, it is about to
    /// expire, or `renew` says Reddit refused it.
    async fn token(
        &self,
        ctx: &PollContext,
        auth: &OAuth,
        renew: bool,
    ) -> Result<String, SourceError> {
        let mut cached = auth.token.lock().await;
        if !renew
            && let Some(token) = cached.as_ref()
            && Instant::now() < token.renew_at
        {
            return Ok(token.value.clone());
        }
        *cached = None;
        let token = fetch_token(ctx, auth).await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }
}

fn refused(stream: &Stream, status: u16, detail: Option<&str>, oauth: Option<&str>) -> String {
    let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
    let why = match (stream, status, oauth) {
        (_, 401, Some(prefix)) => {
            format!("Reddit refused the OAuth token; check {prefix}_CLIENT_ID and _CLIENT_SECRET")
        }
        (Stream::New(sub) | Stream::Comments(sub), 403, _) => {
            format!("r/{sub} is private, quarantined or banned")
        }
        (_, _, None) => "Reddit refuses anonymous requests from here; set up an OAuth app \
                         (CLIENT_ID and CLIENT_SECRET)"
            .into(),
        (_, _, Some(_)) => "Reddit refuses this app access".into(),
    };
    format!("reddit {}: HTTP {status}{detail}: {why}", stream.key())
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default, deserialize_with = "api::count")]
    expires_in: Option<Count>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

async fn fetch_token(ctx: &PollContext, auth: &OAuth) -> Result<Token, SourceError> {
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", auth.client_id, auth.client_secret));
    let request = Request::post(
        auth.token_url.clone(),
        "application/x-www-form-urlencoded",
        b"grant_type=client_credentials".to_vec(),
    )
    .header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"));
    let hint = |detail: String| {
        SourceError::Misconfigured(format!(
            "reddit: token request refused{detail}; check {0}_CLIENT_ID and {0}_CLIENT_SECRET",
            auth.env_prefix
        ))
    };
    let response = match ctx.http.send(&request, &ctx.cancel).await {
        Ok(r) => r,
        Err(FetchError::Status {
            status: status @ (400 | 401 | 403 | 404),
            detail,
            ..
        }) => {
            let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
            return Err(hint(format!(" (HTTP {status}{detail})")));
        }
        Err(e) => return Err(e.into()),
    };
    let body: TokenResponse = api::decode_json("reddit access token", &response)?;
    // Reddit answers some refusals (an unsupported grant) with 200 and an `error`.
    if let Some(error) = body.error.filter(|e| !e.is_null()) {
        return Err(hint(format!(" ({error})")));
    }
    let value = body
        .access_token
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            SourceError::Parse("reddit access token: response has no `access_token`".into())
        })?;
    let lifetime = body
        .expires_in
        .map_or(3600, |c| c.get().clamp(0, 86_400 * 30)) as u64;
    // A minute's margin (or a tenth of a short lifetime) so no request carries a token
    // that expires on the way.
    let margin = (lifetime / 10).min(60);
    Ok(Token {
        value,
        renew_at: Instant::now() + Duration::from_secs(lifetime - margin),
    })
}

impl Source for RedditSource {
    fn name(&self) -> &SourceName {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Reddit
    }

    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>> {
        async move {
            let mut cursors = Cursors::load(state.cursor.as_deref());
            let now = chrono::Utc::now();
            let mut items = Vec::new();
            let mut seen = HashSet::new();
            for stream in &self.streams {
                let key = stream.key();
                let mut collector = Collector::new(self.limits, cursors.get(&key), now);
                let mut after: Option<String> = None;
                loop {
                    let (page, next) = match self.fetch_page(ctx, stream, after.as_deref()).await {
                        Ok(page) => page,
                        Err(e) => {
                            collector.stop_on(e)?;
                            break;
                        }
                    };
                    let more = collector.push_page(page);
                    match next {
                        Some(next) if more => after = Some(next),
                        _ => break,
                    }
                }
                let (found, cursor) = collector.finish();
                cursors.set(&key, cursor);
                // Two queries can find the same post; one copy is enough.
                items.extend(
                    found
                        .into_iter()
                        .filter(|i| seen.insert(i.external_id.as_str().to_owned())),
                );
            }
            Ok(PollResult::from_streams(items, &cursors))
        }
        .boxed()
    }
}

#[derive(Deserialize)]
struct Listing {
    kind: String,
    data: ListingData,
}

#[derive(Deserialize)]
struct ListingData {
    /// Optional here so a body of another kind is named as such, not as a missing field.
    #[serde(default)]
    children: Option<Vec<Thing>>,
    #[serde(default)]
    after: Option<String>,
}

#[derive(Deserialize)]
struct Thing {
    kind: String,
    #[serde(default)]
    data: ThingData,
}

/// The fields of a t3 (post) or t1 (comment) that are read; everything is optional so one
/// odd child does not sink the page.
#[derive(Deserialize, Default)]
struct ThingData {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    selftext: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    link_title: Option<String>,
    #[serde(default)]
    link_id: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    subreddit: Option<String>,
    #[serde(default, deserialize_with = "api::count")]
    score: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    num_comments: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    subreddit_subscribers: Option<Count>,
    #[serde(default, deserialize_with = "api::timestamp")]
    created_utc: Option<chrono::DateTime<chrono::Utc>>,
    /// A comment's answers: `""` or a nested Listing (in a thread's comment tree).
    #[serde(default)]
    replies: serde_json::Value,
}

/// Parses a Reddit response into items: one `Listing` (search, `new`, `comments`), or the
/// two-element array a thread's page returns ([the post's listing, the comment tree]). Posts
/// (t3) and comments (t1, nested replies included) come out; "more" stubs and other kinds are
/// skipped. A body that is not a Listing is a `SourceError::Parse` saying what is wrong.
pub fn parse_listing(bytes: &[u8]) -> Result<Vec<RawItem>, SourceError> {
    const WHAT: &str = "reddit listing";
    let is_array = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let listings: Vec<Listing> = if is_array {
        api::decode_json_bytes(WHAT, None, bytes)?
    } else {
        vec![api::decode_json_bytes(WHAT, None, bytes)?]
    };
    let mut items = Vec::new();
    for listing in listings {
        items.extend(listing_items(listing, WHAT)?);
    }
    Ok(items)
}

fn listing_items(listing: Listing, what: &str) -> Result<Vec<RawItem>, SourceError> {
    if listing.kind != "Listing" {
        return Err(SourceError::Parse(format!(
            "{what}: expected a Listing, got kind {:?}",
            crate::domain::truncate_chars(&listing.kind, 40)
        )));
    }
    let children = listing
        .data
        .children
        .ok_or_else(|| SourceError::Parse(format!("{what}: the Listing has no `data.children`")))?;
    let mut items = Vec::new();
    collect(children, &mut items, 0);
    Ok(items)
}

/// Comment trees can be deep; past this, replies are left to their own listings.
const MAX_DEPTH: usize = 32;

fn collect(children: Vec<Thing>, out: &mut Vec<RawItem>, depth: usize) {
    for mut thing in children {
        let replies = std::mem::take(&mut thing.data.replies);
        if let Some(item) = item_of(thing) {
            out.push(item);
        }
        if depth < MAX_DEPTH
            && replies.is_object()
            && let Ok(nested) = serde_json::from_value::<Listing>(replies)
            && nested.kind == "Listing"
            && let Some(children) = nested.data.children
        {
            collect(children, out, depth + 1);
        }
    }
}

fn item_of(thing: Thing) -> Option<RawItem> {
    let post = match thing.kind.as_str() {
        "t3" => true,
        "t1" => false,
        _ => return None,
    };
    let d = thing.data;
    let prefix = if post { "t3_" } else { "t1_" };
    let fullname = d
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            d.id.as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(|i| format!("{prefix}{i}"))
        })?;
    let external_id = ExternalId::parse(&fullname).ok()?;
    let short_id = fullname
        .strip_prefix(prefix)
        .unwrap_or(&fullname)
        .to_owned();
    let subreddit = d
        .subreddit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let url = web_url(d.permalink.as_deref()).or_else(|| {
        // Older comment listings have no permalink; the thread id and comment id make one.
        let sub = subreddit?;
        if post {
            return Some(format!("{WEB}/r/{sub}/comments/{short_id}/"));
        }
        let link = d.link_id.as_deref()?.trim().trim_start_matches("t3_");
        (!link.is_empty()).then(|| format!("{WEB}/r/{sub}/comments/{link}/_/{short_id}/"))
    });
    let clean_title = |t: Option<&str>| {
        t.map(|t| nfc(&collapse_whitespace(t)))
            .filter(|t| !t.is_empty())
    };
    let (title, text) = if post {
        let selftext = d.selftext.as_deref().map(str::trim).unwrap_or_default();
        let text = if selftext.is_empty() {
            // A link post's content is where it links.
            d.url.as_deref().map(str::trim).unwrap_or_default()
        } else {
            selftext
        };
        (clean_title(d.title.as_deref()), nfc(text))
    } else {
        (
            clean_title(d.link_title.as_deref()),
            nfc(d.body.as_deref().map(str::trim).unwrap_or_default()),
        )
    };
    let author = d
        .author
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "[deleted]")
        .and_then(|a| {
            Some(RawAuthor {
                handle: Handle::parse(a).ok()?,
                display_name: None,
                profile_url: Some(format!("{WEB}/user/{a}")),
                followers: None,
            })
        });
    Some(RawItem {
        external_id,
        url,
        title,
        text,
        author,
        published_at: d.created_utc,
        engagement: Engagement {
            points: d.score,
            replies: if post { d.num_comments } else { None },
            audience: d.subreddit_subscribers,
            ..Engagement::default()
        },
        lang_hint: None,
        community: subreddit.map(|s| format!("r/{s}")),
        app_version: None,
    })
}

/// `https://www.reddit.com` + a permalink (already absolute ones are kept).
fn web_url(permalink: Option<&str>) -> Option<String> {
    let p = permalink?.trim();
    if p.starts_with('/') {
        Some(format!("{WEB}{p}"))
    } else if p.starts_with("https://") || p.starts_with("http://") {
        Some(p.to_owned())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_comments_and_stubs() {
        let body = br#"{"kind":"Listing","data":{"after":"t3_b","children":[
          {"kind":"t3","data":{"name":"t3_a","id":"a","title":"Acme  launch","selftext":"",
            "url":"https://acme.example/x","permalink":"/r/tech/comments/a/acme_launch/",
            "author":"[deleted]","subreddit":"tech","score":"12","num_comments":-1,
            "subreddit_subscribers":1e300,"created_utc":1700000000.0}},
          {"kind":"t1","data":{"id":"c1","body":"acme rocks","link_title":"Thread",
            "link_id":"t3_a","author":"mari","subreddit":"tech","score":3,"created_utc":1700000100,
            "replies":{"kind":"Listing","data":{"children":[{"kind":"t1","data":{"name":"t1_c2","body":"yes"}}]}}}},
          {"kind":"more","data":{"count":4,"children":["x"]}},
          {"kind":"t3","data":{"title":"no id"}}]}}"#;
        let items = parse_listing(body).unwrap();
        assert_eq!(items.len(), 3);
        let post = &items[0];
        assert_eq!(post.external_id.as_str(), "t3_a");
        assert_eq!(post.text, "https://acme.example/x");
        assert_eq!(post.title.as_deref(), Some("Acme launch"));
        assert!(post.author.is_none());
        assert_eq!(post.engagement.points.map(Count::get), Some(12));
        assert_eq!(post.engagement.replies.map(Count::get), Some(0));
        assert_eq!(post.engagement.audience, None);
        let comment = &items[1];
        assert_eq!(comment.external_id.as_str(), "t1_c1");
        assert_eq!(
            comment.url.as_deref(),
            Some("https://www.reddit.com/r/tech/comments/a/_/c1/")
        );
        assert_eq!(comment.author.as_ref().unwrap().handle.as_str(), "mari");
        assert_eq!(items[2].external_id.as_str(), "t1_c2");
    }
}
