//! Hacker News (Algolia HN Search) connector: a local server in the API's shape → poll
//! cycles → database, on SQLite and PostgreSQL; the parser over recorded real responses.

mod common;

use chrono::{Duration, Utc};
use common::{Backend, TestDb, param, poller_with, status_of, stored_counts};
use fanwatch::sources::hackernews::parse_search;
use fanwatch::storage::{MentionFilter, SourceState};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SEARCH: &str = "/api/v1/search_by_date";

/// A story hit as `search_by_date` returns it, `minutes_ago` old.
fn story(id: u64, minutes_ago: i64, title: &str) -> Value {
    let at = Utc::now() - Duration::minutes(minutes_ago);
    json!({
        "created_at": at.format("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
        "title": title,
        "url": format!("https://example.com/{id}"),
        "author": "mari",
        "points": 10,
        "story_text": null,
        "comment_text": null,
        "num_comments": 2,
        "story_id": null,
        "story_title": null,
        "story_url": null,
        "parent_id": null,
        "created_at_i": at.timestamp(),
        "_tags": ["story", "author_mari", format!("story_{id}")],
        "objectID": id.to_string(),
        "_highlightResult": {"title": {"value": title, "matchLevel": "none", "matchedWords": []}}
    })
}

/// A comment hit, `minutes_ago` old.
fn comment(id: u64, minutes_ago: i64, html: &str) -> Value {
    let at = Utc::now() - Duration::minutes(minutes_ago);
    json!({
        "created_at": at.format("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
        "title": null,
        "url": null,
        "author": "jaan",
        "points": null,
        "story_text": null,
        "comment_text": html,
        "num_comments": null,
        "story_id": 1,
        "story_title": "Tools we like",
        "story_url": "https://example.com/tools",
        "parent_id": 1,
        "created_at_i": at.timestamp(),
        "_tags": ["comment", "author_jaan", "story_1"],
        "objectID": id.to_string(),
        "updated_at": at.to_rfc3339(),
        "children": []
    })
}

fn page(hits: Vec<Value>, page: u32, nb_pages: u32) -> ResponseTemplate {
    let n = hits.len();
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_json(json!({
            "exhaustive": {"nbHits": true, "typo": true},
            "exhaustiveNbHits": true,
            "hits": hits,
            "hitsPerPage": 100,
            "nbHits": n,
            "nbPages": nb_pages,
            "page": page,
            "params": "query=acme&tags=%28story%2Ccomment%29&hitsPerPage=100",
            "processingTimeMS": 1,
            "query": "acme",
            "serverTimeMS": 2
        }))
}

fn source(name: &str, base: &str, extra: &str) -> String {
    format!(
        "[[sources]]\nname = \"{name}\"\nkind = \"hackernews\"\nbase_url = \"{base}\"\nquery = \"acme\"\n{extra}\n"
    )
}

async fn fields_and_paging(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    let mut absurd = story(104, 40, "Acme numbers");
    absurd["points"] = json!(-5);
    absurd["num_comments"] = json!("7");
    let mut huge = story(105, 41, "Acme huge");
    huge["points"] = json!(1e300);
    huge["num_comments"] = json!(99999999999999999999u128 as f64);
    huge["created_at_i"] = json!("soon");
    let mut no_id = story(106, 42, "Acme without id");
    no_id.as_object_mut().unwrap().remove("objectID");
    let mut numeric_id = story(107, 43, "Acme numeric id");
    numeric_id["objectID"] = json!(107);
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .and(query_param("page", "0"))
        .respond_with(page(
            vec![
                story(101, 5, "Acme Cloud launches"),
                comment(102, 10, "I <i>like</i> Acme&#x27;s API.<p>Really."),
                story(103, 20, "Unrelated weather"),
            ],
            0,
            3,
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .and(query_param("page", "1"))
        .respond_with(page(vec![absurd, huge, no_id, numeric_id], 1, 3))
        .mount(&server)
        .await;
    let p = poller_with(&db, &source("hn", &server.uri(), "max_pages = 2")).await;
    let out = p.cycle(false, None).await.unwrap();
    let (fetched, new, dup) = stored_counts(status_of(&out, "hn"));
    assert_eq!((fetched, new, dup), (6, 5, 0), "{out:?}");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "max_pages = 2 of nbPages = 3");
    let first = &requests[0];
    assert_eq!(param(first, "query").as_deref(), Some("acme"));
    assert_eq!(param(first, "tags").as_deref(), Some("(story,comment)"));
    assert_eq!(param(first, "hitsPerPage").as_deref(), Some("100"));
    let filter = param(first, "numericFilters").unwrap();
    let since: i64 = filter
        .strip_prefix("created_at_i>=")
        .unwrap()
        .parse()
        .unwrap();
    let expected = (Utc::now() - Duration::days(7)).timestamp();
    assert!((since - expected).abs() < 60, "{filter}");
    assert_eq!(param(&requests[1], "page").as_deref(), Some("1"));

    let store = &p.pipeline.store;
    let all = store.mentions(&MentionFilter::default()).await.unwrap();
    let by_url = |id: &str| {
        all.iter()
            .find(|m| {
                m.url.as_deref()
                    == Some(format!("https://news.ycombinator.com/item?id={id}").as_str())
            })
            .unwrap_or_else(|| panic!("no mention {id}: {all:?}"))
    };
    let s = by_url("101");
    assert_eq!(s.platform, "hackernews");
    assert_eq!(s.title.as_deref(), Some("Acme Cloud launches"));
    assert_eq!(
        s.text, "https://example.com/101",
        "a link story's text is its link"
    );
    assert_eq!(s.author.as_deref(), Some("mari"));
    assert_eq!(s.followers, None, "HN hits carry no follower counts");
    assert_eq!((s.points, s.replies), (Some(10), Some(2)));
    let age = Utc::now() - s.published_at.unwrap();
    assert!(
        age > Duration::minutes(4) && age < Duration::minutes(6),
        "{age}"
    );
    assert_eq!(s.community, None);
    let c = by_url("102");
    assert_eq!(
        c.title.as_deref(),
        Some("Tools we like"),
        "comments take the story title"
    );
    assert_eq!(c.text, "I like Acme's API.\nReally.");
    assert_eq!(c.author.as_deref(), Some("jaan"));
    assert_eq!((c.points, c.replies), (None, None));
    let a = by_url("104");
    assert_eq!((a.points, a.replies), (Some(0), Some(7)));
    let h = by_url("105");
    assert_eq!(
        (h.points, h.replies),
        (None, None),
        "absurd numbers read as unknown"
    );
    assert!(
        h.published_at.is_some(),
        "created_at stands in for a bad created_at_i"
    );
    by_url("107");
    db.cleanup().await;
}

async fn cursor_dedup_and_limits(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/days{SEARCH}")))
        .respond_with(page(
            vec![
                story(201, 30, "Acme one"),
                story(202, 60, "Acme two"),
                story(203, 60 * 24 * 3, "Acme too old"),
                story(204, 60 * 24 * 3 + 1, "Acme older still"),
            ],
            0,
            1,
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/items{SEARCH}")))
        .respond_with(page(
            (0..5)
                .map(|i| story(300 + i, 10 + i as i64, "Acme many"))
                .collect(),
            0,
            1,
        ))
        .mount(&server)
        .await;
    let uri = server.uri();
    let toml = format!(
        "{}{}",
        source("days", &format!("{uri}/days"), "backfill_days = 2"),
        source("items", &format!("{uri}/items"), "backfill_items = 2"),
    );
    let p = poller_with(&db, &toml).await;
    let out = p.cycle(false, None).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "days")), (2, 2, 0), "{out:?}");
    assert_eq!(
        stored_counts(status_of(&out, "items")),
        (2, 2, 0),
        "{out:?}"
    );
    let first: Vec<Request> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().starts_with("/days/"))
        .collect();
    let since: i64 = param(&first[0], "numericFilters")
        .unwrap()
        .trim_start_matches("created_at_i>=")
        .parse()
        .unwrap();
    assert!((since - (Utc::now() - Duration::days(2)).timestamp()).abs() < 60);

    // Next cycle: Algolia is asked only for hits since the newest one seen; the hit at the
    // cursor comes again and is stored once.
    let newest = story(201, 30, "Acme one")["created_at_i"].as_i64().unwrap();
    Mock::given(method("GET"))
        .and(path(format!("/days{SEARCH}")))
        .respond_with(page(
            vec![story(205, 1, "Acme fresh"), story(201, 30, "Acme one")],
            0,
            1,
        ))
        .mount(&server)
        .await;
    let out = p.cycle(false, Some("days")).await.unwrap();
    assert_eq!(stored_counts(status_of(&out, "days")), (2, 1, 1));
    let requests: Vec<Request> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().starts_with("/days/"))
        .collect();
    assert_eq!(requests.len(), 2);
    let filter = param(&requests[1], "numericFilters").unwrap();
    let since: i64 = filter.trim_start_matches("created_at_i>=").parse().unwrap();
    assert!((since - newest).abs() <= 1, "{filter} vs {newest}");
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
    let json_ct = "application/json; charset=utf-8";
    let html =
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    // (source name, response, words the error must contain, expected state)
    let cases: Vec<(&str, ResponseTemplate, &[&str], SourceState)> = vec![
        (
            "truncated",
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"hits":[{"objectID":"1","title":"Acme"#, json_ct),
            &["truncated"],
            SourceState::Failing,
        ),
        (
            "malformed",
            ResponseTemplate::new(200).set_body_raw(r#"{"hits":[},"nbPages":1}"#, json_ct),
            &["malformed"],
            SourceState::Failing,
        ),
        (
            "nohits",
            ResponseTemplate::new(200).set_body_raw(r#"{"message":"ok","status":200}"#, json_ct),
            &["hits"],
            SourceState::Failing,
        ),
        (
            "badhits",
            ResponseTemplate::new(200).set_body_raw(r#"{"hits":{"objectID":"1"}}"#, json_ct),
            &["hits", "sequence"],
            SourceState::Failing,
        ),
        (
            "html200",
            ResponseTemplate::new(200).set_body_raw(html, "text/html"),
            &["HTML", "502 Bad Gateway"],
            SourceState::Failing,
        ),
        (
            "html502",
            ResponseTemplate::new(502).set_body_raw(html, "text/html"),
            &["HTTP 502"],
            SourceState::Failing,
        ),
        (
            "png",
            ResponseTemplate::new(200).set_body_raw(r#"{"hits":[]}"#, "image/png"),
            &["image/png"],
            SourceState::Failing,
        ),
        (
            "unauthorized",
            ResponseTemplate::new(401).set_body_raw(
                r#"{"message":"Invalid Application-ID or API key","status":401}"#,
                json_ct,
            ),
            &["401"],
            SourceState::Misconfigured,
        ),
        (
            "forbidden",
            ResponseTemplate::new(403).set_body_raw(r#"{"message":"Forbidden"}"#, json_ct),
            &["403"],
            SourceState::Misconfigured,
        ),
    ];
    let mut toml = String::new();
    for (name, response, _, _) in &cases {
        let prefix = format!("/{name}{SEARCH}");
        // The first poll succeeds, so each source has a cursor to keep.
        Mock::given(path(prefix.clone()))
            .respond_with(page(vec![story(1, 30, "Acme before")], 0, 1))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path(prefix))
            .respond_with(response.clone())
            .mount(&server)
            .await;
        toml.push_str(&source(name, &format!("{}/{name}/", server.uri()), ""));
    }
    let p = poller_with(&db, &toml).await;
    let expected: Vec<(&str, &[&str], SourceState)> = cases
        .iter()
        .map(|(name, _, words, state)| (*name, *words, *state))
        .collect();
    let errors = common::second_poll_fails_cleanly(&p, &expected).await;
    for ((name, ..), error) in cases.iter().zip(errors) {
        if *name != "html502" && *name != "unauthorized" && *name != "forbidden" {
            assert!(
                error.contains("hackernews"),
                "{name}: {error:?} names no connector"
            );
        }
    }
    db.cleanup().await;
}

backend_tests!(
    fields_and_paging,
    cursor_dedup_and_limits,
    bad_responses_fail_cleanly
);

#[test]
fn recorded_responses_parse() {
    let mut checked = 0;
    for file in [
        "algolia_search_ask_hn_page2_q_apple.json",
        "algolia_search_by_date_comment_q_apple.json",
        "algolia_search_by_date_poll_q_apple.json",
        "algolia_search_by_date_story_q_apple.json",
        "algolia_search_comment_q_apple.json",
        "algolia_search_story_q_apple.json",
    ] {
        let Some(path) = common::shared(&format!("fixtures/api/hackernews/{file}")) else {
            return;
        };
        let items =
            parse_search(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            items.len(),
            1,
            "{file}: every recorded search has hitsPerPage=1"
        );
        let item = &items[0];
        let id = item.external_id.as_str();
        assert!(id.bytes().all(|b| b.is_ascii_digit()), "{file}: {id}");
        assert_eq!(
            item.url.as_deref(),
            Some(format!("https://news.ycombinator.com/item?id={id}").as_str())
        );
        let author = item.author.as_ref().unwrap();
        assert!(!author.handle.as_str().is_empty());
        assert!(
            author
                .profile_url
                .as_deref()
                .unwrap()
                .ends_with(author.handle.as_str())
        );
        assert!(
            item.title.as_deref().is_some_and(|t| !t.is_empty()),
            "{file}"
        );
        assert!(!item.text.is_empty(), "{file}");
        assert!(
            !item.text.contains("&#x27;") && !item.text.contains("<p>"),
            "{file}"
        );
        assert!(item.published_at.is_some(), "{file}");
        checked += 1;
    }
    assert_eq!(checked, 6);

    let dir = common::shared("fixtures/api/hackernews").unwrap();
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let story = parse_search(&read("algolia_search_story_q_apple.json")).unwrap();
    assert_eq!(story[0].external_id.as_str(), "2922756");
    assert_eq!(story[0].engagement.points.map(|c| c.get()), Some(1638));
    assert_eq!(story[0].engagement.replies.map(|c| c.get()), Some(308));
    let comment = parse_search(&read("algolia_search_comment_q_apple.json")).unwrap();
    assert_eq!(
        comment[0].title.as_deref(),
        Some("Patent war goes nuclear: Microsoft, Apple-owned Rockstar sues Google"),
        "an empty title falls back to the story's"
    );
    assert!(comment[0].text.starts_with("It's a little early"));

    // Other endpoints' shapes are not search pages: a clear error, never a panic.
    for file in ["algolia_items_17.json", "algolia_users_pg.json"] {
        let e = parse_search(&read(file)).unwrap_err().to_string();
        assert!(e.contains("hits"), "{file}: {e}");
    }
}
