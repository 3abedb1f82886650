//! A post seen again keeps its newest numbers: points and likes grow after a post is first
//! stored, and reach (and the author's profile) follow them.

mod common;

use chrono::Utc;
use common::{Backend, TestDb, poller_with};
use fanwatch::storage::MentionFilter;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn page(points: i64) -> String {
    let at = Utc::now() - chrono::Duration::minutes(5);
    format!(
        r#"{{"hits":[{{"created_at":"{}","title":"Acme Cloud is great","url":null,"author":"pg_fan","points":{points},"story_text":"I recommend Acme","num_comments":3,"created_at_i":{},"_tags":["story"],"objectID":"4242"}}],"nbHits":1,"page":0,"nbPages":1,"hitsPerPage":100}}"#,
        at.to_rfc3339(),
        at.timestamp()
    )
}

async fn seen_again_updates_engagement_and_reach(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/search_by_date"))
        .respond_with(ResponseTemplate::new(200).set_body_string(page(2)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/search_by_date"))
        .respond_with(ResponseTemplate::new(200).set_body_string(page(450)))
        .mount(&server)
        .await;
    let p = poller_with(
        &db,
        &format!(
            "[[sources]]\nname = \"hn\"\nkind = \"hackernews\"\nquery = \"acme\"\nbase_url = \"{}\"\n",
            server.uri()
        ),
    )
    .await;
    let store = p.pipeline.store.clone();
    let read = || async {
        let rows = store.mentions(&MentionFilter::default()).await.unwrap();
        assert_eq!(rows.len(), 1);
        (rows[0].points, rows[0].reach_score.unwrap())
    };
    p.cycle(false, None).await.unwrap();
    let (points, first_reach) = read().await;
    assert_eq!(points, Some(2));
    p.cycle(false, None).await.unwrap();
    let (points, reach) = read().await;
    assert_eq!(points, Some(450), "stored once, numbers refreshed");
    assert!(reach > first_reach + 10.0, "{first_reach} → {reach}");
    let today = Utc::now().date_naive();
    let weeks = store
        .author_weeks(today - chrono::Duration::days(14), today, None)
        .await
        .unwrap();
    assert_eq!(weeks.len(), 1);
    assert_eq!(weeks[0].best_reach, Some(reach), "the profile follows");
    db.cleanup().await;
}

backend_tests!(seen_again_updates_engagement_and_reach);
