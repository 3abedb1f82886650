//! YouTube connector: commentThreads.list against a local stand-in of the Data API v3 (JSON
//! written in the documented shapes), through the poll cycle into SQLite and PostgreSQL.

mod common;

use chrono::{Duration, SecondsFormat, Utc};
use common::{Backend, TestDb, failure, param, poller_with, status_of, stored_counts};
use fanwatch::pipeline::PollStatus;
use fanwatch::sources::youtube::parse_comment_threads;
use fanwatch::storage::{MentionFilter, SourceState};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const THREADS: &str = "/youtube/v3/commentThreads";

fn ago(minutes: i64) -> String {
    (Utc::now() - Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A commentThread resource with `part=snippet`, as the API documents it.
fn thread(id: &str, video: &str, author: &str, text: &str, minutes_ago: i64) -> Value {
    let comment_snippet = json!({
        "channelId": "UCowner000000000000000000",
        "videoId": video,
        "textDisplay": text,
        "textOriginal": text,
        "authorDisplayName": format!("@{author}"),
        "authorProfileImageUrl": "https://yt3.ggpht.com/ytc/abc=s48-c-k-c0x00ffffff-no-rj",
        "authorChannelUrl": format!("http://www.youtube.com/@{author}"),
        "authorChannelId": { "value": format!("UC{author}0000000000000000") },
        "canRate": true,
        "viewerRating": "none",
        "likeCount": 3,
        "publishedAt": ago(minutes_ago),
        "updatedAt": ago(minutes_ago)
    });
    json!({
        "kind": "youtube#commentThread",
        "etag": format!("etag-{id}"),
        "id": id,
        "snippet": {
            "channelId": "UCowner000000000000000000",
            "videoId": video,
            "topLevelComment": {
                "kind": "youtube#comment",
                "etag": format!("etag-c-{id}"),
                "id": id,
                "snippet": comment_snippet
            },
            "canReply": true,
            "totalReplyCount": 2,
            "isPublic": true
        }
    })
}

fn page(items: Vec<Value>, next: Option<&str>) -> ResponseTemplate {
    let mut body = json!({
        "kind": "youtube#commentThreadListResponse",
        "etag": "list-etag",
        "pageInfo": { "totalResults": items.len(), "resultsPerPage": 100 },
        "items": items
    });
    if let Some(t) = next {
        body["nextPageToken"] = json!(t);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

/// A Google API error, pretty-printed as Google sends it.
fn google_error(code: u16, reason: &str, message: &str, domain: &str) -> ResponseTemplate {
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "errors": [{ "message": message, "domain": domain, "reason": reason }]
        }
    });
    ResponseTemplate::new(code).set_body_raw(
        serde_json::to_string_pretty(&body).unwrap(),
        "application/json; charset=UTF-8",
    )
}

fn source(name: &str, base: &str, env: &str, extra: &str) -> String {
    format!(
        "[[sources]]\nname = \"{name}\"\nkind = \"youtube\"\nbase_url = \"{base}\"\n\
         credentials_env = \"{env}\"\n{extra}\n"
    )
}

fn set_key(env: &str, key: &str) {
    unsafe { std::env::set_var(format!("{env}_API_KEY"), key) };
}

async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap()
}

