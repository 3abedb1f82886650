//! Incremental polling shared by the API connectors. Each source reads one or more *streams*
//! (a hashtag on an instance, a subreddit, a video's comments), newest first. A stream's
//! cursor is the newest publication time seen; the next poll pages back until it reaches that
//! time, so only new items are fetched. The first poll goes back at most `backfill_days` and
//! `backfill_items`; every poll reads at most `max_pages` pages per stream.
//!
//! Items at exactly the cursor time are fetched again and dropped by the store's
//! (source, external id) uniqueness, which is cheaper than remembering every id.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RawItem, SourceError};
use crate::config::SourceConfig;
use crate::fetch::FetchError;

/// How far back and how much a poll may read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub backfill: chrono::Duration,
    pub max_items: usize,
    pub max_pages: u32,
}

impl Limits {
    pub fn of(config: &SourceConfig) -> Self {
        Self {
            backfill: chrono::Duration::days(i64::from(config.backfill_days)),
            max_items: config.backfill_items as usize,
            max_pages: config.max_pages,
        }
    }
}

/// Where one stream stopped last time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamCursor {
    /// Newest publication time seen.
    pub newest: DateTime<Utc>,
    /// Connector-specific marker (e.g. Mastodon's newest status id, for `min_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// All streams' cursors of one source, kept as JSON in the source state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursors(BTreeMap<String, StreamCursor>);

impl Cursors {
    /// Reads what the last poll saved. Unreadable (a cursor from another version or kind)
    /// starts over with a backfill; the store drops what is already there.
    pub fn load(raw: Option<&str>) -> Self {
        match raw {
            None => Self::default(),
            Some(raw) => serde_json::from_str(raw).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "unreadable cursor; starting over with a backfill");
                Self::default()
            }),
        }
    }

    pub fn save(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        serde_json::to_string(self).ok()
    }

    pub fn get(&self, stream: &str) -> Option<&StreamCursor> {
        self.0.get(stream)
    }

    pub fn set(&mut self, stream: &str, cursor: Option<StreamCursor>) {
        if let Some(c) = cursor {
            self.0.insert(stream.to_owned(), c);
        }
    }
}

/// Gathers one stream's newest-first pages until they reach the cursor.
#[derive(Debug)]
pub struct Collector {
    since: DateTime<Utc>,
    limits: Limits,
    now: DateTime<Utc>,
    pages: u32,
    items: Vec<RawItem>,
    done: bool,
    newest: Option<StreamCursor>,
}

impl Collector {
    pub fn new(limits: Limits, previous: Option<&StreamCursor>, now: DateTime<Utc>) -> Self {
        Self {
            since: previous.map_or(now - limits.backfill, |c| c.newest),
            limits,
            now,
            pages: 0,
            items: Vec::new(),
            done: false,
            newest: previous.cloned(),
        }
    }

    /// Nothing older than this is wanted; APIs that filter by time can be told so.
    pub fn since(&self) -> DateTime<Utc> {
        self.since
    }

    /// Pages taken so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Takes one page (newest first) and says whether to fetch the next one. Items older than
    /// the cursor end the stream; so do an empty page and the page and item limits.
    pub fn push_page(&mut self, page: Vec<RawItem>) -> bool {
        self.pages += 1;
        if page.is_empty() {
            self.done = true;
        }
        for item in page {
            if self.items.len() >= self.limits.max_items {
                self.done = true;
                break;
            }
            match item.published_at {
                Some(at) if at < self.since => {
                    // Newest first, so the rest of the stream is older still.
                    self.done = true;
                    continue;
                }
                Some(at)
                    if at <= self.now + chrono::Duration::minutes(5)
                        && self.newest.as_ref().is_none_or(|n| at > n.newest) =>
                {
                    self.newest = Some(StreamCursor {
                        newest: at,
                        id: Some(item.external_id.as_str().to_owned()),
                    });
                }
                _ => {}
            }
            self.items.push(item);
        }
        if self.pages >= self.limits.max_pages || self.items.len() >= self.limits.max_items {
            self.done = true;
        }
        !self.done
    }

