//! RSS 0.9x/1.0/2.0, Atom and JSON Feed via feed-rs.

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;

use super::{
    Engagement, PollContext, PollResult, RawAuthor, RawItem, Source, SourceCursor, SourceError,
};
use crate::config::{HttpUrl, SourceKind};
use crate::domain::{ExternalId, Handle, SourceName};
use crate::fetch::Fetched;
use crate::text::{html_to_text, sha256_hex};

pub struct FeedSource {
    name: SourceName,
    url: HttpUrl,
}

impl FeedSource {
    pub fn new(name: SourceName, url: HttpUrl) -> Self {
        Self { name, url }
    }
}

impl Source for FeedSource {
    fn name(&self) -> &SourceName {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Feed
    }

    fn poll<'a>(
        &'a self,
        ctx: &'a PollContext,
        state: &'a SourceCursor,
    ) -> BoxFuture<'a, Result<PollResult, SourceError>> {
        async move {
            let (bytes, validators) = match ctx
                .http
                .get(self.url.as_url(), &state.validators, &ctx.cancel)
                .await?
            {
                Fetched::NotModified => return Ok(PollResult::NotModified),
                Fetched::Body {
                    bytes, validators, ..
                } => (bytes, validators),
            };
            let base = self.url.as_str().to_owned();
            // Parsing is CPU work; keep it off the async workers. A panic inside the parser
            // becomes this source's error instead of taking the daemon down.
            let items = tokio::task::spawn_blocking(move || parse_feed(&bytes, Some(&base)))
                .await
                .map_err(|e| SourceError::Parse(format!("feed parser crashed: {e}")))??;
            Ok(PollResult::Page {
                items,
                next: SourceCursor {
                    validators,
                    cursor: None,
                },
            })
        }
        .boxed()
    }
}

/// Marks ids feed-rs had to invent, so we can derive a stable one from the content instead
/// of feed-rs's random fallback.
const GENERATED: &str = "fanwatch-generated:";

/// Parses a feed document into items. Never panics on malformed input: errors come back as
/// `SourceError::Parse` naming what is wrong.
pub fn parse_feed(bytes: &[u8], base_url: Option<&str>) -> Result<Vec<RawItem>, SourceError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base_url)
        .sanitize_content(false)
        .id_generator(|links, title, _base| {
            let mut key = String::new();
            if let Some(link) = links.first() {
                key.push_str(link.href.trim());
            }
            if let Some(title) = title {
                key.push('\n');
                key.push_str(title.content.trim());
            }
            if key.trim().is_empty() {
                GENERATED.to_owned()
            } else {
                format!("{GENERATED}{}", sha256_hex(key.as_bytes()))
            }
        })
        .build();
    // JSON is UTF-8 by definition; XML may be anything and is transcoded first.
    let is_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let bytes = if is_json {
        std::borrow::Cow::Borrowed(bytes)
    } else {
        super::xml_prep::prepare(bytes)
    };
    let feed = parser
        .parse(&*bytes)
        .map_err(|e| SourceError::Parse(e.to_string()))?;
    let feed_lang = feed.language.clone();
    let feed_author = feed.authors.first().and_then(author_of);
    Ok(feed
        .entries
        .into_iter()
        .filter_map(|entry| item_of(entry, feed_lang.as_deref(), feed_author.as_ref()))
        .collect())
}

