//! The Lemmy connector against a local server speaking Lemmy's v3 API (0.19 shapes): search
//! mapping, paging, cursors, limits, community lookups and bad answers, on SQLite and
//! PostgreSQL. There are no recorded Lemmy responses in the shared data, so the bodies here
//! follow the API types (PostView, CommentView, GetCommunityResponse, GetSiteResponse).

mod common;

use std::collections::HashMap;

use common::{
    Backend, TestDb, cursor_of, failure, mentions_of, poller_with, query_map, status_of,
    stored_counts,
};
use fanwatch::pipeline::PollStatus;
use fanwatch::sources::lemmy::parse_search;
use fanwatch::storage::{MentionFilter, SourceState};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Lemmy 0.19 writes times with a zone; older versions without (then UTC).
fn ago(minutes: i64, zoned: bool) -> String {
    let t = chrono::Utc::now() - chrono::Duration::minutes(minutes);
    let naive = t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    if zoned { format!("{naive}Z") } else { naive }
}

fn person(name: &str, host: &str) -> Value {
    json!({"id": 77, "name": name, "display_name": format!("{name} (display)"),
        "avatar": null, "banned": false, "published": "2023-06-01T00:00:00Z",
        "actor_id": format!("https://{host}/u/{name}"), "bio": null, "local": false,
        "deleted": false, "bot_account": false, "instance_id": 3})
}

fn community(id: i64, name: &str, host: &str) -> Value {
    json!({"id": id, "name": name, "title": format!("{name} title"), "description": null,
        "removed": false, "published": "2023-06-01T00:00:00Z", "deleted": false, "nsfw": false,
        "actor_id": format!("https://{host}/c/{name}"), "local": true, "hidden": false,
        "posting_restricted_to_mods": false, "instance_id": 1, "visibility": "Public"})
}

/// A PostView as `/api/v3/search?type_=Posts` returns it.
fn post_view(id: i64, name: &str, body: Option<&str>, minutes_ago: i64) -> Value {
    json!({
        "post": {"id": id, "name": name, "url": null, "body": body, "creator_id": 77,
            "community_id": 9, "removed": false, "locked": false,
            "published": ago(minutes_ago, true), "updated": null, "deleted": false,
            "nsfw": false, "ap_id": format!("https://lemmy.ml/post/{id}"), "local": false,
            "language_id": 37, "featured_community": false, "featured_local": false},
        "creator": person("mari", "lemmy.ml"),
        "community": community(9, "technology", "lemmy.world"),
        "creator_banned_from_community": false, "banned_from_community": false,
        "creator_is_moderator": false, "creator_is_admin": false,
        "counts": {"post_id": id, "comments": 4, "score": 17, "upvotes": 18, "downvotes": 1,
            "published": ago(minutes_ago, true), "newest_comment_time": ago(minutes_ago, true)},
        "subscribed": "NotSubscribed", "saved": false, "read": false, "hidden": false,
        "creator_blocked": false, "my_vote": null, "unread_comments": 0
    })
}

/// A CommentView as `/api/v3/search?type_=Comments` returns it.
fn comment_view(id: i64, content: &str, minutes_ago: i64) -> Value {
    json!({
        "comment": {"id": id, "creator_id": 78, "post_id": 5, "content": content,
            "removed": false, "published": ago(minutes_ago, false), "updated": null,
            "deleted": false, "ap_id": format!("https://feddit.org/comment/{id}"),
            "local": false, "path": format!("0.{id}"), "distinguished": false,
            "language_id": 0},
        "creator": person("jaan", "feddit.org"),
        "post": {"id": 5, "name": "Which cloud?", "ap_id": "https://lemmy.world/post/5",
            "published": ago(600, true), "community_id": 12, "creator_id": 1,
            "removed": false, "locked": false, "deleted": false, "nsfw": false, "local": true,
            "language_id": 0, "featured_community": false, "featured_local": false},
        "community": community(12, "selfhosted", "lemmy.world"),
        "counts": {"comment_id": id, "score": 3, "upvotes": 3, "downvotes": 0,
            "published": ago(minutes_ago, false), "child_count": 2},
        "creator_banned_from_community": false, "banned_from_community": false,
        "creator_is_moderator": false, "creator_is_admin": false,
        "subscribed": "NotSubscribed", "saved": false, "creator_blocked": false
    })
}

