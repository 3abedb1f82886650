//! Connector benchmark (run by `scripts/bench-connectors`):
//! 1. parse throughput per connector (items/s) on the recorded responses in
//!    ../shared/fixtures/api (when present) and on generated pages in each API's shape;
//! 2. one poll cycle of 200 mixed sources (all eight kinds) served from 127.0.0.1, one local
//!    server per kind as on the internet, into a fresh SQLite database (and PostgreSQL when
//!    FANWATCH_BENCH_PG_URL names an admin URL). Target: ≤ 5 s on 2 cores.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use fanwatch::sources::{RawItem, SourceError};

type Parser = fn(&[u8]) -> Result<Vec<RawItem>, SourceError>;
/// (label, body) of each response parsed.
type Bodies = Vec<(String, Vec<u8>)>;

/// Items per generated page; one in ten mentions the brand.
const PAGE: usize = 50;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!("== parse throughput (release build, one core) ==");
    println!(
        "{:<11} {:>9} {:>12} {:>9}  input",
        "connector", "items", "items/s", "MB/s"
    );
    for (kind, parser, bodies) in parse_inputs() {
        let (items, per_s, mb_s) = measure(parser, &bodies);
        let label = bodies
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "{kind:<11} {items:>9} {per_s:>12.0} {mb_s:>9.1}  {}",
            fanwatch::domain::truncate_chars(&label, 70)
        );
    }
    println!("\n== one cycle, 200 mixed sources on 127.0.0.1 ==");
    runtime.block_on(cycle_bench())
}

/// Parses every body repeatedly for about a second; returns items per pass, items/s, MB/s.
fn measure(parser: Parser, bodies: &[(String, Vec<u8>)]) -> (usize, f64, f64) {
    let bytes: usize = bodies.iter().map(|(_, b)| b.len()).sum();
    let pass = || -> usize {
        bodies
            .iter()
            .map(|(name, b)| match parser(b) {
                Ok(items) => items.len(),
                Err(e) => {
                    eprintln!("{name}: {e}");
                    0
                }
            })
            .sum()
    };
    let items = pass();
    let started = Instant::now();
    let mut passes = 0u32;
    while started.elapsed() < Duration::from_secs(1) || passes < 3 {
        std::hint::black_box(pass());
        passes += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    (
        items,
        (items as f64 * f64::from(passes)) / secs,
        (bytes as f64 * f64::from(passes)) / secs / 1e6,
    )
}

fn shared_dir() -> PathBuf {
    std::env::var_os("FANWATCH_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// Recorded responses of `dir` whose file names start with one of `prefixes`.
fn recorded(dir: &str, prefixes: &[&str]) -> Bodies {
    let path = shared_dir().join("fixtures/api").join(dir);
    let Ok(entries) = std::fs::read_dir(&path) else {
        return Vec::new();
    };
    let mut out: Bodies = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name.ends_with(".json")
                && !name.ends_with(".meta.json")
                && prefixes.iter().any(|p| name.starts_with(p)))
            .then(|| Some((format!("{dir}/{name}"), std::fs::read(e.path()).ok()?)))?
        })
        .collect();
    out.sort();
    out
}

fn generated(kind: &str) -> (String, Vec<u8>) {
    (
        format!("generated {kind} page of {PAGE}"),
        page(kind, 0, PAGE).into_bytes(),
    )
}

fn parse_inputs() -> Vec<(&'static str, Parser, Bodies)> {
    use fanwatch::sources::{appstore, bluesky, hackernews, lemmy, mastodon, reddit, youtube};
    let with = |mut rec: Bodies, kind: &str| {
        rec.push(generated(kind));
        rec
    };
    vec![
        (
            "hackernews",
            hackernews::parse_search as Parser,
            with(recorded("hackernews", &["algolia_search"]), "hackernews"),
        ),
        (
            "mastodon",
            mastodon::parse_statuses as Parser,
            with(
                recorded("mastodon", &["timeline_", "account_statuses"]),
                "mastodon",
            ),
        ),
        (
            "reddit",
            reddit::parse_listing as Parser,
            with(
                recorded("reddit", &["r_", "search_", "api_info", "comments_"]),
                "reddit",
            ),
        ),
        (
            "bluesky",
            bluesky::parse_search as Parser,
            with(
                recorded("bluesky", &["app.bsky.feed.searchPosts"]),
                "bluesky",
            ),
        ),
        (
            "lemmy",
            lemmy::parse_search as Parser,
            vec![generated("lemmy")],
        ),
        (
            "appstore",
            (|b: &[u8]| appstore::parse_reviews(b, "us", "1")) as Parser,
            vec![generated("appstore")],
        ),
        (
            "youtube",
            youtube::parse_comment_threads as Parser,
            vec![generated("youtube")],
        ),
        (
            "feed",
            (|b: &[u8]| fanwatch::sources::parse_feed(b, None)) as Parser,
            vec![generated("feed")],
        ),
    ]
}

