use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const GOOD: &str = include_str!("../../../tests/fixtures/contract.toml");

fn err(text: &str) -> ConfigError {
    load_str(text, None, &[]).expect_err("config should be rejected")
}

#[test]
fn the_documented_shape_loads() {
    let config = load_str(GOOD, None, &[]).unwrap();
    assert_eq!(config.brands[0].terms, vec!["acme", "acme cloud"]);
    assert_eq!(config.sources[0].name.as_str(), "acme-news");
    assert_eq!(config.poll.concurrency, 32);
    assert_eq!(config.http.listen.to_string(), "127.0.0.1:9187");
}

#[test]
fn unknown_keys_are_named_with_their_line() {
    let e = err(&GOOD.replace("concurrency = 32", "concurency = 32"));
    assert_eq!(e.key, "poll.concurency");
    assert_eq!(e.line, Some(5));
    let e = err(&format!("{GOOD}colour = \"red\"\n"));
    assert_eq!(e.key, "sources[0].colour");
    assert_eq!(e.line, Some(15));
}

#[test]
fn bad_values_are_named() {
    let e = err(&GOOD.replace("0 */15 * * * *", "every quarter hour"));
    assert_eq!((e.key.as_str(), e.line), ("poll.schedule", Some(4)));
    let e = err(&GOOD.replace("https://example.com/feed.xml", "not a url"));
    assert_eq!((e.key.as_str(), e.line), ("sources[0].url", Some(14)));
    let e = err(&GOOD.replace("regex = []", "regex = [\"acme(\"]"));
    assert_eq!((e.key.as_str(), e.line), ("brands[0].regex[0]", Some(9)));
    let e = err(&GOOD.replace("concurrency = 32", "concurrency = 0"));
    assert_eq!((e.key.as_str(), e.line), ("poll.concurrency", Some(5)));
}

#[test]
fn duplicate_source_names_are_rejected() {
    let text = format!(
        "{GOOD}[[sources]]\nname = \"acme-news\"\nkind = \"feed\"\nurl = \"https://example.org/x\"\n"
    );
    let e = err(&text);
    assert_eq!(e.key, "sources[1].name");
    assert_eq!(e.line, Some(16));
    assert!(e.message.contains("duplicate"), "{e}");
}

#[test]
fn syntax_errors_have_lines() {
    let e = err("[database]\nurl = \n");
    assert_eq!(e.line, Some(2));
}

#[test]
fn environment_overrides_keys() {
    let config = load_str(
        GOOD,
        None,
        &env(&[
            ("FANWATCH_DATABASE__URL", "postgres://u:p@localhost/db"),
            ("FANWATCH_POLL__CONCURRENCY", "4"),
            ("FANWATCH_HTTP__LISTEN", "127.0.0.1:9999"),
            ("FANWATCH_BRANDS__0__TERMS", "[\"acme\", \"acmecorp\"]"),
            ("FANWATCH_CONFIG", "ignored.toml"),
        ]),
    )
    .unwrap();
    assert_eq!(config.database.url.backend(), "postgres");
    assert_eq!(config.poll.concurrency, 4);
    assert_eq!(config.http.listen.port(), 9999);
    assert_eq!(config.brands[0].terms, vec!["acme", "acmecorp"]);
}

#[test]
fn string_keys_accept_values_that_look_like_numbers() {
    let config = load_str(GOOD, None, &env(&[("FANWATCH_BRANDS__0__NAME", "1984")])).unwrap();
    assert_eq!(config.brands[0].name.as_str(), "1984");
}

#[test]
fn environment_errors_name_the_variable() {
    let e = load_str(GOOD, None, &env(&[("FANWATCH_POLL__SCHEDULE", "nope")])).unwrap_err();
    assert_eq!(e.key, "poll.schedule");
    assert_eq!(e.env_var.as_deref(), Some("FANWATCH_POLL__SCHEDULE"));
    let e = load_str(GOOD, None, &env(&[("FANWATCH_POLL__NOPE", "1")])).unwrap_err();
    assert_eq!(e.key, "poll.nope");
    assert_eq!(e.env_var.as_deref(), Some("FANWATCH_POLL__NOPE"));
}

#[test]
fn a_source_can_be_added_from_the_environment() {
    let config = load_str(
        GOOD,
        None,
        &env(&[
            ("FANWATCH_SOURCES__1__NAME", "extra"),
            ("FANWATCH_SOURCES__1__KIND", "feed"),
            ("FANWATCH_SOURCES__1__URL", "https://example.net/rss"),
        ]),
    )
    .unwrap();
    assert_eq!(config.sources.len(), 2);
    assert_eq!(config.sources[1].name.as_str(), "extra");
}

#[test]
fn brands_need_a_term() {
    let e = err(&GOOD.replace("terms = [\"acme\", \"acme cloud\"]", "terms = []"));
    assert_eq!(e.key, "brands[0].terms");
}

#[test]
fn feed_sources_need_a_url() {
    let e = err(&GOOD.replace("url = \"https://example.com/feed.xml\"\n", ""));
    assert_eq!(e.key, "sources[0].url");
}
