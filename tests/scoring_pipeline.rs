//! Scores in the pipeline: every new mention is stored with language, sentiment and intents;
//! texts in unwatched languages are stored as `und` without sentiment; `fanwatch rescore`
//! re-scores stored mentions after a config or lexicon change. On SQLite and PostgreSQL.

mod common;

use common::{Backend, TestDb, config_toml, fanwatch, poller, rss, stderr, stdout, write_config};
use fanwatch::storage::{MentionFilter, MentionRow};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ITEMS: &[(&str, &str, &str)] = &[
    (
        "en",
        "Acme support",
        "I love Acme, the support team was amazing. Highly recommend!",
    ),
    (
        "et",
        "Acme pakk",
        "Acme pakk jäi jälle hiljaks ja keegi ei vasta telefonile. Väga halb teenindus 😡",
    ),
    (
        "fi",
        "Acme paketti",
        "Acme paketti myöhästyi taas eikä kukaan vastaa puhelimeen, todella huono palvelu",
    ),
    (
        "churn",
        "Leaving Acme",
        "I'm cancelling my Acme subscription and switching to Globex, the app keeps crashing.",
    ),
];

fn by_title<'a>(rows: &'a [MentionRow], title: &str) -> &'a MentionRow {
    rows.iter()
        .find(|m| m.title.as_deref() == Some(title))
        .unwrap()
}

fn kinds(m: &MentionRow) -> Vec<&str> {
    m.intents.iter().map(|(k, _)| k.as_str()).collect()
}

async fn feed_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(ITEMS)))
        .mount(&server)
        .await;
    server
}

async fn mentions_are_scored_before_storing(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = feed_server().await;
    let p = poller(&db, &[("news", format!("{}/feed.xml", server.uri()))]).await;
    p.cycle(false, None).await.unwrap();
    let rows = db
        .store()
        .await
        .mentions(&MentionFilter::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);

    let en = by_title(&rows, "Acme support");
    assert_eq!(
        (en.lang.as_deref(), en.label.as_deref()),
        (Some("en"), Some("positive"))
    );
    assert!(en.compound.unwrap() > 0.5);
    // A feed shows no audience: the web estimate (300 impressions) on the log scale.
    let reach = en.reach_score.expect("reach stored with the mention");
    assert!((reach - 35.4).abs() < 0.1, "{reach}");
    assert!(
        kinds(en).contains(&"praise") && kinds(en).contains(&"recommendation"),
        "{:?}",
        en.intents
    );

    let et = by_title(&rows, "Acme pakk");
    assert_eq!(
        (et.lang.as_deref(), et.label.as_deref()),
        (Some("et"), Some("negative"))
    );
    assert!(kinds(et).contains(&"complaint"), "{:?}", et.intents);
    assert!(et.intents.iter().all(|(_, cue)| !cue.is_empty()));

    // Finnish is not watched: stored, but without a sentiment that would be wrong.
    let fi = by_title(&rows, "Acme paketti");
    assert_eq!(
        (fi.lang.as_deref(), fi.label.as_deref(), fi.compound),
        (Some("und"), None, None)
    );
    assert!(fi.intents.is_empty());

    let churn = by_title(&rows, "Leaving Acme");
    assert!(kinds(churn).contains(&"churn_risk"), "{:?}", churn.intents);
    db.cleanup().await;
}

async fn rescore_applies_a_changed_config(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = feed_server().await;
    let sources = [("news", format!("{}/feed.xml", server.uri()))];
    poller(&db, &sources)
        .await
        .cycle(false, None)
        .await
        .unwrap();

    // The team stops watching Estonian: a rescore drops the Estonian scores.
    let dir = tempfile::tempdir().unwrap();
    let english_only = format!(
        "{}[scoring]\nlanguages = [\"en\"]\nrescore_batch = 1\n",
        config_toml(&db.url, &sources)
    );
    let config = write_config(dir.path(), &english_only);
    let out = fanwatch(&["--config", config.to_str().unwrap(), "rescore"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("rescored 4 mentions"),
        "{}",
        stdout(&out)
    );
    let rows = db
        .store()
        .await
        .mentions(&MentionFilter::default())
        .await
        .unwrap();
    let et = by_title(&rows, "Acme pakk");
    assert_eq!(
        (et.lang.as_deref(), et.label.as_deref()),
        (Some("und"), None)
    );
    assert!(et.intents.is_empty());
    let en = by_title(&rows, "Acme support");
    assert_eq!(en.label.as_deref(), Some("positive"));
    assert!(!en.intents.is_empty(), "intents are rewritten, not lost");

    // And back, only for recent mentions: --since limits the rescore.
    let config = write_config(dir.path(), &config_toml(&db.url, &sources));
    let out = fanwatch(&[
        "--config",
        config.to_str().unwrap(),
        "rescore",
        "--since",
        "2099-01-01",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("rescored 0 mentions"),
        "{}",
        stdout(&out)
    );
    let out = fanwatch(&["--config", config.to_str().unwrap(), "rescore"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = db
        .store()
        .await
        .mentions(&MentionFilter::default())
        .await
        .unwrap();
    let et = by_title(&rows, "Acme pakk");
    assert_eq!(
        (et.lang.as_deref(), et.label.as_deref()),
        (Some("et"), Some("negative"))
    );
    assert!(kinds(et).contains(&"complaint"));

    // The mentions JSON carries the scores.
    let out = fanwatch(&[
        "--config",
        config.to_str().unwrap(),
        "mentions",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let first = &json.as_array().unwrap()[0];
    for key in [
        "lang",
        "label",
        "compound",
        "intents",
        "rating",
        "reach_score",
    ] {
        assert!(
            first.get(key).is_some(),
            "mentions json lacks {key}: {first}"
        );
    }
    db.cleanup().await;
}

backend_tests!(
    mentions_are_scored_before_storing,
    rescore_applies_a_changed_config
);
