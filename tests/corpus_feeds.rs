//! Corpus suite: the feed source over every real-world and test-suite feed in
//! ../shared/fixtures/feeds, read in place. No file may panic the parser; feeds that have
//! entries must yield them. Runs when the folder is present; `.ci/run` requires it.

mod common;

use std::path::{Path, PathBuf};

use fanwatch::sources::parse_feed;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn is_feed_file(p: &Path) -> bool {
    let name = p.file_name().unwrap().to_string_lossy();
    !(name.starts_with("LICENSE") || name.ends_with(".serde.json") || name.ends_with(".md"))
}

/// Parses without letting a parser panic escape, so the report names every bad file.
fn parse(path: &Path) -> Result<Result<usize, String>, String> {
    let bytes = std::fs::read(path).unwrap();
    std::panic::catch_unwind(|| parse_feed(&bytes, Some("https://example.com/feed")))
        .map(|r| r.map(|items| items.len()).map_err(|e| e.to_string()))
        .map_err(|_| format!("PANIC in {}", path.display()))
}

#[test]
fn every_feed_parses_without_panic() {
    let Some(dir) = common::shared("fixtures/feeds") else {
        return;
    };
    let mut all = Vec::new();
    files(&dir, &mut all);
    let all: Vec<PathBuf> = all.into_iter().filter(|p| is_feed_file(p)).collect();
    assert!(
        all.len() > 2000,
        "expected the whole corpus, found {} files",
        all.len()
    );
    let mut panics = Vec::new();
    let (mut ok, mut with_items, mut errors) = (0, 0, 0);
    for path in &all {
        match parse(path) {
            Err(p) => panics.push(p),
            Ok(Ok(n)) => {
                ok += 1;
                if n > 0 {
                    with_items += 1;
                }
            }
            Ok(Err(_)) => errors += 1,
        }
    }
    println!(
        "corpus: {} files, {ok} parsed ({with_items} with entries), {errors} rejected with an error",
        all.len()
    );
    assert!(panics.is_empty(), "parser panicked on: {panics:#?}");
}

/// feed-rs ships its expected parse of each fixture; we must produce as many entries.
#[test]
fn feed_rs_fixtures_yield_their_entries() {
    let Some(dir) = common::shared("fixtures/feeds") else {
        return;
    };
    let mut all = Vec::new();
    files(&dir.join("feed-rs"), &mut all);
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for golden in all
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".serde.json"))
    {
        let stem = golden
            .to_string_lossy()
            .trim_end_matches(".serde.json")
            .to_owned();
        let Some(feed) = [".xml", ".json"]
            .iter()
            .map(|e| PathBuf::from(format!("{stem}{e}")))
            .find(|p| p.exists())
        else {
            continue;
        };
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(golden).unwrap()).unwrap();
        let want = expected["entries"].as_array().map_or(0, Vec::len);
        match parse(&feed).unwrap() {
            Ok(got) if got == want => {}
            other => mismatches.push(format!(
                "{}: want {want} entries, got {other:?}",
                feed.display()
            )),
        }
        checked += 1;
    }
    println!("feed-rs fixtures checked: {checked}");
    assert!(checked > 50, "only {checked} golden files found");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

/// Real captures (node-feedparser): all but the deliberately broken ones give entries.
#[test]
fn real_world_feeds_yield_entries() {
    let Some(dir) = common::shared("fixtures/feeds") else {
        return;
    };
    let mut all = Vec::new();
    files(&dir.join("real"), &mut all);
    for path in all.iter().filter(|p| is_feed_file(p)) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let result = parse(path).unwrap();
        println!("{name}: {result:?}");
        if name.ends_with(".gz") {
            continue; // gzip bodies: see the compression test, which serves them over HTTP
        }
        let n = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(n > 0, "{name}: no entries");
    }
}

/// feedparser's well-formed cases that expect entries: nearly all must yield entries with
/// our parser too. The few it cannot read (formats feed-rs does not support) are reported.
#[test]
fn feedparser_wellformed_feeds_yield_entries() {
    let Some(dir) = common::shared("fixtures/feeds") else {
        return;
    };
    let mut all = Vec::new();
    files(&dir.join("feedparser/wellformed"), &mut all);
    let (mut expected, mut missing) = (0, Vec::new());
    for path in all.iter().filter(|p| is_feed_file(p)) {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let expect = text
            .lines()
            .find(|l| l.starts_with("Expect:"))
            .unwrap_or("");
        if !(expect.contains("not bozo") && expect.contains("entries[0]")) {
            continue;
        }
        expected += 1;
        match parse(path).unwrap() {
            Ok(n) if n > 0 => {}
            other => missing.push(format!(
                "{}: {other:?}",
                path.strip_prefix(&dir).unwrap().display()
            )),
        }
    }
    let rate = 1.0 - missing.len() as f64 / expected.max(1) as f64;
    println!(
        "feedparser well-formed with entries: {expected}, yielding entries: {:.1}%",
        rate * 100.0
    );
    for m in missing.iter().take(40) {
        println!("  no entries: {m}");
    }
    assert!(expected > 500, "expected many such cases, found {expected}");
    assert!(
        rate >= 0.97,
        "only {:.1}% of well-formed feeds with entries yielded entries",
        rate * 100.0
    );
}
