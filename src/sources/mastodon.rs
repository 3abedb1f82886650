//! Mastodon (and API-compatible servers): hashtag timelines on one or more instances, plus
//! full-text status search where we hold a token.
//!
//! * Instances: `base_url` (default <https://mastodon.social>) and every entry of
//!   `instances`, each polled with the same settings.
//! * Hashtag timelines, public, no auth: `GET /api/v1/timelines/tag/:tag?limit=40` for each
//!   of `config.hashtags(brands)` on every instance; stream key `tag:<tag>@<host>`.
//! * Status search, needs a token (`FANWATCH_MASTODON_TOKEN`, or `<credentials_env>_TOKEN`):
//!   `GET /api/v2/search?q=..&type=statuses&limit=40&resolve=false` with bearer auth, for each
//!   of `config.queries(brands)`; stream key `search:<query>@<host>`. A token belongs to one
//!   instance, so it is only ever sent to `base_url`: the further `instances` get hashtag
//!   timelines only (and an instance without full-text search answers with no statuses).
//! * Paging: newest first, backwards with `max_id` (the `Link` header's rel="next" where sent,
//!   else the oldest status id of the page), at most `max_pages` pages of 40 per stream and
//!   poll. A page shorter than asked is the end of the timeline.
//! * Cursor: per stream the newest publication time and the newest status id *on that
//!   instance* (ids are per instance). Later polls ask only for newer ids (`since_id` for
//!   timelines, `min_id` for search, where it is a plain range filter).
//! * Rate limits: 300 requests per 5 minutes per IP or token; the shared client reads
//!   `X-RateLimit-Remaining`/`-Reset` and pauses the host.
//! * Items: a boost stands for the boosted status. The external id is the status `uri`, its
//!   global ActivityPub id, so a status seen through two instances is stored once. Handles
//!   are `user@domain`; `community` is the author's home instance.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;

use super::api;
use super::paging::{Collector, Cursors, Limits, StreamCursor};
use super::{
    BuildError, Engagement, PollContext, PollResult, RawAuthor, RawItem, Source, SourceCursor,
    SourceError, base_url, endpoint,
};
use crate::config::{BrandConfig, SourceConfig, SourceKind};
use crate::domain::{Count, ExternalId, Handle, SourceName};
use crate::fetch::{FetchError, Request, Response};
use crate::text::{collapse_whitespace, html_to_text, nfc};

const DEFAULT_BASE: &str = "https://mastodon.social";
/// The most Mastodon returns per page for timelines and search.
const PAGE_LIMIT: usize = 40;

pub struct MastodonSource {
    name: SourceName,
    limits: Limits,
    /// `base_url` first: the only one the token is sent to.
    instances: Vec<Instance>,
    tags: Vec<String>,
    queries: Vec<String>,
    token: Option<String>,
}

struct Instance {
    api: url::Url,
    /// `host[:port]`, as in stream keys and handles.
    host: String,
}

enum StreamKind {
    Tag(String),
    Search(String),
}

struct Stream<'a> {
    key: String,
    instance: &'a Instance,
    authorized: bool,
    kind: &'a StreamKind,
}

impl MastodonSource {
    pub fn new(config: &SourceConfig, brands: &[BrandConfig]) -> Result<Self, BuildError> {
        let mut instances: Vec<Instance> = Vec::new();
        let urls = std::iter::once(base_url(config, DEFAULT_BASE)).chain(
            config.instances.iter().map(|u| {
                let mut c = config.clone();
                c.base_url = Some(u.clone());
                base_url(&c, DEFAULT_BASE)
            }),
        );
        for api in urls {
            let api = api?;
            let host = host_of_url(&api)
                .ok_or_else(|| BuildError::new(config, format!("{api} has no host")))?;
            if !instances.iter().any(|i| i.api == api) {
                instances.push(Instance { api, host });
            }
        }
        let tags = config.hashtags(brands);
        let token = config.credential("TOKEN");
        let queries = if token.is_some() {
            config.queries(brands)
        } else {
            Vec::new()
        };
        if tags.is_empty() && queries.is_empty() {
            return Err(BuildError::new(
                config,
                "nothing to poll: no `tags`, and no brand term makes a hashtag",
            ));
        }
        Ok(Self {
            name: config.name.clone(),
            limits: Limits::of(config),
            instances,
            tags,
            queries,
            token,
        })
    }