fn text(i: usize) -> String {
    if i.is_multiple_of(10) {
        format!(
            "Post {i}: I switched to Acme last month and the support is great, highly recommend"
        )
    } else {
        format!("Post {i}: nothing to see here, just another day on the internet")
    }
}

/// One page of `n` items starting at `offset`, in the shape of `kind`'s API.
fn page(kind: &str, offset: usize, n: usize) -> String {
    let now = Utc::now();
    let at = |i: usize| now - chrono::Duration::minutes(i as i64 + 1);
    let rfc = |i: usize| at(i).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let items: Vec<String> = (offset..offset + n)
        .map(|i| match kind {
            "hackernews" => format!(
                r#"{{"created_at":"{}","title":null,"url":null,"author":"user{i}","points":null,"story_text":null,"comment_text":"{}","num_comments":null,"story_id":1,"story_title":"Ask HN: hosting","parent_id":1,"created_at_i":{},"_tags":["comment","author_user{i}","story_1"],"objectID":"{}"}}"#,
                rfc(i),
                text(i),
                at(i).timestamp(),
                40_000_000 + i
            ),
            "mastodon" => format!(
                r#"{{"id":"{id}","created_at":"{}","in_reply_to_id":null,"sensitive":false,"spoiler_text":"","visibility":"public","language":"en","uri":"https://m.example/users/u{i}/statuses/{id}","url":"https://m.example/@u{i}/{id}","replies_count":1,"reblogs_count":2,"favourites_count":3,"content":"<p>{}</p>","reblog":null,"account":{{"id":"{i}","username":"u{i}","acct":"u{i}","display_name":"User {i}","url":"https://m.example/@u{i}","followers_count":{i},"following_count":1,"statuses_count":1}},"media_attachments":[],"mentions":[],"tags":[],"emojis":[],"card":null,"poll":null}}"#,
                rfc(i),
                text(i),
                id = 113_000_000_000_000_000u64 - i as u64
            ),
            "reddit" => format!(
                r#"{{"kind":"t3","data":{{"subreddit":"test","selftext":"{}","title":"Thread {i}","name":"t3_b{i}","id":"b{i}","score":{i},"num_comments":2,"created_utc":{}.0,"permalink":"/r/test/comments/b{i}/thread/","url":"https://www.reddit.com/r/test/comments/b{i}/thread/","subreddit_subscribers":5000,"author":"user{i}"}}}}"#,
                text(i),
                at(i).timestamp()
            ),
            "bluesky" => format!(
                r#"{{"uri":"at://did:plc:u{i}/app.bsky.feed.post/3k{i}","cid":"bafy{i}","author":{{"did":"did:plc:u{i}","handle":"u{i}.bsky.social","displayName":"User {i}","labels":[],"createdAt":"2024-01-01T00:00:00.000Z"}},"record":{{"$type":"app.bsky.feed.post","createdAt":"{}","langs":["en"],"text":"{}"}},"replyCount":1,"repostCount":2,"likeCount":3,"quoteCount":0,"indexedAt":"{}","labels":[]}}"#,
                rfc(i),
                text(i),
                rfc(i)
            ),
            "lemmy" => format!(
                r#"{{"post":{{"id":{i},"name":"Thread {i}","body":"{}","creator_id":{i},"community_id":7,"removed":false,"locked":false,"published":"{}","deleted":false,"nsfw":false,"ap_id":"https://lemmy.example/post/{i}","local":true,"language_id":37,"featured_community":false,"featured_local":false}},"creator":{{"id":{i},"name":"u{i}","display_name":null,"banned":false,"published":"2023-01-01T00:00:00Z","actor_id":"https://lemmy.example/u/u{i}","local":true,"deleted":false,"bot_account":false,"instance_id":1}},"community":{{"id":7,"name":"tech","title":"Tech","removed":false,"published":"2023-01-01T00:00:00Z","nsfw":false,"actor_id":"https://lemmy.example/c/tech","local":true,"hidden":false,"posting_restricted_to_mods":false,"instance_id":1,"visibility":"Public"}},"creator_banned_from_community":false,"banned_from_community":false,"creator_is_moderator":false,"creator_is_admin":false,"counts":{{"post_id":{i},"comments":2,"score":5,"upvotes":6,"downvotes":1,"published":"{}","newest_comment_time":"{}"}},"subscribed":"NotSubscribed","saved":false,"read":false,"hidden":false,"creator_blocked":false,"unread_comments":0}}"#,
                text(i),
                rfc(i),
                rfc(i),
                rfc(i)
            ),
            "appstore" => format!(
                r#"{{"author":{{"uri":{{"label":"https://itunes.apple.com/us/reviews/id{i}"}},"name":{{"label":"user{i}"}},"label":""}},"updated":{{"label":"{}"}},"im:rating":{{"label":"{}"}},"im:version":{{"label":"2.{i}"}},"id":{{"label":"{}"}},"title":{{"label":"Review {i}"}},"content":{{"label":"{}","attributes":{{"type":"text"}}}},"link":{{"attributes":{{"rel":"related","href":"https://itunes.apple.com/us/review?id=1&type=Purple%20Software"}}}},"im:voteSum":{{"label":"0"}},"im:contentType":{{"attributes":{{"term":"Application","label":"Application"}}}},"im:voteCount":{{"label":"0"}}}}"#,
                rfc(i),
                1 + i % 5,
                9_000_000_000u64 + i as u64,
                text(i)
            ),
            "youtube" => format!(
                r#"{{"kind":"youtube#commentThread","etag":"e{i}","id":"Ug{i}","snippet":{{"channelId":"UC1","videoId":"vid{i}","topLevelComment":{{"kind":"youtube#comment","etag":"e{i}","id":"Ug{i}","snippet":{{"channelId":"UC1","videoId":"vid{i}","textDisplay":"{}","textOriginal":"{}","authorDisplayName":"@user{i}","authorProfileImageUrl":"https://yt3.example/x","authorChannelUrl":"http://www.youtube.com/@user{i}","authorChannelId":{{"value":"UCu{i}"}},"canRate":true,"viewerRating":"none","likeCount":{i},"publishedAt":"{}","updatedAt":"{}"}}}},"canReply":true,"totalReplyCount":1,"isPublic":true}}}}"#,
                text(i),
                text(i),
                rfc(i),
                rfc(i)
            ),
            _ => format!(
                "<item><guid>g{i}</guid><title>Item {i}</title><link>https://blog.example/{i}</link><description>{}</description><pubDate>{}</pubDate></item>",
                text(i),
                at(i).to_rfc2822()
            ),
        })
        .collect();
    let joined = items.join(",");
    match kind {
        "hackernews" => format!(
            r#"{{"hits":[{joined}],"nbHits":{n},"page":0,"nbPages":1,"hitsPerPage":100,"exhaustiveNbHits":true,"query":"acme","params":""}}"#
        ),
        "mastodon" => format!("[{joined}]"),
        "reddit" => format!(
            r#"{{"kind":"Listing","data":{{"after":null,"dist":{n},"modhash":"","children":[{joined}],"before":null}}}}"#
        ),
        "bluesky" => format!(r#"{{"posts":[{joined}]}}"#),
        "lemmy" => format!(
            r#"{{"type_":"Posts","comments":[],"posts":[{joined}],"communities":[],"users":[]}}"#
        ),
        "appstore" => format!(
            r#"{{"feed":{{"author":{{"name":{{"label":"iTunes Store"}},"uri":{{"label":"http://www.apple.com/itunes/"}}}},"entry":[{joined}],"updated":{{"label":"{}"}},"rights":{{"label":"Copyright 2008 Apple Inc."}},"title":{{"label":"iTunes Store: Customer Reviews"}},"icon":{{"label":"http://itunes.apple.com/favicon.ico"}},"link":[],"id":{{"label":"https://mzstoreservices-int-st.itunes.apple.com/us/rss/customerreviews/id=1/sortby=mostrecent/json"}}}}}}"#,
            rfc(0)
        ),
        "youtube" => format!(
            r#"{{"kind":"youtube#commentThreadListResponse","etag":"x","pageInfo":{{"totalResults":{n},"resultsPerPage":100}},"items":[{joined}]}}"#
        ),
        _ => format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bench</title><link>https://blog.example/</link>{}</channel></rss>",
            items.join("")
        ),
    }
}

