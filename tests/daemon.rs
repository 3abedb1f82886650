//! The daemon as an operator runs it: `fanwatch run` polls, serves /healthz and /metrics, and
//! stops cleanly on SIGTERM.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestDb, config_toml, rss, write_config};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn get(url: &str) -> Option<(u16, String)> {
    let r = reqwest::get(url).await.ok()?;
    Some((r.status().as_u16(), r.text().await.ok()?))
}

async fn daemon_serves_health_and_stops_on_sigterm(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[("1", "Acme news", "x")])))
        .mount(&server)
        .await;
    Mock::given(path("/broken"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let toml = config_toml(
        &db.url,
        &[
            ("news", format!("{}/feed", server.uri())),
            ("broken", format!("{}/broken", server.uri())),
        ],
    )
    .replace(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:{port}\""),
    );
    let cfg = write_config(dir.path(), &toml);
    let mut child = Command::new(common::FANWATCH)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--log-format",
            "json",
            "run",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The start-up cycle runs; wait until metrics show it.
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        if let Some((200, body)) = get(&format!("{base}/metrics")).await
            && body.contains("fanwatch_cycles_completed_total 1")
        {
            break body;
        }
        assert!(Instant::now() < deadline, "daemon did not complete a cycle");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        metrics.contains("fanwatch_mentions_stored_total{source=\"news\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fanwatch_source_errors_total{source=\"broken\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fanwatch_source_polls_total{source=\"news\",outcome=\"stored\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fanwatch_cycle_duration_seconds_count 1"),
        "{metrics}"
    );

    let (code, body) = get(&format!("{base}/healthz")).await.unwrap();
    assert_eq!(code, 200);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["database"], "ok");
    let broken = health["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "broken")
        .unwrap();
    assert_eq!(broken["state"], "failing");
    assert!(broken["last_error"].as_str().unwrap().contains("500"));

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "daemon did not exit within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let mut logs = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut logs).unwrap();
    // Logs are JSON lines with structured fields.
    let line = logs
        .lines()
        .find(|l| l.contains("\"poll failed\""))
        .unwrap_or_else(|| panic!("{logs}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["level"], "WARN");
    assert!(v["error"].as_str().unwrap().contains("500"));
    assert!(logs.contains("fanwatch daemon stopped"), "{logs}");
    db.cleanup().await;
}

backend_tests!(daemon_serves_health_and_stops_on_sigterm);
