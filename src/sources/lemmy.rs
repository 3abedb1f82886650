//! Lemmy posts and comments through an instance's search (HTTP API v3, Lemmy 0.19).
//!
//! Endpoints: `GET /api/v3/search?q=<query>&type_=Posts|Comments&sort=New&listing_type=All
//! &limit=50&page=N`, per query, on one instance (`base_url`, default `https://lemmy.world`),
//! which searches everything it federates with. Community sizes come from
//! `GET /api/v3/community?id=<id>` (`community_view.counts.subscribers`), at most
//! `MAX_COMMUNITY_LOOKUPS` per poll; language ids are resolved to codes through the instance's
//! `GET /api/v3/site` (`all_languages`), read once and kept. Both are extras: when they fail,
//! items just go without audience or language.
//!
//! Auth: none; search is public.
//!
//! Paging: pages count from 1 and are newest first (`sort=New`); a short page is the last. Two
//! streams per query (posts, comments), each with its own cursor: the newest `published` seen.
//!
//! Rate limits: Lemmy limits search per IP (by default a few dozen requests a minute) and
//! answers 429 beyond that, which the shared HTTP client backs off from.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;

use super::paging::{Collector, Cursors, Limits};
use super::{
    BuildError, Engagement, PollContext, PollResult, RawAuthor, RawItem, Source, SourceCursor,
    SourceError, api,
};
use crate::config::{BrandConfig, SourceConfig, SourceKind};
use crate::domain::{Count, ExternalId, Handle, SourceName};
use crate::fetch::{FetchError, Request};
use crate::text::{collapse_whitespace, nfc};

const DEFAULT_BASE: &str = "https://lemmy.world/";
/// Lemmy's largest search page.
const PAGE_SIZE: usize = 50;
/// Community lookups cost one request each; the busiest communities come first.
const MAX_COMMUNITY_LOOKUPS: usize = 10;

pub struct LemmySource {
    name: SourceName,
    limits: Limits,
    base: url::Url,
    queries: Vec<String>,
    /// Language id → code, once the instance has told us.
    languages: tokio::sync::Mutex<Option<Arc<HashMap<i64, String>>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Posts,
    Comments,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Posts => "Posts",
            Kind::Comments => "Comments",
        }
    }
}

impl LemmySource {
    pub fn new(config: &SourceConfig, brands: &[BrandConfig]) -> Result<Self, BuildError> {
        let queries = config.queries(brands);
        if queries.is_empty() {
            return Err(BuildError::new(
                config,
                "nothing to search: set `query` or give the brands terms",
            ));
        }
        Ok(Self {
            name: config.name.clone(),
            limits: Limits::of(config),
            base: super::base_url(config, DEFAULT_BASE)?,
            queries,
            languages: tokio::sync::Mutex::new(None),
        })
    }

    async fn fetch_page(
        &self,
        ctx: &PollContext,
        query: &str,
        kind: Kind,
        page: u32,
    ) -> Result<Vec<Found>, SourceError> {
        let mut url = super::endpoint(&self.base, "api/v3/search")?;
        url.query_pairs_mut()
            .append_pair("q", query)
            .append_pair("type_", kind.as_str())
            .append_pair("sort", "New")
            .append_pair("listing_type", "All")
            .append_pair("limit", &PAGE_SIZE.to_string())
            .append_pair("page", &page.to_string());
        let what = format!("lemmy search {} {query:?}", kind.as_str().to_lowercase());
        let request = Request::get(url);
        let (response, _) = match api::get_json::<SearchResponse>(ctx, &request, &what).await {
            Ok(ok) => ok,
            Err(SourceError::Fetch(FetchError::Status { status, detail, .. }))
                if refuses_anonymous(status, detail.as_deref()) =>
            {
                let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
                return Err(SourceError::Misconfigured(format!(
                    "{what}: HTTP {status}{detail}: the instance does not allow public \
                     search; point base_url at one that does"
                )));
            }
            Err(e) => return Err(e),
        };
        found_in(response, &what)
    }