fn search(type_: &str, posts: Vec<Value>, comments: Vec<Value>) -> Value {
    json!({"type_": type_, "comments": comments, "posts": posts, "communities": [], "users": []})
}

fn ok(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

fn search_mock(q: &str, type_: &str, page: u32) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/api/v3/search"))
        .and(query_param("q", q))
        .and(query_param("type_", type_))
        .and(query_param("page", page.to_string()))
}

fn source(name: &str, base: &str, extra: &str) -> String {
    format!("[[sources]]\nname = \"{name}\"\nkind = \"lemmy\"\nbase_url = \"{base}\"\n{extra}\n")
}

async fn search_maps_pages_and_looks_up_communities(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let full_page = |from: i64, minutes: i64| -> Vec<Value> {
        (0..50)
            .map(|i| {
                post_view(
                    from + i,
                    &format!("acme item {}", from + i),
                    None,
                    minutes + i,
                )
            })
            .collect()
    };
    let mut first = full_page(100, 10);
    first[0] = post_view(
        1,
        "Acme  Cloud is down",
        Some("Anyone else?\n\n**Really** down."),
        2,
    );
    search_mock("acme", "Posts", 1)
        .respond_with(ok(&search("Posts", first, vec![])))
        .mount(&server)
        .await;
    search_mock("acme", "Posts", 2)
        .respond_with(ok(&search("Posts", full_page(200, 70), vec![])))
        .mount(&server)
        .await;
    // max_pages = 2: never asked.
    search_mock("acme", "Posts", 3)
        .respond_with(ok(&search("Posts", full_page(300, 130), vec![])))
        .expect(0)
        .mount(&server)
        .await;
    search_mock("acme", "Comments", 1)
        .respond_with(ok(&search(
            "Comments",
            vec![],
            vec![
                comment_view(7, "I use acme for this", 3),
                comment_view(8, "me too, acme", 4),
            ],
        )))
        .mount(&server)
        .await;
    // A short page is the last one.
    search_mock("acme", "Comments", 2)
        .respond_with(ok(&search("Comments", vec![], vec![])))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(path("/api/v3/community"))
        .and(query_param("id", "9"))
        .respond_with(ok(&json!({
            "community_view": {"community": community(9, "technology", "lemmy.world"),
                "subscribed": "NotSubscribed", "blocked": false, "banned_from_community": false,
                "counts": {"community_id": 9, "subscribers": 54321, "subscribers_local": 40000,
                    "posts": 100, "comments": 1000, "published": "2023-06-01T00:00:00Z",
                    "users_active_day": 1, "users_active_week": 2, "users_active_month": 3,
                    "users_active_half_year": 4}},
            "moderators": [], "discussion_languages": []
        })))
        .expect(2)
        .mount(&server)
        .await;
    // Community 12's lookup fails: its items go without an audience.
    Mock::given(path("/api/v3/community"))
        .and(query_param("id", "12"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path("/api/v3/site"))
        .respond_with(ok(&json!({
            "site_view": {}, "admins": [], "version": "0.19.5",
            "all_languages": [{"id": 0, "code": "und", "name": "Undetermined"},
                {"id": 37, "code": "en", "name": "English"}],
            "discussion_languages": [], "taglines": [], "custom_emojis": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    let p = poller_with(
        &db,
        &source("lemmy", &server.uri(), "query = \"acme\"\nmax_pages = 2"),
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "lemmy")), (102, 102, 0));

    let rows = mentions_of(&p, "lemmy").await;
    let by_url = |u: &str| {
        rows.iter()
            .find(|m| m.url.as_deref() == Some(u))
            .unwrap_or_else(|| panic!("{u} not stored"))
    };
    let post = by_url("https://lemmy.ml/post/1");
    assert_eq!(post.platform, "lemmy");
    assert_eq!(post.title.as_deref(), Some("Acme Cloud is down"));
    assert_eq!(
        post.text, "Anyone else?\n\n**Really** down.",
        "markdown kept as text"
    );
    assert_eq!(post.author.as_deref(), Some("mari@lemmy.ml"));
    assert_eq!(post.author_name.as_deref(), Some("mari (display)"));
    assert_eq!(
        (post.points, post.replies, post.likes),
        (Some(17), Some(4), Some(18))
    );
    assert_eq!(post.community.as_deref(), Some("!technology@lemmy.world"));
    assert_eq!(post.audience, Some(54321));
    let age = chrono::Utc::now() - post.published_at.unwrap();
    assert!(age.num_minutes() >= 1 && age.num_minutes() <= 3, "{age}");

    let c = by_url("https://feddit.org/comment/7");
    assert_eq!(c.title.as_deref(), Some("Which cloud?"));
    assert_eq!(c.text, "I use acme for this");
    assert_eq!(c.author.as_deref(), Some("jaan@feddit.org"));
    assert_eq!((c.points, c.replies, c.likes), (Some(3), Some(2), Some(3)));
    assert_eq!(c.community.as_deref(), Some("!selfhosted@lemmy.world"));
    assert_eq!(c.audience, None, "the failed lookup leaves it empty");
    let age = chrono::Utc::now() - c.published_at.unwrap();
    assert!(
        age.num_minutes() >= 2 && age.num_minutes() <= 4,
        "zone-less time is UTC: {age}"
    );

    let requests = server.received_requests().await.unwrap();
    for r in requests.iter().filter(|r| r.url.path() == "/api/v3/search") {
        let q = query_map(r);
        assert_eq!(q["q"], "acme");
        assert_eq!(q["sort"], "New");
        assert_eq!(q["listing_type"], "All");
        assert_eq!(q["limit"], "50");
    }
    let saved = cursor_of(&p, "lemmy").await.unwrap();
    assert!(
        saved.contains("posts:acme") && saved.contains("comments:acme"),
        "{saved}"
    );

    // Next cycle: nothing newer; community sizes are looked up again, the language table is not.
    let out = p.cycle(false, None).await.unwrap();
    let (_, new, _) = stored_counts(status_of(&out, "lemmy"));
    assert_eq!(new, 0);
    server.verify().await;
    db.cleanup().await;
}

async fn second_cycle_reads_only_new_items(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    search_mock("nordwind", "Posts", 1)
        .respond_with(ok(&search(
            "Posts",
            vec![
                post_view(2, "Nordwind two", None, 10),
                post_view(1, "Nordwind one", None, 20),
            ],
            vec![],
        )))
        .mount(&server)
        .await;
    search_mock("nordwind", "Comments", 1)
        .respond_with(ok(&search("Comments", vec![], vec![])))
        .mount(&server)
        .await;
    let p = poller_with(&db, &source("l", &server.uri(), "query = \"nordwind\"")).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "l")), (2, 2, 0));

    server.reset().await;
    search_mock("nordwind", "Posts", 1)
        .respond_with(ok(&search(
            "Posts",
            vec![
                post_view(3, "Nordwind three", None, 1),
                post_view(2, "Nordwind two", None, 10),
                post_view(1, "Nordwind one", None, 20),
            ],
            vec![],
        )))
        .mount(&server)
        .await;
    search_mock("nordwind", "Comments", 1)
        .respond_with(ok(&search("Comments", vec![], vec![])))
        .mount(&server)
        .await;
    let out = p.cycle(false, None).await.unwrap();
    let (fetched, new, duplicate) = stored_counts(status_of(&out, "l"));
    assert_eq!(new, 1, "only post 3 is new");
    assert!(
        fetched <= 2,
        "older than the cursor is not passed on: {fetched}"
    );
    assert_eq!(duplicate, fetched as u64 - 1);
    assert_eq!(mentions_of(&p, "l").await.len(), 3);
    let pages: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/v3/search")
        .map(|r| query_map(r)["page"].clone())
        .collect();
    assert_eq!(pages, ["1", "1"]);
    db.cleanup().await;
}