    fn streams<'a>(&'a self, kinds: &'a [StreamKind]) -> Vec<Stream<'a>> {
        let mut streams = Vec::new();
        for (i, instance) in self.instances.iter().enumerate() {
            let authorized = i == 0 && self.token.is_some();
            for kind in kinds {
                let key = match kind {
                    StreamKind::Tag(tag) => format!("tag:{tag}@{}", instance.host),
                    StreamKind::Search(_) if !authorized => continue,
                    StreamKind::Search(q) => format!("search:{q}@{}", instance.host),
                };
                streams.push(Stream {
                    key,
                    instance,
                    authorized,
                    kind,
                });
            }
        }
        streams
    }

    fn request(
        &self,
        stream: &Stream<'_>,
        newer_than: Option<&str>,
        max_id: Option<&str>,
    ) -> Result<Request, SourceError> {
        let mut url = match stream.kind {
            StreamKind::Tag(tag) => {
                endpoint(&stream.instance.api, &format!("api/v1/timelines/tag/{tag}"))?
            }
            StreamKind::Search(_) => endpoint(&stream.instance.api, "api/v2/search")?,
        };
        {
            let mut q = url.query_pairs_mut();
            match stream.kind {
                StreamKind::Tag(_) => {
                    q.append_pair("limit", &PAGE_LIMIT.to_string());
                    if let Some(id) = newer_than {
                        q.append_pair("since_id", id);
                    }
                }
                StreamKind::Search(query) => {
                    q.append_pair("q", query)
                        .append_pair("type", "statuses")
                        .append_pair("limit", &PAGE_LIMIT.to_string())
                        .append_pair("resolve", "false");
                    if let Some(id) = newer_than {
                        q.append_pair("min_id", id);
                    }
                }
            }
            if let Some(id) = max_id {
                q.append_pair("max_id", id);
            }
        }
        let request = Request::get(url);
        Ok(match (&self.token, stream.authorized) {
            // Also on hashtag timelines: instances that hide timelines from anonymous
            // visitors still show them to their own users.
            (Some(token), true) => request.bearer(token),
            _ => request,
        })
    }

    async fn poll_stream(
        &self,
        ctx: &PollContext,
        stream: &Stream<'_>,
        previous: Option<&StreamCursor>,
        now: DateTime<Utc>,
    ) -> Result<(Vec<RawItem>, Option<StreamCursor>), SourceError> {
        // The server already leaves out what we have (`since_id`/`min_id`); the time bound
        // only keeps the backfill window. A status that federated late carries an older
        // `created_at` than statuses we have already seen, and must not end the stream.
        let bound = previous.map(|p| StreamCursor {
            newest: p.newest.min(now - self.limits.backfill),
            id: p.id.clone(),
        });
        let mut collector = Collector::new(self.limits, bound.as_ref(), now);
        let newer_than = previous.and_then(|p| p.id.as_deref());
        let what = match stream.kind {
            StreamKind::Tag(tag) => {
                format!("mastodon tag timeline #{tag} on {}", stream.instance.host)
            }
            StreamKind::Search(q) => format!("mastodon search {q:?} on {}", stream.instance.host),
        };
        let mut max_id: Option<String> = None;
        let mut newest_id: Option<String> = None;
        loop {
            let request = self.request(stream, newer_than, max_id.as_deref())?;
            let page = match self.fetch_page(ctx, &request, stream, &what).await {
                Ok(page) => page,
                Err(err) => {
                    collector.stop_on(err)?;
                    break;
                }
            };
            newest_id = newer_id(newest_id, page.newest_id.clone());
            let next = page.next_max_id.clone().or_else(|| page.oldest_id.clone());
            let short = page.entries < PAGE_LIMIT;
            let more = collector.push_page(page.items);
            if !more || short || next.is_none() || next == max_id {
                break;
            }
            max_id = next;
        }
        let since = collector.since();
        let (items, cursor) = collector.finish();
        let newest_id = newer_id(previous.and_then(|p| p.id.clone()), newest_id);
        let newest = [cursor.map(|c| c.newest), previous.map(|p| p.newest)]
            .into_iter()
            .flatten()
            .max();
        let cursor = match (newest, newest_id) {
            (Some(newest), id) => Some(StreamCursor { newest, id }),
            // Statuses seen but none within the backfill: still, next time ask only for newer.
            (None, Some(id)) => Some(StreamCursor {
                newest: since,
                id: Some(id),
            }),
            (None, None) => None,
        };
        Ok((items, cursor))
    }

