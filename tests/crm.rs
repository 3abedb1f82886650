//! `fanwatch crm import` end to end on both backends: customers and handles stored, authors
//! found case-insensitively, re-imports idempotent, bad files rejected whole.

mod common;

use std::path::{Path, PathBuf};

use common::{Backend, TestDb, config_toml, fanwatch, stderr, stdout, write_config};
use fanwatch::crm::{Segment, parse_customers};
use fanwatch::storage::CustomerLink;

const EXAMPLE: &str = include_str!("../config/customers.example.csv");
const HEADER: &str = "customer_id,name,email,segment,lifecycle_stage,handles";

/// A test database, its config file, and a directory for CSV files.
struct Setup {
    db: TestDb,
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Setup {
    async fn new(backend: Backend) -> Option<Self> {
        let db = TestDb::new(backend).await?;
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &config_toml(&db.url, &[]));
        Some(Self { db, dir, config })
    }

    fn csv(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn import(&self, file: &Path) -> std::process::Output {
        fanwatch(&[
            "--config",
            self.config.to_str().unwrap(),
            "crm",
            "import",
            file.to_str().unwrap(),
        ])
    }
}

/// The first (text) column of every row `sql` returns, read outside `Store`.
async fn texts(backend: Backend, url: &str, sql: &str) -> Vec<String> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows.into_iter().map(|r| r.0).collect()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows.into_iter().map(|r| r.0).collect()
        }
    }
}

const CUSTOMERS: &str = "SELECT customer_id || '|' || name || '|' || COALESCE(email, '') || '|' || segment \
     || '|' || COALESCE(lifecycle_stage, '') || '|' || CAST(imported_at AS TEXT) FROM customers ORDER BY customer_id";
const HANDLES: &str = "SELECT platform || ':' || handle || '=' || customer_id FROM customer_handles \
     ORDER BY platform, handle";

async fn good_import(backend: Backend) {
    let Some(s) = Setup::new(backend).await else {
        return;
    };
    let file = s.csv("customers.csv", EXAMPLE);
    let out = s.import(&file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "imported 4 customers, 5 handles\n");

    let customers = texts(backend, &s.db.url, CUSTOMERS).await;
    assert_eq!(customers.len(), 4, "{customers:?}");
    assert!(
        customers[0].starts_with("C-1001|Kadri Tamm|kadri.tamm@example.ee|top|customer|"),
        "{customers:?}"
    );
    assert!(
        customers[3].starts_with("C-1004|Liis Kask|liis@example.com|potential||"),
        "{customers:?}"
    );
    assert_eq!(
        texts(backend, &s.db.url, HANDLES).await,
        vec![
            "bluesky:kadri.example.ee=C-1001",
            "hackernews:jmets=C-1003",
            "mastodon:kadri@mastodon.ee=C-1001",
            "reddit:nordicbikes=C-1002",
            "youtube:nordicbikes=C-1002",
        ]
    );

    let store = s.db.store().await;
    let kadri = Some(CustomerLink {
        customer_id: "C-1001".into(),
        name: "Kadri Tamm".into(),
        segment: Segment::Top,
    });
    assert_eq!(
        store
            .customer_of("mastodon", "@Kadri@Mastodon.ee")
            .await
            .unwrap(),
        kadri
    );
    assert_eq!(
        store
            .customer_of("mastodon", "kadri@mastodon.ee")
            .await
            .unwrap(),
        kadri
    );
    assert_eq!(
        store
            .customer_of("youtube", "@NORDICBIKES")
            .await
            .unwrap()
            .map(|c| c.segment),
        Some(Segment::Medium)
    );
    assert_eq!(
        store
            .customer_of("reddit", "kadri@mastodon.ee")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.customer_of("mastodon", " @ ").await.unwrap(), None);

    // The join other code relies on: authors keep the handle's case, customer_handles is lower.
    sqlx_exec(
        backend,
        &s.db.url,
        "INSERT INTO authors (platform, handle, first_seen_at, last_seen_at) \
         VALUES ('mastodon', 'Kadri@Mastodon.ee', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')",
    )
    .await;
    assert_eq!(
        texts(
            backend,
            &s.db.url,
            "SELECT customer_handles.customer_id FROM authors JOIN customer_handles \
             ON customer_handles.platform = authors.platform \
             AND customer_handles.handle = LOWER(authors.handle)",
        )
        .await,
        vec!["C-1001"]
    );
    store.close().await;
    s.db.cleanup().await;
}