#[derive(Clone)]
struct Server {
    kind: &'static str,
    /// The source index is in the path or query, so each source gets its own items.
    pages: Arc<HashMap<usize, String>>,
}

/// First page for each source; any further page request (or unknown source) is empty.
async fn respond(
    State(server): State<Server>,
    Query(query): Query<HashMap<String, String>>,
    uri: axum::http::Uri,
) -> impl IntoResponse {
    let further = ["max_id", "after", "cursor", "pageToken"]
        .iter()
        .any(|k| query.contains_key(*k))
        || query.get("page").is_some_and(|p| p != "0" && p != "1")
        || uri.path().contains("page=2");
    let source: Option<usize> = uri
        .path()
        .split('/')
        .find_map(|seg| seg.strip_prefix("s").and_then(|n| n.parse().ok()));
    let ct = if server.kind == "feed" {
        "application/rss+xml"
    } else {
        "application/json; charset=utf-8"
    };
    let path = uri.path();
    let body = if path.ends_with("app.bsky.actor.getProfiles") {
        r#"{"profiles":[]}"#.to_owned()
    } else if path.ends_with("api/v3/community") {
        r#"{"community_view":{"community":{"id":7,"name":"tech","title":"Tech","actor_id":"https://lemmy.example/c/tech"},"counts":{"community_id":7,"subscribers":1200,"posts":10,"comments":20}}}"#.to_owned()
    } else {
        match source.and_then(|s| server.pages.get(&s)) {
            Some(body) if !further => body.clone(),
            _ => page(server.kind, 0, 0),
        }
    };
    ([(header::CONTENT_TYPE, ct)], body)
}

