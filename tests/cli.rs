//! The binary as users and scripts meet it: exit codes, messages that name the key, and the
//! poll/mentions commands end to end on both backends.

mod common;

use common::{Backend, TestDb, config_toml, fanwatch, rss, stderr, stdout, write_config};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The config shape the foundation issue spells out; other checks rely on it.
const GOOD: &str = include_str!("fixtures/contract.toml");

fn check(toml: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), toml);
    fanwatch(&["--config", path.to_str().unwrap(), "check-config"])
}

#[test]
fn check_config_summarises_a_good_config() {
    let out = check(GOOD);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Acme"), "{text}");
    assert!(
        text.contains("acme-news [feed] https://example.com/feed.xml"),
        "{text}"
    );
}

#[test]
fn bad_configs_exit_2_naming_the_key_and_line() {
    let cases = [
        (
            GOOD.replace("concurrency = 32", "concurrency = 32\nworkers = 3"),
            "poll.workers",
            "line 6",
        ),
        (
            GOOD.replace("0 */15 * * * *", "*/15 * * * *"),
            "poll.schedule",
            "line 4",
        ),
        (
            GOOD.replace("https://example.com/feed.xml", "example.com/feed"),
            "sources[0].url",
            "line 14",
        ),
        (
            GOOD.replace("regex = []", "regex = [\"acme[\"]"),
            "brands[0].regex[0]",
            "line 9",
        ),
        (
            format!(
                "{GOOD}[[sources]]\nname = \"acme-news\"\nkind = \"feed\"\nurl = \"https://example.org/x\"\n"
            ),
            "sources[1].name",
            "line 16",
        ),
        (
            GOOD.replace("kind = \"feed\"", "kind = \"fax\""),
            "sources[0].kind",
            "line 13",
        ),
        (
            GOOD.replace("sqlite://fanwatch.db", "mysql://x"),
            "database.url",
            "line 2",
        ),
        (GOOD.replace("[poll]", "[poll"), "", "line 3"),
    ];
    for (toml, key, line) in cases {
        let out = check(&toml);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{key}: {err}");
        assert!(
            err.contains(&format!("`{key}`")) || key.is_empty(),
            "{key}: {err}"
        );
        assert!(err.contains(line), "{key} ({line}): {err}");
    }
}

#[test]
fn missing_config_file_exits_2() {
    let out = fanwatch(&["--config", "/nonexistent/fanwatch.toml", "check-config"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/fanwatch.toml"));
}

#[test]
fn environment_overrides_reach_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), GOOD);
    let out = std::process::Command::new(common::FANWATCH)
        .args(["--config", path.to_str().unwrap(), "check-config"])
        .env("FANWATCH_POLL__CONCURRENCY", "3")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("concurrency 3"), "{}", stdout(&out));
    let out = std::process::Command::new(common::FANWATCH)
        .arg("check-config")
        .env("FANWATCH_CONFIG", &path)
        .env("FANWATCH_POLL__SCHEDULE", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("FANWATCH_POLL__SCHEDULE"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(fanwatch(&["no-such-command"]).status.code(), Some(2));
    assert_eq!(
        fanwatch(&["mentions", "--format", "xml"]).status.code(),
        Some(2)
    );
}

async fn poll_and_list(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/ok"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[
            (
                "1",
                "Acme Cloud &amp; me",
                "&lt;p&gt;I &lt;b&gt;love&lt;/b&gt; it&lt;/p&gt;",
            ),
            ("2", "Kohvik Nordwind", "Nordwind on parim"),
            ("3", "Unrelated", "Nothing"),
        ])))
        .mount(&server)
        .await;
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &config_toml(
            &db.url,
            &[
                ("ok", format!("{}/ok", server.uri())),
                ("down", format!("{}/down", server.uri())),
            ],
        ),
    );
    let cfg = cfg.to_str().unwrap();

    let out = fanwatch(&["--config", cfg, "poll", "--once"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a failed source is not a failed command: {}",
        stderr(&out)
    );
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("ok ")
            && lines[0].contains("fetched=3")
            && lines[0].contains("new=2")
            && lines[0].contains("duplicate=0"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("down ")
            && lines[1].contains("error")
            && lines[1].contains("HTTP 502"),
        "{lines:?}"
    );

    let out = fanwatch(&["--config", cfg, "poll", "--once", "--source", "ok"]);
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(stdout(&out).contains("duplicate=2"), "{}", stdout(&out));
    assert_eq!(
        fanwatch(&["--config", cfg, "poll", "--once", "--source", "nope"])
            .status
            .code(),
        Some(2)
    );

    let out = fanwatch(&["--config", cfg, "mentions", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        for field in [
            "source",
            "platform",
            "url",
            "author",
            "published_at",
            "text",
        ] {
            assert!(row.get(field).is_some(), "missing {field}: {row}");
        }
    }
    let acme = rows.iter().find(|r| r["brands"][0] == "Acme").unwrap();
    assert_eq!(acme["text"], "I love it");
    assert_eq!(acme["title"], "Acme Cloud & me");
    assert_eq!(acme["platform"], "web");
    assert_eq!(acme["url"], "https://example.com/1");

    let out = fanwatch(&[
        "--config", cfg, "mentions", "--brand", "nordWIND", "--format", "csv",
    ]);
    let csv = stdout(&out);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.starts_with("id,published_at,source,platform,brands,author,url,title,text"));
    assert!(csv.contains("Nordwind on parim"));

    // Test items are dated November 2026; "since 1 day before the first" keeps them all,
    // a cut-off after them keeps none.
    let out = fanwatch(&[
        "--config",
        cfg,
        "mentions",
        "--since",
        "2026-11-01",
        "--format",
        "json",
    ]);
    assert_eq!(
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
            .unwrap()
            .len(),
        2
    );
    let out = fanwatch(&[
        "--config",
        cfg,
        "mentions",
        "--since",
        "2099-01-01",
        "--format",
        "json",
    ]);
    assert_eq!(
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
            .unwrap()
            .len(),
        0
    );
    let out = fanwatch(&["--config", cfg, "mentions", "--since", "yesterday-ish"]);
    assert_eq!(out.status.code(), Some(2));

    let table = stdout(&fanwatch(&["--config", cfg, "mentions"]));
    assert!(table.contains("2 mention(s)"), "{table}");
    db.cleanup().await;
}