    /// Subscriber counts of up to `MAX_COMMUNITY_LOOKUPS` communities, most items first.
    async fn audiences(&self, ctx: &PollContext, found: &[Found]) -> HashMap<i64, Count> {
        let mut items_per_community: HashMap<i64, usize> = HashMap::new();
        for id in found.iter().filter_map(|f| f.community_id) {
            *items_per_community.entry(id).or_default() += 1;
        }
        let mut ids: Vec<(i64, usize)> = items_per_community.into_iter().collect();
        ids.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut sizes = HashMap::new();
        for (id, _) in ids.into_iter().take(MAX_COMMUNITY_LOOKUPS) {
            match self.community_size(ctx, id).await {
                Ok(Some(n)) => {
                    sizes.insert(id, n);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::debug!(community = id, error = %e, "community lookup failed");
                    if matches!(
                        e,
                        SourceError::Fetch(
                            FetchError::BudgetSpent { .. }
                                | FetchError::RateLimited { .. }
                                | FetchError::Cancelled
                        )
                    ) {
                        break;
                    }
                }
            }
        }
        sizes
    }

    async fn community_size(
        &self,
        ctx: &PollContext,
        id: i64,
    ) -> Result<Option<Count>, SourceError> {
        let mut url = super::endpoint(&self.base, "api/v3/community")?;
        url.query_pairs_mut().append_pair("id", &id.to_string());
        let (response, _) = api::get_json::<CommunityResponse>(
            ctx,
            &Request::get(url),
            &format!("lemmy community {id}"),
        )
        .await?;
        Ok(response.community_view.and_then(|v| v.counts?.subscribers))
    }

    /// The instance's language table, read once; `None` when it cannot be had this time.
    async fn languages(&self, ctx: &PollContext) -> Option<Arc<HashMap<i64, String>>> {
        let mut cached = self.languages.lock().await;
        if let Some(table) = cached.as_ref() {
            return Some(Arc::clone(table));
        }
        let url = super::endpoint(&self.base, "api/v3/site").ok()?;
        match api::get_json::<SiteResponse>(ctx, &Request::get(url), "lemmy site").await {
            Ok((site, _)) => {
                let table: HashMap<i64, String> = site
                    .all_languages
                    .into_iter()
                    .filter_map(|l| {
                        let id = l.id()?;
                        let code = l.code?.trim().to_owned();
                        // "und" (undetermined) is no hint at all.
                        (!code.is_empty() && code != "und").then_some((id, code))
                    })
                    .collect();
                let table = Arc::new(table);
                *cached = Some(Arc::clone(&table));
                Some(table)
            }
            Err(e) => {
                tracing::debug!(error = %e, "lemmy language table unavailable");
                None
            }
        }
    }
}

