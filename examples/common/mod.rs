//! What the benchmark examples share.

use std::path::Path;

/// The databases a benchmark runs on: a SQLite file in `dir`, and a PostgreSQL database
/// `name`, dropped and created afresh, when FANWATCH_BENCH_PG_URL names an admin URL.
pub async fn bench_databases(
    dir: &Path,
    name: &str,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut backends = vec![(
        "sqlite",
        format!("sqlite://{}", dir.join("bench.db").display()),
    )];
    if let Ok(admin) = std::env::var("FANWATCH_BENCH_PG_URL") {
        let pool = sqlx::PgPool::connect(&admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&pool)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await?;
        pool.close().await;
        let mut url = url::Url::parse(&admin)?;
        url.set_path(name);
        backends.push(("postgres", url.to_string()));
    }
    Ok(backends)
}
