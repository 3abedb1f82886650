//! PostgreSQL: for teams, and for several daemons sharing one database.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use super::StorageError;

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub(super) async fn connect(url: &str, max_connections: u32) -> Result<sqlx::PgPool, StorageError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    Ok(pool)
}
