//! The Reddit connector against a local server speaking Reddit's listing JSON: mapping,
//! paging, cursors, limits, bad answers and OAuth, on SQLite and PostgreSQL; plus its parser
//! over recorded real responses.

mod common;

use std::collections::HashMap;

use common::{
    Backend, TestDb, cursor_of, failure, mentions_of, poller_with, query_map, status_of,
    stored_counts,
};
use fanwatch::pipeline::PollStatus;
use fanwatch::sources::reddit::parse_listing;
use fanwatch::storage::{MentionFilter, SourceState};
use serde_json::{Value, json};
use wiremock::matchers::{
    basic_auth, bearer_token, body_string_contains, method, path, path_regex, query_param,
    query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ago(minutes: i64) -> f64 {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes)).timestamp() as f64
}

/// A t3 as Reddit sends it (the fields the connector reads plus a few it ignores).
fn post(id: &str, sub: &str, title: &str, selftext: &str, minutes_ago: i64) -> Value {
    json!({"kind": "t3", "data": {
        "id": id, "name": format!("t3_{id}"), "subreddit": sub,
        "subreddit_name_prefixed": format!("r/{sub}"), "title": title, "selftext": selftext,
        "selftext_html": null, "author": "mari_t", "author_fullname": "t2_abc",
        "permalink": format!("/r/{sub}/comments/{id}/some_slug/"),
        "url": format!("https://www.reddit.com/r/{sub}/comments/{id}/some_slug/"),
        "score": 42, "ups": 42, "upvote_ratio": 0.93, "num_comments": 7,
        "subreddit_subscribers": 15000, "created": ago(minutes_ago),
        "created_utc": ago(minutes_ago), "is_self": !selftext.is_empty(), "over_18": false,
        "stickied": false, "domain": format!("self.{sub}")
    }})
}

/// A t1 as the `/comments` listing sends it.
fn comment(id: &str, sub: &str, body: &str, link_title: &str, minutes_ago: i64) -> Value {
    json!({"kind": "t1", "data": {
        "id": id, "name": format!("t1_{id}"), "subreddit": sub, "body": body,
        "body_html": format!("<div class=\"md\"><p>{body}</p></div>"), "author": "jaan",
        "link_id": "t3_zz1", "parent_id": "t3_zz1", "link_title": link_title,
        "link_permalink": format!("https://www.reddit.com/r/{sub}/comments/zz1/thread/"),
        "permalink": format!("/r/{sub}/comments/zz1/thread/{id}/"), "score": 5, "ups": 5,
        "replies": "", "created": ago(minutes_ago), "created_utc": ago(minutes_ago),
        "subreddit_type": "public"
    }})
}

fn listing(children: Vec<Value>, after: Option<&str>) -> Value {
    json!({"kind": "Listing", "data": {
        "after": after, "dist": children.len(), "modhash": "", "geo_filter": "",
        "children": children, "before": null
    }})
}

fn ok(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json; charset=UTF-8")
}

fn source(name: &str, base: &str, extra: &str) -> String {
    format!("[[sources]]\nname = \"{name}\"\nkind = \"reddit\"\nbase_url = \"{base}\"\n{extra}\n")
}

