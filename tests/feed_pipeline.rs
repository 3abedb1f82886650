//! End to end through the library: local feed servers → poll cycle → database, on SQLite and
//! PostgreSQL alike.

mod common;

use std::time::Duration;

use common::{Backend, TestDb, poller, rss};
use fanwatch::pipeline::PollStatus;
use fanwatch::storage::MentionFilter;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn stored(status: &PollStatus) -> (usize, u64, u64) {
    match status {
        PollStatus::Stored {
            fetched, report, ..
        } => (*fetched, report.new, report.duplicate),
        other => panic!("expected a stored poll, got {other:?}"),
    }
}

async fn dedup_over_two_cycles(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let first = rss(&[
        ("1", "Acme Cloud is great", "I highly recommend it"),
        ("2", "Weather", "Nothing to see"),
        ("3", "Nordwind coffee", "Best in town"),
        ("4", "acmetic is a tool", "not a brand"),
    ]);
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_string(first))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let p = poller(&db, &[("news", format!("{}/feed.xml", server.uri()))]).await;

    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored(&out[0].status), (4, 2, 0));
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(
        stored(&out[0].status),
        (4, 0, 2),
        "second cycle stores nothing twice"
    );

    // The feed grows by one mention: only that one is new.
    let grown = rss(&[
        ("5", "Another Acme story", "ACME again"),
        ("1", "Acme Cloud is great", "I highly recommend it"),
        ("3", "Nordwind coffee", "Best in town"),
    ]);
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_string(grown))
        .mount(&server)
        .await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored(&out[0].status), (3, 1, 2));

    let store = &p.pipeline.store;
    let all = store.mentions(&MentionFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    let acme = store
        .mentions(&MentionFilter {
            brand: Some("Acme".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(acme.len(), 2);
    assert!(
        acme.iter()
            .all(|m| m.brands.iter().any(|(b, _)| b == "Acme"))
    );
    let m = acme
        .iter()
        .find(|m| m.url.as_deref() == Some("https://example.com/1"))
        .unwrap();
    assert_eq!(m.brands, vec![("Acme".to_owned(), "Acme Cloud".to_owned())]);
    assert_eq!(m.author.as_deref(), Some("author0"));
    let status = store.source_status("news").await.unwrap().unwrap();
    assert_eq!(status.items_fetched, 11);
    assert_eq!(status.mentions_stored, 3);
    db.cleanup().await;
}

async fn not_modified_costs_no_parsing(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .insert_header("last-modified", "Mon, 02 Nov 2026 10:00:00 GMT")
                .set_body_string(rss(&[("1", "Acme", "hello")])),
        )
        .mount(&server)
        .await;
    let p = poller(&db, &[("news", format!("{}/feed", server.uri()))]).await;
    assert_eq!(
        stored(&p.cycle(false, None).await.unwrap()[0].status),
        (1, 1, 0)
    );
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(out[0].status, PollStatus::NotModified);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let second = &requests[1];
    assert_eq!(second.headers.get("if-none-match").unwrap(), "\"v1\"");
    assert_eq!(
        second.headers.get("if-modified-since").unwrap(),
        "Mon, 02 Nov 2026 10:00:00 GMT"
    );
    assert!(
        second
            .headers
            .get("user-agent")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("fanwatch/")
    );
    let status = p
        .pipeline
        .store
        .source_status("news")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.consecutive_errors, 0);
    assert_eq!(status.items_fetched, 1);
    db.cleanup().await;
}

async fn failing_sources_are_isolated(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/good"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[(
            "1",
            "Acme rocks",
            "yes",
        )])))
        .mount(&server)
        .await;
    Mock::given(path("/500"))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .mount(&server)
        .await;
    // A 429 pauses its whole host, so it gets a server of its own here.
    let limited = MockServer::start().await;
    Mock::given(path("/429"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&limited)
        .await;
    Mock::given(path("/truncated"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("<rss version=\"2.0\"><channel><item><title>Acme"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/html"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string("<!doctype html><html><body><h1>Acme login</h1></body></html>"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(10))
                .set_body_string(rss(&[])),
        )
        .mount(&server)
        .await;
    Mock::given(path("/huge"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b' '; 2_000_000]))
        .mount(&server)
        .await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}/feed")
    };
    let u = |p: &str| format!("{}{p}", server.uri());
    let p = poller(
        &db,
        &[
            ("s500", u("/500")),
            ("s429", format!("{}/429", limited.uri())),
            ("good", u("/good")),
            ("truncated", u("/truncated")),
            ("html", u("/html")),
            ("slow", u("/slow")),
            ("huge", u("/huge")),
            ("refused", refused),
        ],
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    let by_name = |n: &str| &out.iter().find(|o| o.source.as_str() == n).unwrap().status;
    assert_eq!(stored(by_name("good")), (1, 1, 0));
    let expect_error = |n: &str, needle: &str| match by_name(n) {
        PollStatus::Failed {
            error,
            consecutive_errors,
            ..
        } => {
            assert!(error.contains(needle), "{n}: {error}");
            assert_eq!(*consecutive_errors, 1, "{n}");
        }
        other => panic!("{n}: expected failure, got {other:?}"),
    };
    expect_error("s500", "HTTP 500");
    expect_error("s429", "HTTP 429");
    expect_error("truncated", "parse");
    expect_error("html", "parse");
    expect_error("slow", "timed out");
    expect_error("huge", "larger than");
    expect_error("refused", "fetch failed");

    let store = &p.pipeline.store;
    let now = chrono::Utc::now();
    for st in store.source_statuses().await.unwrap() {
        if st.name == "good" {
            assert!(st.is_due(now));
            continue;
        }
        assert_eq!(st.consecutive_errors, 1, "{}", st.name);
        assert!(st.last_error.is_some());
        assert!(st.failing_since.is_some());
        let next = st.next_poll_at.expect("back-off scheduled");
        assert!(
            next > now + chrono::Duration::seconds(40),
            "{}: {next}",
            st.name
        );
        if st.name == "s429" {
            assert!(
                next > now + chrono::Duration::minutes(59),
                "Retry-After honoured: {next}"
            );
        }
    }
    // The daemon's next cycle polls only what is due: the healthy source.
    let out = p.cycle(true, None).await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].source.as_str(), "good");
    // A second failure in a row counts up.
    let out = p.cycle(false, Some("s500")).await.unwrap();
    assert!(matches!(
        out[0].status,
        PollStatus::Failed {
            consecutive_errors: 2,
            ..
        }
    ));
    assert_eq!(
        store
            .mentions(&MentionFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    db.cleanup().await;
}

async fn recovery_resets_the_error_count(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    // The first poll's request and its two quick retries all get 503.
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[("1", "Acme", "x")])))
        .mount(&server)
        .await;
    let p = poller(&db, &[("flaky", format!("{}/feed", server.uri()))]).await;
    assert!(matches!(
        p.cycle(false, None).await.unwrap()[0].status,
        PollStatus::Failed { .. }
    ));
    assert_eq!(
        stored(&p.cycle(false, None).await.unwrap()[0].status),
        (1, 1, 0)
    );
    let st = p
        .pipeline
        .store
        .source_status("flaky")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            st.consecutive_errors,
            st.last_error,
            st.failing_since,
            st.next_poll_at
        ),
        (0, None, None, None)
    );
    db.cleanup().await;
}

