//! Mentions, their authors and the brands they matched.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::profiles::{REFRESH_CHUNK, refresh_queries, week_of};
use super::sources::SET_STATE;
use super::{SourceState, StorageError, Store, with_pool};
use crate::domain::{MentionId, Platform, SourceName};
use crate::matching::BrandMatch;
use crate::scoring::{Intent, Scored};
use crate::sources::{RawAuthor, RawItem, SourceCursor};

/// Rows per multi-row INSERT: 28 parameters each stays below SQLite's (32,766) and
/// PostgreSQL's (65,535) limits on bound parameters.
const BATCH: usize = 500;

/// An item that matched at least one brand, scored, ready to store.
#[derive(Debug, Clone)]
pub struct NewMention {
    pub platform: Platform,
    pub item: RawItem,
    pub brands: Vec<BrandMatch>,
    pub score: Scored,
    /// 0-100, see `scoring::reach`.
    pub reach_score: f64,
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
    /// Just this mention.
    pub id: Option<i64>,
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
    pub views: Option<i64>,
    /// Subscribers of the community it was posted in.
    pub audience: Option<i64>,
    pub community: Option<String>,
    pub app_version: Option<String>,
    pub reach_score: Option<f64>,
    /// "en", "et", "und" (other language), or `None` if not scored yet.
    pub lang: Option<String>,
    pub label: Option<String>,
    pub compound: Option<f64>,
    /// (kind, cue)
    pub intents: Vec<(String, String)>,
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
    views: Option<i64>,
    audience: Option<i64>,
    community: Option<String>,
    app_version: Option<String>,
    reach_score: Option<f64>,
    lang: Option<String>,
    label: Option<String>,
    compound: Option<f64>,
    brand: String,
    matched_text: String,
}