impl Source for LemmySource {
    fn name(&self) -> &SourceName {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Lemmy
    }

    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>> {
        async move {
            let mut cursors = Cursors::load(state.cursor.as_deref());
            let now = Utc::now();
            let mut found: Vec<Found> = Vec::new();
            let mut seen = HashSet::new();
            for query in &self.queries {
                for kind in [Kind::Posts, Kind::Comments] {
                    let key = format!("{}:{query}", kind.as_str().to_lowercase());
                    let mut collector = Collector::new(self.limits, cursors.get(&key), now);
                    // The page's extras (community, language) ride beside the items, by id.
                    let mut extras: HashMap<String, (Option<i64>, Option<i64>)> = HashMap::new();
                    let mut page = 1;
                    loop {
                        let batch = match self.fetch_page(ctx, query, kind, page).await {
                            Ok(batch) => batch,
                            Err(e) => {
                                collector.stop_on(e)?;
                                break;
                            }
                        };
                        let last = batch.len() < PAGE_SIZE;
                        let mut items = Vec::with_capacity(batch.len());
                        for f in batch {
                            extras.insert(
                                f.item.external_id.as_str().to_owned(),
                                (f.community_id, f.language_id),
                            );
                            items.push(f.item);
                        }
                        if !collector.push_page(items) || last {
                            break;
                        }
                        page += 1;
                    }
                    let (items, cursor) = collector.finish();
                    cursors.set(&key, cursor);
                    for item in items {
                        let id = item.external_id.as_str().to_owned();
                        if seen.insert(id.clone()) {
                            let (community_id, language_id) =
                                extras.get(&id).copied().unwrap_or_default();
                            found.push(Found {
                                item,
                                community_id,
                                language_id,
                            });
                        }
                    }
                }
            }
            let sizes = self.audiences(ctx, &found).await;
            let languages = if found.iter().any(|f| f.language_id.is_some()) {
                self.languages(ctx).await
            } else {
                None
            };
            let items = found
                .into_iter()
                .map(|mut f| {
                    if let Some(n) = f.community_id.and_then(|id| sizes.get(&id)) {
                        f.item.engagement.audience = Some(*n);
                    }
                    if let (Some(table), Some(lang)) = (&languages, f.language_id) {
                        f.item.lang_hint = table.get(&lang).cloned();
                    }
                    f.item
                })
                .collect();
            Ok(PollResult::from_streams(items, &cursors))
        }
        .boxed()
    }
}

/// 401/403, or Lemmy's 400 for a private instance or one that wants a login.
fn refuses_anonymous(status: u16, detail: Option<&str>) -> bool {
    match status {
        401 | 403 => true,
        400 => {
            detail.is_some_and(|d| d.contains("not_logged_in") || d.contains("instance_is_private"))
        }
        _ => false,
    }
}

/// An item with what is needed to complete it after the search.
struct Found {
    item: RawItem,
    community_id: Option<i64>,
    /// Lemmy's numeric language id; 0 ("undetermined") reads as none.
    language_id: Option<i64>,
}

#[derive(Deserialize)]
struct SearchResponse {
    #[serde(default)]
    posts: Option<Vec<PostView>>,
    #[serde(default)]
    comments: Option<Vec<CommentView>>,
}

#[derive(Deserialize)]
struct PostView {
    #[serde(default)]
    post: Option<Post>,
    #[serde(default)]
    creator: Option<Person>,
    #[serde(default)]
    community: Option<Community>,
    #[serde(default)]
    counts: PostCounts,
}

#[derive(Deserialize)]
struct Post {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    ap_id: Option<String>,
    #[serde(default, deserialize_with = "api::timestamp")]
    published: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "api::count")]
    language_id: Option<Count>,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    removed: bool,
}

#[derive(Deserialize, Default)]
struct PostCounts {
    #[serde(default, deserialize_with = "api::count")]
    score: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    comments: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    upvotes: Option<Count>,
}

#[derive(Deserialize)]
struct CommentView {
    #[serde(default)]
    comment: Option<Comment>,
    #[serde(default)]
    creator: Option<Person>,
    #[serde(default)]
    post: Option<PostRef>,
    #[serde(default)]
    community: Option<Community>,
    #[serde(default)]
    counts: CommentCounts,
}

#[derive(Deserialize)]
struct Comment {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    ap_id: Option<String>,
    #[serde(default, deserialize_with = "api::timestamp")]
    published: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "api::count")]
    language_id: Option<Count>,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    removed: bool,
}

#[derive(Deserialize)]
struct PostRef {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize, Default)]
struct CommentCounts {
    #[serde(default, deserialize_with = "api::count")]
    score: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    child_count: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    upvotes: Option<Count>,
}

#[derive(Deserialize)]
struct Person {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    actor_id: Option<String>,
}

#[derive(Deserialize)]
struct Community {
    #[serde(default, deserialize_with = "api::count")]
    id: Option<Count>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    actor_id: Option<String>,
}

#[derive(Deserialize)]
struct CommunityResponse {
    #[serde(default)]
    community_view: Option<CommunityView>,
}