    /// Whether paging should stop after `err`: a spent request budget or a rate-limited host
    /// ends paging politely once at least one page is in; anything else fails the poll.
    pub fn stop_on(&mut self, err: SourceError) -> Result<(), SourceError> {
        let polite_stop = matches!(
            err,
            SourceError::Fetch(FetchError::BudgetSpent { .. } | FetchError::RateLimited { .. })
        );
        if polite_stop && self.pages > 0 {
            tracing::info!(error = %err, pages = self.pages, "paging stopped early");
            self.done = true;
            Ok(())
        } else {
            Err(err)
        }
    }

    /// The stream's new items and its new cursor.
    pub fn finish(self) -> (Vec<RawItem>, Option<StreamCursor>) {
        (self.items, self.newest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ExternalId;
    use crate::sources::Engagement;

    fn item(id: &str, minutes_ago: i64, now: DateTime<Utc>) -> RawItem {
        RawItem {
            external_id: ExternalId::parse(id).unwrap(),
            url: None,
            title: None,
            text: id.into(),
            author: None,
            published_at: Some(now - chrono::Duration::minutes(minutes_ago)),
            engagement: Engagement::default(),
            lang_hint: None,
            community: None,
            app_version: None,
        }
    }

    fn limits(max_items: usize, max_pages: u32) -> Limits {
        Limits {
            backfill: chrono::Duration::days(7),
            max_items,
            max_pages,
        }
    }

    #[test]
    fn pages_until_the_cursor_then_resumes_there() {
        let now = Utc::now();
        let mut c = Collector::new(limits(500, 5), None, now);
        assert!(c.push_page(vec![item("5", 1, now), item("4", 2, now)]));
        assert!(!c.push_page(vec![item("3", 3, now), item("old", 60 * 24 * 8, now)]));
        let (items, cursor) = c.finish();
        assert_eq!(items.len(), 3, "the 8-day-old item is beyond the backfill");
        let cursor = cursor.unwrap();
        assert_eq!(cursor.id.as_deref(), Some("5"));

        // Next cycle: one new item, then the already-seen newest one ends the stream.
        let mut c = Collector::new(limits(500, 5), Some(&cursor), now);
        assert!(!c.push_page(vec![
            item("6", 0, now),
            item("5", 1, now),
            item("4", 2, now)
        ]));
        let (items, next) = c.finish();
        let ids: Vec<&str> = items.iter().map(|i| i.external_id.as_str()).collect();
        assert_eq!(
            ids,
            ["6", "5"],
            "the item at the cursor time is left to dedup"
        );
        assert_eq!(next.unwrap().id.as_deref(), Some("6"));
    }

    #[test]
    fn limits_bound_items_and_pages() {
        let now = Utc::now();
        let mut c = Collector::new(limits(3, 10), None, now);
        assert!(!c.push_page((0..5).map(|i| item(&i.to_string(), i, now)).collect()));
        assert_eq!(c.finish().0.len(), 3);
        let mut c = Collector::new(limits(500, 2), None, now);
        assert!(c.push_page(vec![item("a", 1, now)]));
        assert!(!c.push_page(vec![item("b", 2, now)]));
    }

    #[test]
    fn future_dates_do_not_move_the_cursor() {
        let now = Utc::now();
        let mut c = Collector::new(limits(500, 5), None, now);
        c.push_page(vec![
            item("future", -60 * 24 * 365, now),
            item("real", 5, now),
        ]);
        let (items, cursor) = c.finish();
        assert_eq!(items.len(), 2);
        assert_eq!(cursor.unwrap().id.as_deref(), Some("real"));
    }

    #[test]
    fn cursors_round_trip_and_survive_garbage() {
        let mut cursors = Cursors::default();
        assert_eq!(cursors.save(), None);
        let at = Utc::now();
        cursors.set(
            "tag:acme@mastodon.social",
            Some(StreamCursor {
                newest: at,
                id: Some("1".into()),
            }),
        );
        let saved = cursors.save().unwrap();
        assert_eq!(Cursors::load(Some(&saved)), cursors);
        assert_eq!(Cursors::load(Some("not json")), Cursors::default());
    }
}
