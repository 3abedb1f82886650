//! Mentions, their authors and the brands they matched.

use chrono::{DateTime, Utc};

use super::{StorageError, Store, with_pool};
use crate::domain::{MentionId, Platform, SourceName};
use crate::matching::BrandMatch;
use crate::sources::{RawItem, SourceCursor};

/// An item that matched at least one brand, ready to store.
#[derive(Debug, Clone)]
pub struct NewMention {
    pub platform: Platform,
    pub item: RawItem,
    pub brands: Vec<BrandMatch>,
}

/// What storing one poll's mentions did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreReport {
    pub new: u64,
    pub duplicate: u64,
}

/// Which mentions to list.
#[derive(Debug, Clone, Default)]
pub struct MentionFilter {
    pub brand: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub source: Option<String>,
}

/// One stored mention with its author and brands.
#[derive(Debug, Clone, PartialEq)]
pub struct MentionRow {
    pub id: MentionId,
    pub source: String,
    pub platform: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub text: String,
    pub author: Option<String>,
    pub author_name: Option<String>,
    pub followers: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
    pub likes: Option<i64>,
    pub reposts: Option<i64>,
    pub replies: Option<i64>,
    pub points: Option<i64>,
    pub rating: Option<i64>,
    /// (brand, the text that matched it)
    pub brands: Vec<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct MentionBrandRow {
    id: i64,
    source: String,
    platform: String,
    url: Option<String>,
    title: Option<String>,
    text: String,
    handle: Option<String>,
    display_name: Option<String>,
    followers: Option<i64>,
    published_at: Option<DateTime<Utc>>,
    fetched_at: DateTime<Utc>,
    likes: Option<i64>,
    reposts: Option<i64>,
    replies: Option<i64>,
    points: Option<i64>,
    rating: Option<i64>,
    brand: String,
    matched_text: String,
}

impl Store {
    /// Stores one successful poll atomically: new mentions (duplicates by source and external
    /// id are skipped), their authors and brands, and the source's new validators and cursor.
    /// A crash part-way leaves the previous state, so the next poll simply repeats this one.
    pub async fn record_poll(
        &self,
        source: &SourceName,
        next: &SourceCursor,
        items_fetched: usize,
        mentions: &[NewMention],
        at: DateTime<Utc>,
    ) -> Result<StoreReport, StorageError> {
        let report = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut report = StoreReport::default();
            for mention in mentions {
                let item = &mention.item;
                let author_id: Option<i64> = match &item.author {
                    Some(author) => Some(
                        sqlx::query_scalar(
                            "INSERT INTO authors (platform, handle, display_name, profile_url, followers, \
                             first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                             ON CONFLICT (platform, handle) DO UPDATE SET \
                             display_name = COALESCE(excluded.display_name, authors.display_name), \
                             profile_url = COALESCE(excluded.profile_url, authors.profile_url), \
                             followers = COALESCE(excluded.followers, authors.followers), \
                             last_seen_at = excluded.last_seen_at \
                             RETURNING id",
                        )
                        .bind(mention.platform.as_str())
                        .bind(author.handle.as_str())
                        .bind(author.display_name.as_deref())
                        .bind(author.profile_url.as_deref())
                        .bind(author.followers.map(|c| c.get()))
                        .bind(at)
                        .fetch_one(&mut *tx)
                        .await?,
                    ),
                    None => None,
                };
                let e = &item.engagement;
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO mentions (source, external_id, platform, url, title, text, author_id, \
                     published_at, fetched_at, likes, reposts, replies, points, rating, lang_hint) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                     ON CONFLICT (source, external_id) DO NOTHING RETURNING id",
                )
                .bind(source.as_str())
                .bind(item.external_id.as_str())
                .bind(mention.platform.as_str())
                .bind(item.url.as_deref())
                .bind(item.title.as_deref())
                .bind(item.text.as_str())
                .bind(author_id)
                .bind(item.published_at)
                .bind(at)
                .bind(e.likes.map(|c| c.get()))
                .bind(e.reposts.map(|c| c.get()))
                .bind(e.replies.map(|c| c.get()))
                .bind(e.points.map(|c| c.get()))
                .bind(e.rating.map(i64::from))
                .bind(item.lang_hint.as_deref())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    report.duplicate += 1;
                    continue;
                };
                report.new += 1;
                for m in &mention.brands {
                    sqlx::query(
                        "INSERT INTO mention_brands (mention_id, brand, matched_text) VALUES ($1, $2, $3) \
                         ON CONFLICT (mention_id, brand) DO NOTHING",
                    )
                    .bind(id)
                    .bind(m.brand.as_str())
                    .bind(m.matched_text.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            sqlx::query(
                "UPDATE source_state SET etag = $1, last_modified = $2, cursor = $3, last_poll_at = $4, \
                 last_success_at = $4, next_poll_at = NULL, consecutive_errors = 0, last_error = NULL, \
                 failing_since = NULL, items_fetched = items_fetched + $5, \
                 mentions_stored = mentions_stored + $6 WHERE name = $7",
            )
            .bind(next.validators.etag.as_deref())
            .bind(next.validators.last_modified.as_deref())
            .bind(next.cursor.as_deref())
            .bind(at)
            .bind(items_fetched as i64)
            .bind(report.new as i64)
            .bind(source.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(report)
        })?;
        Ok(report)
    }

    /// Mentions, newest first.
    pub async fn mentions(&self, filter: &MentionFilter) -> Result<Vec<MentionRow>, StorageError> {
        const SQL: &str = "SELECT m.id, m.source, m.platform, m.url, m.title, m.text, a.handle, \
             a.display_name, a.followers, m.published_at, m.fetched_at, m.likes, m.reposts, m.replies, \
             m.points, m.rating, mb.brand, mb.matched_text \
             FROM mentions m JOIN mention_brands mb ON mb.mention_id = m.id \
             LEFT JOIN authors a ON a.id = m.author_id \
             WHERE ($1 IS NULL OR m.id IN (SELECT mention_id FROM mention_brands WHERE brand = $1)) \
             AND ($2 IS NULL OR COALESCE(m.published_at, m.fetched_at) >= $2) \
             AND ($3 IS NULL OR m.source = $3) \
             ORDER BY COALESCE(m.published_at, m.fetched_at) DESC, m.id DESC, mb.brand";
        let rows: Vec<MentionBrandRow> = with_pool!(self, pool => sqlx::query_as(SQL)
            .bind(filter.brand.as_deref())
            .bind(filter.since)
            .bind(filter.source.as_deref())
            .fetch_all(pool)
            .await)?;
        let mut out: Vec<MentionRow> = Vec::new();
        for row in rows {
            if let Some(last) = out.last_mut().filter(|m| m.id.0 == row.id) {
                last.brands.push((row.brand, row.matched_text));
                continue;
            }
            out.push(MentionRow {
                id: MentionId(row.id),
                source: row.source,
                platform: row.platform,
                url: row.url,
                title: row.title,
                text: row.text,
                author: row.handle,
                author_name: row.display_name,
                followers: row.followers,
                published_at: row.published_at,
                fetched_at: row.fetched_at,
                likes: row.likes,
                reposts: row.reposts,
                replies: row.replies,
                points: row.points,
                rating: row.rating,
                brands: vec![(row.brand, row.matched_text)],
            });
        }
        Ok(out)
    }
}
