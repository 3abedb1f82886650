//! `fanwatch demo`: the whole pipeline once, offline. Bundled sample feeds are served by this
//! process on 127.0.0.1 (with ETags, like a real server), polled into a throw-away SQLite
//! database, and what was found is printed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, Utc};
use tokio_util::sync::CancellationToken;

use crate::cli::OutputFormat;
use crate::daemon::Poller;
use crate::metrics::Metrics;
use crate::storage::{MentionFilter, Store};

/// (file name, content type, body with date placeholders)
const FEEDS: &[(&str, &str, &str)] = &[
    (
        "acme-blog.xml",
        "application/rss+xml",
        include_str!("../demo/feeds/acme-blog.xml"),
    ),
    (
        "reviews.atom",
        "application/atom+xml",
        include_str!("../demo/feeds/reviews.atom"),
    ),
    (
        "forum.json",
        "application/feed+json",
        include_str!("../demo/feeds/forum.json"),
    ),
    (
        "eesti-foorum.xml",
        "application/rss+xml",
        include_str!("../demo/feeds/eesti-foorum.xml"),
    ),
];

const BRANDS: &str = r#"
[[brands]]
name = "Acme"
terms = ["acme", "acme cloud"]
exclude = ["acme looney"]

[[brands]]
name = "Nordwind"
terms = ["nordwind"]

[[brands]]
name = "Taevas Telecom"
terms = ["taevas telecom", "taevasnet"]
"#;

/// Recorded-shape API responses of the social sources, served under `/api/<kind>/...`:
/// (kind, body with date placeholders).
const APIS: &[(&str, &str)] = &[
    ("hackernews", include_str!("../demo/api/hackernews.json")),
    ("mastodon", include_str!("../demo/api/mastodon-tag.json")),
    ("reddit", include_str!("../demo/api/reddit-search.json")),
];

/// Replaces `{{rfc2822:N}}`, `{{rfc3339:N}}` and `{{unix:N}}` with the time N days ago, so
/// the samples are always recent.
pub fn fill_dates(template: &str, now: chrono::DateTime<Utc>) -> String {
    let re = regex::Regex::new(r"\{\{(rfc2822|rfc3339|unix):(\d{1,4})\}\}")
        .unwrap_or_else(|e| unreachable!("{e}"));
    re.replace_all(template, |caps: &regex::Captures<'_>| {
        let days: i64 = caps[2].parse().unwrap_or(0);
        // Spread items over the day too, so they do not all share one timestamp.
        let when = now - Duration::days(days) - Duration::minutes(days * 37 % 600);
        match &caps[1] {
            "rfc2822" => when.to_rfc2822(),
            "unix" => when.timestamp().to_string(),
            _ => when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    })
    .into_owned()
}

struct Served {
    content_type: &'static str,
    body: String,
    etag: String,
}

async fn serve_feed(
    State(feeds): State<Arc<HashMap<String, Served>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(feed) = feeds.get(&name) else {
        return (StatusCode::NOT_FOUND, "no such feed").into_response();
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == feed.etag)
    {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, feed.etag.clone())],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, feed.content_type.to_owned()),
            (header::ETAG, feed.etag.clone()),
        ],
        feed.body.clone(),
    )
        .into_response()
}

