//! Politeness and source health, shared by every connector: quick retries, Retry-After,
//! per-host slots and budgets, the User-Agent, 401/403 as misconfigured, `down` after a
//! configured time, recovery, and `fanwatch sources` showing it all.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::{Backend, TestDb, config_toml, failure, rss, status_of, stored_counts};
use fanwatch::config::load_str;
use fanwatch::daemon::Poller;
use fanwatch::metrics::Metrics;
use fanwatch::pipeline::PollStatus;
use fanwatch::storage::SourceState;
use wiremock::matchers::{header_regex, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A poller over feed sources with `[poll]` settings replaced by `poll`.
async fn poller(db: &TestDb, poll: &str, feeds: &[(&str, String)]) -> Poller {
    let mut base = config_toml(&db.url, feeds);
    if poll.lines().any(|l| l.starts_with("concurrency")) {
        base = base.replace("concurrency = 8\n", "");
    }
    let toml = base.replace("[poll]\n", &format!("[poll]\n{poll}\n"));
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

fn acme_feed() -> String {
    rss(&[("1", "Acme news", "acme is fine")])
}

async fn transient_errors_are_retried_within_a_poll(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .and(header_regex("user-agent", r"^fanwatch/\d+\.\d+\.\d+"))
        .respond_with(ResponseTemplate::new(200).set_body_string(acme_feed()))
        .mount(&server)
        .await;
    let p = poller(&db, "", &[("flaky", format!("{}/flaky", server.uri()))]).await;
    let started = std::time::Instant::now();
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "flaky")), (1, 1, 0));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was waited out"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    db.cleanup().await;
}

async fn a_long_retry_after_pauses_the_host_for_its_other_sources(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "600"))
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(200).set_body_string(acme_feed()))
        .mount(&server)
        .await;
    let p = poller(
        &db,
        "concurrency = 1",
        &[
            ("a", format!("{}/a", server.uri())),
            ("b", format!("{}/b", server.uri())),
        ],
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    assert!(failure(status_of(&out, "a")).contains("429"));
    match status_of(&out, "b") {
        PollStatus::Deferred { reason } => assert!(reason.contains("rate limiting"), "{reason}"),
        other => panic!("b should wait for the host: {other:?}"),
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "no request went to the paused host"
    );
    let b = p.pipeline.store.source_status("b").await.unwrap().unwrap();
    assert_eq!(b.consecutive_errors, 0, "deferred is not an error");
    assert_eq!(b.state(), SourceState::Pending);
    let next = b
        .next_poll_at
        .expect("deferred until the host's pause ends");
    assert!(
        next > chrono::Utc::now() + chrono::Duration::minutes(9),
        "{next}"
    );
    db.cleanup().await;
}

