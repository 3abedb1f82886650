//! Shared test harness: a fresh database per test on SQLite or PostgreSQL, config builders,
//! and helpers to run the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fanwatch::config::{Config, load_str};
use fanwatch::daemon::Poller;
use fanwatch::metrics::Metrics;
use fanwatch::storage::Store;

pub const FANWATCH: &str = env!("CARGO_BIN_EXE_fanwatch");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the PostgreSQL server for tests is. In CI (`CI=true`) a missing server is a failure,
/// never a skip; on a developer machine without one, PostgreSQL tests say loudly that they
/// did not run.
pub fn pg_admin_url() -> Option<String> {
    if let Ok(url) = std::env::var("FANWATCH_TEST_PG_URL") {
        return Some(url);
    }
    let url = "postgres://postgres@127.0.0.1:5432/postgres".to_owned();
    let reachable = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:5432".parse().unwrap(),
        std::time::Duration::from_secs(2),
    )
    .is_ok();
    if reachable {
        return Some(url);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("CI needs PostgreSQL: set FANWATCH_TEST_PG_URL or run one on 127.0.0.1:5432");
    }
    eprintln!(
        "WARNING: PostgreSQL not reachable on 127.0.0.1:5432; this PostgreSQL test did NOT run"
    );
    None
}

/// A database of its own for one test: a temp SQLite file, or a new PostgreSQL database.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Some(Self {
                    url,
                    _dir: Some(dir),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let admin = pg_admin_url()?;
                let name = format!("fanwatch_test_{}", uuid_like());
                let pool = sqlx::PgPool::connect(&admin)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&pool)
                    .await
                    .expect("create test database");
                pool.close().await;
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                Some(Self {
                    url: url.to_string(),
                    _dir: None,
                    pg: Some((admin, name)),
                })
            }
        }
    }

    pub async fn store(&self) -> Store {
        let url = fanwatch::config::DatabaseUrl::parse(&self.url).unwrap();
        Store::open(&url, 4).await.expect("open store")
    }

    /// Drops a PostgreSQL test database (SQLite files go with their temp dir).
    pub async fn cleanup(self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(pool) = sqlx::PgPool::connect(admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&pool)
            .await;
            pool.close().await;
        }
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `$body` (an async fn taking a `Backend`) once per backend, as two tests.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// A config with the given database, the Acme and Nordwind brands, and feed sources.
pub fn config_toml(db_url: &str, sources: &[(&str, String)]) -> String {
    let mut toml = format!(
        r#"[database]
url = "{db_url}"
[poll]
schedule = "0 */15 * * * *"
concurrency = 8
timeout_secs = 2
max_body_bytes = 1000000
backoff_base_secs = 60
[http]
listen = "127.0.0.1:0"
[[brands]]
name = "Acme"
terms = ["acme", "acme cloud"]
exclude = ["acme looney"]
[[brands]]
name = "Nordwind"
terms = ["nordwind"]
"#
    );
    for (name, url) in sources {
        toml.push_str(&format!(
            "[[sources]]\nname = \"{name}\"\nkind = \"feed\"\nurl = \"{url}\"\n"
        ));
    }
    toml
}

pub fn config(db_url: &str, sources: &[(&str, String)]) -> Config {
    load_str(&config_toml(db_url, sources), None, &[]).expect("test config")
}