#[derive(Deserialize)]
struct CommunityView {
    #[serde(default)]
    counts: Option<CommunityCounts>,
}

#[derive(Deserialize)]
struct CommunityCounts {
    #[serde(default, deserialize_with = "api::count")]
    subscribers: Option<Count>,
}

#[derive(Deserialize)]
struct SiteResponse {
    #[serde(default)]
    all_languages: Vec<Language>,
}

#[derive(Deserialize)]
struct Language {
    #[serde(default, deserialize_with = "api::count")]
    id: Option<Count>,
    #[serde(default)]
    code: Option<String>,
}

impl Language {
    fn id(&self) -> Option<i64> {
        self.id.map(Count::get)
    }
}

/// Parses a `/api/v3/search` response into items: its posts and its comments. Markdown bodies
/// are kept as text. Audience and language are not in the response (the connector looks them
/// up separately), so they stay empty here. A body that is not a search response is a
/// `SourceError::Parse` saying what is wrong.
pub fn parse_search(bytes: &[u8]) -> Result<Vec<RawItem>, SourceError> {
    const WHAT: &str = "lemmy search";
    let response: SearchResponse = api::decode_json_bytes(WHAT, None, bytes)?;
    Ok(found_in(response, WHAT)?
        .into_iter()
        .map(|f| f.item)
        .collect())
}

fn found_in(response: SearchResponse, what: &str) -> Result<Vec<Found>, SourceError> {
    if response.posts.is_none() && response.comments.is_none() {
        return Err(SourceError::Parse(format!(
            "{what}: not a search response (no `posts` or `comments`)"
        )));
    }
    let posts = response.posts.unwrap_or_default();
    let comments = response.comments.unwrap_or_default();
    Ok(posts
        .into_iter()
        .filter_map(post_item)
        .chain(comments.into_iter().filter_map(comment_item))
        .collect())
}

fn post_item(view: PostView) -> Option<Found> {
    let post = view.post?;
    if post.deleted || post.removed {
        return None;
    }
    let ap_id = clean(post.ap_id.as_deref())?;
    let body = clean(post.body.as_deref());
    // A link post's content is where it links.
    let text = body
        .or_else(|| clean(post.url.as_deref()))
        .unwrap_or_default();
    Some(Found {
        item: RawItem {
            external_id: ExternalId::parse(ap_id).ok()?,
            url: web_url(ap_id),
            title: clean(post.name.as_deref()).map(|t| nfc(&collapse_whitespace(t))),
            text: nfc(text),
            author: view.creator.as_ref().and_then(author_of),
            published_at: post.published,
            engagement: Engagement {
                points: view.counts.score,
                replies: view.counts.comments,
                likes: view.counts.upvotes,
                ..Engagement::default()
            },
            lang_hint: None,
            community: view.community.as_ref().and_then(community_of),
            app_version: None,
        },
        community_id: view.community.as_ref().and_then(community_id),
        language_id: language_id(post.language_id),
    })
}

fn comment_item(view: CommentView) -> Option<Found> {
    let comment = view.comment?;
    if comment.deleted || comment.removed {
        return None;
    }
    let ap_id = clean(comment.ap_id.as_deref())?;
    Some(Found {
        item: RawItem {
            external_id: ExternalId::parse(ap_id).ok()?,
            url: web_url(ap_id),
            title: view
                .post
                .as_ref()
                .and_then(|p| clean(p.name.as_deref()))
                .map(|t| nfc(&collapse_whitespace(t))),
            text: nfc(clean(comment.content.as_deref()).unwrap_or_default()),
            author: view.creator.as_ref().and_then(author_of),
            published_at: comment.published,
            engagement: Engagement {
                points: view.counts.score,
                replies: view.counts.child_count,
                likes: view.counts.upvotes,
                ..Engagement::default()
            },
            lang_hint: None,
            community: view.community.as_ref().and_then(community_of),
            app_version: None,
        },
        community_id: view.community.as_ref().and_then(community_id),
        language_id: language_id(comment.language_id),
    })
}

