//! Apple App Store customer reviews through the iTunes customer-reviews RSS feed, JSON form.
//!
//! - Endpoint: `GET {base_url}/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json`,
//!   base_url default `https://itunes.apple.com`, country default `us` (the storefront; each
//!   country has its own reviews).
//! - Auth: none; the feed is public.
//! - Paging: pages 1 to 10 at most (Apple serves 10 pages of 50 reviews and refuses deeper
//!   ones), fewer when the feed's `link rel="last"` says so, bounded by `max_pages` and
//!   `backfill_items`. One stream per source, cursor key `reviews`.
//! - Cursor: the newest review `updated` time seen. The feed takes no "since" parameter, so
//!   a later poll reads page 1 and stops at the first review at or before the cursor.
//! - Rate limits: undocumented; Apple answers too many requests with 403 or 429. One poll is
//!   at most 10 requests, usually one.
//! - Shape quirks: `feed.entry` is an array, a single object when the page holds one review,
//!   or missing when there are none. Older feeds put the app itself first among the entries;
//!   it has no `im:rating`, which is how it is told apart and skipped. Reviews have no web
//!   page of their own, so an item's `url` is the app's page on apps.apple.com, and reviewers
//!   have no follower counts.

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::api;
use super::paging::{Collector, Cursors, Limits};
use super::{
    BuildError, Engagement, PollContext, PollResult, RawAuthor, RawItem, Source, SourceCursor,
    SourceError, base_url, endpoint,
};
use crate::config::{BrandConfig, SourceConfig, SourceKind};
use crate::domain::{Count, ExternalId, Handle, SourceName, truncate_chars};
use crate::fetch::Request;
use crate::text::{MAX_TEXT_CHARS, collapse_whitespace, html_to_text, nfc};

const DEFAULT_BASE: &str = "https://itunes.apple.com";
const DEFAULT_COUNTRY: &str = "us";
/// Apple serves no deeper than this.
const MAX_FEED_PAGES: u32 = 10;
const WHAT: &str = "appstore reviews";
const STREAM: &str = "reviews";

pub struct AppStoreSource {
    name: SourceName,
    base: url::Url,
    app_id: String,
    country: String,
    limits: Limits,
}

impl AppStoreSource {
    pub fn new(config: &SourceConfig, brands: &[BrandConfig]) -> Result<Self, BuildError> {
        // Reviews are about one app; every one is matched against the brands afterwards.
        let _ = brands;
        let app_id = config
            .app_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| BuildError::new(config, "an appstore source needs `app_id`"))?
            .to_owned();
        let country = config
            .country
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or(DEFAULT_COUNTRY)
            .to_ascii_lowercase();
        Ok(Self {
            name: config.name.clone(),
            base: base_url(config, DEFAULT_BASE)?,
            app_id,
            country,
            limits: Limits::of(config),
        })
    }

    fn page_url(&self, page: u32) -> Result<url::Url, SourceError> {
        endpoint(
            &self.base,
            &format!(
                "{}/rss/customerreviews/page={page}/id={}/sortby=mostrecent/json",
                self.country, self.app_id
            ),
        )
    }
}

impl Source for AppStoreSource {
    fn name(&self) -> &SourceName {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Appstore
    }

    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>> {
        async move {
            let mut cursors = Cursors::load(state.cursor.as_deref());
            let mut collector = Collector::new(self.limits, cursors.get(STREAM), Utc::now());
            for n in 1..=MAX_FEED_PAGES {
                let request = Request::get(self.page_url(n)?);
                let doc = match api::get_json::<Document>(ctx, &request, WHAT).await {
                    Ok((doc, _)) => doc,
                    Err(e) => {
                        collector.stop_on(e)?;
                        break;
                    }
                };
                let (items, last) = page_of(doc, &self.country, &self.app_id)?;
                if !collector.push_page(items) || last.is_some_and(|last| n >= last) {
                    break;
                }
            }
            let (items, cursor) = collector.finish();
            cursors.set(STREAM, cursor);
            Ok(PollResult::from_streams(items, &cursors))
        }
        .boxed()
    }
}

#[derive(Debug, Deserialize)]
struct Document {
    feed: Feed,
}