async fn sqlx_exec(backend: Backend, url: &str, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

async fn reimport_is_idempotent_and_updates(backend: Backend) {
    let Some(s) = Setup::new(backend).await else {
        return;
    };
    let file = s.csv("customers.csv", EXAMPLE);
    assert_eq!(s.import(&file).status.code(), Some(0));
    let customers = texts(backend, &s.db.url, CUSTOMERS).await;
    let handles = texts(backend, &s.db.url, HANDLES).await;

    let again = s.import(&file);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(stdout(&again), "imported 4 customers, 5 handles\n");
    // Nothing changes, not even imported_at.
    assert_eq!(texts(backend, &s.db.url, CUSTOMERS).await, customers);
    assert_eq!(texts(backend, &s.db.url, HANDLES).await, handles);

    // Through the library: the report says nothing was written.
    let store = s.db.store().await;
    let records = parse_customers(EXAMPLE.as_bytes()).unwrap();
    let report = store.import_customers(&records).await.unwrap();
    assert_eq!(
        (report.customers, report.handles, report.changed),
        (4, 5, 0)
    );

    // Nordic Bikes grows to large and swaps its YouTube handle for a Bluesky one; Jüri's
    // handle moves to a new customer; C-1001 and C-1004 are not in this file.
    let update = format!(
        "{HEADER}\n\
         C-1002,Nordic Bikes OÜ,hello@nordicbikes.example,LARGE,customer,reddit:nordicbikes;bluesky:nordicbikes.example\n\
         C-1005,Mets & Co,,small,lead,hackernews:JMets\n"
    );
    let out = s.import(&s.csv("update.csv", update));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "imported 2 customers, 3 handles\n");
    assert_eq!(
        store
            .customer_of("reddit", "NordicBikes")
            .await
            .unwrap()
            .map(|c| c.segment),
        Some(Segment::Large)
    );
    assert_eq!(
        store.customer_of("youtube", "nordicbikes").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .customer_of("hackernews", "jmets")
            .await
            .unwrap()
            .map(|c| c.customer_id),
        Some("C-1005".to_owned())
    );
    let after = texts(backend, &s.db.url, CUSTOMERS).await;
    assert_eq!(after.len(), 5);
    // Customers not in the second file keep their rows, imported_at included.
    assert_eq!(after[0], customers[0]);
    assert_eq!(after[3], customers[3]);
    assert!(after[1].contains("|large|"), "{after:?}");
    assert_eq!(
        texts(backend, &s.db.url, HANDLES).await,
        vec![
            "bluesky:kadri.example.ee=C-1001",
            "bluesky:nordicbikes.example=C-1002",
            "hackernews:jmets=C-1005",
            "mastodon:kadri@mastodon.ee=C-1001",
            "reddit:nordicbikes=C-1002",
        ]
    );
    store.close().await;
    s.db.cleanup().await;
}

async fn bad_lines_import_nothing(backend: Backend) {
    let Some(s) = Setup::new(backend).await else {
        return;
    };
    assert_eq!(s.import(&s.csv("good.csv", EXAMPLE)).status.code(), Some(0));
    let customers = texts(backend, &s.db.url, CUSTOMERS).await;
    let handles = texts(backend, &s.db.url, HANDLES).await;

    let bad = format!(
        "{HEADER}\n\
         C-1001,Kadri Tamm,kadri.tamm@example.ee,small,customer,mastodon:kadri@mastodon.ee\n\
         C-2001,Bad Segment,,enormous,,\n\
         C-2002,Fine,,small,,\n\
         C-2002,Duplicate Id,,small,,\n\
         C-2003,Bad Platform,,small,,myspace:tom\n\
         C-2004,Bad Email,not an email,small,,\n\
         C-2005,Missing Column,,small\n\
         C-2006,Fine Too,,top,,reddit:fine_too\n"
    );
    let out = s.import(&s.csv("bad.csv", bad));
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    for (line, reason) in [
        (3, "segment \"enormous\""),
        (5, "customer_id \"C-2002\" already used on line 4"),
        (6, "handle \"myspace:tom\": unknown platform \"myspace\""),
        (7, "email \"not an email\""),
        (8, "expected 6 columns"),
    ] {
        let wanted = format!("line {line}: {reason}");
        assert!(err.contains(&wanted), "missing {wanted:?} in:\n{err}");
    }
    for good in ["line 2:", "line 4:", "line 9:"] {
        assert!(!err.contains(good), "{good} is fine:\n{err}");
    }
    assert!(err.contains("5 bad line(s), nothing imported"), "{err}");
    assert_eq!(texts(backend, &s.db.url, CUSTOMERS).await, customers);
    assert_eq!(texts(backend, &s.db.url, HANDLES).await, handles);

    // A handle claimed twice in one file: the second line is the bad one.
    let twice = format!("{HEADER}\nC-3001,A,,top,,reddit:@Same\nC-3002,B,,top,,REDDIT:same\n");
    let out = s.import(&s.csv("twice.csv", twice));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("line 3: handle reddit:same already belongs to customer \"C-3001\" (line 2)"),
        "{err}"
    );
    assert!(!err.contains("line 2:"), "{err}");
    assert_eq!(texts(backend, &s.db.url, CUSTOMERS).await, customers);
    s.db.cleanup().await;
}

async fn bom_and_crlf_are_accepted(backend: Backend) {
    let Some(s) = Setup::new(backend).await else {
        return;
    };
    let text = format!("\u{feff}{}", EXAMPLE.replace('\n', "\r\n"));
    let out = s.import(&s.csv("windows.csv", text));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "imported 4 customers, 5 handles\n");
    let customers = texts(backend, &s.db.url, CUSTOMERS).await;
    // No BOM glued to the first id, no CR left on the last cell.
    assert!(customers[0].starts_with("C-1001|"), "{customers:?}");
    assert!(
        customers[3].starts_with("C-1004|Liis Kask|liis@example.com|potential||"),
        "{customers:?}"
    );
    s.db.cleanup().await;
}

backend_tests!(
    good_import,
    reimport_is_idempotent_and_updates,
    bad_lines_import_nothing,
    bom_and_crlf_are_accepted,
);

#[test]
fn wrong_header_or_missing_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let config = write_config(dir.path(), &config_toml(&db, &[]));
    let run = |file: &Path| {
        fanwatch(&[
            "--config",
            config.to_str().unwrap(),
            "crm",
            "import",
            file.to_str().unwrap(),
        ])
    };

    let wrong = dir.path().join("wrong.csv");
    std::fs::write(
        &wrong,
        "id,name,email,segment,stage,handles\nC-1,A,,top,,\n",
    )
    .unwrap();
    let out = run(&wrong);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("wrong.csv"), "{err}");
    assert!(err.contains(HEADER), "{err}");

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(run(&empty).status.code(), Some(2));

    let missing = dir.path().join("missing.csv");
    let out = run(&missing);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.csv"), "{}", stderr(&out));
}
