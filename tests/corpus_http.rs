//! Corpus over HTTP: feedparser's compression and status-code cases, and the gzipped real
//! feeds, served from ../shared in place with the headers they describe, and polled through
//! the real fetch path.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::{Backend, TestDb};
use fanwatch::pipeline::PollStatus;

struct Corpus {
    root: PathBuf,
    addr: String,
}

/// Serves `/{folder}/{file}`: compression files with their Content-Encoding, http/ files
/// with the Status and Location their header comment names.
async fn handler(
    State(c): State<Arc<Corpus>>,
    UrlPath((folder, file)): UrlPath<(String, String)>,
    request_headers: axum::http::HeaderMap,
) -> Response {
    if file == "return-304.xml" {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let path = match folder.as_str() {
        "compression" | "http" => c
            .root
            .join("feedparser-6.0.14-sdist")
            .join(&folder)
            .join(&file),
        "real" => c.root.join("real").join(&file),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let Ok(body) = std::fs::read(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = Response::builder();
    if file.ends_with(".gz") {
        response = response.header(header::CONTENT_ENCODING, "gzip");
    } else if file.ends_with(".z") {
        response = response.header(header::CONTENT_ENCODING, "deflate");
    }
    if folder == "http" {
        let text = String::from_utf8_lossy(&body).into_owned();
        for line in text.lines().take_while(|l| !l.starts_with("-->")) {
            if let Some(v) = line.strip_prefix("Header:") {
                let v = v.trim();
                if let Some(s) = v.strip_prefix("Status:") {
                    response = response.status(s.trim().parse::<u16>().unwrap_or(200));
                } else if let Some(etag) = v.strip_prefix("ETag:") {
                    let etag = etag.trim().to_owned();
                    if request_headers
                        .get(header::IF_NONE_MATCH)
                        .is_some_and(|h| h == etag.as_str())
                    {
                        return StatusCode::NOT_MODIFIED.into_response();
                    }
                    response = response.header(header::ETAG, etag);
                } else if let Some(l) = v.strip_prefix("Location:") {
                    let l = l
                        .trim()
                        .replace("http://localhost:8097/tests", &c.addr)
                        .replace("http://localhost:8097/-", &format!("{}/http", c.addr));
                    response = response.header(header::LOCATION, l);
                }
            }
        }
    }
    response
        .body(axum::body::Body::from(body))
        .unwrap()
        .into_response()
}

async fn http_corpus(backend: Backend) {
    let Some(root) = common::shared("fixtures/feeds") else {
        return;
    };
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Corpus {
        root: root.clone(),
        addr: addr.clone(),
    });
    let app = Router::new()
        .route("/{folder}/{file}", get(handler))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut sources = Vec::new();
    for folder in ["compression", "http"] {
        let mut names: Vec<String> =
            std::fs::read_dir(root.join("feedparser-6.0.14-sdist").join(folder))
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with("LICENSE"))
                .collect();
        names.sort();
        for n in names {
            sources.push((
                format!("{folder}-{}", n.replace('.', "-")),
                format!("{addr}/{folder}/{n}"),
            ));
        }
    }
    for gz in [
        "node-feedparser_compressed.xml.gz",
        "node-feedparser_invalid-characters-gzipped.xml.gz",
    ] {
        sources.push((
            format!("real-{}", gz.replace('.', "-")),
            format!("{addr}/real/{gz}"),
        ));
    }
    let refs: Vec<(&str, String)> = sources
        .iter()
        .map(|(n, u)| (n.as_str(), u.clone()))
        .collect();
    let p = common::poller(&db, &refs).await;
    let out = p.cycle(false, None).await.unwrap();
    let status = |n: &str| {
        &out.iter()
            .find(|o| o.source.as_str() == n)
            .unwrap_or_else(|| panic!("{n}"))
            .status
    };
    for o in &out {
        println!("{}: {:?}", o.source, o.status);
    }
    let fetched = |n: &str| match status(n) {
        PollStatus::Stored { fetched, .. } => *fetched,
        other => panic!("{n}: {other:?}"),
    };
    // Real gzip and deflate bodies are decoded and parse (the samples are empty feeds).
    assert_eq!(fetched("compression-gzip-gz"), 0);
    assert_eq!(fetched("compression-deflate-z"), 0);
    assert!(fetched("real-node-feedparser_compressed-xml-gz") >= 10);
    assert!(fetched("real-node-feedparser_invalid-characters-gzipped-xml-gz") >= 10);
    // Broken compression is this source's error.
    assert!(matches!(
        status("compression-gzip-struct-error-gz"),
        PollStatus::Failed { .. }
    ));
    // Redirects are followed; a 404 is an error; a redirect to a 304 is "not modified".
    for n in [
        "http-http_status_301-xml",
        "http-http_status_302-xml",
        "http-http_status_303-xml",
        "http-http_status_307-xml",
    ] {
        assert!(
            matches!(status(n), PollStatus::Stored { .. }),
            "{n}: {:?}",
            status(n)
        );
    }
    assert!(
        matches!(status("http-http_status_404-xml"), PollStatus::Failed { error, .. } if error.contains("404"))
    );
    assert_eq!(
        status("http-http_redirect_to_304-xml"),
        &PollStatus::NotModified
    );
    // The server's ETag is sent back next time and answered with 304.
    assert!(matches!(
        status("http-http_status_304-xml"),
        PollStatus::Stored { .. }
    ));
    let again = p
        .cycle(false, Some("http-http_status_304-xml"))
        .await
        .unwrap();
    assert_eq!(again[0].status, PollStatus::NotModified);
    db.cleanup().await;
}

backend_tests!(http_corpus);
