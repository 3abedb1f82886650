//! Bluesky connector: searchPosts against a local stand-in of the XRPC API, through the poll
//! cycle into SQLite and PostgreSQL; parsing over recorded real responses.

mod common;

use chrono::{Duration, SecondsFormat, Utc};
use common::{Backend, TestDb, failure, param, poller_with, shared, status_of, stored_counts};
use fanwatch::pipeline::PollStatus;
use fanwatch::sources::bluesky::{parse_feed, parse_profiles, parse_search};
use fanwatch::storage::{MentionFilter, SourceState};
use serde_json::{Value, json};
use wiremock::matchers::{bearer_token, body_json, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SEARCH: &str = "/xrpc/app.bsky.feed.searchPosts";
const PROFILES: &str = "/xrpc/app.bsky.actor.getProfiles";
const LOGIN: &str = "/xrpc/com.atproto.server.createSession";

fn ago(minutes: i64) -> String {
    (Utc::now() - Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A post view as searchPosts returns it.
fn post(rkey: &str, who: &str, text: &str, minutes_ago: i64) -> Value {
    json!({
        "uri": format!("at://did:plc:{who}/app.bsky.feed.post/{rkey}"),
        "cid": format!("bafyrei{rkey}"),
        "author": {
            "did": format!("did:plc:{who}"),
            "handle": format!("{who}.bsky.social"),
            "displayName": format!("{who} Display"),
            "avatar": "https://cdn.bsky.app/img/avatar/plain/x@jpeg",
            "labels": [],
            "createdAt": "2024-09-04T11:55:00.863Z"
        },
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": ago(minutes_ago),
            "langs": ["en"],
            "text": text
        },
        "replyCount": 1,
        "repostCount": 2,
        "likeCount": 3,
        "quoteCount": 1,
        "indexedAt": ago(minutes_ago),
        "labels": []
    })
}

fn page(posts: Vec<Value>, cursor: Option<&str>) -> ResponseTemplate {
    let mut body = json!({ "posts": posts });
    if let Some(c) = cursor {
        body["cursor"] = json!(c);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

fn profiles(list: &[(&str, i64)]) -> ResponseTemplate {
    let profiles: Vec<Value> = list
        .iter()
        .map(|(who, followers)| {
            json!({
                "did": format!("did:plc:{who}"),
                "handle": format!("{who}.bsky.social"),
                "followersCount": followers,
                "followsCount": 10,
                "postsCount": 5,
                "labels": []
            })
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({ "profiles": profiles }))
}

fn source(name: &str, base: &str, extra: &str) -> String {
    format!(
        "[[sources]]\nname = \"{name}\"\nkind = \"bluesky\"\nbase_url = \"{base}\"\nquery = \"acme\"\n\
         credentials_env = \"FW_BSKY_NONE\"\n{extra}\n"
    )
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().ends_with(p))
        .collect()
}

async fn fields_pages_and_followers(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .and(query_param("cursor", "25"))
        .respond_with(page(
            vec![post("p2", "bob", "Acme cloud is slow today", 30)],
            Some("50"),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .and(query_param("cursor", "50"))
        .respond_with(page(vec![post("p3", "bob", "acme page three", 40)], None))
        .mount(&server)
        .await;
    let mut invalid = post("p1b", "gone", "Acme without a handle", 12);
    invalid["author"]["handle"] = json!("handle.invalid");
    let mut no_uri = post("x", "ann", "Acme with no uri", 13);
    no_uri.as_object_mut().unwrap().remove("uri");
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .respond_with(page(
            vec![
                post("p1", "ann", "I love Acme!\nReally.", 10),
                invalid,
                no_uri,
                post("p0", "carl", "weather only", 20),
            ],
            Some("25"),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PROFILES))
        .respond_with(profiles(&[("ann", 1200), ("bob", 7)]))
        .mount(&server)
        .await;
    let p = poller_with(&db, &source("bsky", &server.uri(), "max_pages = 2")).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "bsky")), (4, 3, 0));

    let searches = requests_to(&server, SEARCH).await;
    assert_eq!(searches.len(), 2, "max_pages = 2 bounds the paging");
    let first = &searches[0];
    assert_eq!(param(first, "q").as_deref(), Some("acme"));
    assert_eq!(param(first, "sort").as_deref(), Some("latest"));
    assert_eq!(param(first, "limit").as_deref(), Some("100"));
    assert_eq!(param(first, "cursor"), None);
    let since = chrono::DateTime::parse_from_rfc3339(&param(first, "since").unwrap()).unwrap();
    let backfill = Utc::now() - Duration::days(7);
    assert!((since.with_timezone(&Utc) - backfill).num_seconds().abs() < 60);
    assert_eq!(param(&searches[1], "cursor").as_deref(), Some("25"));
    assert!(first.headers.get("authorization").is_none());

    let lookups = requests_to(&server, PROFILES).await;
    assert_eq!(lookups.len(), 1);
    let mut actors: Vec<String> = lookups[0]
        .url
        .query_pairs()
        .filter(|(k, _)| k == "actors")
        .map(|(_, v)| v.into_owned())
        .collect();
    actors.sort();
    assert_eq!(
        actors,
        ["did:plc:ann", "did:plc:bob", "did:plc:carl", "did:plc:gone"]
    );

    let store = &p.pipeline.store;
    let all = store.mentions(&MentionFilter::default()).await.unwrap();
    let m = all
        .iter()
        .find(|m| m.text.starts_with("I love Acme"))
        .unwrap();
    assert_eq!(m.platform, "bluesky");
    assert_eq!(
        m.url.as_deref(),
        Some("https://bsky.app/profile/ann.bsky.social/post/p1")
    );
    assert_eq!(m.text, "I love Acme!\nReally.");
    assert_eq!(m.author.as_deref(), Some("ann.bsky.social"));
    assert_eq!(m.author_name.as_deref(), Some("ann Display"));
    assert_eq!(m.followers, Some(1200));
    assert_eq!((m.likes, m.reposts, m.replies), (Some(3), Some(3), Some(1)));
    let published = m.published_at.unwrap();
    assert!(
        (Utc::now() - published - Duration::minutes(10))
            .num_seconds()
            .abs()
            < 60
    );
    assert_eq!(m.title, None);
    let gone = all.iter().find(|m| m.text.contains("without")).unwrap();
    assert_eq!(
        gone.url.as_deref(),
        Some("https://bsky.app/profile/did:plc:gone/post/p1b")
    );
    assert_eq!(gone.author.as_deref(), Some("did:plc:gone"));
    assert_eq!(gone.followers, None, "no profile came back for it");
    db.cleanup().await;
}

async fn cursor_dedup_and_backfill(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let newest = post("a2", "ann", "Acme two", 5);
    let newest_at = newest["record"]["createdAt"].as_str().unwrap().to_owned();
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .respond_with(page(
            vec![
                newest.clone(),
                post("a1", "ann", "Acme one", 60),
                post("old", "ann", "Acme from long ago", 60 * 24 * 9),
            ],
            Some("3"),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .respond_with(page(
            vec![
                post("a3", "bob", "Acme three", 1),
                newest.clone(),
                post("a1", "ann", "Acme one", 60),
            ],
            Some("2"),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PROFILES))
        .respond_with(profiles(&[]))
        .mount(&server)
        .await;
    let p = poller_with(&db, &source("bsky", &server.uri(), "")).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(
        stored_counts(status_of(&out, "bsky")),
        (2, 2, 0),
        "the 9-day-old post is beyond backfill_days and ends the paging"
    );
    assert_eq!(requests_to(&server, SEARCH).await.len(), 1);

    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(
        stored_counts(status_of(&out, "bsky")),
        (2, 1, 1),
        "the post at the cursor comes again and is stored once"
    );
    let searches = requests_to(&server, SEARCH).await;
    assert_eq!(searches.len(), 2, "reaching the cursor ends the paging");
    let since = param(&searches[1], "since").unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&since)
            .unwrap()
            .timestamp(),
        chrono::DateTime::parse_from_rfc3339(&newest_at)
            .unwrap()
            .timestamp(),
        "the second cycle asks only for posts since the newest one seen"
    );
    let all = p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 3);

    // backfill_items caps the first poll.
    let capped = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .respond_with(page(
            (0..5)
                .map(|i| post(&format!("c{i}"), "ann", "Acme again", i + 1))
                .collect(),
            Some("5"),
        ))
        .mount(&capped)
        .await;
    let p = poller_with(&db, &source("capped", &capped.uri(), "backfill_items = 2")).await;
    let out = p.cycle(false, Some("capped")).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "capped")), (2, 2, 0));
    assert_eq!(requests_to(&capped, SEARCH).await.len(), 1);

    // Bluesky refuses anonymous `cursor` pages: the first page is kept.
    let anon = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .and(query_param("cursor", "25"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"error": "Forbidden", "message": "Request forbidden by administrative rules."}),
        ))
        .mount(&anon)
        .await;
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .respond_with(page(vec![post("d1", "ann", "Acme anon", 1)], Some("25")))
        .mount(&anon)
        .await;
    let p = poller_with(&db, &source("anon", &anon.uri(), "")).await;
    let out = p.cycle(false, Some("anon")).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "anon")), (1, 1, 0));
    assert_eq!(requests_to(&anon, SEARCH).await.len(), 2);
    db.cleanup().await;
}