    async fn fetch_page(
        &self,
        ctx: &PollContext,
        request: &Request,
        stream: &Stream<'_>,
        what: &str,
    ) -> Result<Page, SourceError> {
        let response = send(ctx, request, what).await?;
        let ct = response.content_type.as_deref();
        let host = Some(stream.instance.host.as_str());
        let mut page = match stream.kind {
            StreamKind::Tag(_) => statuses_page(what, ct, &response.bytes, host)?,
            StreamKind::Search(_) => search_page(what, ct, &response.bytes, host)?,
        };
        page.next_max_id = next_max_id(&response);
        Ok(page)
    }
}

impl Source for MastodonSource {
    fn name(&self) -> &SourceName {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Mastodon
    }

    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>> {
        async move {
            let kinds: Vec<StreamKind> = self
                .tags
                .iter()
                .cloned()
                .map(StreamKind::Tag)
                .chain(self.queries.iter().cloned().map(StreamKind::Search))
                .collect();
            let mut cursors = Cursors::load(state.cursor.as_deref());
            let now = Utc::now();
            let mut items = Vec::new();
            let mut seen: HashSet<ExternalId> = HashSet::new();
            for stream in self.streams(&kinds) {
                let (found, cursor) = self
                    .poll_stream(ctx, &stream, cursors.get(&stream.key), now)
                    .await?;
                cursors.set(&stream.key, cursor);
                // One status under two tags, or seen through two instances, is one item.
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

/// `get_json`'s request half: 404 means the instance has no such API (wrong `base_url`).
async fn send(ctx: &PollContext, request: &Request, what: &str) -> Result<Response, SourceError> {
    match ctx.http.send(request, &ctx.cancel).await {
        Ok(r) => Ok(r),
        Err(FetchError::Status { status: 404, .. }) => Err(SourceError::Misconfigured(format!(
            "{what}: HTTP 404 Not Found for {} (is base_url a Mastodon instance?)",
            api::redact(&request.url)
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The `max_id` of the `Link` header's rel="next" URL.
fn next_max_id(response: &Response) -> Option<String> {
    let link = response.headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        if !is_next {
            return None;
        }
        let url = url::Url::parse(target.strip_prefix('<')?.strip_suffix('>')?).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "max_id")
            .map(|(_, v)| v.into_owned())
            .filter(|v| !v.is_empty())
    })
}

/// Status ids are numbers in decimal (Mastodon's snowflakes) or fixed-width sortable text
/// (Pleroma's flake ids): longer is newer, then by text.
fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn newer_id(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if id_order(&a, &b).is_lt() { b } else { a }),
        (a, b) => a.or(b),
    }
}

// ---------------------------------------------------------------------------------------
// Response shapes (https://docs.joinmastodon.org/entities/Status/)

#[derive(Debug, Deserialize)]
struct Status {
    #[serde(default, deserialize_with = "api::string_or_number")]
    id: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, deserialize_with = "api::timestamp")]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    spoiler_text: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default, deserialize_with = "api::count")]
    favourites_count: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    reblogs_count: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    replies_count: Option<Count>,
    #[serde(default)]
    account: Option<Account>,
    #[serde(default)]
    reblog: Option<Box<Status>>,
}

#[derive(Debug, Deserialize)]
struct Account {
    #[serde(default)]
    acct: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default, deserialize_with = "api::count")]
    followers_count: Option<Count>,
}

#[derive(Debug, Deserialize)]
struct SearchResult {
    #[serde(default)]
    statuses: Option<Vec<Status>>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    error: String,
}

/// One page as read, before the Collector sees it.
#[derive(Debug, Default)]
struct Page {
    items: Vec<RawItem>,
    /// Statuses on the page, usable or not: a short page is the last.
    entries: usize,
    newest_id: Option<String>,
    oldest_id: Option<String>,
    next_max_id: Option<String>,
}

