//! `fanwatch score`: the JSON-lines contract (one object per input line, same order, fixed
//! fields), without a config file (FANWATCH_* overrides still apply).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use common::fanwatch_command;
use serde_json::Value;

/// Runs `fanwatch score ARGS` in an empty directory (no fanwatch.toml) with `input` on stdin.
fn score(args: &[&str], input: impl AsRef<[u8]>) -> Output {
    score_with_env(args, &[], input)
}

/// `score` with these environment variables set.
fn score_with_env(args: &[&str], env: &[(&str, &Path)], input: impl AsRef<[u8]>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = fanwatch_command()
        .current_dir(dir.path())
        .envs(env.iter().copied())
        .arg("score")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.as_ref().to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn one_object_per_line_in_order_with_the_contract_fields() {
    let input = "VADER is smart, handsome, and funny.\n\nSuurepärane teenindus, väga rahul!\n\
                 The app keeps crashing and support never answers. Cancelling my subscription.\n\
                 Paketti myöhästyi taas eikä kukaan vastaa puhelimeen\n";
    let out = score(&[], input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = lines(&out);
    assert_eq!(rows.len(), 5);
    for row in &rows {
        for key in ["lang", "label", "compound", "pos", "neu", "neg", "intents"] {
            assert!(row.get(key).is_some(), "missing {key} in {row}");
        }
    }
    assert_eq!(rows[0]["lang"], "en");
    assert_eq!(rows[0]["compound"], 0.8316, "VADER's README example");
    assert_eq!(rows[0]["label"], "positive");
    // An empty line is a neutral result, not an error.
    assert_eq!(rows[1]["label"], "neutral");
    assert_eq!(rows[1]["compound"], 0.0);
    assert_eq!(rows[2]["lang"], "et");
    assert_eq!(rows[2]["label"], "positive");
    let kinds: Vec<&str> = rows[3]["intents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"complaint") && kinds.contains(&"churn_risk"),
        "{kinds:?}"
    );
    assert!(
        rows[3]["intents"][0]["cue"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    // Another language: no sentiment rather than a wrong one.
    assert_eq!(rows[4]["lang"], "und");
    assert!(rows[4]["label"].is_null() && rows[4]["compound"].is_null());
}

#[test]
fn forced_language_and_explanations() {
    let out = score(&["--lang", "et", "--explain"], "Toit ei olnud üldse hea\n");
    assert!(out.status.success());
    let row = &lines(&out)[0];
    assert_eq!(row["lang"], "et");
    assert_eq!(row["label"], "negative");
    let explain = row["explain"].as_array().unwrap();
    assert_eq!(explain[0]["token"], "hea");
    let rules: Vec<&str> = explain[0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(rules.contains(&"negation"), "{rules:?}");

    let out = score(&["--lang", "en", "--explain"], "The book was NOT good!!\n");
    let row = &lines(&out)[0];
    assert!(
        row["explain"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["token"] == "good"),
        "{row}"
    );
}

#[test]
fn jsonl_input_echoes_ids_and_reports_bad_lines_in_place() {
    let input = "{\"id\": 7, \"text\": \"I love it\"}\nnot json\n{\"id\": \"x\", \"text\": \"Väga halb\", \"lang\": \"et\"}\n{\"text\": 5}\n";
    let out = score(&["--input-format", "jsonl"], input);
    assert_eq!(out.status.code(), Some(1), "bad lines make the exit code 1");
    let rows = lines(&out);
    assert_eq!(rows.len(), 4, "every input line has an output line");
    assert_eq!(rows[0]["id"], 7);
    assert_eq!(rows[0]["label"], "positive");
    assert_eq!(rows[1]["line"], 2);
    assert!(rows[1]["error"].as_str().unwrap().contains("text"));
    assert_eq!(rows[2]["id"], "x");
    assert_eq!(rows[2]["lang"], "et");
    assert_eq!(rows[3]["line"], 4);
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 input line(s)"));
}

#[test]
fn a_line_that_is_not_utf8_gets_an_error_object_and_the_rest_is_scored() {
    // Latin-1 "väga hea" between two good lines, in both input formats.
    for (args, input) in [
        (&[][..], &b"I love it\nv\xe4ga hea\nthe service was terrible and I hate it\n"[..]),
        (
            &["--input-format", "jsonl"][..],
            &b"{\"text\": \"I love it\"}\n{\"text\": \"v\xe4ga\"}\n{\"text\": \"the service was terrible and I hate it\"}\n"[..],
        ),
    ] {
        let out = score(args, input);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let rows = lines(&out);
        assert_eq!(rows.len(), 3, "{args:?}: every line has an output line");
        assert_eq!(rows[0]["label"], "positive");
        assert_eq!(rows[1]["line"], 2);
        assert!(rows[1]["error"].as_str().unwrap().contains("UTF-8"), "{}", rows[1]);
        assert_eq!(rows[2]["label"], "negative");
        assert!(String::from_utf8_lossy(&out.stderr).contains("1 input line(s)"));
    }
}

#[test]
fn table_format_and_usage_errors() {
    let out = score(&["--format", "table"], "Great product\n");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().nth(1).unwrap().starts_with("en   positive"),
        "{text}"
    );

    let out = score(&["--lang", "xx"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn many_lines_keep_their_order() {
    // More than one parallel chunk; ids show the order, the tone alternates.
    let input: String = (0..20_000)
        .map(|i| {
            let text = if i % 3 == 0 {
                "this is great"
            } else {
                "this is terrible"
            };
            format!("{{\"id\": {i}, \"text\": \"{text}\"}}\n")
        })
        .collect();
    let out = score(&["--lang", "en", "--input-format", "jsonl"], &input);
    assert!(out.status.success());
    let rows = lines(&out);
    assert_eq!(rows.len(), 20_000);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["id"], i, "line {}", i + 1);
        let expected = if i % 3 == 0 { "positive" } else { "negative" };
        assert_eq!(row["label"], expected, "line {}", i + 1);
    }
}

#[test]
fn the_eki_lexicon_path_works_from_the_environment_without_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let lexicon = dir.path().join("sqnad.csv");
    std::fs::write(&lexicon, "plumbix,-1,A\n").unwrap();
    let run = |path: Option<&Path>| {
        let env: Vec<(&str, &Path)> = path
            .map(|p| ("FANWATCH_SCORING__ET_LEXICON_PATH", p))
            .into_iter()
            .collect();
        score_with_env(&["--lang", "et"], &env, "see on plumbix\n")
    };
    let plain = run(None);
    assert_eq!(lines(&plain)[0]["label"], "neutral");
    let with_eki = run(Some(&lexicon));
    assert!(
        with_eki.status.success(),
        "{}",
        String::from_utf8_lossy(&with_eki.stderr)
    );
    assert_eq!(lines(&with_eki)[0]["label"], "negative");
    let missing = run(Some(&dir.path().join("absent.csv")));
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("et_lexicon_path"), "{stderr}");
}