fn item_of(
    entry: feed_rs::model::Entry,
    feed_lang: Option<&str>,
    feed_author: Option<&RawAuthor>,
) -> Option<RawItem> {
    let title = entry
        .title
        .as_ref()
        .map(|t| html_to_text(&t.content))
        .filter(|t| !t.is_empty());
    let body = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .or(entry.summary.as_ref().map(|s| s.content.as_str()))
        .or_else(|| {
            entry
                .media
                .iter()
                .find_map(|m| m.description.as_ref().map(|d| d.content.as_str()))
        })
        .map(html_to_text)
        .unwrap_or_default();
    let published_at: Option<DateTime<Utc>> = entry.published.or(entry.updated);
    let url = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(entry.links.first())
        .map(|l| l.href.trim().to_owned())
        .filter(|h| h.starts_with("http://") || h.starts_with("https://"));
    let raw_id = if entry.id == GENERATED {
        // Neither link nor title: the text and date are all that identifies the entry.
        let key = format!(
            "{body}\n{}",
            published_at.map(|d| d.to_rfc3339()).unwrap_or_default()
        );
        format!("{GENERATED}{}", sha256_hex(key.as_bytes()))
    } else {
        entry.id.clone()
    };
    let external_id = ExternalId::parse(&raw_id).ok()?;
    let author = entry
        .authors
        .iter()
        .find_map(author_of)
        .or_else(|| feed_author.cloned());
    Some(RawItem {
        external_id,
        url,
        title,
        text: body,
        author,
        published_at,
        engagement: Engagement::default(),
        lang_hint: entry.language.or(feed_lang.map(str::to_owned)),
        community: None,
        app_version: None,
    })
}

fn author_of(person: &feed_rs::model::Person) -> Option<RawAuthor> {
    let name = person
        .name
        .as_deref()
        .map(html_to_text)
        // RSS writes "email (Name)"; feed-rs leaves the parentheses on the name.
        .map(
            |n| match n.strip_prefix('(').and_then(|n| n.strip_suffix(')')) {
                Some(inner) => inner.trim().to_owned(),
                None => n,
            },
        )
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("unknown"));
    let email = person
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let handle = Handle::parse(name.as_deref().or(email)?).ok()?;
    Some(RawAuthor {
        handle,
        display_name: name,
        profile_url: person.uri.clone().filter(|u| u.starts_with("http")),
        followers: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_items_come_out_with_text_and_authors() {
        let xml = br#"<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
<item><title>Acme &amp; friends</title><link>https://example.com/1</link><guid>g1</guid>
<description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description>
<dc:creator>Mari Tamm</dc:creator><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"#;
        let items = parse_feed(xml, None).unwrap();
        assert_eq!(items.len(), 1);
        let item = &items[0];
        assert_eq!(item.external_id.as_str(), "g1");
        assert_eq!(item.title.as_deref(), Some("Acme & friends"));
        assert_eq!(item.text, "Hello world");
        assert_eq!(item.url.as_deref(), Some("https://example.com/1"));
        assert_eq!(item.author.as_ref().unwrap().handle.as_str(), "Mari Tamm");
        assert!(item.published_at.is_some());
    }

    #[test]
    fn entries_without_id_get_a_stable_one() {
        let xml = br#"<rss version="2.0"><channel><title>t</title>
<item><description>no link, no title, no guid</description></item>
<item><title>only a title</title></item></channel></rss>"#;
        let a = parse_feed(xml, None).unwrap();
        let b = parse_feed(xml, None).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].external_id, b[0].external_id);
        assert_eq!(a[1].external_id, b[1].external_id);
        assert_ne!(a[0].external_id, a[1].external_id);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_feed(b"", None).is_err());
        assert!(parse_feed(b"<html><body>404</body></html>", None).is_err());
        assert!(parse_feed(b"{\"version\": 5", None).is_err());
        assert!(parse_feed(&[0xff, 0xfe, 0x00, 0x3c], None).is_err());
    }

    #[test]
    fn entity_expansion_attacks_do_not_expand() {
        let xml = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><title>&lol4;</title><item><title>x &lol4;</title><guid>1</guid></item></channel></rss>"#;
        // Either an error or an item whose text did not explode; never a hang or a panic.
        if let Ok(items) = parse_feed(xml, None) {
            assert!(
                items
                    .iter()
                    .all(|i| i.title.as_deref().unwrap_or("").len() < 10_000)
            );
        }
    }
}