async fn authors_and_brands_are_shared(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    // Two sources carry posts by the same author; one post names both brands.
    let feed = |guid: &str| {
        rss(&[
            (guid, "Acme and Nordwind", "both brands"),
            ("x", "Acme", "again"),
        ])
    };
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(200).set_body_string(feed("a1")))
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(200).set_body_string(feed("b1")))
        .mount(&server)
        .await;
    let p = poller(
        &db,
        &[
            ("a", format!("{}/a", server.uri())),
            ("b", format!("{}/b", server.uri())),
        ],
    )
    .await;
    p.cycle(false, None).await.unwrap();
    let all = p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        4,
        "same external id in two sources is two mentions"
    );
    let both = all.iter().filter(|m| m.brands.len() == 2).count();
    assert_eq!(both, 2);
    let authors: std::collections::HashSet<_> =
        all.iter().filter_map(|m| m.author.clone()).collect();
    assert_eq!(
        authors.len(),
        2,
        "authors are unique per platform and handle: {authors:?}"
    );
    let since = chrono::DateTime::parse_from_rfc3339("2026-11-11T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let recent = p
        .pipeline
        .store
        .mentions(&MentionFilter {
            since: Some(since),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        recent.len(),
        2,
        "items dated 10 Nov are older than the cut-off"
    );
    db.cleanup().await;
}

backend_tests!(
    dedup_over_two_cycles,
    not_modified_costs_no_parsing,
    failing_sources_are_isolated,
    recovery_resets_the_error_count,
    authors_and_brands_are_shared,
);
