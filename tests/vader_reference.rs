//! English sentiment agreement with the reference vaderSentiment 3.3.2 on the four human-rated
//! ground-truth sets (23,703 texts), read in place from ../shared. The bar: |compound −
//! reference| ≤ 0.0005 on at least 99.9 % of texts.

mod common;

use std::path::{Path, PathBuf};

use fanwatch::scoring::vader;

const SETS: [&str; 4] = [
    "tweets",
    "movieReviewSnippets",
    "amazonReviewSnippets",
    "nytEditorialSnippets",
];

/// (id, compound, pos, neu, neg, text) rows of a reference file.
fn reference(dir: &Path, set: &str) -> Vec<(String, f64, f64, f64, f64, String)> {
    let text = std::fs::read_to_string(dir.join(format!("reference_scores_{set}.tsv"))).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let mut f = line.splitn(6, '\t');
            let mut next = || f.next().unwrap().to_owned();
            let id = next();
            let nums: Vec<f64> = (0..4).map(|_| next().parse().unwrap()).collect();
            (id, nums[0], nums[1], nums[2], nums[3], next())
        })
        .collect()
}

#[test]
fn compound_agrees_with_the_reference() {
    let Some(dir) = common::shared("data/sentiment/vader") else {
        return;
    };
    let (mut total, mut agree) = (0usize, 0usize);
    let mut differ = Vec::new();
    for set in SETS {
        for (id, compound, pos, neu, neg, text) in reference(&dir, set) {
            total += 1;
            let p = vader::polarity(&text);
            if (p.compound - compound).abs() <= 0.0005 {
                agree += 1;
            } else {
                differ.push(format!(
                    "{set} {id}: ours {} reference {compound}: {text}",
                    p.compound
                ));
            }
            // pos/neu/neg follow from the same sums; they must agree to VADER's 3 decimals too.
            let close = |a: f64, b: f64| (a - b).abs() <= 0.0015;
            if !(close(p.pos, pos) && close(p.neu, neu) && close(p.neg, neg)) {
                differ.push(format!(
                    "{set} {id}: pos/neu/neg {:?} vs {pos}/{neu}/{neg}",
                    (p.pos, p.neu, p.neg)
                ));
            }
        }
    }
    let rate = agree as f64 / total as f64;
    println!("VADER agreement: {agree}/{total} = {:.4} %", rate * 100.0);
    for d in &differ {
        println!("  differs: {d}");
    }
    assert_eq!(total, 23_703);
    assert!(rate >= 0.999, "agreement {rate}");
}

/// The Python package installed from PyPI (`.ci/run` installs vaderSentiment==3.3.2). CI must
/// have it; elsewhere the live comparison is skipped with a note.
fn python_vader() -> Option<PathBuf> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import vaderSentiment, os; print(os.path.dirname(vaderSentiment.__file__))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success());
    match out {
        Some(o) => Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
        None => {
            assert!(
                std::env::var("FANWATCH_REQUIRE_PYTHON_VADER").map_or(true, |v| v != "1"),
                "python3 with vaderSentiment 3.3.2 is required (pip install vaderSentiment==3.3.2)"
            );
            eprintln!("NOTE: python3 -c 'import vaderSentiment' failed; live comparison skipped");
            None
        }
    }
}

/// Scores every ground-truth text with the live Python package in one process and compares.
#[test]
fn compound_agrees_with_live_python() {
    let (Some(dir), Some(_)) = (common::shared("data/sentiment/vader"), python_vader()) else {
        return;
    };
    const SCRIPT: &str = "import sys, json\n\
        import vaderSentiment\n\
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer\n\
        from importlib.metadata import version\n\
        assert version('vaderSentiment') == '3.3.2', version('vaderSentiment')\n\
        a = SentimentIntensityAnalyzer()\n\
        for line in sys.stdin:\n    print(a.polarity_scores(json.loads(line))['compound'])\n";
    let texts: Vec<String> = SETS
        .iter()
        .flat_map(|set| reference(&dir, set))
        .map(|r| r.5)
        .collect();
    let input: String = texts
        .iter()
        .map(|t| serde_json::to_string(t).unwrap() + "\n")
        .collect();
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        std::io::Write::write_all(&mut stdin, input.as_bytes()).unwrap()
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "python failed");
    let python: Vec<f64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(python.len(), texts.len());
    let mut agree = 0;
    for (text, reference) in texts.iter().zip(&python) {
        let ours = vader::polarity(text).compound;
        if (ours - reference).abs() <= 0.0005 {
            agree += 1;
        } else {
            println!("  differs from live Python: ours {ours} python {reference}: {text}");
        }
    }
    let rate = agree as f64 / texts.len() as f64;
    println!(
        "VADER vs live Python 3.3.2: {agree}/{} = {:.4} %",
        texts.len(),
        rate * 100.0
    );
    assert!(rate >= 0.999, "agreement {rate}");
}

/// Every entry of the reference lexicon the reference can reach (it looks words up
/// lowercased) has the same valence here: the crate's copy plus the patches.
#[test]
fn lexicon_matches_the_reference_file() {
    let Some(package) = python_vader() else {
        return;
    };
    let text = std::fs::read_to_string(package.join("vader_lexicon.txt")).unwrap();
    // The reference builds a dict line by line: for a word listed twice the later line wins.
    let mut reference = std::collections::HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut cols = line.split('\t');
        let (Some(word), Some(valence)) = (cols.next(), cols.next()) else {
            continue;
        };
        reference.insert(word, valence.trim().parse::<f64>().unwrap());
    }
    let (mut checked, mut differ) = (0, Vec::new());
    for (word, valence) in reference {
        if word != word.to_lowercase() {
            continue;
        }
        checked += 1;
        if vader::word_valence(word) != Some(valence) {
            differ.push(format!(
                "{word}: ours {:?} reference {valence}",
                vader::word_valence(word)
            ));
        }
    }
    println!("reference lexicon entries checked: {checked}");
    assert!(checked > 7000);
    assert!(differ.is_empty(), "{differ:#?}");
}
