//! Hacker News stories and comments through the Algolia HN Search API.
//!
//! - Endpoint: `GET {base_url}/api/v1/search_by_date?query=<q>&tags=(story,comment)
//!   &hitsPerPage=100&numericFilters=created_at_i>=<unix secs>&page=N`, base_url default
//!   `https://hn.algolia.com`. `search_by_date` is newest first, which is what the paging
//!   helper needs; `search` (relevance order) would not be.
//! - Auth: none; the API is public.
//! - Streams: one per search term (`config.queries(brands)`), cursor key `search:<term>`.
//! - Paging: `page` from 0 while the response's `nbPages` says there is more, bounded by
//!   `max_pages` and `backfill_items`. Algolia serves at most 1000 hits per query (10 pages
//!   of 100), so a burst larger than that is cut anyway.
//! - Cursor: the newest `created_at_i` seen; it goes back to Algolia as the `numericFilters`
//!   lower bound, so a later poll asks only for what is new (the hit at exactly the cursor
//!   second comes again and is dropped by the store's dedup).
//! - Rate limits: Algolia documents 10,000 requests per hour per IP for this API; a poll
//!   costs one request per term and page, far below that. 429s are handled by the shared
//!   HTTP client.
//! - Hits carry no follower counts (HN shows karma only on the user page), so authors have
//!   none.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;

use super::api;
use super::paging::{Collector, Cursors, Limits};
use super::{
    BuildError, Engagement, PollContext, PollResult, RawAuthor, RawItem, Source, SourceCursor,
    SourceError, base_url, endpoint,
};
use crate::config::{BrandConfig, SourceConfig, SourceKind};
use crate::domain::{Count, ExternalId, Handle, SourceName};
use crate::fetch::Request;
use crate::text::html_to_text;

const DEFAULT_BASE: &str = "https://hn.algolia.com";
const HITS_PER_PAGE: &str = "100";
const WHAT: &str = "hackernews search";

pub struct HackerNewsSource {
    name: SourceName,
    base: url::Url,
    queries: Vec<String>,
    limits: Limits,
}

impl HackerNewsSource {
    pub fn new(config: &SourceConfig, brands: &[BrandConfig]) -> Result<Self, BuildError> {
        let queries = config.queries(brands);
        if queries.is_empty() {
            return Err(BuildError::new(
                config,
                "nothing to search for: set `query` or give the brands terms",
            ));
        }
        Ok(Self {
            name: config.name.clone(),
            base: base_url(config, DEFAULT_BASE)?,
            queries,
            limits: Limits::of(config),
        })
    }

    fn search_url(
        &self,
        query: &str,
        since: DateTime<Utc>,
        page: u32,
    ) -> Result<url::Url, SourceError> {
        let mut url = endpoint(&self.base, "api/v1/search_by_date")?;
        url.query_pairs_mut()
            .append_pair("query", query)
            .append_pair("tags", "(story,comment)")
            .append_pair("hitsPerPage", HITS_PER_PAGE)
            .append_pair(
                "numericFilters",
                &format!("created_at_i>={}", since.timestamp().max(0)),
            )
            .append_pair("page", &page.to_string());
        Ok(url)
    }

    /// One term's new hits, newest first, and its new cursor.
    async fn poll_query(
        &self,
        ctx: &PollContext,
        cursors: &mut Cursors,
        query: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<RawItem>, SourceError> {
        let key = format!("search:{query}");
        let mut collector = Collector::new(self.limits, cursors.get(&key), now);
        let since = collector.since();
        let mut page = 0u32;
        loop {
            let request = Request::get(self.search_url(query, since, page)?);
            let body = match api::get_json::<SearchPage>(ctx, &request, WHAT).await {
                Ok((body, _)) => body,
                Err(e) => {
                    collector.stop_on(e)?;
                    break;
                }
            };
            let pages = body.nb_pages.map_or(0, Count::get);
            let want_more = collector.push_page(items_of(body.hits));
            page += 1;
            if !want_more || i64::from(page) >= pages {
                break;
            }
        }
        let (items, cursor) = collector.finish();
        cursors.set(&key, cursor);
        Ok(items)
    }
}

impl Source for HackerNewsSource {
    fn name(&self) -> &SourceName {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Hackernews
    }

    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>> {
        async move {
            let mut cursors = Cursors::load(state.cursor.as_deref());
            let now = Utc::now();
            let mut items = Vec::new();
            // "acme" and "acme cloud" find the same hits; one copy is enough.
            let mut seen = HashSet::new();
            for query in &self.queries {
                for item in self.poll_query(ctx, &mut cursors, query, now).await? {
                    if seen.insert(item.external_id.as_str().to_owned()) {
                        items.push(item);
                    }
                }
            }
            Ok(PollResult::from_streams(items, &cursors))
        }
        .boxed()
    }
}

/// One page of `search` / `search_by_date`. Only `hits` is required: old responses lack
/// fields newer ones have, and newer ones add fields nobody here needs.
#[derive(Debug, Deserialize)]
struct SearchPage {
    hits: Vec<Hit>,
    #[serde(default, rename = "nbPages", deserialize_with = "api::count")]
    nb_pages: Option<Count>,
}

#[derive(Debug, Deserialize)]
struct Hit {
    #[serde(
        default,
        rename = "objectID",
        deserialize_with = "api::string_or_number"
    )]
    object_id: Option<String>,
    #[serde(default, deserialize_with = "api::timestamp")]
    created_at_i: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "api::timestamp")]
    created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    title: Option<String>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    url: Option<String>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    author: Option<String>,
    #[serde(default, deserialize_with = "api::count")]
    points: Option<Count>,
    #[serde(default, deserialize_with = "api::count")]
    num_comments: Option<Count>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    story_text: Option<String>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    comment_text: Option<String>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    story_title: Option<String>,
}