/// Every bad answer fails the poll with a message naming what was wrong, stores nothing and
/// keeps the cursor of the last good poll.
async fn bad_responses_fail_cleanly(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let html = "<html><head><title>Bad Gateway</title></head><body>oops</body></html>";
    let xrpc = |status: u16, error: &str, message: &str| {
        ResponseTemplate::new(status).set_body_json(json!({ "error": error, "message": message }))
    };
    let cases: Vec<(&str, ResponseTemplate, &str, bool)> = vec![
        (
            "truncated",
            ResponseTemplate::new(200).set_body_raw(
                r#"{"posts":[{"uri":"at://did:plc:a/app"#,
                "application/json",
            ),
            "truncated JSON",
            false,
        ),
        (
            "malformed",
            ResponseTemplate::new(200).set_body_raw(r#"{"posts": [}"#, "application/json"),
            "malformed JSON",
            false,
        ),
        (
            "noposts",
            ResponseTemplate::new(200).set_body_json(json!({ "cursor": "1" })),
            "missing field `posts`",
            false,
        ),
        (
            "wrongshape",
            ResponseTemplate::new(200).set_body_json(json!({ "posts": { "uri": "x" } })),
            "`posts`",
            false,
        ),
        (
            "html200",
            ResponseTemplate::new(200).set_body_raw(html, "text/html"),
            "HTML",
            false,
        ),
        (
            "html502",
            ResponseTemplate::new(502).set_body_raw(html, "text/html"),
            "HTTP 502",
            false,
        ),
        (
            "png",
            ResponseTemplate::new(200).set_body_raw(r#"{"posts":[]}"#, "image/png"),
            "image/png",
            false,
        ),
        (
            "badrequest",
            xrpc(400, "InvalidRequest", "Error: params/q must be a string"),
            "InvalidRequest: Error: params/q must be a string",
            false,
        ),
        (
            "unauth",
            xrpc(401, "AuthenticationRequired", "Authentication Required"),
            "AuthenticationRequired: Authentication Required",
            true,
        ),
        (
            "forbidden",
            ResponseTemplate::new(403).set_body_raw("Forbidden", "text/plain"),
            "FW_BSKY_NONE_IDENTIFIER",
            true,
        ),
    ];
    let mut toml = String::new();
    for (case, bad, _, _) in &cases {
        let prefix = format!("/{case}{SEARCH}");
        Mock::given(method("GET"))
            .and(path(prefix.as_str()))
            .respond_with(page(vec![post(case, "ann", "Acme is fine", 30)], None))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(prefix.as_str()))
            .respond_with(bad.clone())
            .mount(&server)
            .await;
        toml.push_str(&source(case, &format!("{}/{case}/", server.uri()), ""));
    }
    Mock::given(method("GET"))
        .and(path_regex(format!("{PROFILES}$")))
        .respond_with(profiles(&[]))
        .mount(&server)
        .await;
    let p = poller_with(&db, &toml).await;
    let out = p.cycle(false, None).await.unwrap();
    let store = &p.pipeline.store;
    let mut cursors = Vec::new();
    for (case, _, _, _) in &cases {
        assert_eq!(stored_counts(status_of(&out, case)), (1, 1, 0), "{case}");
        let cursor = store.source_status(case).await.unwrap().unwrap().cursor;
        assert!(cursor.is_some(), "{case}");
        cursors.push(cursor);
    }
    let out = p.cycle(false, None).await.unwrap();
    for ((case, _, expected, misconfigured), cursor) in cases.iter().zip(cursors) {
        let status = status_of(&out, case);
        let error = failure(status);
        assert!(error.contains(expected), "{case}: {error}");
        if *misconfigured {
            assert!(
                matches!(
                    status,
                    PollStatus::Failed {
                        state: SourceState::Misconfigured,
                        ..
                    }
                ),
                "{case}: {status:?}"
            );
        }
        let after = store.source_status(case).await.unwrap().unwrap();
        assert_eq!(after.cursor, cursor, "{case}: the cursor stays");
        assert_eq!(after.mentions_stored, 1, "{case}: nothing more stored");
    }
    db.cleanup().await;
}

async fn absurd_numbers_are_tamed(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let mut p1 = post("n1", "ann", "Acme numbers", 5);
    p1["likeCount"] = json!(-5);
    p1["repostCount"] = json!("7");
    p1["quoteCount"] = json!(1e300);
    p1["replyCount"] = json!(99_999_999_999_999_999_999u128 as f64);
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .respond_with(page(vec![p1], None))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PROFILES))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"profiles":[{"did":"did:plc:ann","handle":"ann.bsky.social","followersCount":123456789012345678901234567890}]}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let p = poller_with(&db, &source("bsky", &server.uri(), "")).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "bsky")), (1, 1, 0));
    let m = &p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap()[0];
    assert_eq!(m.likes, Some(0));
    assert_eq!(m.reposts, Some(7));
    assert_eq!(m.replies, None);
    assert_eq!(m.followers, None);
    db.cleanup().await;
}