async fn backfill_is_bounded(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let day = 24 * 60;
    search_mock("old", "Posts", 1)
        .respond_with(ok(&search(
            "Posts",
            vec![
                post_view(1, "Acme today", None, 60),
                post_view(2, "Acme this week", None, 2 * day),
                post_view(3, "Acme long ago", None, 10 * day),
            ],
            vec![],
        )))
        .mount(&server)
        .await;
    search_mock("many", "Posts", 1)
        .respond_with(ok(&search(
            "Posts",
            (0..50)
                .map(|i| post_view(10 + i, "Acme", None, 5 + i))
                .collect(),
            vec![],
        )))
        .mount(&server)
        .await;
    for q in ["old", "many"] {
        search_mock(q, "Comments", 1)
            .respond_with(ok(&search("Comments", vec![], vec![])))
            .mount(&server)
            .await;
    }
    let p = poller_with(
        &db,
        &format!(
            "{}{}",
            source("old", &server.uri(), "query = \"old\"\nbackfill_days = 7"),
            source(
                "many",
                &server.uri(),
                "query = \"many\"\nbackfill_items = 3"
            ),
        ),
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "old")), (2, 2, 0));
    assert_eq!(stored_counts(status_of(&out, "many")).0, 3);
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .filter(|r| r.url.path() == "/api/v3/search")
            .all(|r| query_map(r)["page"] == "1"),
        "neither pages on"
    );
    db.cleanup().await;
}

