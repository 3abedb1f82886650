//! App Store customer-reviews connector: a local server in the shape of Apple's JSON review
//! feed → poll cycles → database, on SQLite and PostgreSQL; the parser on its own.
//!
//! No real responses are recorded for this API, so the documents below are hand-written in
//! the feed's shape: every value a `{"label": ...}` object, `entry` an array, a single
//! object or missing, paging links with `rel="last"`.

mod common;

use chrono::{Duration, FixedOffset, Utc};
use common::{Backend, TestDb, poller_with, status_of, stored_counts};
use fanwatch::sources::appstore::parse_reviews;
use fanwatch::storage::{MentionFilter, SourceState};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP: &str = "1234567890";

fn feed_path(prefix: &str, country: &str, page: u32) -> String {
    format!("{prefix}/{country}/rss/customerreviews/page={page}/id={APP}/sortby=mostrecent/json")
}

/// A review entry, `minutes_ago` old, with its time written as Apple does (Pacific offset).
fn review(id: &str, minutes_ago: i64, rating: &str, title: &str, content: &str) -> Value {
    let pacific = FixedOffset::west_opt(7 * 3600).unwrap();
    let at = (Utc::now() - Duration::minutes(minutes_ago)).with_timezone(&pacific);
    json!({
        "author": {
            "uri": {"label": format!("https://itunes.apple.com/us/reviews/id{id}9")},
            "name": {"label": format!("reviewer{id}")},
            "label": ""
        },
        "updated": {"label": at.format("%Y-%m-%dT%H:%M:%S%:z").to_string()},
        "im:rating": {"label": rating},
        "im:version": {"label": "3.4.1"},
        "id": {"label": id},
        "title": {"label": title},
        "content": {"label": content, "attributes": {"type": "text"}},
        "link": {"attributes": {"rel": "related", "href": format!("https://itunes.apple.com/us/review?id={APP}&type=Purple%20Software")}},
        "im:voteSum": {"label": "2"},
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "im:voteCount": {"label": "3"}
    })
}

/// The app's own entry, which older feeds put first.
fn app_entry() -> Value {
    json!({
        "im:name": {"label": "Acme Cloud"},
        "rights": {"label": "© Acme Ltd"},
        "im:price": {"label": "Get", "attributes": {"amount": "0.00000", "currency": "USD"}},
        "im:image": [{"label": "https://is1-ssl.mzstatic.com/image/53x53bb.png", "attributes": {"height": "53"}}],
        "im:artist": {"label": "Acme Ltd", "attributes": {"href": "https://apps.apple.com/us/developer/acme/id1"}},
        "title": {"label": "Acme Cloud - Acme Ltd"},
        "link": {"attributes": {"rel": "alternate", "type": "text/html", "href": format!("https://apps.apple.com/us/app/acme-cloud/id{APP}?uo=2")}},
        "id": {"label": format!("https://apps.apple.com/us/app/acme-cloud/id{APP}?uo=2"), "attributes": {"im:id": APP, "im:bundleId": "com.acme.cloud"}},
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "category": {"attributes": {"im:id": "6000", "term": "Business", "label": "Business"}},
        "im:releaseDate": {"label": "2019-03-01T00:00:00-07:00", "attributes": {"label": "March 1, 2019"}}
    })
}

/// A feed document; `entry` is left out when `None`, `last` is the last page's number.
fn feed(entry: Option<Value>, country: &str, page: u32, last: u32) -> Value {
    let link = |rel: &str, n: u32| {
        json!({"attributes": {"rel": rel, "href": format!(
            "https://itunes.apple.com/{country}/rss/customerreviews/page={n}/id={APP}/sortby=mostrecent/xml?urlDesc=/customerreviews/id={APP}/sortby=mostrecent/json"
        )}})
    };
    let mut feed = json!({
        "author": {"name": {"label": "iTunes Store"}, "uri": {"label": "http://www.apple.com/us/itunes/"}},
        "updated": {"label": "2026-11-23T06:00:00-07:00"},
        "rights": {"label": "Copyright 2008 Apple Inc."},
        "title": {"label": "iTunes Store: Customer Reviews"},
        "icon": {"label": "http://itunes.apple.com/favicon.ico"},
        "link": [
            {"attributes": {"rel": "alternate", "type": "text/html", "href": format!("https://apps.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc={country}&id=1000")}},
            {"attributes": {"rel": "self", "href": format!("https://mzstoreservices-int.itunes.apple.com/{country}/rss/customerreviews/page={page}/id={APP}/sortby=mostrecent/json")}},
            link("first", 1),
            link("last", last),
            link("previous", page.saturating_sub(1).max(1)),
            link("next", (page + 1).min(last))
        ],
        "id": {"label": format!("https://mzstoreservices-int.itunes.apple.com/{country}/rss/customerreviews/page={page}/id={APP}/sortby=mostrecent/json")}
    });
    if let Some(entry) = entry {
        feed["entry"] = entry;
    }
    json!({ "feed": feed })
}