async fn fields_paging_and_key(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    set_key("FW_YT_FIELDS", "yt-key-fields");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(THREADS))
        .and(query_param("videoId", "vidA"))
        .and(query_param("pageToken", "tok2"))
        .respond_with(page(
            vec![thread("Ugc2", "vidA", "bob", "acme page two", 30)],
            Some("tok3"),
        ))
        .mount(&server)
        .await;
    let mut html_only = thread("Ugc1b", "vidA", "carl", "", 12);
    let s = &mut html_only["snippet"]["topLevelComment"]["snippet"];
    s.as_object_mut().unwrap().remove("textOriginal");
    s["textDisplay"] = json!("Acme &amp; <b>friends</b>");
    let mut no_id = thread("x", "vidA", "dan", "Acme without id", 13);
    no_id.as_object_mut().unwrap().remove("id");
    no_id["snippet"]["topLevelComment"]
        .as_object_mut()
        .unwrap()
        .remove("id");
    Mock::given(method("GET"))
        .and(path(THREADS))
        .and(query_param("videoId", "vidA"))
        .respond_with(page(
            vec![
                thread("Ugc1", "vidA", "mari", "I love Acme!", 10),
                html_only,
                no_id,
                thread("Ugc0", "vidA", "eve", "weather only", 20),
            ],
            Some("tok2"),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(THREADS))
        .and(query_param("allThreadsRelatedToChannelId", "UCchan"))
        .respond_with(page(
            vec![
                thread("Ugc9", "vidB", "fay", "Nordwind on another video", 5),
                thread("Ugc1", "vidA", "mari", "I love Acme!", 10),
            ],
            None,
        ))
        .mount(&server)
        .await;
    let p = poller_with(
        &db,
        &source(
            "yt",
            &server.uri(),
            "FW_YT_FIELDS",
            "videos = [\"vidA\"]\nchannels = [\"UCchan\"]\nmax_pages = 2",
        ),
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(
        stored_counts(status_of(&out, "yt")),
        (5, 4, 0),
        "the channel's copy of Ugc1 is dropped"
    );

    let reqs = requests(&server).await;
    assert_eq!(
        reqs.len(),
        3,
        "max_pages = 2 for the video, 1 for the channel"
    );
    for r in &reqs {
        assert_eq!(param(r, "key").as_deref(), Some("yt-key-fields"));
        assert_eq!(param(r, "part").as_deref(), Some("snippet"));
        assert_eq!(param(r, "order").as_deref(), Some("time"));
        assert_eq!(param(r, "maxResults").as_deref(), Some("100"));
        assert_eq!(param(r, "textFormat").as_deref(), Some("plainText"));
    }
    assert_eq!(param(&reqs[0], "videoId").as_deref(), Some("vidA"));
    assert_eq!(param(&reqs[0], "pageToken"), None);
    assert_eq!(param(&reqs[1], "pageToken").as_deref(), Some("tok2"));
    assert_eq!(
        param(&reqs[2], "allThreadsRelatedToChannelId").as_deref(),
        Some("UCchan")
    );

    let all = p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap();
    let m = all.iter().find(|m| m.text == "I love Acme!").unwrap();
    assert_eq!(m.platform, "youtube");
    assert_eq!(
        m.url.as_deref(),
        Some("https://www.youtube.com/watch?v=vidA&lc=Ugc1")
    );
    assert_eq!(m.author.as_deref(), Some("mari"));
    assert_eq!(m.author_name.as_deref(), Some("@mari"));
    assert_eq!((m.likes, m.replies, m.reposts), (Some(3), Some(2), None));
    assert_eq!(m.community.as_deref(), Some("vidA"));
    assert_eq!(m.title, None);
    let published = m.published_at.unwrap();
    assert!(
        (Utc::now() - published - Duration::minutes(10))
            .num_seconds()
            .abs()
            < 60
    );
    assert!(
        all.iter().any(|m| m.text == "Acme & friends"),
        "textDisplay is the fallback, HTML removed"
    );
    let other = all.iter().find(|m| m.text.starts_with("Nordwind")).unwrap();
    assert_eq!(other.community.as_deref(), Some("vidB"));
    db.cleanup().await;
}

async fn cursor_dedup_and_backfill(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    set_key("FW_YT_CURSOR", "yt-key-cursor");
    let server = MockServer::start().await;
    let newest = thread("Ugn2", "vidC", "mari", "Acme two", 5);
    Mock::given(method("GET"))
        .and(path(THREADS))
        .respond_with(page(
            vec![
                newest.clone(),
                thread("Ugn1", "vidC", "mari", "Acme one", 60),
                thread("Ugold", "vidC", "mari", "Acme long ago", 60 * 24 * 9),
            ],
            Some("more"),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(THREADS))
        .respond_with(page(
            vec![
                thread("Ugn3", "vidC", "bob", "Acme three", 1),
                newest,
                thread("Ugn1", "vidC", "mari", "Acme one", 60),
            ],
            Some("more"),
        ))
        .mount(&server)
        .await;
    let p = poller_with(
        &db,
        &source("yt", &server.uri(), "FW_YT_CURSOR", "videos = [\"vidC\"]"),
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(
        stored_counts(status_of(&out, "yt")),
        (2, 2, 0),
        "the 9-day-old comment is beyond backfill_days and ends the paging"
    );
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(
        stored_counts(status_of(&out, "yt")),
        (2, 1, 1),
        "only the new comment is new; the one at the cursor is stored once"
    );
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2, "reaching the cursor ends the paging");
    assert!(reqs.iter().all(|r| param(r, "pageToken").is_none()));

    let capped = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(THREADS))
        .respond_with(page(
            (0..5)
                .map(|i| thread(&format!("Ugk{i}"), "vidD", "mari", "Acme again", i + 1))
                .collect(),
            Some("more"),
        ))
        .mount(&capped)
        .await;
    let p = poller_with(
        &db,
        &source(
            "capped",
            &capped.uri(),
            "FW_YT_CURSOR",
            "videos = [\"vidD\"]\nbackfill_items = 2",
        ),
    )
    .await;
    let out = p.cycle(false, Some("capped")).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "capped")), (2, 2, 0));
    assert_eq!(requests(&capped).await.len(), 1);
    db.cleanup().await;
}

