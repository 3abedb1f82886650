//! Persistence with sqlx. SQLite (embedded, the default) and PostgreSQL behave the same: each
//! backend module owns its connection set-up and migrations folder, and the queries, written
//! once in portable SQL, run on whichever pool `Store` holds.

mod crm;
mod flags;
mod mentions;
mod outbox;
mod postgres;
mod profiles;
mod scores;
mod sources;
mod sqlite;

pub use crm::{CustomerLink, CustomerLinks, ImportReport};
pub use flags::{FlagCandidate, FlagDetail, FlagRow, NewFlag};
pub use mentions::{MentionFilter, MentionRow, NewMention, StoreReport};
pub use outbox::{EmailKind, NewEmail, OutboxCount, OutboxRow, RenderedEmail};
pub use profiles::{AuthorWeek, week_of};
pub use scores::{RescoreRow, ScoreUpdate};
pub use sources::{FailureRecord, PollFailure, SourceState, SourceStatus};

use crate::config::DatabaseUrl;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Other(String),
}

/// A connection pool to one of the supported backends.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// SQLite allows one writer at a time, and its busy handler waits by sleeping, so
    /// concurrent write transactions stall each other for tens of milliseconds. Writers queue
    /// here instead; readers are unaffected (WAL). PostgreSQL does not need it.
    write_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool, so one query text and one piece of
/// code serve both backends while each still gets its own driver's types.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::storage::Pool::Sqlite($pool) => $body,
            $crate::storage::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

impl Store {
    /// Connects (creating the SQLite file if missing). Does not migrate.
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Self, StorageError> {
        let pool = match url {
            DatabaseUrl::Sqlite(raw) => Pool::Sqlite(sqlite::connect(raw, max_connections).await?),
            DatabaseUrl::Postgres(raw) => {
                Pool::Postgres(postgres::connect(raw, max_connections).await?)
            }
        };
        Ok(Self {
            pool,
            write_lock: Default::default(),
        })
    }

    /// Held for the length of a write transaction on SQLite; a no-op on PostgreSQL.
    pub(crate) async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.pool {
            Pool::Sqlite(_) => Some(self.write_lock.lock().await),
            Pool::Postgres(_) => None,
        }
    }

    /// Connects and brings the schema up to date.
    pub async fn open(url: &DatabaseUrl, max_connections: u32) -> Result<Self, StorageError> {
        let store = Self::connect(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations of this backend; safe to run repeatedly.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlite::MIGRATOR.run(pool).await?,
            Pool::Postgres(pool) => postgres::MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StorageError> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}
