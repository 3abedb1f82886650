//! Flags, the outbox rows they cause, and the mentions flag detection reads.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::outbox::{NewEmail, insert_emails};
use super::{StorageError, Store, with_pool};

/// A flag to raise; ignored if its `cause_key` was raised before.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFlag {
    pub kind: &'static str,
    pub severity: &'static str,
    pub reason: String,
    pub brand: String,
    pub author_id: Option<i64>,
    pub mention_id: Option<i64>,
    pub cause_key: String,
}

/// A stored flag with what a person needs to act on it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct FlagRow {
    pub id: i64,
    pub kind: String,
    pub severity: String,
    pub reason: String,
    pub brand: String,
    pub platform: Option<String>,
    pub handle: Option<String>,
    pub mention_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// A flag with its mention and author, as an email shows it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct FlagDetail {
    pub id: i64,
    pub kind: String,
    pub severity: String,
    pub reason: String,
    pub brand: String,
    pub created_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub platform: Option<String>,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub followers: Option<i64>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    pub label: Option<String>,
    pub compound: Option<f64>,
    pub reach_score: Option<f64>,
    pub published_at: Option<DateTime<Utc>>,
}

const DETAIL: &str = "SELECT f.id, f.kind, f.severity, f.reason, f.brand, f.created_at, \
     f.acknowledged_at, a.platform, a.handle, a.display_name, a.followers, m.url, m.title, \
     m.text, m.label, m.compound, m.reach_score, m.published_at FROM flags f \
     LEFT JOIN authors a ON a.id = f.author_id LEFT JOIN mentions m ON m.id = f.mention_id";

/// A mention as flag detection sees it (one row per brand it matched).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FlagCandidate {
    pub id: i64,
    pub brand: String,
    pub platform: String,
    pub author_id: Option<i64>,
    pub handle: Option<String>,
    pub followers: Option<i64>,
    pub label: Option<String>,
    pub compound: Option<f64>,
    pub reach_score: Option<f64>,
    pub title: Option<String>,
    pub text: String,
}

/// Candidates read per batch.
const CANDIDATE_BATCH: i64 = 2000;