async fn subreddit_listings_page_and_map(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let new = "/r/tech/new.json";
    Mock::given(method("GET"))
        .and(path(new))
        .and(query_param_is_missing("after"))
        .respond_with(ok(&listing(
            vec![
                post("a1", "tech", "Acme  launches", "It is **fast**.", 5),
                post("a2", "tech", "Weather", "rain", 6),
            ],
            Some("t3_a2"),
        )))
        .mount(&server)
        .await;
    let mut link = post("a3", "tech", "Nordwind news", "", 7);
    link["data"]["url"] = json!("https://nordwind.example/story");
    link["data"]["author"] = json!("[deleted]");
    Mock::given(method("GET"))
        .and(path(new))
        .and(query_param("after", "t3_a2"))
        .respond_with(ok(&listing(vec![link], Some("t3_a3"))))
        .mount(&server)
        .await;
    // max_pages = 2: the third page is never asked for.
    Mock::given(method("GET"))
        .and(path(new))
        .and(query_param("after", "t3_a3"))
        .respond_with(ok(&listing(vec![post("a4", "tech", "Acme", "", 8)], None)))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/r/tech/comments.json"))
        .respond_with(ok(&listing(
            vec![
                comment(
                    "c1",
                    "tech",
                    "I moved to acme cloud &amp; love it",
                    "Hosting?",
                    2,
                ),
                comment("c2", "tech", "no brand here", "Hosting?", 3),
            ],
            None,
        )))
        .mount(&server)
        .await;
    let p = poller_with(
        &db,
        &source(
            "r",
            &server.uri(),
            "subreddits = [\"r/tech\"]\nmax_pages = 2",
        ),
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "r")), (5, 3, 0));

    let rows = mentions_of(&p, "r").await;
    let by_url = |u: &str| {
        rows.iter()
            .find(|m| m.url.as_deref() == Some(u))
            .unwrap_or_else(|| panic!("{u} not stored: {rows:#?}"))
    };
    let a1 = by_url("https://www.reddit.com/r/tech/comments/a1/some_slug/");
    assert_eq!(a1.platform, "reddit");
    assert_eq!(a1.title.as_deref(), Some("Acme launches"));
    assert_eq!(a1.text, "It is **fast**.");
    assert_eq!(a1.author.as_deref(), Some("mari_t"));
    assert_eq!((a1.points, a1.replies), (Some(42), Some(7)));
    assert_eq!(a1.audience, Some(15000));
    assert_eq!(a1.community.as_deref(), Some("r/tech"));
    let published = a1.published_at.unwrap();
    assert!(
        (published.timestamp() as f64 - ago(5)).abs() < 60.0,
        "{published}"
    );

    let a3 = by_url("https://www.reddit.com/r/tech/comments/a3/some_slug/");
    assert_eq!(
        a3.text, "https://nordwind.example/story",
        "a link post's text is its link"
    );
    assert_eq!(a3.author, None, "[deleted] is nobody");

    let c1 = by_url("https://www.reddit.com/r/tech/comments/zz1/thread/c1/");
    assert_eq!(c1.title.as_deref(), Some("Hosting?"));
    assert_eq!(
        c1.text, "I moved to acme cloud &amp; love it",
        "raw_json text is kept as is"
    );
    assert_eq!(c1.author.as_deref(), Some("jaan"));
    assert_eq!(c1.points, Some(5));
    assert_eq!(c1.community.as_deref(), Some("r/tech"));

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3, "two pages of new, one of comments");
    for r in &requests {
        let q = query_map(r);
        assert_eq!(q.get("limit").map(String::as_str), Some("100"), "{}", r.url);
        assert_eq!(
            q.get("raw_json").map(String::as_str),
            Some("1"),
            "{}",
            r.url
        );
        assert!(
            r.headers.get("authorization").is_none(),
            "public JSON: no auth"
        );
    }
    let saved = cursor_of(&p, "r").await.unwrap();
    assert!(
        saved.contains("r/tech/new") && saved.contains("r/tech/comments"),
        "{saved}"
    );
    db.cleanup().await;
}

