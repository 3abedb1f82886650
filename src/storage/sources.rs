//! Per-source poll state: cache validators, cursor, schedule and error history.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{StorageError, Store, with_pool};
use crate::fetch::Validators;
use crate::sources::SourceCursor;

/// How a source is doing, as `fanwatch sources`, `/healthz` and the alerts see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// Never polled yet.
    Pending,
    Ok,
    /// The last poll failed; retried with back-off.
    Failing,
    /// Credentials missing or refused (401/403), or the target does not exist: a person has
    /// to change the config or environment. Retried rarely, and at each daemon start.
    Misconfigured,
    /// Failing for longer than `poll.down_after_secs`: reported once as `source_down`.
    Down,
}

impl SourceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Pending => "pending",
            SourceState::Ok => "ok",
            SourceState::Failing => "failing",
            SourceState::Misconfigured => "misconfigured",
            SourceState::Down => "down",
        }
    }

    /// Unknown text (a newer schema) reads as failing rather than hiding a problem.
    pub fn parse(raw: &str) -> Self {
        match raw {
            "pending" => SourceState::Pending,
            "ok" => SourceState::Ok,
            "misconfigured" => SourceState::Misconfigured,
            "down" => SourceState::Down,
            _ => SourceState::Failing,
        }
    }

    pub fn is_healthy(self) -> bool {
        matches!(self, SourceState::Pending | SourceState::Ok)
    }
}

impl std::fmt::Display for SourceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    #[serde(skip)]
    #[sqlx(rename = "state")]
    pub state_text: String,
    pub state_since: Option<DateTime<Utc>>,
}

impl SourceStatus {
    pub fn state(&self) -> SourceState {
        SourceState::parse(&self.state_text)
    }

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
    /// The failure needs a person (401/403, missing credentials), not a retry.
    pub misconfigured: bool,
    /// Failing for this long makes the source `down`.
    pub down_after: chrono::Duration,
}

/// What recording a failure did to the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRecord {
    pub consecutive_errors: i64,
    pub previous: SourceState,
    pub state: SourceState,
}

const STATUS_COLUMNS: &str = "name, kind, etag, last_modified, cursor, next_poll_at, last_poll_at, \
     last_success_at, failing_since, consecutive_errors, last_error, items_fetched, mentions_stored, \
     state, state_since";

/// Sets `state`, moving `state_since` only when the state changes. `$1` is the state, `$2`
/// the time.
pub(super) const SET_STATE: &str =
    "state_since = CASE WHEN state = $1 THEN state_since ELSE $2 END, state = $1";

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
                    .push(", next_poll_at = NULL, consecutive_errors = 0, last_error = NULL, failing_since = NULL, ")
                    .push("state_since = CASE WHEN state = 'ok' THEN state_since ELSE ")
                    .push_bind(at)
                    .push(" END, state = 'ok' WHERE name IN (");
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

    /// Records a failed poll, moves the source to failing, down or misconfigured, and
    /// schedules the retry.
    pub async fn record_failure(
        &self,
        name: &str,
        failure: PollFailure<'_>,
    ) -> Result<FailureRecord, StorageError> {
        let error = crate::domain::truncate_chars(failure.error, 2000);
        let _writer = self.write_guard().await;
        let record = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let (errors, failing_since, previous): (i64, Option<DateTime<Utc>>, String) = sqlx::query_as(
                "UPDATE source_state SET consecutive_errors = consecutive_errors + 1, last_error = $1, \
                 last_poll_at = $2, failing_since = COALESCE(failing_since, $2) WHERE name = $3 \
                 RETURNING consecutive_errors, failing_since, state",
            )
            .bind(error)
            .bind(failure.at)
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
            let state = if failure.misconfigured {
                SourceState::Misconfigured
            } else if failing_since.is_some_and(|since| failure.at - since >= failure.down_after) {
                SourceState::Down
            } else {
                SourceState::Failing
            };
            let sql = sqlx::AssertSqlSafe(format!(
                "UPDATE source_state SET {SET_STATE}, next_poll_at = $3 WHERE name = $4"
            ));
            sqlx::query(sql)
                .bind(state.as_str())
                .bind(failure.at)
                .bind((failure.retry_at)(errors))
                .bind(name)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(FailureRecord {
                consecutive_errors: errors,
                previous: SourceState::parse(&previous),
                state,
            })
        })?;
        Ok(record)
    }

    /// Not polled before `until`, without counting an error (the host asked us to wait).
    pub async fn defer_until(&self, name: &str, until: DateTime<Utc>) -> Result<(), StorageError> {
        let _writer = self.write_guard().await;
        with_pool!(self, pool => sqlx::query("UPDATE source_state SET next_poll_at = $1 WHERE name = $2")
            .bind(until)
            .bind(name)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Misconfigured sources wait out the longest back-off; a new daemon may have new
    /// credentials or config, so it tries them again at once.
    pub async fn retry_misconfigured(&self) -> Result<(), StorageError> {
        let _writer = self.write_guard().await;
        with_pool!(self, pool => sqlx::query(
            "UPDATE source_state SET next_poll_at = NULL WHERE state = 'misconfigured'",
        )
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }
}