impl Store {
    /// Stores one successful poll atomically: new mentions (duplicates by source and external
    /// id are skipped), their authors and brands, and the source's new validators and cursor.
    /// A crash part-way leaves the previous state, so the next poll simply repeats this one.
    /// Rows go in as multi-row statements: the write lock is held for a handful of round
    /// trips per poll, not three per mention.
    pub async fn record_poll(
        &self,
        source: &SourceName,
        next: &SourceCursor,
        items_fetched: usize,
        mentions: &[NewMention],
        at: DateTime<Utc>,
    ) -> Result<StoreReport, StorageError> {
        // A feed may repeat an id within one document; the first copy wins.
        let mut seen = HashSet::new();
        let unique: Vec<&NewMention> = mentions
            .iter()
            .filter(|m| seen.insert(m.item.external_id.as_str()))
            .collect();
        let mut report = StoreReport {
            new: 0,
            duplicate: (mentions.len() - unique.len()) as u64,
        };
        let _writer = self.write_guard().await;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut touched: Vec<i64> = Vec::new();
            for chunk in unique.chunks(BATCH) {
                let mut authors: Vec<(Platform, &RawAuthor)> = Vec::new();
                for m in chunk {
                    if let Some(a) = &m.item.author
                        && !authors.iter().any(|(p, b)| *p == m.platform && b.handle == a.handle)
                    {
                        authors.push((m.platform, a));
                    }
                }
                let mut author_ids: HashMap<(String, String), i64> = HashMap::new();
                if !authors.is_empty() {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO authors (platform, handle, display_name, profile_url, followers, \
                         first_seen_at, last_seen_at) ",
                    );
                    q.push_values(&authors, |mut row, (platform, a)| {
                        row.push_bind(platform.as_str())
                            .push_bind(a.handle.as_str())
                            .push_bind(a.display_name.as_deref())
                            .push_bind(a.profile_url.as_deref())
                            .push_bind(a.followers.map(|c| c.get()))
                            .push_bind(at)
                            .push_bind(at);
                    });
                    q.push(
                        " ON CONFLICT (platform, handle) DO UPDATE SET \
                         display_name = COALESCE(excluded.display_name, authors.display_name), \
                         profile_url = COALESCE(excluded.profile_url, authors.profile_url), \
                         followers = COALESCE(excluded.followers, authors.followers), \
                         last_seen_at = excluded.last_seen_at \
                         RETURNING id, platform, handle",
                    );
                    let rows: Vec<(i64, String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                    author_ids = rows.into_iter().map(|(id, p, h)| ((p, h), id)).collect();
                }

                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO mentions (source, external_id, platform, url, title, text, author_id, \
                     published_at, fetched_at, likes, reposts, replies, points, rating, lang_hint, \
                     views, audience, community, app_version, reach_score, week, \
                     lang, label, compound, pos, neu, neg, scored_at) ",
                );
                q.push_values(chunk, |mut row, m| {
                    let item = &m.item;
                    let e = &item.engagement;
                    let author_id = item.author.as_ref().and_then(|a| {
                        author_ids.get(&(m.platform.as_str().to_owned(), a.handle.as_str().to_owned())).copied()
                    });
                    row.push_bind(source.as_str())
                        .push_bind(item.external_id.as_str())
                        .push_bind(m.platform.as_str())
                        .push_bind(item.url.as_deref())
                        .push_bind(item.title.as_deref())
                        .push_bind(item.text.as_str())
                        .push_bind(author_id)
                        .push_bind(item.published_at)
                        .push_bind(at)
                        .push_bind(e.likes.map(|c| c.get()))
                        .push_bind(e.reposts.map(|c| c.get()))
                        .push_bind(e.replies.map(|c| c.get()))
                        .push_bind(e.points.map(|c| c.get()))
                        .push_bind(e.rating.map(i64::from))
                        .push_bind(item.lang_hint.as_deref())
                        .push_bind(e.views.map(|c| c.get()))
                        .push_bind(e.audience.map(|c| c.get()))
                        .push_bind(item.community.as_deref())
                        .push_bind(item.app_version.as_deref())
                        .push_bind(m.reach_score)
                        .push_bind(week_of(item.published_at.unwrap_or(at)).to_string());
                    let sentiment = m.score.sentiment;
                    row.push_bind(m.score.lang_code())
                        .push_bind(m.score.label.map(|l| l.as_str()))
                        .push_bind(sentiment.map(|s| s.compound))
                        .push_bind(sentiment.map(|s| s.pos))
                        .push_bind(sentiment.map(|s| s.neu))
                        .push_bind(sentiment.map(|s| s.neg))
                        .push_bind(at);
                });
                q.push(" ON CONFLICT (source, external_id) DO NOTHING RETURNING id, external_id");
                let inserted: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                report.new += inserted.len() as u64;
                report.duplicate += (chunk.len() - inserted.len()) as u64;

                let ids: HashMap<&str, i64> = inserted.iter().map(|(id, ext)| (ext.as_str(), *id)).collect();
                let brand_rows: Vec<(i64, &BrandMatch)> = chunk
                    .iter()
                    .filter_map(|m| ids.get(m.item.external_id.as_str()).map(|id| (*id, &m.brands)))
                    .flat_map(|(id, brands)| brands.iter().map(move |b| (id, b)))
                    .collect();
                if !brand_rows.is_empty() {
                    let mut q = sqlx::QueryBuilder::new("INSERT INTO mention_brands (mention_id, brand, matched_text) ");
                    q.push_values(&brand_rows, |mut row, (id, b)| {
                        row.push_bind(*id).push_bind(b.brand.as_str()).push_bind(b.matched_text.as_str());
                    });
                    q.push(" ON CONFLICT (mention_id, brand) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
                let intent_rows: Vec<(i64, &Intent)> = chunk
                    .iter()
                    .filter_map(|m| ids.get(m.item.external_id.as_str()).map(|id| (*id, &m.score.intents)))
                    .flat_map(|(id, intents)| intents.iter().map(move |i| (id, i)))
                    .collect();
                if !intent_rows.is_empty() {
                    insert_intents(&intent_rows).build().execute(&mut *tx).await?;
                }
                // Posts seen again carry fresher likes and reposts: keep the latest numbers
                // and the reach they give. Feeds show none, so they cost nothing here.
                for m in chunk.iter().filter(|m| !ids.contains_key(m.item.external_id.as_str())) {
                    let e = &m.item.engagement;
                    let counts = [e.likes, e.reposts, e.replies, e.points, e.views, e.audience];
                    if counts.iter().all(Option::is_none) {
                        continue;
                    }
                    let n = |c: Option<crate::domain::Count>| c.map(|c| c.get());
                    let author: Option<Option<i64>> = sqlx::query_scalar(
                        "UPDATE mentions SET likes = COALESCE($1, likes), reposts = COALESCE($2, reposts), \
                         replies = COALESCE($3, replies), points = COALESCE($4, points), \
                         views = COALESCE($5, views), audience = COALESCE($6, audience), reach_score = $7 \
                         WHERE source = $8 AND external_id = $9 RETURNING author_id",
                    )
                    .bind(n(e.likes))
                    .bind(n(e.reposts))
                    .bind(n(e.replies))
                    .bind(n(e.points))
                    .bind(n(e.views))
                    .bind(n(e.audience))
                    .bind(m.reach_score)
                    .bind(source.as_str())
                    .bind(m.item.external_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(Some(author_id)) = author
                        && !touched.contains(&author_id)
                    {
                        touched.push(author_id);
                    }
                }
                for author_id in chunk.iter().filter(|m| ids.contains_key(m.item.external_id.as_str())).filter_map(|m| {
                    let a = m.item.author.as_ref()?;
                    author_ids.get(&(m.platform.as_str().to_owned(), a.handle.as_str().to_owned())).copied()
                }) {
                    if !touched.contains(&author_id) {
                        touched.push(author_id);
                    }
                }
            }
            // Profiles move with the mentions, in the same transaction.
            for authors in touched.chunks(REFRESH_CHUNK) {
                let (mut delete, mut insert) = refresh_queries(authors);
                delete.build().execute(&mut *tx).await?;
                insert.build().execute(&mut *tx).await?;
            }
            let sql = sqlx::AssertSqlSafe(format!(
                "UPDATE source_state SET {SET_STATE}, etag = $3, last_modified = $4, cursor = $5, \
                 last_poll_at = $2, last_success_at = $2, next_poll_at = NULL, consecutive_errors = 0, \
                 last_error = NULL, failing_since = NULL, items_fetched = items_fetched + $6, \
                 mentions_stored = mentions_stored + $7 WHERE name = $8"
            ));
            sqlx::query(sql)
            .bind(SourceState::Ok.as_str())
            .bind(at)
            .bind(next.validators.etag.as_deref())
            .bind(next.validators.last_modified.as_deref())
            .bind(next.cursor.as_deref())
            .bind(items_fetched as i64)
            .bind(report.new as i64)
            .bind(source.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        })?;
        Ok(report)
    }

    /// Mentions, newest first.
    pub async fn mentions(&self, filter: &MentionFilter) -> Result<Vec<MentionRow>, StorageError> {
        // Mentions and their intents are read with the same filter ($1 brand, $2 since,
        // $3 source, $4 id).
        macro_rules! filtered {
            ($select:literal, $order:literal) => {
                concat!(
                    $select,
                    " WHERE ($1 IS NULL OR m.id IN (SELECT mention_id FROM mention_brands WHERE brand = $1)) \
                     AND ($2 IS NULL OR COALESCE(m.published_at, m.fetched_at) >= $2) \
                     AND ($3 IS NULL OR m.source = $3) AND ($4 IS NULL OR m.id = $4) ORDER BY ",
                    $order
                )
            };
        }
        const SQL: &str = filtered!(
            "SELECT m.id, m.source, m.platform, m.url, m.title, m.text, a.handle, \
             a.display_name, a.followers, m.published_at, m.fetched_at, m.likes, m.reposts, m.replies, \
             m.points, m.rating, m.views, m.audience, m.community, m.app_version, m.reach_score, \
             m.lang, m.label, m.compound, mb.brand, mb.matched_text \
             FROM mentions m JOIN mention_brands mb ON mb.mention_id = m.id \
             LEFT JOIN authors a ON a.id = m.author_id",
            "COALESCE(m.published_at, m.fetched_at) DESC, m.id DESC, mb.brand"
        );
        const INTENTS: &str = filtered!(
            "SELECT mi.mention_id, mi.kind, mi.cue FROM mention_intents mi \
             JOIN mentions m ON m.id = mi.mention_id",
            "mi.mention_id, mi.kind"
        );
        let (rows, intent_rows): (Vec<MentionBrandRow>, Vec<(i64, String, String)>) = with_pool!(self, pool => {
            let rows = sqlx::query_as(SQL)
                .bind(filter.brand.as_deref())
                .bind(filter.since)
                .bind(filter.source.as_deref())
                .bind(filter.id)
                .fetch_all(pool)
                .await?;
            let intents = sqlx::query_as(INTENTS)
                .bind(filter.brand.as_deref())
                .bind(filter.since)
                .bind(filter.source.as_deref())
                .bind(filter.id)
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((rows, intents))
        })?;
        let mut intents: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for (id, kind, cue) in intent_rows {
            intents.entry(id).or_default().push((kind, cue));
        }
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
                views: row.views,
                audience: row.audience,
                community: row.community,
                app_version: row.app_version,
                reach_score: row.reach_score,
                lang: row.lang,
                label: row.label,
                compound: row.compound,
                intents: intents.remove(&row.id).unwrap_or_default(),
                brands: vec![(row.brand, row.matched_text)],
            });
        }
        Ok(out)
    }
}

/// `INSERT INTO mention_intents` for (mention id, intent) rows, either backend.
pub(super) fn insert_intents<'a, DB: sqlx::Database>(
    rows: &'a [(i64, &'a Intent)],
) -> sqlx::QueryBuilder<DB>
where
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut q = sqlx::QueryBuilder::new("INSERT INTO mention_intents (mention_id, kind, cue) ");
    q.push_values(rows, |mut row, (id, intent)| {
        row.push_bind(*id)
            .push_bind(intent.kind.as_str())
            .push_bind(intent.cue.as_str());
    });
    q.push(" ON CONFLICT (mention_id, kind) DO UPDATE SET cue = excluded.cue");
    q
}