async fn migrate_is_idempotent(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config_toml(&db.url, &[]));
    for _ in 0..2 {
        let out = fanwatch(&["--config", cfg.to_str().unwrap(), "migrate"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    db.cleanup().await;
}

backend_tests!(poll_and_list, migrate_is_idempotent);

#[test]
fn demo_runs_offline_and_finds_mentions() {
    let out = fanwatch(&["demo"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("not-modified"), "{text}");
    assert!(text.contains("broken-on-purpose  error"), "{text}");
    for brand in ["Acme", "Nordwind", "Taevas Telecom"] {
        assert!(
            text.lines().any(|l| l.starts_with(brand)
                && l.contains("mention(s)")
                && !l.contains(" 0 mention")),
            "{brand}: {text}"
        );
    }
    // The Looney Tunes post is excluded; "Acmetic" is another word.
    assert!(!text.contains("Looney"), "{text}");
    assert!(!text.contains("Acmetic"), "{text}");
    // Three social kinds besides the feeds, each finding mentions with their authors, and
    // the closing `sources` table with every source's kind and state.
    for (source, author) in [
        ("hn", "ops_anna"),
        ("masto", "kadri@mastodon.ee"),
        ("reddit", "tallinna_mari"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(&format!(" {source} ")) && l.contains(author)),
            "{source}: {text}"
        );
    }
    // Advocates and flags: the loyal blogger leads Acme; churn and negative experiences are flagged.
    let advocates = text
        .split("== advocates")
        .nth(1)
        .and_then(|t| t.split("== flags ==").next())
        .expect("advocates table");
    assert!(
        advocates.lines().any(|l| l.trim_start().starts_with("1 ")
            && l.contains("Acme")
            && l.contains("dev_jonas")),
        "{advocates}"
    );
    let flags = text
        .split("== flags ==")
        .nth(1)
        .and_then(|t| t.split("== sources ==").next())
        .expect("flags list");
    for kind in [
        "churn_risk",
        "negative_experience",
        "question",
        "influential_fan",
    ] {
        assert!(flags.contains(kind), "{kind}: {flags}");
    }
    let sources = text.split("== sources ==").nth(1).expect("sources table");
    for (name, kind, state) in [
        ("hn", "hackernews", "ok"),
        ("masto", "mastodon", "ok"),
        ("reddit", "reddit", "ok"),
        ("acme-blog", "feed", "ok"),
        ("broken-on-purpose", "feed", "failing"),
    ] {
        assert!(
            sources.lines().any(|l| {
                let cells: Vec<&str> = l.split_whitespace().collect();
                cells.first() == Some(&name)
                    && cells.get(1) == Some(&kind)
                    && cells.get(2) == Some(&state)
            }),
            "{name}: {sources}"
        );
    }
}

#[test]
fn documented_example_config_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/fanwatch.toml");
    let out = fanwatch(&["--config", path, "check-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