/// Parses one Algolia HN `search` or `search_by_date` response body into items. A body
/// without a `hits` array (an item or user document, an error page) is a
/// `SourceError::Parse` saying so; a hit without `objectID` is skipped.
pub fn parse_search(bytes: &[u8]) -> Result<Vec<RawItem>, SourceError> {
    let page: SearchPage = api::decode_json_bytes(WHAT, None, bytes)?;
    Ok(items_of(page.hits))
}

fn items_of(hits: Vec<Hit>) -> Vec<RawItem> {
    hits.into_iter().filter_map(item_of).collect()
}

/// Algolia writes absent text as null, "" or (old stories) a blank `url`.
fn present(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn item_of(hit: Hit) -> Option<RawItem> {
    let external_id = ExternalId::parse(hit.object_id.as_deref()?).ok()?;
    let mut url = url::Url::parse("https://news.ycombinator.com/item").ok()?;
    url.query_pairs_mut()
        .append_pair("id", external_id.as_str());
    let title = present(hit.title)
        .or(present(hit.story_title))
        .map(|t| html_to_text(&t))
        .filter(|t| !t.is_empty());
    let link = present(hit.url);
    let text = present(hit.comment_text)
        .or(present(hit.story_text))
        .map(|t| html_to_text(&t))
        .filter(|t| !t.is_empty())
        // A link story has no text of its own; where it points is the closest thing.
        .or(link)
        .unwrap_or_default();
    let author = present(hit.author).and_then(|name| {
        let handle = Handle::parse(&name).ok()?;
        let mut profile = url::Url::parse("https://news.ycombinator.com/user").ok()?;
        profile.query_pairs_mut().append_pair("id", handle.as_str());
        Some(RawAuthor {
            handle,
            display_name: None,
            profile_url: Some(profile.to_string()),
            followers: None,
        })
    });
    Some(RawItem {
        external_id,
        url: Some(url.to_string()),
        title,
        text,
        author,
        published_at: hit.created_at_i.or(hit.created_at),
        engagement: Engagement {
            points: hit.points,
            replies: hit.num_comments,
            ..Engagement::default()
        },
        lang_hint: None,
        community: None,
        app_version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stories_and_comments_map_to_items() {
        let body = br#"{"hits":[
            {"created_at":"2026-11-02T10:00:00.000Z","created_at_i":1793613600,"title":"Acme &amp; co","url":"https://acme.test/post","author":"mari","points":12,"story_text":null,"comment_text":null,"num_comments":3,"_tags":["story","author_mari","story_42"],"objectID":"42"},
            {"created_at":"2026-11-02T09:00:00.000Z","title":null,"url":null,"author":"jaan","points":null,"comment_text":"I <i>like</i> Acme&#x27;s API<p>second","story_id":42,"story_title":"Acme & co","parent_id":42,"objectID":"43"},
            {"title":"no id"}
        ],"nbPages":1}"#;
        let items = parse_search(body).unwrap();
        assert_eq!(items.len(), 2, "the hit without objectID is skipped");
        let story = &items[0];
        assert_eq!(story.external_id.as_str(), "42");
        assert_eq!(
            story.url.as_deref(),
            Some("https://news.ycombinator.com/item?id=42")
        );
        assert_eq!(story.title.as_deref(), Some("Acme & co"));
        assert_eq!(story.text, "https://acme.test/post");
        assert_eq!(story.engagement.points.map(Count::get), Some(12));
        assert_eq!(story.engagement.replies.map(Count::get), Some(3));
        let author = story.author.as_ref().unwrap();
        assert_eq!(author.handle.as_str(), "mari");
        assert_eq!(
            author.profile_url.as_deref(),
            Some("https://news.ycombinator.com/user?id=mari")
        );
        assert_eq!(
            story.published_at.unwrap().to_rfc3339(),
            "2026-11-02T10:00:00+00:00"
        );
        let comment = &items[1];
        assert_eq!(comment.title.as_deref(), Some("Acme & co"));
        assert_eq!(comment.text, "I like Acme's API\nsecond");
        assert!(comment.published_at.is_some(), "created_at alone is enough");
    }

    #[test]
    fn wrong_shapes_are_parse_errors() {
        for body in [
            &br#"{"id":17,"type":"comment"}"#[..],
            br#"{"hits":null}"#,
            br#"{"hits":[{"objectID":"1"}"#,
            b"<html><title>502</title></html>",
        ] {
            let e = parse_search(body).unwrap_err();
            assert!(
                matches!(e, SourceError::Parse(_)) && e.to_string().contains(WHAT),
                "{e}"
            );
        }
    }
}