/// Parses a JSON array of Status entities (a timeline page, e.g.
/// `GET /api/v1/timelines/tag/:hashtag` or `/api/v1/accounts/:id/statuses`) into items.
/// Boosts become the boosted status; statuses without a `uri` are skipped, but a page where
/// none has one is an error. Local handles get the host of the account's URL.
pub fn parse_statuses(bytes: &[u8]) -> Result<Vec<RawItem>, SourceError> {
    statuses_page("mastodon statuses", None, bytes, None).map(|p| p.items)
}

/// Parses one Status entity (`GET /api/v1/statuses/:id`) into an item (a boost: the boosted
/// status). A status without a `uri` is an error.
pub fn parse_status(bytes: &[u8]) -> Result<Vec<RawItem>, SourceError> {
    let what = "mastodon status";
    if let Some(err) = api_error(bytes) {
        return Err(server_error(what, &err));
    }
    let status: Status = api::decode_json_bytes(what, None, bytes)?;
    let (_, item) = entry_of(status, None);
    item.map(|i| vec![i])
        .ok_or_else(|| SourceError::Parse(format!("{what}: status has no `uri`")))
}

/// Parses a v2 search result (`GET /api/v2/search`) into items from its `statuses`; accounts
/// and hashtags are ignored.
pub fn parse_search(bytes: &[u8]) -> Result<Vec<RawItem>, SourceError> {
    search_page("mastodon search", None, bytes, None).map(|p| p.items)
}

fn api_error(bytes: &[u8]) -> Option<String> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if bytes.get(start) != Some(&b'{') {
        return None;
    }
    serde_json::from_slice::<ApiError>(bytes)
        .ok()
        .map(|e| e.error)
}

fn server_error(what: &str, error: &str) -> SourceError {
    SourceError::Parse(format!(
        "{what}: the server answered with an error: {:?}",
        crate::domain::truncate_chars(error, 300)
    ))
}

fn statuses_page(
    what: &str,
    content_type: Option<&str>,
    bytes: &[u8],
    host: Option<&str>,
) -> Result<Page, SourceError> {
    if let Some(err) = api_error(bytes) {
        return Err(server_error(what, &err));
    }
    let statuses: Vec<Status> = api::decode_json_bytes(what, content_type, bytes)?;
    page_of(what, statuses, host)
}

fn search_page(
    what: &str,
    content_type: Option<&str>,
    bytes: &[u8],
    host: Option<&str>,
) -> Result<Page, SourceError> {
    let result: SearchResult = api::decode_json_bytes(what, content_type, bytes)?;
    if let Some(err) = result.error {
        return Err(server_error(what, &err));
    }
    let statuses = result
        .statuses
        .ok_or_else(|| SourceError::Parse(format!("{what}: search result has no `statuses`")))?;
    page_of(what, statuses, host)
}

fn page_of(what: &str, statuses: Vec<Status>, host: Option<&str>) -> Result<Page, SourceError> {
    let mut page = Page {
        entries: statuses.len(),
        ..Page::default()
    };
    for status in statuses {
        let (id, item) = entry_of(status, host);
        if let Some(id) = id {
            if page
                .oldest_id
                .as_deref()
                .is_none_or(|o| id_order(&id, o).is_lt())
            {
                page.oldest_id = Some(id.clone());
            }
            page.newest_id = newer_id(page.newest_id.take(), Some(id));
        }
        page.items.extend(item);
    }
    if page.entries > 0 && page.items.is_empty() {
        return Err(SourceError::Parse(format!(
            "{what}: none of the {} statuses has a `uri`",
            page.entries
        )));
    }
    Ok(page)
}

/// The status's id on this instance (for paging) and the item it stands for.
fn entry_of(status: Status, host: Option<&str>) -> (Option<String>, Option<RawItem>) {
    let id = status.id.clone().filter(|i| !i.trim().is_empty());
    let shown = match status.reblog {
        Some(original) => *original,
        None => status,
    };
    (id, item_of(shown, host))
}