/// The social APIs' first page; a request for a further page (`max_id`, `after`, `page`
/// beyond 0, `cursor`) gets an empty one, as the real APIs do at the end of a listing.
async fn serve_api(
    State(apis): State<Arc<HashMap<&'static str, String>>>,
    Path((kind, rest)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let further_page = ["max_id", "after", "cursor"]
        .iter()
        .any(|k| query.contains_key(*k))
        || query.get("page").is_some_and(|p| p != "0");
    let body = match (kind.as_str(), apis.get(kind.as_str())) {
        (_, None) => return (StatusCode::NOT_FOUND, "no such API").into_response(),
        ("mastodon", Some(_)) if further_page || !rest.ends_with("/acme") => "[]".to_owned(),
        ("reddit", Some(_)) if further_page => {
            r#"{"kind":"Listing","data":{"after":null,"before":null,"children":[]}}"#.to_owned()
        }
        ("hackernews", Some(_)) if further_page => {
            r#"{"hits":[],"nbHits":0,"page":1,"nbPages":1,"hitsPerPage":100}"#.to_owned()
        }
        (_, Some(body)) => body.clone(),
    };
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

pub async fn run(db: Option<PathBuf>) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut feeds: HashMap<String, Served> = FEEDS
        .iter()
        .map(|(name, content_type, template)| {
            let body = fill_dates(template, now);
            let etag = format!("\"{}\"", &crate::text::sha256_hex(body.as_bytes())[..16]);
            (
                (*name).to_owned(),
                Served {
                    content_type,
                    body,
                    etag,
                },
            )
        })
        .collect();
    // One source is broken on purpose, to show that a bad feed is reported and isolated.
    feeds.insert(
        "broken.xml".into(),
        Served {
            content_type: "application/rss+xml",
            body: "<rss version=\"2.0\"><channel><title>cut off".into(),
            etag: "\"broken\"".into(),
        },
    );
    let apis: HashMap<&'static str, String> = APIS
        .iter()
        .map(|(kind, template)| (*kind, fill_dates(template, now)))
        .collect();
    let app = Router::new()
        .route("/feeds/{name}", get(serve_feed))
        .with_state(Arc::new(feeds))
        .merge(
            Router::new()
                .route("/api/{kind}/{*rest}", get(serve_api))
                .with_state(Arc::new(apis)),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot open a local port for the demo feeds")?;
    let addr = listener.local_addr()?;
    let server_stop = CancellationToken::new();
    let stop = server_stop.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
    });

    let tmp = tempfile::tempdir().context("cannot create a temporary directory")?;
    let db_path = db.unwrap_or_else(|| tmp.path().join("demo.db"));
    let mut toml = format!(
        "[database]\nurl = \"sqlite://{}\"\n[poll]\nconcurrency = 4\ntimeout_secs = 10\n{BRANDS}",
        db_path.display().to_string().replace('\\', "/")
    );
    for (name, _, _) in FEEDS {
        let source = name.split('.').next().unwrap_or(name);
        toml.push_str(&format!(
            "\n[[sources]]\nname = \"{source}\"\nkind = \"feed\"\nurl = \"http://{addr}/feeds/{name}\"\n"
        ));
    }
    toml.push_str(&format!(
        "\n[[sources]]\nname = \"broken-on-purpose\"\nkind = \"feed\"\nurl = \"http://{addr}/feeds/broken.xml\"\n"
    ));
    toml.push_str(&format!(
        r#"
[[sources]]
name = "hn"
kind = "hackernews"
query = "acme"
base_url = "http://{addr}/api/hackernews/"
credentials_env = "FANWATCH_DEMO_NO_CREDENTIALS"

[[sources]]
name = "masto"
kind = "mastodon"
tags = ["acme"]
base_url = "http://{addr}/api/mastodon/"
credentials_env = "FANWATCH_DEMO_NO_CREDENTIALS"

[[sources]]
name = "reddit"
kind = "reddit"
query = "acme"
base_url = "http://{addr}/api/reddit/"
credentials_env = "FANWATCH_DEMO_NO_CREDENTIALS"
"#
    ));
    // Alerts are written as .eml files instead of being sent: the demo never emails anyone.
    let outbox_dir = match db_path.parent() {
        Some(dir) if db_path.starts_with(tmp.path()) => dir.join("outbox"),
        Some(dir) => dir.join("fanwatch-demo-outbox"),
        None => tmp.path().join("outbox"),
    };
    toml.push_str(&format!(
        r#"
[notify]
dry_run_dir = "{}"
from = "fanwatch@example.com"
allow_recipients = ["*@example.com"]
# The weekly list is previewed below rather than sent on a schedule.
weekly_schedule = "0 0 0 1 1 * 2099"
[[notify.routes]]
brands = ["Acme"]
to = ["marketing@example.com"]
language = "en"
[[notify.routes]]
to = ["turundus@example.com"]
language = "et"
"#,
        outbox_dir.display().to_string().replace('\\', "/")
    ));
    // The demo ignores FANWATCH_* overrides so it behaves the same everywhere.
    let config = crate::config::load_str(&toml, None, &[]).context("demo config")?;

    let store = Store::open(&config.database.url, 4).await?;
    let poller = Poller::new(
        &config,
        store.clone(),
        Metrics::new(),
        CancellationToken::new(),
    )
    .await?;

    let mut out = std::io::stdout().lock();
    use std::io::Write;
    writeln!(
        out,
        "fanwatch demo: {} sample feeds and {} social APIs (Hacker News, Mastodon, Reddit) served on http://{addr}/, database {}",
        FEEDS.len() + 1,
        APIS.len(),
        db_path.display()
    )?;
    writeln!(out, "brands: Acme, Nordwind, Taevas Telecom\n")?;
    writeln!(out, "== first poll ==")?;
    let first = poller.cycle(false, None).await?;
    crate::cli::print_outcomes_to(&mut out, &first)?;
    writeln!(
        out,
        "\n== second poll (feeds unchanged: 304 Not Modified; social sources resume from their cursors; nothing stored twice) =="
    )?;
    let second = poller.cycle(false, None).await?;
    crate::cli::print_outcomes_to(&mut out, &second)?;

    let rows = store.mentions(&MentionFilter::default()).await?;
    writeln!(out, "\n== mentions found ==")?;
    crate::cli::write_mentions_to(&mut out, &rows, OutputFormat::Table)?;
    writeln!(out, "\n== per brand ==")?;
    for brand in &config.brands {
        let n = rows
            .iter()
            .filter(|m| m.brands.iter().any(|(b, _)| b == brand.name.as_str()))
            .count();
        writeln!(out, "{:<16} {n} mention(s)", brand.name.as_str())?;
    }
    writeln!(out, "\n== advocates (top 5 per brand) ==")?;
    crate::cli::write_advocates_to(
        &mut out,
        &config,
        &store,
        None,
        Utc::now(),
        5,
        OutputFormat::Table,
    )
    .await?;
    writeln!(out, "\n== flags ==")?;
    crate::cli::write_flags_to(&mut out, &store, true, None, OutputFormat::Table).await?;
    show_emails(&mut out, &config, &store, &outbox_dir).await?;
    writeln!(out, "\n== sources ==")?;
    crate::cli::write_sources_to(&mut out, &config, &store, OutputFormat::Table).await?;
    writeln!(
        out,
        "\nTry your own: copy config/fanwatch.toml, list your feeds and brands, then\n  fanwatch --config fanwatch.toml poll --once && fanwatch --config fanwatch.toml mentions"
    )?;
    store.close().await;
    server_stop.cancel();
    let _ = server.await;
    Ok(())
}