async fn second_cycle_reads_only_new_items(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let comments_empty = || {
        Mock::given(method("GET"))
            .and(path("/r/tech/comments.json"))
            .respond_with(ok(&listing(vec![], None)))
    };
    Mock::given(path("/r/tech/new.json"))
        .and(query_param_is_missing("after"))
        .respond_with(ok(&listing(
            vec![
                post("b1", "tech", "Acme one", "", 10),
                post("b2", "tech", "Acme two", "", 20),
            ],
            Some("t3_b2"),
        )))
        .mount(&server)
        .await;
    Mock::given(path("/r/tech/new.json"))
        .and(query_param("after", "t3_b2"))
        .respond_with(ok(&listing(
            vec![post("b3", "tech", "Acme three", "", 30)],
            None,
        )))
        .mount(&server)
        .await;
    comments_empty().mount(&server).await;
    let p = poller_with(&db, &source("r", &server.uri(), "subreddits = [\"tech\"]")).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "r")), (3, 3, 0));

    // One new post on top; the rest of the page is what the last cycle saw.
    server.reset().await;
    Mock::given(path("/r/tech/new.json"))
        .and(query_param_is_missing("after"))
        .respond_with(ok(&listing(
            vec![
                post("b0", "tech", "Acme zero", "", 1),
                post("b1", "tech", "Acme one", "", 10),
                post("b2", "tech", "Acme two", "", 20),
            ],
            Some("t3_b2"),
        )))
        .mount(&server)
        .await;
    Mock::given(path("/r/tech/new.json"))
        .and(query_param("after", "t3_b2"))
        .respond_with(ok(&listing(vec![], None)))
        .expect(0)
        .mount(&server)
        .await;
    comments_empty().mount(&server).await;
    let out = p.cycle(false, None).await.unwrap();
    let (fetched, new, duplicate) = stored_counts(status_of(&out, "r"));
    assert_eq!(
        (new, duplicate),
        (1, fetched as u64 - 1),
        "only b0 is new; the item at the cursor is dropped as a duplicate"
    );
    assert!(
        fetched <= 2,
        "items older than the cursor are not passed on"
    );
    assert_eq!(mentions_of(&p, "r").await.len(), 4);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "one page of new, one of comments");
    db.cleanup().await;
}

async fn site_wide_search_per_query(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let shared_post = post("s1", "cloud", "Acme Cloud review", "solid", 3);
    for q in ["acme", "acme cloud"] {
        Mock::given(method("GET"))
            .and(path("/search.json"))
            .and(query_param("q", q))
            .respond_with(ok(&listing(vec![shared_post.clone()], None)))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/search.json"))
        .and(query_param("q", "nordwind"))
        .respond_with(ok(&listing(
            vec![post("s2", "coffee", "Nordwind beans", "", 4)],
            None,
        )))
        .mount(&server)
        .await;
    let p = poller_with(&db, &source("search", &server.uri(), "")).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(
        stored_counts(status_of(&out, "search")),
        (2, 2, 0),
        "the post both Acme queries find is fetched once"
    );
    let requests = server.received_requests().await.unwrap();
    let mut qs: Vec<String> = requests
        .iter()
        .map(|r| {
            let q = query_map(r);
            assert_eq!(q["sort"], "new");
            assert_eq!(q["type"], "link");
            assert_eq!(q["limit"], "100");
            assert_eq!(q["raw_json"], "1");
            q["q"].clone()
        })
        .collect();
    qs.sort();
    assert_eq!(qs, ["acme", "acme cloud", "nordwind"]);
    // The same answers again: nothing is stored twice.
    let out = p.cycle(false, None).await.unwrap();
    let (_, new, _) = stored_counts(status_of(&out, "search"));
    assert_eq!(new, 0);
    assert_eq!(mentions_of(&p, "search").await.len(), 2);
    db.cleanup().await;
}

async fn backfill_is_bounded(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path_regex(r"^/r/\w+/comments\.json$"))
        .respond_with(ok(&listing(vec![], None)))
        .mount(&server)
        .await;
    let day = 24 * 60;
    Mock::given(path("/r/old/new.json"))
        .respond_with(ok(&listing(
            vec![
                post("o1", "old", "Acme today", "", 60),
                post("o2", "old", "Acme last week", "", 2 * day),
                post("o3", "old", "Acme long ago", "", 10 * day),
            ],
            Some("t3_o3"),
        )))
        .mount(&server)
        .await;
    Mock::given(path("/r/many/new.json"))
        .respond_with(ok(&listing(
            (0..6)
                .map(|i| post(&format!("m{i}"), "many", "Acme", "", 10 + i))
                .collect(),
            Some("t3_m5"),
        )))
        .mount(&server)
        .await;
    let p = poller_with(
        &db,
        &format!(
            "{}{}",
            source(
                "old",
                &server.uri(),
                "subreddits = [\"old\"]\nbackfill_days = 7"
            ),
            source(
                "many",
                &server.uri(),
                "subreddits = [\"many\"]\nbackfill_items = 4"
            ),
        ),
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(
        stored_counts(status_of(&out, "old")),
        (2, 2, 0),
        "older than backfill_days is left out, and paging stops there"
    );
    assert_eq!(stored_counts(status_of(&out, "many")).0, 4);
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests.iter().all(|r| !query_map(r).contains_key("after")),
        "neither source pages further"
    );
    db.cleanup().await;
}