fn respond(body: Value) -> ResponseTemplate {
    // Apple serves the JSON feed as JavaScript.
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/javascript; charset=utf-8")
        .set_body_string(body.to_string())
}

fn source(name: &str, base: &str, extra: &str) -> String {
    format!(
        "[[sources]]\nname = \"{name}\"\nkind = \"appstore\"\nbase_url = \"{base}\"\napp_id = \"{APP}\"\n{extra}\n"
    )
}

async fn fields_and_paging(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let mut odd = review("903", 30, "7", "Acme odd numbers", "Acme votes");
    odd["im:voteSum"] = json!({"label": "1e300"});
    let mut negative = review("904", 31, "4", "Acme negative", "Acme votes");
    negative["im:voteSum"] = json!({"label": -3});
    let mut no_id = review("905", 32, "4", "Acme no id", "Acme");
    no_id.as_object_mut().unwrap().remove("id");
    Mock::given(method("GET"))
        .and(path(feed_path("/gb", "gb", 1)))
        .respond_with(respond(feed(
            Some(json!([
                app_entry(),
                review("901", 5, "5", "Love Acme", "Acme Cloud <3 works\n\n  great"),
                review("902", 10, "1", "Crashes", "Nothing to do with brands"),
                odd,
                negative,
                no_id
            ])),
            "gb",
            1,
            2,
        )))
        .mount(&server)
        .await;
    // One review on a page: `entry` is that review, not a list of one.
    Mock::given(method("GET"))
        .and(path(feed_path("/gb", "gb", 2)))
        .respond_with(respond(feed(
            Some(review("906", 60, "3", "Acme fine", "It is fine")),
            "gb",
            2,
            2,
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(feed_path("/one", "us", 1)))
        .respond_with(respond(feed(
            Some(json!([review("911", 5, "5", "Acme", "Acme")])),
            "us",
            1,
            10,
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(feed_path("/none", "us", 1)))
        .respond_with(respond(feed(None, "us", 1, 1)))
        .mount(&server)
        .await;
    let uri = server.uri();
    let toml = [
        source("gb", &format!("{uri}/gb"), "country = \"GB\""),
        source("one", &format!("{uri}/one"), "max_pages = 1"),
        source("none", &format!("{uri}/none"), ""),
    ]
    .concat();
    let p = poller_with(&db, &toml).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "gb")), (5, 4, 0), "{out:?}");
    assert_eq!(stored_counts(status_of(&out, "one")), (1, 1, 0), "{out:?}");
    assert_eq!(stored_counts(status_of(&out, "none")), (0, 0, 0), "{out:?}");
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    let count = |prefix: &str| paths.iter().filter(|p| p.starts_with(prefix)).count();
    assert_eq!(
        count("/gb/"),
        2,
        "pages 1 and 2; the feed's last link says 2: {paths:?}"
    );
    assert_eq!(count("/one/"), 1, "max_pages = 1");
    assert_eq!(count("/none/"), 1, "an empty page ends paging");

    let store = &p.pipeline.store;
    let gb = store
        .mentions(&MentionFilter {
            source: Some("gb".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let by_title = |t: &str| {
        gb.iter()
            .find(|m| m.title.as_deref() == Some(t))
            .unwrap_or_else(|| panic!("no {t}: {gb:?}"))
    };
    let m = by_title("Love Acme");
    assert_eq!(m.platform, "appstore");
    assert_eq!(
        m.url.as_deref(),
        Some(format!("https://apps.apple.com/gb/app/id{APP}").as_str())
    );
    assert_eq!(m.text, "Acme Cloud <3 works\ngreat", "plain text, not HTML");
    assert_eq!(m.rating, Some(5));
    assert_eq!(m.app_version.as_deref(), Some("3.4.1"));
    assert_eq!(m.author.as_deref(), Some("reviewer901"));
    assert_eq!(m.followers, None);
    assert_eq!(m.likes, Some(2), "helpful votes");
    assert_eq!(m.community.as_deref(), Some("gb"));
    let age = Utc::now() - m.published_at.unwrap();
    assert!(
        age > Duration::minutes(4) && age < Duration::minutes(6),
        "{age}"
    );
    let odd = by_title("Acme odd numbers");
    assert_eq!((odd.rating, odd.likes), (None, None));
    let negative = by_title("Acme negative");
    assert_eq!((negative.rating, negative.likes), (Some(4), Some(0)));
    assert_eq!(by_title("Acme fine").rating, Some(3));
    assert!(
        !gb.iter()
            .any(|m| m.title.as_deref() == Some("Acme Cloud - Acme Ltd"))
    );
    db.cleanup().await;
}

async fn cursor_dedup_and_limits(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(feed_path("/days", "us", 1)))
        .respond_with(respond(feed(
            Some(json!([
                review("1", 30, "5", "Acme one", "a"),
                review("2", 60, "4", "Acme two", "b"),
                review("3", 60 * 24 * 3, "2", "Acme too old", "c")
            ])),
            "us",
            1,
            10,
        )))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(feed_path("/items", "us", 1)))
        .respond_with(respond(feed(
            Some(json!(
                (0..5)
                    .map(|i| review(&format!("5{i}"), 10 + i, "3", "Acme many", "x"))
                    .collect::<Vec<_>>()
            )),
            "us",
            1,
            10,
        )))
        .mount(&server)
        .await;
    let uri = server.uri();
    let toml = [
        source("days", &format!("{uri}/days"), "backfill_days = 2"),
        source("items", &format!("{uri}/items"), "backfill_items = 2"),
    ]
    .concat();
    let p = poller_with(&db, &toml).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "days")), (2, 2, 0), "{out:?}");
    assert_eq!(
        stored_counts(status_of(&out, "items")),
        (2, 2, 0),
        "{out:?}"
    );
    let days_requests = |reqs: &[wiremock::Request]| {
        reqs.iter()
            .filter(|r| r.url.path().starts_with("/days/"))
            .count()
    };
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(days_requests(&reqs), 1, "the too-old review ends paging");

    // Next cycle: one new review above the cursor; the one at the cursor is a duplicate and
    // older ones are not fetched again, nor is page 2.
    Mock::given(method("GET"))
        .and(path(feed_path("/days", "us", 1)))
        .respond_with(respond(feed(
            Some(json!([
                review("4", 1, "5", "Acme fresh", "d"),
                review("1", 30, "5", "Acme one", "a"),
                review("2", 60, "4", "Acme two", "b")
            ])),
            "us",
            1,
            10,
        )))
        .mount(&server)
        .await;
    let out = p.cycle(false, Some("days")).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "days")), (2, 1, 1), "{out:?}");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(days_requests(&reqs), 2);
    let titles: Vec<String> = p
        .pipeline
        .store
        .mentions(&MentionFilter {
            source: Some("days".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.title)
        .collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(!titles.iter().any(|t| t.contains("old")), "{titles:?}");
    db.cleanup().await;
}

async fn bad_responses_fail_cleanly(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let js = "text/javascript; charset=utf-8";
    let html =
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body></body></html>";
    let mut bad_entry = review("7", 1, "5", "Acme", "x");
    bad_entry["im:rating"] = json!("5");
    // (source name, response, words the error must contain, expected state)
    let cases: Vec<(&str, ResponseTemplate, Vec<&str>, SourceState)> = vec![
        (
            "truncated",
            ResponseTemplate::new(200).set_body_raw(r#"{"feed":{"entry":[{"id":{"label":"1"#, js),
            vec!["appstore", "truncated"],
            SourceState::Failing,
        ),
        (
            "malformed",
            ResponseTemplate::new(200).set_body_raw(r#"{"feed":{"entry":[}}"#, js),
            vec!["appstore", "malformed"],
            SourceState::Failing,
        ),
        (
            "nofeed",
            ResponseTemplate::new(200).set_body_raw(r#"{"resultCount":0,"results":[]}"#, js),
            vec!["appstore", "feed"],
            SourceState::Failing,
        ),
        (
            "entrytext",
            ResponseTemplate::new(200).set_body_raw(r#"{"feed":{"entry":"none"}}"#, js),
            vec!["appstore", "feed.entry", "a string"],
            SourceState::Failing,
        ),
        (
            "entryshape",
            respond(feed(Some(json!([bad_entry])), "us", 1, 1)),
            vec!["appstore", "feed.entry[0]", "im:rating"],
            SourceState::Failing,
        ),
        (
            "html200",
            ResponseTemplate::new(200).set_body_raw(html, "text/html"),
            vec!["appstore", "HTML", "502 Bad Gateway"],
            SourceState::Failing,
        ),
        (
            "html502",
            ResponseTemplate::new(502).set_body_raw(html, "text/html"),
            vec!["HTTP 502"],
            SourceState::Failing,
        ),
        (
            "png",
            ResponseTemplate::new(200).set_body_raw(r#"{"feed":{}}"#, "image/png"),
            vec!["appstore", "image/png"],
            SourceState::Failing,
        ),
        (
            "unauthorized",
            ResponseTemplate::new(401).set_body_raw("Unauthorized", "text/plain"),
            vec!["401"],
            SourceState::Misconfigured,
        ),
        (
            "forbidden",
            ResponseTemplate::new(403).set_body_raw("Forbidden", "text/plain"),
            vec!["403"],
            SourceState::Misconfigured,
        ),
        (
            "notfound",
            ResponseTemplate::new(404).set_body_raw(html, "text/html"),
            vec!["404", "appstore"],
            SourceState::Misconfigured,
        ),
    ];
    let mut toml = String::new();
    for (name, response, _, _) in &cases {
        let prefix = format!("/{name}");
        // The first poll succeeds, so each source has a cursor to keep.
        Mock::given(path(feed_path(&prefix, "us", 1)))
            .respond_with(respond(feed(
                Some(json!([review("1", 30, "5", "Acme before", "ok")])),
                "us",
                1,
                1,
            )))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path(feed_path(&prefix, "us", 1)))
            .respond_with(response.clone())
            .mount(&server)
            .await;
        toml.push_str(&source(name, &format!("{}{prefix}", server.uri()), ""));
    }
    let p = poller_with(&db, &toml).await;
    let expected: Vec<(&str, &[&str], SourceState)> = cases
        .iter()
        .map(|(name, _, words, state)| (*name, words.as_slice(), *state))
        .collect();
    common::second_poll_fails_cleanly(&p, &expected).await;
    db.cleanup().await;
}

backend_tests!(
    fields_and_paging,
    cursor_dedup_and_limits,
    bad_responses_fail_cleanly
);

#[test]
fn parse_reviews_reads_every_entry_shape() {
    let many = feed(
        Some(json!([
            app_entry(),
            review("11", 5, "2", "Slow", "Slow since 3.4"),
            review("12", 6, "5", "Great", "Works")
        ])),
        "ee",
        1,
        3,
    );
    let items = parse_reviews(many.to_string().as_bytes(), "EE", APP).unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i.external_id.as_str()).collect();
    assert_eq!(ids, ["11", "12"], "the app's own entry is skipped");
    let item = &items[0];
    assert_eq!(
        item.url.as_deref(),
        Some(format!("https://apps.apple.com/ee/app/id{APP}").as_str())
    );
    assert_eq!(item.community.as_deref(), Some("ee"));
    assert_eq!(item.title.as_deref(), Some("Slow"));
    assert_eq!(item.text, "Slow since 3.4");
    assert_eq!(item.engagement.rating, Some(2));
    assert_eq!(item.engagement.likes.map(|c| c.get()), Some(2));
    assert_eq!(item.app_version.as_deref(), Some("3.4.1"));
    assert_eq!(item.lang_hint, None);
    let author = item.author.as_ref().unwrap();
    assert_eq!(author.handle.as_str(), "reviewer11");
    assert_eq!(
        author.profile_url.as_deref(),
        Some("https://itunes.apple.com/us/reviews/id119")
    );
    assert!(item.published_at.is_some());

    let one = feed(Some(review("13", 5, "4", "Ok", "ok")), "us", 1, 1);
    assert_eq!(
        parse_reviews(one.to_string().as_bytes(), "us", APP)
            .unwrap()
            .len(),
        1
    );
    for empty in [
        feed(None, "us", 1, 1),
        feed(Some(json!([])), "us", 1, 1),
        feed(Some(Value::Null), "us", 1, 1),
        feed(Some(json!([app_entry()])), "us", 1, 1),
    ] {
        assert!(
            parse_reviews(empty.to_string().as_bytes(), "us", APP)
                .unwrap()
                .is_empty()
        );
    }
    for bad in [
        &b""[..],
        b"{}",
        b"[]",
        br#"{"feed":null}"#,
        br#"{"feed":{"entry":5}}"#,
        br#"{"feed":{"entry":["x"]}}"#,
        b"<?xml version=\"1.0\"?><feed/>",
    ] {
        let e = parse_reviews(bad, "us", APP).unwrap_err().to_string();
        assert!(e.contains("appstore reviews"), "{e}");
    }
}