async fn bad_responses_fail_cleanly(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let json_body = |status: u16, body: &str| {
        ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json")
    };
    let html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>\
                <body><center>nginx</center></body></html>";
    let cases: Vec<(&str, ResponseTemplate, &str, SourceState)> = vec![
        (
            "trunc",
            json_body(
                200,
                r#"{"type_":"Posts","comments":[],"posts":[{"post":{"id":1,"na"#,
            ),
            "truncated JSON",
            SourceState::Failing,
        ),
        (
            "malformed",
            json_body(200, r#"{"type_":"Posts","posts":[},"comments":[]}"#),
            "malformed JSON",
            SourceState::Failing,
        ),
        (
            "missing",
            json_body(200, r#"{"type_":"Posts","communities":[],"users":[]}"#),
            "not a search response",
            SourceState::Failing,
        ),
        (
            "wrongtype",
            json_body(200, r#"{"type_":"Posts","posts":{"post":1},"comments":[]}"#),
            "posts",
            SourceState::Failing,
        ),
        (
            "html200",
            ResponseTemplate::new(200).set_body_raw(html, "text/html"),
            "HTML",
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
            ResponseTemplate::new(200)
                .set_body_raw(search("Posts", vec![], vec![]).to_string(), "image/png"),
            "image/png",
            SourceState::Failing,
        ),
        (
            "private",
            json_body(400, r#"{"error":"instance_is_private"}"#),
            "instance_is_private",
            SourceState::Misconfigured,
        ),
        (
            "unauth",
            json_body(401, r#"{"error":"not_logged_in"}"#),
            "HTTP 401",
            SourceState::Misconfigured,
        ),
        (
            "forbidden",
            ResponseTemplate::new(403).set_body_raw("Forbidden", "text/plain"),
            "HTTP 403",
            SourceState::Misconfigured,
        ),
        (
            "notlemmy",
            ResponseTemplate::new(404),
            "404",
            SourceState::Misconfigured,
        ),
    ];
    let mut toml = String::new();
    for (q, ..) in &cases {
        toml.push_str(&source(q, &server.uri(), &format!("query = \"{q}\"")));
    }
    // Posts answer, then comments fail: nothing of the poll may be kept.
    toml.push_str(&source("halfway", &server.uri(), "query = \"halfway\""));
    toml.push_str(&source("weird", &server.uri(), "query = \"weird\""));

    // First cycle: every source answers well and gets a cursor. Community lookups get 404s
    // (no mock), which must not fail anything.
    Mock::given(path("/api/v3/search"))
        .and(query_param("type_", "Posts"))
        .respond_with(ok(&search(
            "Posts",
            vec![post_view(1, "Acme good", None, 30)],
            vec![],
        )))
        .mount(&server)
        .await;
    Mock::given(path("/api/v3/search"))
        .and(query_param("type_", "Comments"))
        .respond_with(ok(&search("Comments", vec![], vec![])))
        .mount(&server)
        .await;
    let p = poller_with(&db, &toml).await;
    let out = p.cycle(false, None).await.unwrap();
    let mut before = HashMap::new();
    for (q, ..) in cases
        .iter()
        .map(|c| (c.0, ()))
        .chain([("halfway", ()), ("weird", ())])
    {
        assert_eq!(stored_counts(status_of(&out, q)), (1, 1, 0), "{q}");
        before.insert(q.to_owned(), cursor_of(&p, q).await);
    }
    let stored_before = p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap()
        .len();

    server.reset().await;
    for (q, response, ..) in &cases {
        search_mock(q, "Posts", 1)
            .respond_with(response.clone())
            .mount(&server)
            .await;
    }
    search_mock("halfway", "Posts", 1)
        .respond_with(ok(&search(
            "Posts",
            vec![post_view(2, "Acme new", None, 1)],
            vec![],
        )))
        .mount(&server)
        .await;
    search_mock("halfway", "Comments", 1)
        .respond_with(json_body(500, r#"{"error":"unknown"}"#))
        .mount(&server)
        .await;
    let mut weird = post_view(3, "Acme weird numbers", None, 1);
    weird["counts"]["score"] = json!(-12);
    weird["counts"]["comments"] = json!("9");
    weird["counts"]["upvotes"] = json!(1e300);
    weird["community"]["id"] = json!(-4);
    weird["post"]["language_id"] = json!("99999999999999999999");
    search_mock("weird", "Posts", 1)
        .respond_with(ok(&search("Posts", vec![weird], vec![])))
        .mount(&server)
        .await;
    search_mock("weird", "Comments", 1)
        .respond_with(ok(&search("Comments", vec![], vec![])))
        .mount(&server)
        .await;

    let out = p.cycle(false, None).await.unwrap();
    for (q, _, needle, state) in &cases {
        let status = status_of(&out, q);
        let error = failure(status);
        assert!(error.contains(needle), "{q}: {error}");
        if !needle.starts_with("HTTP 5") {
            assert!(
                error.contains("lemmy"),
                "{q}: the error names the connector: {error}"
            );
        }
        match status {
            PollStatus::Failed { state: s, .. } => assert_eq!(s, state, "{q}: {error}"),
            other => panic!("{q}: {other:?}"),
        }
        assert_eq!(
            &cursor_of(&p, q).await,
            &before[*q],
            "{q}: cursor unchanged"
        );
    }
    let error = failure(status_of(&out, "halfway"));
    assert!(error.contains("HTTP 500"), "{error}");
    assert_eq!(cursor_of(&p, "halfway").await, before["halfway"]);

    assert_eq!(stored_counts(status_of(&out, "weird")).1, 1);
    let rows = mentions_of(&p, "weird").await;
    let w = rows
        .iter()
        .find(|m| m.title.as_deref() == Some("Acme weird numbers"))
        .unwrap();
    assert_eq!((w.points, w.replies, w.likes), (Some(0), Some(9), None));
    assert_eq!(w.audience, None);

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

backend_tests!(
    search_maps_pages_and_looks_up_communities,
    second_cycle_reads_only_new_items,
    backfill_is_bounded,
    bad_responses_fail_cleanly,
);

#[test]
fn parse_search_reads_both_kinds_and_refuses_other_bodies() {
    let body = search(
        "All",
        vec![post_view(1, "Acme", Some("body"), 5)],
        vec![comment_view(2, "acme too", 6)],
    )
    .to_string();
    let items = parse_search(body.as_bytes()).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].external_id.as_str(), "https://lemmy.ml/post/1");
    assert_eq!(
        items[1].external_id.as_str(),
        "https://feddit.org/comment/2"
    );
    assert!(
        items
            .iter()
            .all(|i| i.engagement.audience.is_none() && i.lang_hint.is_none())
    );

    // An item without ap_id, or deleted, is skipped; the rest stands.
    let mut no_id = post_view(3, "Acme", None, 1);
    no_id["post"].as_object_mut().unwrap().remove("ap_id");
    let mut deleted = post_view(4, "Acme", None, 1);
    deleted["post"]["deleted"] = json!(true);
    let body = search(
        "Posts",
        vec![no_id, deleted, post_view(5, "Acme", None, 1)],
        vec![],
    );
    let items = parse_search(body.to_string().as_bytes()).unwrap();
    assert_eq!(items.len(), 1);

    let err = |b: &str| parse_search(b.as_bytes()).unwrap_err().to_string();
    assert!(err(r#"{"error":"couldnt_find_object"}"#).contains("not a search response"));
    assert!(err(r#"[]"#).contains("lemmy search"));
    assert!(err(r#"{"posts":[{"post":{"name":7}}],"comments":[]}"#).contains("posts[0].post.name"));
    assert!(err("").contains("empty"));
}