fn item_of(status: Status, instance_host: Option<&str>) -> Option<RawItem> {
    let uri = status
        .uri
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())?;
    let external_id = ExternalId::parse(uri).ok()?;
    let web = |u: &Option<String>| {
        u.as_deref()
            .map(str::trim)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_owned)
    };
    let url = web(&status.url).or_else(|| web(&status.uri));
    let host = status
        .account
        .as_ref()
        .and_then(|a| a.url.as_deref().or(a.uri.as_deref()))
        .and_then(host_of)
        .or_else(|| host_of(uri))
        .or_else(|| instance_host.map(str::to_owned));
    let author = status
        .account
        .as_ref()
        .and_then(|a| author_of(a, host.as_deref()));
    let community = author
        .as_ref()
        .and_then(|a| a.handle.as_str().split_once('@').map(|(_, d)| d.to_owned()))
        .or(host);
    let title = status
        .spoiler_text
        .as_deref()
        .map(plain)
        .filter(|t| !t.is_empty());
    Some(RawItem {
        external_id,
        url,
        title,
        text: status
            .content
            .as_deref()
            .map(html_to_text)
            .unwrap_or_default(),
        author,
        published_at: status.created_at,
        engagement: Engagement {
            likes: status.favourites_count,
            reposts: status.reblogs_count,
            replies: status.replies_count,
            ..Engagement::default()
        },
        lang_hint: status
            .language
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty()),
        community,
        app_version: None,
    })
}

fn author_of(account: &Account, host: Option<&str>) -> Option<RawAuthor> {
    let acct = account
        .acct
        .as_deref()
        .or(account.username.as_deref())
        .map(|a| a.trim().trim_start_matches('@'))
        .filter(|a| !a.is_empty())?;
    // Local accounts come without their domain; one user@domain names them everywhere.
    let handle = match (acct.contains('@'), host) {
        (false, Some(host)) => format!("{acct}@{host}"),
        _ => acct.to_owned(),
    };
    Some(RawAuthor {
        handle: Handle::parse(&handle).ok()?,
        display_name: account
            .display_name
            .as_deref()
            .map(plain)
            .filter(|n| !n.is_empty()),
        profile_url: account
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_owned),
        followers: account.followers_count,
    })
}

/// Display names and content warnings are plain text, not HTML.
fn plain(s: &str) -> String {
    collapse_whitespace(&nfc(s))
}

fn host_of(raw: &str) -> Option<String> {
    host_of_url(&url::Url::parse(raw.trim()).ok()?)
}

fn host_of_url(url: &url::Url) -> Option<String> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())?
        .to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_handles_get_their_domain_and_boosts_the_original() {
        let page = br#"[{"id":"20","uri":"https://a.example/users/x/statuses/20/activity",
            "content":"","account":{"acct":"x","url":"https://a.example/@x"},
            "reblog":{"id":"19","uri":"https://b.example/users/y/statuses/1",
              "url":"https://b.example/@y/1","content":"<p>Hi &amp; bye</p>","spoiler_text":"cw",
              "account":{"acct":"y@b.example","url":"https://b.example/@y","display_name":"Y"}}},
            {"id":"18","uri":"https://a.example/users/z/statuses/18","content":"plain",
             "account":{"acct":"z","url":"https://a.example/@z"}}]"#;
        let p = statuses_page("t", None, page, Some("fallback.example")).unwrap();
        assert_eq!(p.entries, 2);
        assert_eq!(p.newest_id.as_deref(), Some("20"));
        assert_eq!(p.oldest_id.as_deref(), Some("18"));
        assert_eq!(
            p.items[0].external_id.as_str(),
            "https://b.example/users/y/statuses/1"
        );
        assert_eq!(p.items[0].text, "Hi & bye");
        assert_eq!(p.items[0].title.as_deref(), Some("cw"));
        assert_eq!(
            p.items[0].author.as_ref().unwrap().handle.as_str(),
            "y@b.example"
        );
        assert_eq!(p.items[0].community.as_deref(), Some("b.example"));
        assert_eq!(
            p.items[1].author.as_ref().unwrap().handle.as_str(),
            "z@a.example"
        );
    }

    #[test]
    fn ids_order_numerically() {
        assert_eq!(
            newer_id(Some("99".into()), Some("100".into())).as_deref(),
            Some("100")
        );
        assert_eq!(newer_id(None, Some("5".into())).as_deref(), Some("5"));
    }

    #[test]
    fn error_bodies_are_named() {
        let e = parse_statuses(br#"{"error":"Record not found"}"#).unwrap_err();
        assert!(e.to_string().contains("Record not found"), "{e}");
        let e = parse_search(br#"{"error":"Search queries are disabled"}"#).unwrap_err();
        assert!(e.to_string().contains("disabled"), "{e}");
    }
}