/// (kind, sources of that kind) — 200 in all.
const MIX: &[(&str, usize)] = &[
    ("feed", 30),
    ("hackernews", 25),
    ("mastodon", 25),
    ("reddit", 25),
    ("bluesky", 25),
    ("lemmy", 25),
    ("appstore", 20),
    ("youtube", 25),
];

async fn cycle_bench() -> anyhow::Result<()> {
    let mut toml = String::from(
        "[poll]\nconcurrency = 32\ntimeout_secs = 10\n[http]\nenabled = false\n\
         [[brands]]\nname = \"Acme\"\nterms = [\"acme\"]\n",
    );
    let mut total_items = 0;
    for (kind, count) in MIX {
        let pages: HashMap<usize, String> = (0..*count)
            .map(|s| (s, page(kind, s * PAGE, PAGE)))
            .collect();
        total_items += count * PAGE;
        let app = Router::new().fallback(get(respond)).with_state(Server {
            kind,
            pages: Arc::new(pages),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        for s in 0..*count {
            // Each source's base URL carries its index as a path segment `s<N>`.
            let base = format!("http://{addr}/s{s}/");
            let extra = match *kind {
                "feed" => format!("url = \"{base}feed.xml\""),
                "mastodon" => format!("base_url = \"{base}\"\ntags = [\"acme\"]"),
                "appstore" => format!(
                    "base_url = \"{base}\"\napp_id = \"{}\"\ncountry = \"us\"",
                    100 + s
                ),
                "youtube" => format!("base_url = \"{base}\"\nvideos = [\"vid{s}\"]"),
                _ => format!("base_url = \"{base}\"\nquery = \"acme\""),
            };
            toml.push_str(&format!(
                "\n[[sources]]\nname = \"{kind}-{s}\"\nkind = \"{kind}\"\ncredentials_env = \"FANWATCH_BENCH_CRED\"\n{extra}\n"
            ));
        }
    }
    // YouTube needs a key; the bench server ignores it.
    // SAFETY: set before any thread reads the environment for credentials.
    unsafe { std::env::set_var("FANWATCH_BENCH_CRED_API_KEY", "bench-key") };

    let dir = tempfile::tempdir()?;
    let backends = common::bench_databases(dir.path(), "fanwatch_bench_connectors").await?;
    println!(
        "{} sources ({}), {} items, {} per page, one server per kind",
        MIX.iter().map(|(_, n)| n).sum::<usize>(),
        MIX.iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        total_items,
        PAGE
    );
    for (backend, url) in backends {
        let full = format!("[database]\nurl = \"{url}\"\n{toml}");
        let config = fanwatch::config::load_str(&full, None, &[])?;
        let store = fanwatch::storage::Store::open(&config.database.url, 8).await?;
        let poller = fanwatch::daemon::Poller::new(
            &config,
            store.clone(),
            fanwatch::metrics::Metrics::new(),
            tokio_util::sync::CancellationToken::new(),
        )
        .await?;
        let started = Instant::now();
        let outcomes = poller.cycle(false, None).await?;
        let first = started.elapsed();
        let started = Instant::now();
        let again = poller.cycle(false, None).await?;
        let second = started.elapsed();
        let count = |o: &[fanwatch::pipeline::PollOutcome], what: &str| {
            o.iter()
                .filter(|o| match &o.status {
                    fanwatch::pipeline::PollStatus::Stored { .. } => what == "stored",
                    fanwatch::pipeline::PollStatus::Failed { error, .. } => {
                        if what == "failed" {
                            eprintln!("  {}: {error}", o.source);
                        }
                        what == "failed"
                    }
                    _ => what == "other",
                })
                .count()
        };
        let mentions = store
            .mentions(&fanwatch::storage::MentionFilter::default())
            .await?
            .len();
        println!(
            "{backend:<8}  cycle 1: {:.2} s (target ≤ 5 s), {} stored, {} failed, {} other; {mentions} mentions; cycle 2 (cursors, nothing new): {:.2} s",
            first.as_secs_f64(),
            count(&outcomes, "stored"),
            count(&outcomes, "failed"),
            count(&outcomes, "other"),
            second.as_secs_f64(),
        );
        let _ = count(&again, "failed");
        store.close().await;
    }
    Ok(())
}