enum Expect {
    Failed(&'static str),
    Misconfigured(&'static str),
    Deferred,
}

/// Every bad answer fails (or defers) the poll with a message naming what was wrong, stores
/// nothing and keeps the cursor of the last good poll; the key never shows.
async fn bad_responses_fail_cleanly(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    set_key("FW_YT_BAD", "yt-key-SECRET");
    let server = MockServer::start().await;
    let html = "<html><head><title>Bad Gateway</title></head><body>oops</body></html>";
    let quota = "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.";
    let cases: Vec<(&str, ResponseTemplate, Expect)> = vec![
        (
            "truncated",
            ResponseTemplate::new(200).set_body_raw(
                r#"{"kind":"youtube#commentThreadListResponse","items":[{"id":"Ug"#,
                "application/json; charset=UTF-8",
            ),
            Expect::Failed("truncated JSON"),
        ),
        (
            "malformed",
            ResponseTemplate::new(200).set_body_raw(r#"{"items": [}"#, "application/json"),
            Expect::Failed("malformed JSON"),
        ),
        (
            "noitems",
            ResponseTemplate::new(200)
                .set_body_json(json!({"kind": "youtube#commentThreadListResponse"})),
            Expect::Failed("missing field `items`"),
        ),
        (
            "wrongshape",
            ResponseTemplate::new(200).set_body_json(json!({"items": "none"})),
            Expect::Failed("`items`"),
        ),
        (
            "html",
            ResponseTemplate::new(200).set_body_raw(html, "text/html"),
            Expect::Failed("HTML"),
        ),
        (
            "gateway",
            ResponseTemplate::new(502).set_body_raw(html, "text/html"),
            Expect::Failed("HTTP 502"),
        ),
        (
            "png",
            ResponseTemplate::new(200).set_body_raw(r#"{"items":[]}"#, "image/png"),
            Expect::Failed("image/png"),
        ),
        (
            "badtoken",
            google_error(
                400,
                "invalidPageToken",
                "The request specifies an invalid page token.",
                "youtube.parameter",
            ),
            Expect::Failed("invalidPageToken: The request specifies an invalid page token."),
        ),
        (
            "unauth",
            google_error(401, "required", "Login Required.", "global"),
            Expect::Misconfigured("HTTP 401"),
        ),
        (
            "forbidden",
            google_error(
                403,
                "forbidden",
                "Access forbidden.",
                "youtube.commentThread",
            ),
            Expect::Misconfigured("forbidden: Access forbidden."),
        ),
        (
            "badkey",
            google_error(
                400,
                "badRequest",
                "API key not valid. Please pass a valid API key.",
                "global",
            ),
            Expect::Misconfigured("FW_YT_BAD_API_KEY"),
        ),
        (
            "novideo",
            google_error(
                404,
                "videoNotFound",
                "The video identified by the <code><a href=\"/youtube/v3/docs/commentThreads/list#videoId\">videoId</a></code> parameter could not be found.",
                "youtube.commentThread",
            ),
            Expect::Misconfigured("video \"vnovideo\" not found"),
        ),
        (
            "quota",
            google_error(403, "quotaExceeded", quota, "youtube.quota"),
            Expect::Deferred,
        ),
    ];
    let mut toml = String::new();
    for (case, bad, _) in &cases {
        let p = format!("/{case}{THREADS}");
        Mock::given(method("GET"))
            .and(path(p.as_str()))
            .respond_with(page(
                vec![thread(
                    &format!("Ug{case}"),
                    "v",
                    "mari",
                    "Acme is fine",
                    30,
                )],
                None,
            ))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(p.as_str()))
            .respond_with(bad.clone())
            .mount(&server)
            .await;
        toml.push_str(&source(
            case,
            &format!("{}/{case}/", server.uri()),
            "FW_YT_BAD",
            &format!("videos = [\"v{case}\"]"),
        ));
    }
    let p = poller_with(&db, &toml).await;
    let out = p.cycle(false, None).await.unwrap();
    let store = &p.pipeline.store;
    let mut cursors = Vec::new();
    for (case, _, _) in &cases {
        assert_eq!(stored_counts(status_of(&out, case)), (1, 1, 0), "{case}");
        let cursor = store.source_status(case).await.unwrap().unwrap().cursor;
        assert!(cursor.is_some(), "{case}");
        cursors.push(cursor);
    }
    let out = p.cycle(false, None).await.unwrap();
    for ((case, _, expect), cursor) in cases.iter().zip(cursors) {
        let status = status_of(&out, case);
        match expect {
            Expect::Failed(text) => {
                let error = failure(status);
                assert!(error.contains(text), "{case}: {error}");
            }
            Expect::Misconfigured(text) => {
                let error = failure(status);
                assert!(error.contains(text), "{case}: {error}");
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
            Expect::Deferred => match status {
                PollStatus::Deferred { reason } => {
                    assert!(reason.contains("rate limiting"), "{case}: {reason}")
                }
                other => panic!("{case}: expected a deferred poll, got {other:?}"),
            },
        }
        assert!(
            !format!("{status:?}").contains("SECRET"),
            "{case}: the key shows in {status:?}"
        );
        let after = store.source_status(case).await.unwrap().unwrap();
        assert_eq!(after.cursor, cursor, "{case}: the cursor stays");
        assert_eq!(after.mentions_stored, 1, "{case}: nothing more stored");
        assert!(
            after
                .last_error
                .as_deref()
                .is_none_or(|e| !e.contains("SECRET")),
            "{case}"
        );
    }
    db.cleanup().await;
}

/// Comments turned off on one video skip that video only; no key means no requests at all;
/// a network error does not reveal the key.
async fn disabled_comments_missing_key_and_network(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    set_key("FW_YT_MIXED", "yt-key-HIDDEN");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(THREADS))
        .and(query_param("videoId", "vOff"))
        .respond_with(google_error(
            403,
            "commentsDisabled",
            "The video identified by the <code><a href=\"/youtube/v3/docs/commentThreads/list#videoId\">videoId</a></code> parameter has disabled comments.",
            "youtube.commentThread",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(THREADS))
        .and(query_param("videoId", "vOn"))
        .respond_with(page(
            vec![thread("Ugon", "vOn", "mari", "Acme works", 3)],
            None,
        ))
        .mount(&server)
        .await;
    let toml = format!(
        "{}{}{}",
        source(
            "mixed",
            &server.uri(),
            "FW_YT_MIXED",
            "videos = [\"vOff\", \"vOn\"]"
        ),
        source(
            "nokey",
            &server.uri(),
            "FW_YT_NOKEY_UNSET",
            "videos = [\"vOn\"]"
        ),
        source(
            "offline",
            "http://127.0.0.1:1/",
            "FW_YT_MIXED",
            "videos = [\"vOn\"]"
        ),
    );
    let p = poller_with(&db, &toml).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "mixed")), (1, 1, 0));
    let cursor = p
        .pipeline
        .store
        .source_status("mixed")
        .await
        .unwrap()
        .unwrap()
        .cursor
        .unwrap();
    assert!(
        cursor.contains("video:vOn") && !cursor.contains("vOff"),
        "{cursor}"
    );

    let nokey = status_of(&out, "nokey");
    assert!(
        failure(nokey).contains("FW_YT_NOKEY_UNSET_API_KEY"),
        "{nokey:?}"
    );
    assert!(matches!(
        nokey,
        PollStatus::Failed {
            state: SourceState::Misconfigured,
            ..
        }
    ));
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2, "the source without a key asks nothing");