/// Delivers the queued alerts into `.eml` files, lists them, and shows one alert and the
/// week's advocate list as their recipients would read them.
async fn show_emails(
    out: &mut impl std::io::Write,
    config: &crate::config::Config,
    store: &Store,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let Some(notifier) = crate::notify::Notifier::new(config, store.clone(), Metrics::new())
        .map_err(anyhow::Error::msg)?
    else {
        return Ok(());
    };
    let report = notifier.drain(std::time::Duration::from_secs(30)).await?;
    let sent = store.outbox_rows(Some("sent"), 1000).await?;
    let waiting = store.outbox_rows(Some("pending"), 1000).await?;
    writeln!(
        out,
        "\n== alert emails (dry run: {} .eml files in {}, nothing sent; {} flags wait for the next digest) ==",
        report.sent,
        dir.display(),
        waiting.len()
    )?;
    for row in &sent {
        writeln!(
            out,
            "{:<24} {}",
            row.recipient,
            row.subject.as_deref().unwrap_or("")
        )?;
    }
    if let Some(first) = sent.iter().find(|r| r.language == "en") {
        writeln!(
            out,
            "\n-- first alert, text part (fanwatch notify preview --flag ID shows both parts) --\n{}",
            first.body_text.as_deref().unwrap_or("").trim_end()
        )?;
    }
    let monday = crate::storage::week_of(Utc::now());
    let weekly = notifier
        .weekly_report("Acme", monday)
        .await
        .map_err(anyhow::Error::msg)?;
    let email = crate::notify::render::weekly(&weekly, crate::notify::Language::En)
        .map_err(anyhow::Error::msg)?;
    writeln!(
        out,
        "\n== weekly advocate list, preview (fanwatch report weekly --preview) ==\nSubject: {}\nAttachment: {} ({} bytes)\n\n{}",
        email.subject,
        email
            .attachment
            .as_ref()
            .map_or("", |(name, _)| name.as_str()),
        email.attachment.as_ref().map_or(0, |(_, csv)| csv.len()),
        email.text.trim_end()
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_recent_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let out = fill_dates("<a>{{rfc2822:0}}</a><b>{{rfc3339:2}}</b>", now);
        assert!(out.contains("Mon, 23 Nov 2026 12:00:00 +0000"), "{out}");
        assert!(out.contains("2026-11-21T10:46:00Z"), "{out}");
    }

    #[test]
    fn bundled_feeds_parse_after_filling() {
        for (name, _, template) in FEEDS {
            let filled = fill_dates(template, Utc::now());
            let items = crate::sources::parse_feed(filled.as_bytes(), None)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(items.len() >= 8, "{name}: {} items", items.len());
            assert!(
                items.iter().all(|i| i.published_at.is_some()),
                "{name}: dates missing"
            );
        }
    }
}
