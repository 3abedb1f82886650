//! Flags end to end on both backends: a poll raises one flag per cause, a complaint from a
//! top customer (linked by `crm import`) is escalated, flags are listed and acknowledged,
//! and advocates show the customer behind a handle.

mod common;

use chrono::{Duration, Utc};
use common::{Backend, TestDb, config_toml, poller, write_config};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn feed() -> String {
    let posts = [
        (
            "vip",
            "Acme billed me twice and support is terrible. I want a refund.",
        ),
        (
            "leaver",
            "I am cancelling my Acme subscription, switching to another provider.",
        ),
        ("curious", "Does Acme support IPv6 on the free plan?"),
        ("fan", "Acme support was great again, I love it."),
    ];
    let now = Utc::now();
    let mut out = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>t</title><link>https://example.com/</link>",
    );
    for (i, (author, text)) in posts.iter().enumerate() {
        out.push_str(&format!(
            "<item><guid>f{i}</guid><link>https://example.com/f{i}</link><description>{text}</description><dc:creator>{author}</dc:creator><pubDate>{}</pubDate></item>",
            (now - Duration::days(3 + i as i64)).to_rfc2822()
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn json(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "{}", common::stderr(out));
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

async fn flags_once_per_cause_with_crm_escalation(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(feed()))
        .mount(&server)
        .await;
    let url = format!("{}/feed", server.uri());
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config_toml(&db.url, &[("forum", url.clone())]));
    let cfg = cfg.to_str().unwrap();
    let csv = dir.path().join("customers.csv");
    std::fs::write(
        &csv,
        "customer_id,name,email,segment,lifecycle_stage,handles\n\
         C-1,Very Important,vip@example.com,top,customer,web:VIP\n",
    )
    .unwrap();
    let out = common::fanwatch(&["--config", cfg, "crm", "import", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));

    let p = poller(&db, &[("forum", url)]).await;
    p.cycle(false, None).await.unwrap();
    let flags = json(&common::fanwatch(&[
        "--config", cfg, "flags", "--format", "json",
    ]));
    let find = |kind: &str, handle: &str| {
        flags
            .iter()
            .find(|f| f["kind"] == kind && f["handle"] == handle)
            .unwrap_or_else(|| panic!("no {kind} flag for {handle}: {flags:#?}"))
            .clone()
    };
    let vip = find("negative_experience", "vip");
    assert_eq!(vip["severity"], "high", "a top customer escalates: {vip}");
    assert!(
        vip["reason"]
            .as_str()
            .unwrap()
            .contains("customer C-1 (top)"),
        "{vip}"
    );
    assert_eq!(vip["brand"], "Acme");
    assert_eq!(vip["mention_url"], "https://example.com/f0");
    assert_eq!(vip["acknowledged"], false);
    assert_eq!(find("churn_risk", "leaver")["severity"], "high");
    assert_eq!(find("question", "curious")["severity"], "low");
    assert!(
        flags.iter().all(|f| f["handle"] != "fan"),
        "a low-reach fan is not flagged: {flags:#?}"
    );
    for key in [
        "id",
        "kind",
        "severity",
        "reason",
        "brand",
        "handle",
        "mention_url",
        "acknowledged",
    ] {
        assert!(vip.get(key).is_some(), "{key}");
    }

    // Another cycle over the same feed raises nothing new.
    p.cycle(false, None).await.unwrap();
    let again = json(&common::fanwatch(&[
        "--config", cfg, "flags", "--format", "json",
    ]));
    assert_eq!(again.len(), flags.len());

    let id = vip["id"].as_i64().unwrap().to_string();
    let out = common::fanwatch(&["--config", cfg, "flags", "ack", &id]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let open = json(&common::fanwatch(&[
        "--config", cfg, "flags", "--open", "--format", "json",
    ]));
    assert_eq!(open.len(), flags.len() - 1);
    let churn = json(&common::fanwatch(&[
        "--config",
        cfg,
        "flags",
        "--kind",
        "churn_risk",
        "--format",
        "json",
    ]));
    assert_eq!(churn.len(), 1);
    let missing = common::fanwatch(&["--config", cfg, "flags", "ack", "999999"]);
    assert_eq!(missing.status.code(), Some(2));

    let advocates = json(&common::fanwatch(&[
        "--config",
        cfg,
        "advocates",
        "--format",
        "json",
    ]));
    let vip = advocates.iter().find(|a| a["handle"] == "vip").unwrap();
    assert_eq!(vip["customer_id"], "C-1");
    assert_eq!(vip["segment"], "top");
    let fan = advocates.iter().find(|a| a["handle"] == "fan").unwrap();
    assert!(fan["customer_id"].is_null());
    db.cleanup().await;
}

backend_tests!(flags_once_per_cause_with_crm_escalation);