fn clean(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn web_url(ap_id: &str) -> Option<String> {
    (ap_id.starts_with("https://") || ap_id.starts_with("http://")).then(|| ap_id.to_owned())
}

fn host_of(actor_id: Option<&str>) -> Option<String> {
    let url = url::Url::parse(clean(actor_id)?).ok()?;
    url.host_str().map(str::to_ascii_lowercase)
}

/// `name@instance`: names are only unique per instance.
fn author_of(person: &Person) -> Option<RawAuthor> {
    let name = clean(person.name.as_deref())?;
    let handle = match host_of(person.actor_id.as_deref()) {
        Some(host) => format!("{name}@{host}"),
        None => name.to_owned(),
    };
    Some(RawAuthor {
        handle: Handle::parse(&handle).ok()?,
        display_name: clean(person.display_name.as_deref()).map(nfc),
        profile_url: clean(person.actor_id.as_deref()).and_then(web_url),
        followers: None,
    })
}

/// `!name@instance`, as Lemmy writes community references.
fn community_of(community: &Community) -> Option<String> {
    let name = clean(community.name.as_deref())?;
    Some(match host_of(community.actor_id.as_deref()) {
        Some(host) => format!("!{name}@{host}"),
        None => format!("!{name}"),
    })
}

fn community_id(community: &Community) -> Option<i64> {
    community.id.map(Count::get).filter(|id| *id > 0)
}

fn language_id(id: Option<Count>) -> Option<i64> {
    id.map(Count::get).filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_and_comments_map() {
        let body = br#"{"type_":"All","communities":[],"users":[],
          "posts":[{"post":{"id":1,"name":"Acme  news","body":null,"url":"https://acme.example/",
              "ap_id":"https://lemmy.ml/post/1","published":"2024-03-01T10:00:00.123456",
              "language_id":37,"deleted":false,"removed":false},
            "creator":{"id":2,"name":"mari","display_name":"Mari","actor_id":"https://Lemmy.ml/u/mari"},
            "community":{"id":9,"name":"tech","title":"Tech","actor_id":"https://lemmy.ml/c/tech"},
            "counts":{"score":"5","comments":-2,"upvotes":1e300,"downvotes":0}},
            {"post":{"id":3,"name":"no ap_id"}}],
          "comments":[{"comment":{"id":4,"content":"acme is ok","ap_id":"https://feddit.de/comment/4",
              "published":"2024-03-01T11:00:00Z","language_id":0},
            "creator":{"name":"jaan","actor_id":"https://feddit.de/u/jaan"},
            "post":{"id":1,"name":"Acme news"},
            "community":{"id":9,"name":"tech","actor_id":"https://lemmy.ml/c/tech"},
            "counts":{"score":2,"child_count":3,"upvotes":2}}]}"#;
        let items = parse_search(body).unwrap();
        assert_eq!(items.len(), 2);
        let p = &items[0];
        assert_eq!(p.external_id.as_str(), "https://lemmy.ml/post/1");
        assert_eq!(p.title.as_deref(), Some("Acme news"));
        assert_eq!(p.text, "https://acme.example/");
        let a = p.author.as_ref().unwrap();
        assert_eq!(a.handle.as_str(), "mari@lemmy.ml");
        assert_eq!(a.display_name.as_deref(), Some("Mari"));
        assert_eq!(p.community.as_deref(), Some("!tech@lemmy.ml"));
        assert_eq!(p.engagement.points.map(Count::get), Some(5));
        assert_eq!(p.engagement.replies.map(Count::get), Some(0));
        assert_eq!(p.engagement.likes, None);
        assert!(p.published_at.is_some());
        let c = &items[1];
        assert_eq!(c.title.as_deref(), Some("Acme news"));
        assert_eq!(c.engagement.replies.map(Count::get), Some(3));
        assert_eq!(c.author.as_ref().unwrap().handle.as_str(), "jaan@feddit.de");
    }
}
