//! Hostile and broken feeds: each must become an error on its own source (or harmless items),
//! never a panic, a hang, or unbounded memory, and never stop the other sources.

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::{Backend, TestDb, rss};
use fanwatch::pipeline::PollStatus;
use fanwatch::storage::MentionFilter;

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>lol</title>
<item><guid>1</guid><title>Acme &lol9;</title><description>&lol9;</description></item>
</channel></rss>"#;

/// An endless body: 1 GB would arrive if nobody stopped reading.
fn endless() -> Body {
    let chunk = bytes::Bytes::from(vec![b'<'; 64 * 1024]);
    let stream = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()))
        .take(16 * 1024);
    Body::from_stream(stream)
}

use futures::StreamExt;

async fn serve_hostile() -> String {
    let latin1: Vec<u8> = {
        let mut v = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>t</title><item><guid>l1</guid><title>Acme caf".to_vec();
        v.push(0xE9); // é in ISO-8859-1, invalid in the UTF-8 the document declares
        v.extend_from_slice(b" review</title></item></channel></rss>");
        v
    };
    let windows1252: Vec<u8> = {
        let mut v = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel><title>t</title><item><guid>w1</guid><title>Acme \x93quoted\x94 caf".to_vec();
        v.push(0xE9);
        v.extend_from_slice(b"</title></item></channel></rss>");
        v
    };
    let app = Router::new()
        .route(
            "/good",
            get(|| async { rss(&[("g1", "Acme works", "fine")]) }),
        )
        .route("/laughs", get(|| async { BILLION_LAUGHS }))
        .route("/endless", get(|| async { endless() }))
        .route(
            "/latin1",
            get(move || {
                let b = latin1.clone();
                async move { b }
            }),
        )
        .route(
            "/cp1252",
            get(move || {
                let b = windows1252.clone();
                async move { b }
            }),
        )
        .route(
            "/binary",
            get(|| async { vec![0u8, 159, 146, 150, 255, 0, 1, 2] }),
        )
        .route(
            "/json-garbage",
            get(|| async {
                "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":1e999999"
            }),
        )
        .route("/empty", get(|| async { "" }))
        .route(
            "/nested",
            get(|| async {
                let deep = format!(
                    "{}Acme{}",
                    "&lt;div&gt;".repeat(30_000),
                    "&lt;/div&gt;".repeat(30_000)
                );
                rss(&[("n1", "Acme nested", &deep)])
            }),
        );
    common::serve(app).await
}

async fn hostile_feeds_fail_alone(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let base = serve_hostile().await;
    let names = [
        "good",
        "laughs",
        "endless",
        "latin1",
        "cp1252",
        "binary",
        "json-garbage",
        "empty",
        "nested",
    ];
    let sources: Vec<(&str, String)> = names.iter().map(|n| (*n, format!("{base}/{n}"))).collect();
    let p = common::poller(&db, &sources).await;
    let out = tokio::time::timeout(Duration::from_secs(60), p.cycle(false, None))
        .await
        .expect("a hostile feed must not hang the cycle")
        .unwrap();

    let status = |n: &str| {
        out.iter()
            .find(|o| o.source.as_str() == n)
            .unwrap()
            .status
            .clone()
    };
    assert!(matches!(status("good"), PollStatus::Stored { .. }));
    match status("endless") {
        PollStatus::Failed { error, .. } => assert!(error.contains("larger than"), "{error}"),
        other => panic!("endless body: {other:?}"),
    }
    for n in ["binary", "json-garbage", "empty"] {
        assert!(
            matches!(status(n), PollStatus::Failed { .. }),
            "{n}: {:?}",
            status(n)
        );
    }
    // Entities are not expanded: either an error or a small item.
    let all = p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap();
    assert!(
        all.iter()
            .all(|m| m.text.len() <= fanwatch::text::MAX_TEXT_CHARS * 4)
    );
    if let Some(m) = all.iter().find(|m| m.source == "laughs") {
        assert!(m.text.len() < 10_000 && m.title.as_deref().unwrap_or("").len() < 10_000);
    }
    // Wrongly encoded text is either decoded or rejected, never stored as broken UTF-8.
    for source in ["cp1252", "latin1"] {
        let m = all
            .iter()
            .find(|m| m.source == source)
            .unwrap_or_else(|| panic!("{source} not recovered"));
        assert!(
            m.title.as_deref().unwrap().contains("café"),
            "{:?}",
            m.title
        );
    }
    for o in &out {
        if let PollStatus::Failed { error, .. } = &o.status {
            assert!(!error.is_empty());
        }
    }
    // Nothing stored earlier is lost when a source later turns hostile.
    let before = p
        .pipeline
        .store
        .mentions(&MentionFilter::default())
        .await
        .unwrap()
        .len();
    p.cycle(false, None).await.unwrap();
    assert_eq!(
        p.pipeline
            .store
            .mentions(&MentionFilter::default())
            .await
            .unwrap()
            .len(),
        before
    );
    db.cleanup().await;
}

backend_tests!(hostile_feeds_fail_alone);