/// An RSS 2.0 document with `(guid, title, description)` items.
pub fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Test</title><link>https://example.com/</link>\n",
    );
    for (i, (guid, title, desc)) in items.iter().enumerate() {
        out.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>https://example.com/{guid}</link>\
             <description>{desc}</description><dc:creator>author{}</dc:creator>\
             <pubDate>Mon, 1{} Nov 2026 10:00:00 GMT</pubDate></item>\n",
            i % 2,
            i % 10
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

pub fn write_config(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("fanwatch.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// The binary, to be run with a clean FANWATCH_* environment.
pub fn fanwatch_command() -> Command {
    let mut cmd = Command::new(FANWATCH);
    for (k, _) in std::env::vars() {
        if k.starts_with("FANWATCH_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Runs the binary with a clean FANWATCH_* environment.
pub fn fanwatch(args: &[&str]) -> Output {
    fanwatch_command()
        .args(args)
        .output()
        .expect("run fanwatch")
}

/// `rel` inside the shared test data (../shared beside the repo, or $FANWATCH_SHARED_DIR),
/// read in place. Missing, it is a failure when FANWATCH_REQUIRE_SHARED=1 (CI) and otherwise
/// a note and `None`, so the suite skips on a machine without it.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = std::env::var_os("FANWATCH_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("FANWATCH_REQUIRE_SHARED").map_or(true, |v| v != "1"),
        "{} missing but FANWATCH_REQUIRE_SHARED=1",
        path.display()
    );
    eprintln!("NOTE: {} not found; skipped", path.display());
    None
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A poller over `sources` (feeds) with the test brands, on this test's database.
pub async fn poller(db: &TestDb, sources: &[(&str, String)]) -> Poller {
    poller_from(&config(&db.url, sources), db).await
}

/// A poller for a whole config, on this test's database.
pub async fn poller_from(cfg: &Config, db: &TestDb) -> Poller {
    Poller::new(
        cfg,
        db.store().await,
        Metrics::new(),
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .expect("poller")
}

/// A poller over sources given as raw `[[sources]]` TOML (any kind), with the test brands
/// (Acme, Nordwind) and polite settings suited to a local server.
pub async fn poller_with(db: &TestDb, sources_toml: &str) -> Poller {
    let toml = format!("{}\n{sources_toml}", config_toml(&db.url, &[]));
    let cfg = load_str(&toml, None, &[]).expect("test config");
    Poller::new(
        &cfg,
        db.store().await,
        Metrics::new(),
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .expect("poller")
}

/// The status of source `name` in a cycle's outcomes.
pub fn status_of<'a>(
    outcomes: &'a [fanwatch::pipeline::PollOutcome],
    name: &str,
) -> &'a fanwatch::pipeline::PollStatus {
    &outcomes
        .iter()
        .find(|o| o.source.as_str() == name)
        .unwrap_or_else(|| panic!("no outcome for {name}: {outcomes:?}"))
        .status
}

/// (fetched, new, duplicate) of a stored poll; panics with the status otherwise.
pub fn stored_counts(status: &fanwatch::pipeline::PollStatus) -> (usize, u64, u64) {
    match status {
        fanwatch::pipeline::PollStatus::Stored {
            fetched, report, ..
        } => (*fetched, report.new, report.duplicate),
        other => panic!("expected a stored poll, got {other:?}"),
    }
}

/// The error of a failed poll; panics with the status otherwise.
pub fn failure(status: &fanwatch::pipeline::PollStatus) -> &str {
    match status {
        fanwatch::pipeline::PollStatus::Failed { error, .. } => error,
        other => panic!("expected a failed poll, got {other:?}"),
    }
}

/// One query parameter of a request a mock server received.
pub fn param(req: &wiremock::Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// All query parameters of a request a mock server received.
pub fn query_map(req: &wiremock::Request) -> std::collections::HashMap<String, String> {
    req.url.query_pairs().into_owned().collect()
}

/// The cursor a source's state holds now.
pub async fn cursor_of(p: &Poller, name: &str) -> Option<String> {
    p.pipeline
        .store
        .source_status(name)
        .await
        .unwrap()
        .unwrap()
        .cursor
}

/// The stored mentions of one source.
pub async fn mentions_of(p: &Poller, source: &str) -> Vec<fanwatch::storage::MentionRow> {
    p.pipeline
        .store
        .mentions(&fanwatch::storage::MentionFilter {
            source: Some(source.into()),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The bad-response contract of a connector: each case's source first stores one mention
/// (so it has a cursor to keep), then meets its bad response. The second poll must fail with
/// every word of the case in its error and the case's state, leave the cursor where it was,
/// and store nothing. Returns each case's error for further checks.
pub async fn second_poll_fails_cleanly(
    p: &Poller,
    cases: &[(&str, &[&str], fanwatch::storage::SourceState)],
) -> Vec<String> {
    let store = &p.pipeline.store;
    let out = p.cycle(false, None).await.unwrap();
    let mut before = Vec::new();
    for (name, ..) in cases {
        assert_eq!(stored_counts(status_of(&out, name)).1, 1, "{name}");
        before.push(cursor_of(p, name).await);
    }
    let out = p.cycle(false, None).await.unwrap();
    let mut errors = Vec::new();
    for ((name, words, state), cursor) in cases.iter().zip(before) {
        let status = status_of(&out, name);
        let error = failure(status);
        for w in *words {
            assert!(error.contains(w), "{name}: {error:?} lacks {w:?}");
        }
        assert!(
            matches!(status, fanwatch::pipeline::PollStatus::Failed { state: s, .. } if s == state),
            "{name}: {status:?}"
        );
        assert!(cursor.is_some());
        assert_eq!(
            cursor_of(p, name).await,
            cursor,
            "{name}: cursor moved on a failed poll"
        );
        errors.push(error.to_owned());
    }
    assert_eq!(
        store
            .mentions(&fanwatch::storage::MentionFilter::default())
            .await
            .unwrap()
            .len(),
        cases.len(),
        "nothing stored by the failed polls"
    );
    errors
}

/// Serves `app` on a free port of 127.0.0.1 for the rest of the test; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}
pub mod smtp;
