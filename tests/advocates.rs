//! Advocates end to end on both backends: a scripted multi-week history polled from a feed,
//! author profiles kept in the storing transaction, and `fanwatch advocates` ranking loyal
//! fans above one-off posters.

mod common;

use chrono::{Duration, Utc};
use common::{Backend, TestDb, config_toml, poller, write_config};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// (author, text, days ago)
fn history() -> Vec<(String, String, i64)> {
    let mut posts = Vec::new();
    // Three loyal fans, back every week for six weeks.
    for fan in ["mari", "jaan", "liis"] {
        for week in 0..6 {
            posts.push((
                fan.to_owned(),
                format!("Acme support was great again, I love it (week {week})"),
                week * 7 + 1,
            ));
        }
    }
    // Forty one-off posters, all this week, all positive and recommending.
    for n in 0..40 {
        posts.push((
            format!("once{n}"),
            format!("Acme is great, I highly recommend it #{n}"),
            1,
        ));
    }
    // A detractor over three weeks.
    for week in 0..3 {
        posts.push((
            "grumpy".to_owned(),
            format!("Acme billed me twice again, terrible service, I want a refund ({week})"),
            week * 7 + 2,
        ));
    }
    posts
}

fn feed(posts: &[(String, String, i64)]) -> String {
    let now = Utc::now();
    let mut out = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>t</title><link>https://example.com/</link>",
    );
    for (i, (author, text, days)) in posts.iter().enumerate() {
        out.push_str(&format!(
            "<item><guid>p{i}</guid><link>https://example.com/p{i}</link><description>{text}</description><dc:creator>{author}</dc:creator><pubDate>{}</pubDate></item>",
            (now - Duration::days(*days)).to_rfc2822()
        ));
    }
    out.push_str("</channel></rss>");
    out
}

async fn loyal_fans_rank_first(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(feed(&history())))
        .mount(&server)
        .await;
    let url = format!("{}/feed", server.uri());
    let p = poller(&db, &[("forum", url.clone())]).await;
    p.cycle(false, None).await.unwrap();

    // Profiles were written with the mentions, and equal a rebuild from scratch.
    let store = &p.pipeline.store;
    let today = Utc::now().date_naive();
    let span = |d| today - Duration::days(d);
    let incremental = store.author_weeks(span(120), today, None).await.unwrap();
    assert!(incremental.len() >= 3 * 6 + 40 + 3, "{}", incremental.len());
    store.rebuild_author_weeks().await.unwrap();
    assert_eq!(
        store.author_weeks(span(120), today, None).await.unwrap(),
        incremental
    );

    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config_toml(&db.url, &[("forum", url)]));
    let out = common::fanwatch(&[
        "--config",
        cfg.to_str().unwrap(),
        "advocates",
        "--brand",
        "acme",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 44, "3 fans, 40 one-offs, 1 detractor");
    let top: Vec<&str> = rows[..3]
        .iter()
        .map(|r| r["handle"].as_str().unwrap())
        .collect();
    let mut sorted = top.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["jaan", "liis", "mari"], "{json:#}");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["rank"], i + 1);
        for key in [
            "brand",
            "platform",
            "handle",
            "advocate_score",
            "quadrant",
            "positive_weeks",
            "reach_score",
            "customer_id",
            "segment",
        ] {
            assert!(r.get(key).is_some(), "{key} missing: {r}");
        }
    }
    assert_eq!(rows[0]["brand"], "Acme");
    assert_eq!(rows[0]["platform"], "web");
    assert_eq!(rows[0]["positive_weeks"], 6);
    assert_eq!(rows[0]["quadrant"], "loyal_fan");
    assert!(rows[3]["handle"].as_str().unwrap().starts_with("once"));
    let last = rows.last().unwrap();
    assert_eq!(last["handle"], "grumpy");
    assert_eq!(last["quadrant"], "detractor");
    assert!(last["advocate_score"].as_f64().unwrap() < 0.0);

    // `explain` of one of mari's mentions: contributions, intents, reach inputs, and her
    // advocate-score breakdown.
    let out = common::fanwatch(&[
        "--config",
        cfg.to_str().unwrap(),
        "mentions",
        "--format",
        "json",
    ]);
    let mentions: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mari = mentions
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["author"] == "mari")
        .unwrap();
    let id = mari["id"].as_i64().unwrap().to_string();
    let out = common::fanwatch(&[
        "--config",
        cfg.to_str().unwrap(),
        "explain",
        &id,
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        e["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["token"] == "great"),
        "{e:#}"
    );
    assert!(
        e["intents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "praise"),
        "{e:#}"
    );
    assert!(e["reach"]["impressions"].as_f64().unwrap() > 0.0);
    assert_eq!(e["advocate"][0]["positive_weeks"], 6);
    assert!(
        e["advocate"][0]["breakdown"]["loyalty"].as_f64().unwrap() > 3.0,
        "{e:#}"
    );
    let text = common::fanwatch(&["--config", cfg.to_str().unwrap(), "explain", &id]);
    assert!(
        common::stdout(&text).contains("advocate for Acme: #"),
        "{}",
        common::stdout(&text)
    );
    let missing = common::fanwatch(&["--config", cfg.to_str().unwrap(), "explain", "999999"]);
    assert_eq!(missing.status.code(), Some(2));

    // A week long before the history: nobody.
    let out = common::fanwatch(&[
        "--config",
        cfg.to_str().unwrap(),
        "advocates",
        "--week",
        "2020-W10",
        "--format",
        "json",
    ]);
    assert_eq!(common::stdout(&out).trim(), "[]");
    let bad = common::fanwatch(&[
        "--config",
        cfg.to_str().unwrap(),
        "advocates",
        "--week",
        "soon",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    db.cleanup().await;
}

backend_tests!(loyal_fans_rank_first);