async fn bad_responses_fail_cleanly(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    // (subreddit, response of its `new` listing in the second cycle, expected error text,
    // expected state)
    let html = "<!DOCTYPE html><html><head><title>Reddit - Dive into anything</title></head>\
                <body>blocked</body></html>";
    let cases: Vec<(&str, ResponseTemplate, &str, SourceState)> = vec![
        (
            "trunc",
            ResponseTemplate::new(200).set_body_raw(
                r#"{"kind":"Listing","data":{"children":[{"kind":"t3","da"#,
                "application/json",
            ),
            "truncated JSON",
            SourceState::Failing,
        ),
        (
            "malformed",
            ResponseTemplate::new(200).set_body_raw(
                r#"{"kind":"Listing","data":{"children":[}}"#,
                "application/json",
            ),
            "malformed JSON",
            SourceState::Failing,
        ),
        (
            "nochildren",
            ok(&json!({"kind": "Listing", "data": {"after": null}})),
            "children",
            SourceState::Failing,
        ),
        (
            "notlisting",
            ok(&post("x", "notlisting", "Acme", "", 1)),
            "expected a Listing",
            SourceState::Failing,
        ),
        (
            "html200",
            ResponseTemplate::new(200).set_body_raw(html, "text/html; charset=utf-8"),
            "Dive into anything",
            SourceState::Failing,
        ),
        (
            "html502",
            ResponseTemplate::new(502).set_body_raw(html, "text/html"),
            "HTTP 502",
            SourceState::Failing,
        ),
        (
            "ctype",
            ResponseTemplate::new(200).set_body_raw(listing(vec![], None).to_string(), "image/png"),
            "image/png",
            SourceState::Failing,
        ),
        (
            "unauth",
            ResponseTemplate::new(401).set_body_raw(
                r#"{"message": "Unauthorized", "error": 401}"#,
                "application/json",
            ),
            "HTTP 401",
            SourceState::Misconfigured,
        ),
        (
            "private",
            ResponseTemplate::new(403).set_body_raw(
                r#"{"reason": "private", "message": "Forbidden", "error": 403}"#,
                "application/json",
            ),
            "quarantined",
            SourceState::Misconfigured,
        ),
        (
            "gone",
            ResponseTemplate::new(404).set_body_raw(
                r#"{"message": "Not Found", "error": 404}"#,
                "application/json",
            ),
            "404",
            SourceState::Misconfigured,
        ),
    ];
    let mut toml = String::new();
    for (sub, ..) in &cases {
        toml.push_str(&source(
            sub,
            &server.uri(),
            &format!("subreddits = [\"{sub}\"]"),
        ));
    }
    // The `new` listing answers, then the comments listing fails: nothing may be kept.
    toml.push_str(&source(
        "halfway",
        &server.uri(),
        "subreddits = [\"halfway\"]",
    ));
    // Absurd numbers are read leniently, not as a failure.
    toml.push_str(&source("weird", &server.uri(), "subreddits = [\"weird\"]"));

    // First cycle: every source answers well and gets a cursor.
    let good = |sub: &str| ok(&listing(vec![post("g1", sub, "Acme good", "", 30)], None));
    Mock::given(path_regex(r"^/r/(\w+)/(new|comments)\.json$"))
        .respond_with(good("any"))
        .mount(&server)
        .await;
    let p = poller_with(&db, &toml).await;
    let out = p.cycle(false, None).await.unwrap();
    let mut before = HashMap::new();
    for (sub, ..) in &cases {
        assert_eq!(stored_counts(status_of(&out, sub)).1, 1, "{sub}");
        before.insert(sub.to_string(), cursor_of(&p, sub).await);
    }
    let halfway_before = cursor_of(&p, "halfway").await;
    let stored_before = p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap()
        .len();

    server.reset().await;
    let fresh = || ok(&listing(vec![post("n1", "x", "Acme new", "", 1)], None));
    for (sub, response, ..) in &cases {
        Mock::given(path(format!("/r/{sub}/new.json")))
            .respond_with(response.clone())
            .mount(&server)
            .await;
    }
    Mock::given(path("/r/halfway/new.json"))
        .respond_with(fresh())
        .mount(&server)
        .await;
    Mock::given(path("/r/halfway/comments.json"))
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            r#"{"message": "Internal Server Error", "error": 500}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let mut weird = post("w1", "weird", "Acme weird numbers", "", 1);
    weird["data"]["score"] = json!(1e300);
    weird["data"]["num_comments"] = json!(-5);
    weird["data"]["subreddit_subscribers"] = json!("12345678901234567890");
    weird["data"]["created_utc"] = json!(-1e300);
    Mock::given(path("/r/weird/new.json"))
        .respond_with(ok(&listing(vec![weird], None)))
        .mount(&server)
        .await;
    Mock::given(path("/r/weird/comments.json"))
        .respond_with(ok(&listing(vec![], None)))
        .mount(&server)
        .await;

    let out = p.cycle(false, None).await.unwrap();
    for (sub, _, needle, state) in &cases {
        let status = status_of(&out, sub);
        let error = failure(status);
        assert!(error.contains(needle), "{sub}: {error}");
        if !needle.starts_with("HTTP 5") {
            assert!(
                error.contains("reddit"),
                "{sub}: the error names the connector: {error}"
            );
        }
        match status {
            PollStatus::Failed { state: s, .. } => assert_eq!(s, state, "{sub}: {error}"),
            other => panic!("{sub}: {other:?}"),
        }
        assert_eq!(
            &cursor_of(&p, sub).await,
            &before[*sub],
            "{sub}: cursor unchanged"
        );
    }
    let error = failure(status_of(&out, "halfway"));
    assert!(error.contains("HTTP 500"), "{error}");
    assert_eq!(cursor_of(&p, "halfway").await, halfway_before);

    let (_, new, _) = stored_counts(status_of(&out, "weird"));
    assert_eq!(new, 1);
    let rows = mentions_of(&p, "weird").await;
    let w = rows
        .iter()
        .find(|m| m.title.as_deref() == Some("Acme weird numbers"))
        .unwrap();
    assert_eq!((w.points, w.replies, w.audience), (None, Some(0), None));
    assert_eq!(w.published_at, None);

    let stored_after = p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap()
        .len();
    assert_eq!(
        stored_after,
        stored_before + 1,
        "only the weird source stored anything"
    );
    db.cleanup().await;
}