    let offline = failure(status_of(&out, "offline"));
    assert!(!offline.contains("HIDDEN"), "{offline}");
    db.cleanup().await;
}

async fn absurd_numbers_are_tamed(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    set_key("FW_YT_NUM", "yt-key-num");
    let server = MockServer::start().await;
    let mut a = thread("Uga", "vN", "mari", "Acme numbers", 5);
    a["snippet"]["topLevelComment"]["snippet"]["likeCount"] = json!(-4);
    a["snippet"]["totalReplyCount"] = json!("12");
    let mut b = thread("Ugb", "vN", "mari", "Acme huge", 6);
    b["snippet"]["topLevelComment"]["snippet"]["likeCount"] = json!(1e300);
    Mock::given(method("GET"))
        .and(path(THREADS))
        .respond_with(page(vec![a, b], None))
        .mount(&server)
        .await;
    let p = poller_with(
        &db,
        &source("yt", &server.uri(), "FW_YT_NUM", "videos = [\"vN\"]"),
    )
    .await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "yt")), (2, 2, 0));
    let all = p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap();
    let a = all.iter().find(|m| m.text == "Acme numbers").unwrap();
    assert_eq!((a.likes, a.replies), (Some(0), Some(12)));
    let b = all.iter().find(|m| m.text == "Acme huge").unwrap();
    assert_eq!(b.likes, None);
    db.cleanup().await;
}