/// With an identifier and app password, the source logs in once, sends the token on every
/// request, replaces an expired session once, and a refused login is a config problem.
async fn app_password_session(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    unsafe {
        std::env::set_var("FW_BSKY_LOGIN_IDENTIFIER", "mari.bsky.social");
        std::env::set_var("FW_BSKY_LOGIN_APP_PASSWORD", "abcd-efgh-ijkl-mnop");
        std::env::set_var("FW_BSKY_REFUSED_IDENTIFIER", "mari.bsky.social");
        std::env::set_var("FW_BSKY_REFUSED_APP_PASSWORD", "wrong");
        std::env::set_var("FW_BSKY_HALF_IDENTIFIER", "mari.bsky.social");
    }
    let server = MockServer::start().await;
    let session = |n: u32| {
        ResponseTemplate::new(200).set_body_json(json!({
            "did": "did:plc:mari",
            "handle": "mari.bsky.social",
            "email": "mari@example.com",
            "accessJwt": format!("access-{n}"),
            "refreshJwt": format!("refresh-{n}"),
            "active": true
        }))
    };
    Mock::given(method("POST"))
        .and(path(format!("/ok{LOGIN}")))
        .and(body_json(
            json!({"identifier": "mari.bsky.social", "password": "abcd-efgh-ijkl-mnop"}),
        ))
        .respond_with(session(1))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/ok{LOGIN}")))
        .respond_with(session(2))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/ok{SEARCH}")))
        .and(bearer_token("access-1"))
        .respond_with(page(vec![post("s1", "ann", "Acme with a login", 5)], None))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/ok{SEARCH}")))
        .and(bearer_token("access-1"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": "ExpiredToken", "message": "Token has expired"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/ok{SEARCH}")))
        .and(bearer_token("access-2"))
        .respond_with(page(vec![post("s2", "ann", "Acme after refresh", 1)], None))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/ok{PROFILES}")))
        .respond_with(profiles(&[("ann", 5)]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/refused{LOGIN}")))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}),
        ))
        .mount(&server)
        .await;
    let uri = server.uri();
    let toml = format!(
        "{}{}{}",
        source("ok", &format!("{uri}/ok/"), "").replace("FW_BSKY_NONE", "FW_BSKY_LOGIN"),
        source("refused", &format!("{uri}/refused/"), "")
            .replace("FW_BSKY_NONE", "FW_BSKY_REFUSED"),
        source("half", &format!("{uri}/half/"), "").replace("FW_BSKY_NONE", "FW_BSKY_HALF"),
    );
    let p = poller_with(&db, &toml).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "ok")), (1, 1, 0));
    let refused = status_of(&out, "refused");
    assert!(matches!(
        refused,
        PollStatus::Failed {
            state: SourceState::Misconfigured,
            ..
        }
    ));
    let error = failure(refused);
    assert!(
        error.contains("AuthenticationRequired")
            && error.contains("Invalid identifier or password"),
        "{error}"
    );
    assert!(!error.contains("wrong"), "the password stays out: {error}");
    let half = status_of(&out, "half");
    assert!(
        failure(half).contains("FW_BSKY_HALF_APP_PASSWORD"),
        "{half:?}"
    );
    assert!(matches!(
        half,
        PollStatus::Failed {
            state: SourceState::Misconfigured,
            ..
        }
    ));
    let lookups = requests_to(&server, PROFILES).await;
    assert_eq!(
        lookups[0].headers.get("authorization").unwrap(),
        "Bearer access-1",
        "profile lookups carry the session too"
    );

    let out = p.cycle(false, Some("ok")).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "ok")), (1, 1, 0));
    let logins: Vec<_> = requests_to(&server, LOGIN)
        .await
        .into_iter()
        .filter(|r| r.url.path().starts_with("/ok/"))
        .collect();
    assert_eq!(
        logins.len(),
        2,
        "one login per source lifetime, plus one for the expired session"
    );
    let searches: Vec<String> = requests_to(&server, SEARCH)
        .await
        .iter()
        .filter(|r| r.url.path().starts_with("/ok/"))
        .map(|r| {
            r.headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        searches,
        ["Bearer access-1", "Bearer access-1", "Bearer access-2"]
    );
    db.cleanup().await;
}