/// `entry` and `link` are read by hand: each is an array, a single object, or missing.
#[derive(Debug, Deserialize)]
struct Feed {
    #[serde(default)]
    entry: Option<serde_json::Value>,
    #[serde(default)]
    link: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    id: Option<Label>,
    #[serde(default)]
    author: Option<Author>,
    #[serde(default)]
    updated: Option<TimeLabel>,
    #[serde(default, rename = "im:rating")]
    rating: Option<Label>,
    #[serde(default, rename = "im:version")]
    version: Option<Label>,
    #[serde(default)]
    title: Option<Label>,
    /// An object with `attributes.type` "text"; very old feeds had a list (text and html).
    #[serde(default)]
    content: Option<serde_json::Value>,
    #[serde(default, rename = "im:voteSum")]
    vote_sum: Option<CountLabel>,
}

#[derive(Debug, Deserialize)]
struct Author {
    #[serde(default)]
    name: Option<Label>,
    #[serde(default)]
    uri: Option<Label>,
}

#[derive(Debug, Deserialize)]
struct Label {
    #[serde(default, deserialize_with = "api::string_or_number")]
    label: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TimeLabel {
    #[serde(default, deserialize_with = "api::timestamp")]
    label: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct CountLabel {
    #[serde(default, deserialize_with = "api::count")]
    label: Option<Count>,
}

#[derive(Debug, Deserialize)]
struct Content {
    #[serde(default, deserialize_with = "api::string_or_number")]
    label: Option<String>,
    #[serde(default)]
    attributes: Option<ContentAttributes>,
}

#[derive(Debug, Deserialize)]
struct ContentAttributes {
    #[serde(default, rename = "type", deserialize_with = "api::string_or_number")]
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Link {
    #[serde(default)]
    attributes: Option<LinkAttributes>,
}

#[derive(Debug, Deserialize)]
struct LinkAttributes {
    #[serde(default, deserialize_with = "api::string_or_number")]
    rel: Option<String>,
    #[serde(default, deserialize_with = "api::string_or_number")]
    href: Option<String>,
}

/// Parses one customer-reviews page (`.../customerreviews/.../json`) into items. The feed
/// does not say which storefront or app it is for in a dependable place, so the caller
/// passes the `country` (two letters, as in the request path) and numeric `app_id`: they
/// make each item's `url` (the app's public page) and `community` (the storefront).
/// A body that is not `{"feed": {...}}` is a `SourceError::Parse`; a page without
/// entries is no reviews; entries without a rating (the app itself) or an id are skipped.
pub fn parse_reviews(
    bytes: &[u8],
    country: &str,
    app_id: &str,
) -> Result<Vec<RawItem>, SourceError> {
    let doc: Document = api::decode_json_bytes(WHAT, None, bytes)?;
    Ok(page_of(doc, &country.trim().to_ascii_lowercase(), app_id.trim())?.0)
}

/// The page's reviews and, when the feed says, the number of its last page.
fn page_of(
    doc: Document,
    country: &str,
    app_id: &str,
) -> Result<(Vec<RawItem>, Option<u32>), SourceError> {
    let app_url = format!("https://apps.apple.com/{country}/app/id{app_id}");
    let entries: Vec<Entry> = one_or_many(doc.feed.entry, "feed.entry")?;
    let items = entries
        .into_iter()
        .filter_map(|e| item_of(e, &app_url, country))
        .collect();
    let last = one_or_many::<Link>(doc.feed.link, "feed.link")
        .ok()
        .and_then(|links| last_page(&links));
    Ok((items, last))
}

/// An array, a single object, or nothing; anything else is a wrong shape at `at`.
fn one_or_many<T: DeserializeOwned>(
    value: Option<serde_json::Value>,
    at: &str,
) -> Result<Vec<T>, SourceError> {
    let values = match value {
        None | Some(serde_json::Value::Null) => return Ok(Vec::new()),
        Some(serde_json::Value::Array(values)) => values,
        Some(one @ serde_json::Value::Object(_)) => vec![one],
        Some(other) => {
            return Err(SourceError::Parse(format!(
                "{WHAT}: unexpected JSON at `{at}`: expected an array or an object, got {}",
                kind_of(&other)
            )));
        }
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_path_to_error::deserialize(v).map_err(|e| {
                let path = e.path().to_string();
                let inner = if path == "." {
                    String::new()
                } else {
                    format!(".{path}")
                };
                SourceError::Parse(format!(
                    "{WHAT}: unexpected JSON at `{at}[{i}]{inner}`: {}",
                    e.into_inner()
                ))
            })
        })
        .collect()
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// `page=N` in the href of `<link rel="last">`.
fn last_page(links: &[Link]) -> Option<u32> {
    let href = links
        .iter()
        .filter_map(|l| l.attributes.as_ref())
        .find(|a| a.rel.as_deref() == Some("last"))?
        .href
        .as_deref()?;
    let after = &href[href.find("page=")? + "page=".len()..];
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|n| *n >= 1)
}

fn label(l: Option<Label>) -> Option<String> {
    l.and_then(|l| l.label).filter(|s| !s.trim().is_empty())
}

/// Review text is plain text: kept as written (a "<3" is not a tag), white space tidied.
fn plain(s: &str) -> String {
    let text = collapse_whitespace(&nfc(s));
    truncate_chars(&text, MAX_TEXT_CHARS).to_owned()
}

fn rating_of(raw: &str) -> Option<u8> {
    let value: f64 = raw.trim().parse().ok()?;
    (value.fract() == 0.0 && (1.0..=5.0).contains(&value)).then_some(value as u8)
}

fn content_of(value: Option<serde_json::Value>) -> String {
    let parts: Vec<Content> = match value {
        Some(serde_json::Value::Array(values)) => values
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        Some(v @ serde_json::Value::Object(_)) => serde_json::from_value(v).into_iter().collect(),
        _ => Vec::new(),
    };
    let is_html = |c: &Content| {
        c.attributes
            .as_ref()
            .and_then(|a| a.kind.as_deref())
            .is_some_and(|k| k.eq_ignore_ascii_case("html"))
    };
    let text = parts
        .iter()
        .find(|c| !is_html(c) && c.label.is_some())
        .and_then(|c| c.label.as_deref().map(plain));
    text.or_else(|| {
        parts
            .iter()
            .find_map(|c| c.label.as_deref())
            .map(html_to_text)
    })
    .unwrap_or_default()
}

fn item_of(entry: Entry, app_url: &str, country: &str) -> Option<RawItem> {
    // The app's own entry in older feeds has everything but a rating.
    let rating = entry.rating?;
    let external_id = ExternalId::parse(&label(entry.id)?).ok()?;
    let author = entry.author.and_then(|a| {
        let handle = Handle::parse(&label(a.name)?).ok()?;
        Some(RawAuthor {
            handle,
            display_name: None,
            profile_url: label(a.uri).filter(|u| u.starts_with("http")),
            followers: None,
        })
    });
    Some(RawItem {
        external_id,
        url: Some(app_url.to_owned()),
        title: label(entry.title)
            .map(|t| plain(&t))
            .filter(|t| !t.is_empty()),
        text: content_of(entry.content),
        author,
        published_at: entry.updated.and_then(|u| u.label),
        engagement: Engagement {
            likes: entry.vote_sum.and_then(|v| v.label),
            rating: rating.label.as_deref().and_then(rating_of),
            ..Engagement::default()
        },
        lang_hint: None,
        community: Some(country.to_owned()),
        app_version: label(entry.version).map(|v| v.trim().to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_read_only_one_to_five() {
        let got: Vec<Option<u8>> = ["5", " 1 ", "4.0", "0", "6", "4.5", "five", "-1", ""]
            .iter()
            .map(|r| rating_of(r))
            .collect();
        assert_eq!(
            got,
            [
                Some(5),
                Some(1),
                Some(4),
                None,
                None,
                None,
                None,
                None,
                None
            ]
        );
    }

    #[test]
    fn last_page_comes_from_the_last_link() {
        let links: Vec<Link> = serde_json::from_str(
            r#"[{"attributes":{"rel":"alternate","type":"text/html","href":"https://x/y"}},
                {"attributes":{"rel":"last","href":"https://itunes.apple.com/us/rss/customerreviews/page=8/id=1/sortby=mostrecent/xml?urlDesc=/customerreviews/id=1/sortby=mostrecent/json"}}]"#,
        )
        .unwrap();
        assert_eq!(last_page(&links), Some(8));
        assert_eq!(last_page(&links[..1]), None);
    }

    #[test]
    fn content_prefers_the_plain_text_part() {
        let v = serde_json::json!([
            {"label": "<b>Acme</b> &lt;3", "attributes": {"type": "html"}},
            {"label": "Acme <3 it", "attributes": {"type": "text"}}
        ]);
        assert_eq!(content_of(Some(v)), "Acme <3 it");
        let v = serde_json::json!({"label": "<p>Acme</p>", "attributes": {"type": "html"}});
        assert_eq!(content_of(Some(v)), "Acme");
    }
}