backend_tests!(
    fields_paging_and_key,
    cursor_dedup_and_backfill,
    bad_responses_fail_cleanly,
    disabled_comments_missing_key_and_network,
    absurd_numbers_are_tamed,
);

#[test]
fn parses_documented_thread_lists() {
    let mut legacy = thread("UgyLegacy", "dQw4w9WgXcQ", "x", "Vana kommentaar", 50);
    let s = &mut legacy["snippet"]["topLevelComment"]["snippet"];
    s["authorDisplayName"] = json!("Mari Tamm");
    s.as_object_mut().unwrap().remove("authorChannelUrl");
    let body = json!({
        "kind": "youtube#commentThreadListResponse",
        "etag": "e",
        "nextPageToken": "QURTSl9p",
        "pageInfo": { "totalResults": 3, "resultsPerPage": 100 },
        "items": [
            thread("UgzDE2tasfmrYLyNkGt4AaABAg", "dQw4w9WgXcQ", "mari", "Äge video, Acme!", 1),
            { "kind": "youtube#commentThread", "id": "UgNoSnippet" },
            legacy
        ]
    });
    let items = parse_comment_threads(body.to_string().as_bytes()).unwrap();
    assert_eq!(items.len(), 2);
    let a = &items[0];
    assert_eq!(a.external_id.as_str(), "UgzDE2tasfmrYLyNkGt4AaABAg");
    assert_eq!(
        a.url.as_deref(),
        Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzDE2tasfmrYLyNkGt4AaABAg")
    );
    assert_eq!(a.text, "Äge video, Acme!");
    let author = a.author.as_ref().unwrap();
    assert_eq!(author.handle.as_str(), "mari");
    assert_eq!(
        author.profile_url.as_deref(),
        Some("http://www.youtube.com/@mari")
    );
    assert_eq!(a.community.as_deref(), Some("dQw4w9WgXcQ"));
    assert_eq!(a.engagement.likes.map(|c| c.get()), Some(3));
    assert_eq!(a.engagement.replies.map(|c| c.get()), Some(2));
    assert!(a.published_at.is_some());
    let b = &items[1];
    let author = b.author.as_ref().unwrap();
    assert_eq!(author.handle.as_str(), "Mari Tamm");
    assert_eq!(
        author.profile_url.as_deref(),
        Some("https://www.youtube.com/channel/UCx0000000000000000")
    );

    assert!(
        parse_comment_threads(br#"{"kind":"youtube#commentThreadListResponse","items":[]}"#)
            .unwrap()
            .is_empty()
    );
    for bad in [
        &b""[..],
        b"<html></html>",
        b"{\"items\":",
        b"[]",
        b"{\"error\":{\"code\":403}}",
    ] {
        let e = parse_comment_threads(bad).unwrap_err().to_string();
        assert!(e.contains("youtube commentThreads"), "{e}");
    }
}