impl Store {
    /// The next mentions after the detection watermark, with their brands, and their
    /// intents as (mention id, kind, cue).
    pub async fn flag_candidates(
        &self,
    ) -> Result<(i64, Vec<FlagCandidate>, Vec<(i64, String, String)>), StorageError> {
        const CANDIDATES: &str = "SELECT m.id, mb.brand, m.platform, m.author_id, a.handle, a.followers, \
             m.label, m.compound, m.reach_score, m.title, m.text FROM mentions m \
             JOIN mention_brands mb ON mb.mention_id = m.id \
             LEFT JOIN authors a ON a.id = m.author_id \
             WHERE m.id > $1 AND m.id <= $2 ORDER BY m.id, mb.brand";
        const INTENTS: &str = "SELECT mention_id, kind, cue FROM mention_intents \
             WHERE mention_id > $1 AND mention_id <= $2";
        let result = with_pool!(self, pool => {
            let after: i64 = sqlx::query_scalar("SELECT last_mention_id FROM flag_progress WHERE id = 1")
                .fetch_optional(pool)
                .await?
                .unwrap_or(0);
            let upto: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(id) FROM (SELECT id FROM mentions WHERE id > $1 ORDER BY id LIMIT $2) batch",
            )
            .bind(after)
            .bind(CANDIDATE_BATCH)
            .fetch_one(pool)
            .await?;
            let Some(upto) = upto else {
                return Ok((after, Vec::new(), Vec::new()));
            };
            let rows = sqlx::query_as::<_, FlagCandidate>(CANDIDATES)
                .bind(after)
                .bind(upto)
                .fetch_all(pool)
                .await?;
            let intents = sqlx::query_as::<_, (i64, String, String)>(INTENTS)
                .bind(after)
                .bind(upto)
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((upto, rows, intents))
        })?;
        Ok(result)
    }

    /// Stores new flags (a cause already flagged is skipped) and moves the watermark, in one
    /// transaction. Returns how many flags are new.
    /// `emails` gives the outbox rows of each new flag (by its id); they commit with it.
    pub async fn raise_flags(
        &self,
        flags: &[NewFlag],
        watermark: Option<i64>,
        at: DateTime<Utc>,
        emails: &(dyn Fn(i64, &NewFlag) -> Vec<NewEmail> + Sync),
    ) -> Result<u64, StorageError> {
        let _writer = self.write_guard().await;
        let new = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut new = 0;
            for chunk in flags.chunks(500) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO flags (kind, severity, reason, brand, author_id, mention_id, \
                     cause_key, created_at) ",
                );
                q.push_values(chunk, |mut row, f| {
                    row.push_bind(f.kind)
                        .push_bind(f.severity)
                        .push_bind(f.reason.as_str())
                        .push_bind(f.brand.as_str())
                        .push_bind(f.author_id)
                        .push_bind(f.mention_id)
                        .push_bind(f.cause_key.as_str())
                        .push_bind(at);
                });
                q.push(" ON CONFLICT (cause_key) DO NOTHING RETURNING id, cause_key");
                let raised: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                new += raised.len() as u64;
                let by_key: std::collections::HashMap<&str, &NewFlag> =
                    chunk.iter().map(|f| (f.cause_key.as_str(), f)).collect();
                let queued: Vec<NewEmail> = raised
                    .iter()
                    .filter_map(|(id, key)| by_key.get(key.as_str()).map(|f| emails(*id, f)))
                    .flatten()
                    .collect();
                insert_emails!(tx, queued, at);
            }
            if let Some(upto) = watermark {
                sqlx::query(
                    "INSERT INTO flag_progress (id, last_mention_id) VALUES (1, $1) \
                     ON CONFLICT (id) DO UPDATE SET last_mention_id = excluded.last_mention_id",
                )
                .bind(upto)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(new)
        })?;
        Ok(new)
    }

    /// Brand and publication time of every negative mention (negative sentiment, complaint or
    /// churn risk) published since `since`, for spike detection.
    pub async fn negative_times(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StorageError> {
        const SQL: &str = "SELECT mb.brand, COALESCE(m.published_at, m.fetched_at) FROM mentions m \
             JOIN mention_brands mb ON mb.mention_id = m.id \
             WHERE COALESCE(m.published_at, m.fetched_at) >= $1 AND (m.label = 'negative' OR EXISTS (SELECT 1 FROM \
             mention_intents i WHERE i.mention_id = m.id AND i.kind IN ('complaint', 'churn_risk')))";
        Ok(
            with_pool!(self, pool => sqlx::query_as::<_, (String, DateTime<Utc>)>(SQL)
            .bind(since)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Flags, newest first.
    pub async fn flags(
        &self,
        open_only: bool,
        kind: Option<&str>,
    ) -> Result<Vec<FlagRow>, StorageError> {
        const SQL: &str = "SELECT f.id, f.kind, f.severity, f.reason, f.brand, a.platform, \
             a.handle, m.url AS mention_url, f.created_at, f.acknowledged_at FROM flags f \
             LEFT JOIN authors a ON a.id = f.author_id LEFT JOIN mentions m ON m.id = f.mention_id \
             WHERE ($1 = 0 OR f.acknowledged_at IS NULL) AND ($2 IS NULL OR f.kind = $2) \
             ORDER BY f.created_at DESC, f.id DESC";
        Ok(with_pool!(self, pool => sqlx::query_as::<_, FlagRow>(SQL)
            .bind(i32::from(open_only))
            .bind(kind)
            .fetch_all(pool)
            .await)?)
    }

    /// The flags with these ids, in id order.
    pub async fn flag_details(&self, ids: &[i64]) -> Result<Vec<FlagDetail>, StorageError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            out.extend(with_pool!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(DETAIL);
                q.push(" WHERE f.id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(") ORDER BY f.id");
                q.build_query_as::<FlagDetail>().fetch_all(pool).await
            })?);
        }
        Ok(out)
    }

    /// A brand's open flags of one kind, most heard first.
    pub async fn open_flag_details(
        &self,
        brand: &str,
        kind: &str,
        limit: i64,
    ) -> Result<Vec<FlagDetail>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{DETAIL} WHERE f.brand = $1 AND f.kind = $2 AND f.acknowledged_at IS NULL \
             ORDER BY COALESCE(m.reach_score, 0) DESC, f.id DESC LIMIT $3"
        ));
        Ok(
            with_pool!(self, pool => sqlx::query_as::<_, FlagDetail>(sql)
            .bind(brand)
            .bind(kind)
            .bind(limit)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Marks a flag handled; false if there is no such flag.
    pub async fn acknowledge_flag(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StorageError> {
        let _writer = self.write_guard().await;
        let done = with_pool!(self, pool => sqlx::query(
            "UPDATE flags SET acknowledged_at = COALESCE(acknowledged_at, $1) WHERE id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done > 0)
    }
}