async fn oauth_token_is_fetched_cached_and_renewed(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let prefix = "FWTEST_REDDIT_OAUTH_OK";
    // SAFETY: the variable name is unique to this test.
    unsafe {
        std::env::set_var(format!("{prefix}_CLIENT_ID"), "my-app");
        std::env::set_var(format!("{prefix}_CLIENT_SECRET"), "s3cret");
    }
    let server = MockServer::start().await;
    let token = |t: &str| {
        ok(&json!({"access_token": t, "token_type": "bearer", "expires_in": 86400, "scope": "*"}))
    };
    let token_mock = |t: &str| {
        Mock::given(method("POST"))
            .and(path("/api/v1/access_token"))
            .and(basic_auth("my-app", "s3cret"))
            .and(body_string_contains("grant_type=client_credentials"))
            .respond_with(token(t))
    };
    let listings = |t: &str| {
        [
            Mock::given(method("GET"))
                .and(path("/r/tech/new"))
                .and(bearer_token(t))
                .respond_with(ok(&listing(
                    vec![post("t1", "tech", "Acme via OAuth", "", 2)],
                    None,
                ))),
            Mock::given(method("GET"))
                .and(path("/r/tech/comments"))
                .and(bearer_token(t))
                .respond_with(ok(&listing(vec![], None))),
        ]
    };
    token_mock("tok1").expect(1).mount(&server).await;
    for m in listings("tok1") {
        m.mount(&server).await;
    }
    let p = poller_with(
        &db,
        &source(
            "oauth",
            &server.uri(),
            &format!("subreddits = [\"tech\"]\ncredentials_env = \"{prefix}\""),
        ),
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "oauth")).1, 1);
    let out = p.cycle(false, None).await.unwrap();
    assert!(matches!(
        status_of(&out, "oauth"),
        PollStatus::Stored { .. }
    ));
    server.verify().await;
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 5, "one token, then two listings per cycle");

    // Reddit revokes the token early: a 401, one new token, and the poll goes on.
    server.reset().await;
    Mock::given(path_regex("^/r/tech/"))
        .and(bearer_token("tok1"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"message": "Unauthorized", "error": 401}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    token_mock("tok2").expect(1).mount(&server).await;
    for m in listings("tok2") {
        m.mount(&server).await;
    }
    let out = p.cycle(false, None).await.unwrap();
    assert!(
        matches!(status_of(&out, "oauth"), PollStatus::Stored { .. }),
        "{out:?}"
    );
    server.verify().await;
    db.cleanup().await;
}