async fn per_host_budget_and_slots_are_respected(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let hits = Arc::new(AtomicUsize::new(0));
    let (f, pk, h) = (in_flight.clone(), peak.clone(), hits.clone());
    let app = Router::new().route(
        "/feed/{n}",
        get(move || {
            let (f, pk, h) = (f.clone(), pk.clone(), h.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                pk.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                f.fetch_sub(1, Ordering::SeqCst);
                acme_feed()
            }
        }),
    );
    let base = common::serve(app).await;
    let feeds: Vec<(String, String)> = (0..12)
        .map(|i| (format!("s{i:02}"), format!("{base}/feed/{i}")))
        .collect();
    let refs: Vec<(&str, String)> = feeds.iter().map(|(n, u)| (n.as_str(), u.clone())).collect();
    let p = poller(
        &db,
        "per_host_concurrency = 2\nper_host_requests_per_cycle = 8",
        &refs,
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    let stored = out
        .iter()
        .filter(|o| matches!(o.status, PollStatus::Stored { .. }))
        .count();
    let deferred = out
        .iter()
        .filter(|o| matches!(o.status, PollStatus::Deferred { .. }))
        .count();
    assert_eq!((stored, deferred), (8, 4), "{out:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 8);
    assert!(
        peak.load(Ordering::SeqCst) <= 2,
        "peak {}",
        peak.load(Ordering::SeqCst)
    );
    // The next cycle has a fresh budget: the deferred sources get their turn.
    let out = p.cycle(true, None).await.unwrap();
    let stored = out
        .iter()
        .filter(|o| matches!(o.status, PollStatus::Stored { .. }))
        .count();
    assert!(stored >= 4, "{out:?}");
    db.cleanup().await;
}

async fn refused_credentials_mark_the_source_misconfigured(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/401"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("content-type", "application/json")
                .set_body_string(r#"{"error":"The access token is invalid"}"#),
        )
        .mount(&server)
        .await;
    let p = poller(&db, "", &[("locked", format!("{}/401", server.uri()))]).await;
    let out = p.cycle(false, None).await.unwrap();
    match status_of(&out, "locked") {
        PollStatus::Failed { error, state, .. } => {
            assert_eq!(*state, SourceState::Misconfigured);
            assert!(
                error.contains("401") && error.contains("access token"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    let st = p
        .pipeline
        .store
        .source_status("locked")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(st.state(), SourceState::Misconfigured);
    let next = st.next_poll_at.unwrap();
    assert!(
        next > chrono::Utc::now() + chrono::Duration::hours(5),
        "not retried every minute: {next}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "401 is not retried"
    );
    // A new daemon (perhaps with new credentials) tries it again at once.
    let again = poller(&db, "", &[("locked", format!("{}/401", server.uri()))]).await;
    let st = again
        .pipeline
        .store
        .source_status("locked")
        .await
        .unwrap()
        .unwrap();
    assert!(st.next_poll_at.is_none());
    db.cleanup().await;
}

async fn failing_long_enough_is_down_and_recovery_resets(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(6)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(acme_feed()))
        .mount(&server)
        .await;
    let p = poller(
        &db,
        "down_after_secs = 1\nretries = 2",
        &[("shaky", format!("{}/feed", server.uri()))],
    )
    .await;
    let state_of = |out: &[fanwatch::pipeline::PollOutcome]| match status_of(out, "shaky") {
        PollStatus::Failed { state, .. } => *state,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        state_of(&p.cycle(false, None).await.unwrap()),
        SourceState::Failing
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        state_of(&p.cycle(false, None).await.unwrap()),
        SourceState::Down
    );
    let store = &p.pipeline.store;
    let st = store.source_status("shaky").await.unwrap().unwrap();
    assert_eq!(st.state(), SourceState::Down);
    assert_eq!(st.consecutive_errors, 2);
    let down_since = st.state_since.unwrap();

    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "shaky")).1, 1);
    let st = store.source_status("shaky").await.unwrap().unwrap();
    assert_eq!(st.state(), SourceState::Ok);
    assert_eq!(st.consecutive_errors, 0);
    assert!(st.failing_since.is_none() && st.last_error.is_none());
    assert!(st.state_since.unwrap() > down_since);
    let metrics = p.pipeline.metrics.render();
    assert!(
        metrics.contains("fanwatch_source_down_total{source=\"shaky\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fanwatch_source_state{source=\"shaky\",state=\"ok\"} 1"),
        "{metrics}"
    );
    db.cleanup().await;
}

backend_tests!(
    transient_errors_are_retried_within_a_poll,
    a_long_retry_after_pauses_the_host_for_its_other_sources,
    per_host_budget_and_slots_are_respected,
    refused_credentials_mark_the_source_misconfigured,
    failing_long_enough_is_down_and_recovery_resets,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_command_lists_state_items_and_errors() {
    let Some(db) = TestDb::new(Backend::Sqlite).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/good"))
        .respond_with(ResponseTemplate::new(200).set_body_string(acme_feed()))
        .mount(&server)
        .await;
    Mock::given(path("/locked"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let toml = config_toml(
        &db.url,
        &[
            ("good", format!("{}/good", server.uri())),
            ("locked", format!("{}/locked", server.uri())),
            ("later", format!("{}/later", server.uri())),
        ],
    );
    let cfg = common::write_config(dir.path(), &toml);
    let cfg = cfg.to_str().unwrap();
    for name in ["good", "locked"] {
        let out = common::fanwatch(&["--config", cfg, "poll", "--once", "--source", name]);
        assert!(
            out.status.success() || name == "locked",
            "{}",
            common::stderr(&out)
        );
    }
    let out = common::fanwatch(&["--config", cfg, "sources"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let table = common::stdout(&out);
    let line = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{table}"))
            .to_owned()
    };
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        line("good").contains(" ok ") && line("good").contains("feed"),
        "{table}"
    );
    assert!(
        line("locked").contains("misconfigured") && line("locked").contains("HTTP 403"),
        "{table}"
    );
    assert!(
        line("later").contains("pending") && line("later").contains("next cycle"),
        "{table}"
    );

    let out = common::fanwatch(&["--config", cfg, "sources", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let good = json
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "good")
        .unwrap();
    assert_eq!(good["kind"], "feed");
    assert_eq!(good["state"], "ok");
    assert_eq!(good["items_fetched"], 1);
    assert_eq!(good["mentions_stored"], 1);
    assert_eq!(good["consecutive_errors"], 0);
    assert!(good["last_poll_at"].is_string());
    db.cleanup().await;
}
