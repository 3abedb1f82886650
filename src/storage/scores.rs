//! Re-scoring stored mentions: read a batch by id, write its new scores in one short
//! transaction, so a rescore of millions of rows never holds the writer for long and a
//! running daemon keeps storing new mentions in between.

use chrono::{DateTime, Utc};

use super::mentions::insert_intents;
use super::{StorageError, Store, with_pool};
use crate::domain::MentionId;
use crate::scoring::{Intent, Scored};

/// What scoring needs of a stored mention.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RescoreRow {
    pub id: i64,
    pub title: Option<String>,
    pub text: String,
    pub lang_hint: Option<String>,
    /// The brands it matched, separated by `BRAND_SEPARATOR` (for per-brand languages).
    pub brands: String,
}

/// U+001F (unit separator): a control character no brand name in a config file holds.
const BRAND_SEPARATOR: char = '\u{1f}';

impl RescoreRow {
    pub fn brand_names(&self) -> impl Iterator<Item = &str> {
        self.brands.split(BRAND_SEPARATOR).filter(|b| !b.is_empty())
    }
}

/// New scores of one mention.
#[derive(Debug, Clone)]
pub struct ScoreUpdate {
    pub id: MentionId,
    pub score: Scored,
}

impl Store {
    /// Up to `limit` mentions with id greater than `after`, in id order, published (or, if
    /// undated, fetched) at or after `since`.
    pub async fn mentions_to_rescore(
        &self,
        after: i64,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<RescoreRow>, StorageError> {
        // string_agg is in both PostgreSQL and SQLite (3.44+, bundled by sqlx); the
        // separator is bound so no backend-specific character function is needed.
        const SQL: &str = "SELECT m.id, m.title, m.text, m.lang_hint, \
             COALESCE((SELECT string_agg(mb.brand, $4) FROM mention_brands mb \
             WHERE mb.mention_id = m.id), '') AS brands \
             FROM mentions m WHERE m.id > $1 \
             AND ($2 IS NULL OR COALESCE(m.published_at, m.fetched_at) >= $2) \
             ORDER BY m.id LIMIT $3";
        let rows = with_pool!(self, pool => sqlx::query_as(SQL)
            .bind(after)
            .bind(since)
            .bind(i64::from(limit))
            .bind(BRAND_SEPARATOR.to_string())
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    /// Writes new scores (sentiment columns and intents) for a batch, atomically.
    pub async fn update_scores(
        &self,
        updates: &[ScoreUpdate],
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        if updates.is_empty() {
            return Ok(());
        }
        let intents: Vec<(i64, &Intent)> = updates
            .iter()
            .flat_map(|u| u.score.intents.iter().map(move |i| (u.id.0, i)))
            .collect();
        let _writer = self.write_guard().await;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for u in updates {
                let s = u.score.sentiment;
                sqlx::query(
                    "UPDATE mentions SET lang = $1, label = $2, compound = $3, pos = $4, neu = $5, \
                     neg = $6, scored_at = $7 WHERE id = $8",
                )
                .bind(u.score.lang_code())
                .bind(u.score.label.map(|l| l.as_str()))
                .bind(s.map(|s| s.compound))
                .bind(s.map(|s| s.pos))
                .bind(s.map(|s| s.neu))
                .bind(s.map(|s| s.neg))
                .bind(at)
                .bind(u.id.0)
                .execute(&mut *tx)
                .await?;
            }
            let mut ids = sqlx::QueryBuilder::new("DELETE FROM mention_intents WHERE mention_id IN (");
            let mut list = ids.separated(", ");
            for u in updates {
                list.push_bind(u.id.0);
            }
            ids.push(")");
            ids.build().execute(&mut *tx).await?;
            for chunk in intents.chunks(1000) {
                insert_intents(chunk).build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        })?;
        Ok(())
    }
}