async fn refused_credentials_are_a_misconfiguration(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let prefix = "FWTEST_REDDIT_OAUTH_BAD";
    // SAFETY: the variable name is unique to this test.
    unsafe {
        std::env::set_var(format!("{prefix}_CLIENT_ID"), "my-app");
        std::env::set_var(format!("{prefix}_CLIENT_SECRET"), "wrong");
    }
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/access_token"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"message": "Unauthorized", "error": 401}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let p = poller_with(
        &db,
        &source(
            "oauth",
            &server.uri(),
            &format!("subreddits = [\"tech\"]\ncredentials_env = \"{prefix}\""),
        ),
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    let status = status_of(&out, "oauth");
    assert!(
        matches!(
            status,
            PollStatus::Failed {
                state: SourceState::Misconfigured,
                ..
            }
        ),
        "{status:?}"
    );
    let error = failure(status);
    assert!(
        error.contains("token") && error.contains(&format!("{prefix}_CLIENT_ID")),
        "{error}"
    );
    assert!(!error.contains("wrong"), "the secret never shows: {error}");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "no listing is asked for without a token");
    db.cleanup().await;
}

backend_tests!(
    subreddit_listings_page_and_map,
    second_cycle_reads_only_new_items,
    site_wide_search_per_query,
    backfill_is_bounded,
    bad_responses_fail_cleanly,
    oauth_token_is_fetched_cached_and_renewed,
    refused_credentials_are_a_misconfiguration,
);

