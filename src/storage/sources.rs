//! Per-source poll state: cache validators, cursor, schedule and error history.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{StorageError, Store, with_pool};
use crate::fetch::Validators;
use crate::sources::SourceCursor;

/// What the database knows about one source.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SourceStatus {
    pub name: String,
    pub kind: String,
    #[serde(skip)]
    pub etag: Option<String>,
    #[serde(skip)]
    pub last_modified: Option<String>,
    #[serde(skip)]
    pub cursor: Option<String>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub consecutive_errors: i64,
    pub last_error: Option<String>,
    pub items_fetched: i64,
    pub mentions_stored: i64,
}

impl SourceStatus {
    pub fn cursor(&self) -> SourceCursor {
        SourceCursor {
            validators: Validators {
                etag: self.etag.clone(),
                last_modified: self.last_modified.clone(),
            },
            cursor: self.cursor.clone(),
        }
    }

    /// Whether the daemon should poll this source now (not waiting out a back-off).
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.next_poll_at.is_none_or(|at| at <= now)
    }
}

/// A failed poll, to be recorded with its back-off.
pub struct PollFailure<'a> {
    pub error: &'a str,
    pub at: DateTime<Utc>,
    /// When to try again, given how many polls in a row have now failed.
    pub retry_at: &'a (dyn Fn(i64) -> DateTime<Utc> + Sync),
}

const STATUS_COLUMNS: &str = "name, kind, etag, last_modified, cursor, next_poll_at, last_poll_at, \
     last_success_at, failing_since, consecutive_errors, last_error, items_fetched, mentions_stored";

impl Store {
    /// Makes sure every configured source, given as (name, kind), has a state row.
    pub async fn register_sources(&self, sources: &[(&str, &str)]) -> Result<(), StorageError> {
        let _writer = self.write_guard().await;
        for chunk in sources.chunks(500) {
            with_pool!(self, pool => {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO source_state (name, kind) ");
                q.push_values(chunk, |mut row, (name, kind)| {
                    row.push_bind(*name).push_bind(*kind);
                });
                q.push(" ON CONFLICT (name) DO UPDATE SET kind = excluded.kind");
                q.build().execute(pool).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    pub async fn source_status(&self, name: &str) -> Result<Option<SourceStatus>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {STATUS_COLUMNS} FROM source_state WHERE name = $1"
        ));
        Ok(
            with_pool!(self, pool => sqlx::query_as::<_, SourceStatus>(sql)
            .bind(name)
            .fetch_optional(pool)
            .await)?,
        )
    }

    pub async fn source_statuses(&self) -> Result<Vec<SourceStatus>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {STATUS_COLUMNS} FROM source_state ORDER BY name"
        ));
        Ok(with_pool!(self, pool => sqlx::query_as::<_, SourceStatus>(sql).fetch_all(pool).await)?)
    }

    /// Sources that answered 304: healthy, nothing to parse. One statement for all of them.
    pub async fn record_not_modified(
        &self,
        names: &[&str],
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        if names.is_empty() {
            return Ok(());
        }
        let _writer = self.write_guard().await;
        for chunk in names.chunks(500) {
            with_pool!(self, pool => {
                let mut q = sqlx::QueryBuilder::new("UPDATE source_state SET last_poll_at = ");
                q.push_bind(at)
                    .push(", last_success_at = ")
                    .push_bind(at)
                    .push(", next_poll_at = NULL, consecutive_errors = 0, last_error = NULL, failing_since = NULL WHERE name IN (");
                let mut list = q.separated(", ");
                for name in chunk {
                    list.push_bind(*name);
                }
                q.push(")");
                q.build().execute(pool).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Records a failed poll and schedules the retry; returns the consecutive error count.
    pub async fn record_failure(
        &self,
        name: &str,
        failure: PollFailure<'_>,
    ) -> Result<i64, StorageError> {
        let error = crate::domain::truncate_chars(failure.error, 2000);
        let _writer = self.write_guard().await;
        let errors = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let errors: i64 = sqlx::query_scalar(
                "UPDATE source_state SET consecutive_errors = consecutive_errors + 1, last_error = $1, \
                 last_poll_at = $2, failing_since = COALESCE(failing_since, $2) WHERE name = $3 \
                 RETURNING consecutive_errors",
            )
            .bind(error)
            .bind(failure.at)
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE source_state SET next_poll_at = $1 WHERE name = $2")
                .bind((failure.retry_at)(errors))
                .bind(name)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(errors)
        })?;
        Ok(errors)
    }
}