backend_tests!(
    fields_pages_and_followers,
    cursor_dedup_and_backfill,
    bad_responses_fail_cleanly,
    absurd_numbers_are_tamed,
    app_password_session,
);

#[test]
fn corpus_of_recorded_responses() {
    let Some(search) =
        shared("fixtures/api/bluesky/app.bsky.feed.searchPosts_q_redistricting.json")
    else {
        return;
    };
    let items = parse_search(&std::fs::read(search).unwrap()).unwrap();
    assert_eq!(items.len(), 25);
    for item in &items {
        assert!(item.external_id.as_str().starts_with("at://did:"));
        let url = item.url.as_deref().unwrap();
        assert!(
            url.starts_with("https://bsky.app/profile/") && url.contains("/post/"),
            "{url}"
        );
        let author = item.author.as_ref().unwrap();
        assert!(!author.handle.as_str().is_empty());
        assert!(author.profile_url.is_some());
        assert!(item.published_at.is_some());
        assert!(item.engagement.likes.is_some());
    }
    assert!(
        items
            .iter()
            .any(|i| i.text.to_lowercase().contains("redistricting"))
    );

    for (file, at_least) in [
        ("app.bsky.feed.getAuthorFeed.json", 40),
        ("app.bsky.feed.getFeed_bsky-team.json", 5),
    ] {
        let Some(feed) = shared(&format!("fixtures/api/bluesky/{file}")) else {
            return;
        };
        let items = parse_feed(&std::fs::read(feed).unwrap()).unwrap();
        assert!(items.len() >= at_least, "{file}: {}", items.len());
        assert!(items.iter().all(|i| i.url.is_some() && i.author.is_some()));
        assert!(items.iter().any(|i| !i.text.is_empty()));
    }

    if let Some(posts) = shared("fixtures/api/bluesky/app.bsky.feed.getPosts.json") {
        let items = parse_search(&std::fs::read(posts).unwrap()).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].external_id.as_str(),
            "at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3k7qmjev5lr2s"
        );
    }
    if let Some(profiles) = shared("fixtures/api/bluesky/app.bsky.actor.getProfiles.json") {
        let found = parse_profiles(&std::fs::read(profiles).unwrap()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "did:plc:wpe35pganb6d4pg4ekmfy6u5");
        assert_eq!(found[0].1.get(), 554);
    }
    if let Some(error) = shared("fixtures/api/bluesky/error_400_createRecord.json") {
        let e = parse_search(&std::fs::read(error).unwrap()).unwrap_err();
        assert!(e.to_string().contains("posts"), "{e}");
    }
}