#[test]
fn parse_errors_say_what_is_wrong() {
    let err = |body: &str| parse_listing(body.as_bytes()).unwrap_err().to_string();
    assert!(err(r#"{"kind":"t3","data":{"children":[]}}"#).contains("expected a Listing"));
    assert!(err(r#"{"kind":"Listing","data":{}}"#).contains("children"));
    assert!(err(r#"{"kind":"Listing","data":{"children":"#).contains("truncated"));
    assert!(err("<html><title>Too Many Requests</title></html>").contains("HTML"));
    assert!(err(r#"{"message": "Bad Request", "error": 400}"#).contains("kind"));
    // A child without an id is skipped; the rest of the page stands.
    let items = parse_listing(
        listing(
            vec![
                json!({"kind": "t3", "data": {"title": "Acme, no id"}}),
                post("k1", "x", "Acme", "", 1),
            ],
            None,
        )
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].external_id.as_str(), "t3_k1");
}

#[test]
fn corpus_of_recorded_responses() {
    let dir = "fixtures/api/reddit";
    let read =
        |file: &str| common::shared(&format!("{dir}/{file}")).map(|p| std::fs::read(p).unwrap());
    let Some(new) = read("r_askreddit_new.json") else {
        return;
    };
    let posts = parse_listing(&new).unwrap();
    assert_eq!(posts.len(), 100);
    for p in &posts {
        assert!(
            p.external_id.as_str().starts_with("t3_"),
            "{:?}",
            p.external_id
        );
        assert!(
            p.url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://www.reddit.com/r/AskReddit/comments/")),
            "{:?}",
            p.url
        );
        assert!(p.title.as_deref().is_some_and(|t| !t.is_empty()));
        assert_eq!(p.community.as_deref(), Some("r/AskReddit"));
        assert!(p.published_at.is_some());
        assert!(p.engagement.points.is_some() && p.engagement.replies.is_some());
    }
    assert!(posts.iter().filter(|p| p.author.is_some()).count() >= 90);

    for file in ["r_askreddit_comments.json", "r_kakapo_comments.json"] {
        let Some(bytes) = read(file) else { return };
        let comments = parse_listing(&bytes).unwrap();
        assert!(!comments.is_empty(), "{file}");
        for c in &comments {
            assert!(c.external_id.as_str().starts_with("t1_"), "{file}");
            assert!(!c.text.is_empty(), "{file}: {:?}", c.external_id);
            assert!(c.title.is_some(), "{file}: link_title");
            assert!(
                c.url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://www.reddit.com/r/")),
                "{file}: {:?}",
                c.url
            );
            assert!(
                c.author
                    .as_ref()
                    .is_some_and(|a| !a.handle.as_str().is_empty())
            );
        }
    }
    if let Some(bytes) = read("r_askreddit_comments.json") {
        assert_eq!(parse_listing(&bytes).unwrap().len(), 100);
    }
    // A thread page: the post, then its comment tree (nested replies included).
    if let Some(bytes) = read("comments_2gmzqe.json") {
        let items = parse_listing(&bytes).unwrap();
        assert_eq!(items[0].external_id.as_str(), "t3_2gmzqe");
        assert!(items.len() >= 3, "{}", items.len());
        assert!(
            items[1..]
                .iter()
                .all(|i| i.external_id.as_str().starts_with("t1_"))
        );
    }
    for file in [
        "search_r_all_q_praw_oauth_search.json",
        "r_all_new_before.json",
        "api_info_url_youtube.json",
    ] {
        let Some(bytes) = read(file) else { return };
        let items = parse_listing(&bytes).unwrap();
        assert!(!items.is_empty(), "{file}");
        assert!(
            items
                .iter()
                .all(|i| i.url.is_some() && i.published_at.is_some()),
            "{file}"
        );
    }
    if let Some(bytes) = read("r_kakapo_comments_before_empty.json") {
        assert!(parse_listing(&bytes).unwrap().is_empty());
    }
    if let Some(bytes) = read("error_400_bare_badrequest.json") {
        let e = parse_listing(&bytes).unwrap_err().to_string();
        assert!(e.contains("reddit listing"), "{e}");
    }
}
