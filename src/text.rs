//! Text clean-up shared by all sources: HTML to plain text, white space, Unicode form.

use sha2::Digest;
use unicode_normalization::UnicodeNormalization;

/// Longest text kept per mention; beyond this a post is an article, and the start is enough
/// to match and score it.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Turns HTML (or plain text that may hold entities) into readable plain text: tags removed,
/// scripts and styles dropped with their content, block elements on lines of their own,
/// entities decoded (the full HTML5 table), white space collapsed, NFC-normalised so that
/// "õ" typed as o + combining tilde matches the brand term "õ".
///
/// A single linear pass, no document tree: feed items are short, hundreds of thousands go
/// through here per cycle, and hostile nesting costs nothing extra.
pub fn html_to_text(html: &str) -> String {
    let text = if html.contains('<') || html.contains('&') {
        let html = crate::domain::truncate_chars(html, MAX_TEXT_CHARS * 10);
        html_escape::decode_html_entities(&strip_tags(html)).into_owned()
    } else {
        html.to_owned()
    };
    let text = collapse_whitespace(&nfc(&text));
    crate::domain::truncate_chars(&text, MAX_TEXT_CHARS).to_owned()
}

/// Elements that start a new line of text.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
];
/// Elements that separate words but not lines.
const SPACED: &[&str] = &[
    "td", "th", "img", "input", "button", "label", "option", "select", "textarea",
];
/// Elements whose content is never text a person reads.
const HIDDEN: &[&str] = &[
    "script", "style", "head", "template", "noscript", "iframe", "object", "svg", "math",
];

/// Removes tags, keeping entities for the caller to decode. `<` that does not open a tag
/// ("a < b") stays text, as in HTML.
fn strip_tags(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    let mut text_start = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let lt = i + off;
        let next = bytes.get(lt + 1).copied().unwrap_or(b' ');
        if !(next.is_ascii_alphabetic() || matches!(next, b'/' | b'!' | b'?')) {
            i = lt + 1;
            continue;
        }
        out.push_str(&html[text_start..lt]);
        if html[lt..].starts_with("<!--") {
            let end = html[lt + 4..]
                .find("-->")
                .map_or(bytes.len(), |e| lt + 4 + e + 3);
            i = end;
            text_start = end;
            continue;
        }
        let end = tag_end(bytes, lt + 1);
        let closing = next == b'/';
        let name_start = if closing { lt + 2 } else { lt + 1 };
        let name: String = html[name_start.min(end)..end]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        i = (end + 1).min(bytes.len());
        if !closing && HIDDEN.contains(&name.as_str()) {
            // Skip to the matching close tag (case-insensitive); unclosed hides the rest.
            let close = format!("</{name}");
            i = find_ascii_ci(&html[i..], &close).map_or(bytes.len(), |p| i + p);
        } else if BLOCK.contains(&name.as_str()) {
            out.push('\n');
        } else if SPACED.contains(&name.as_str()) {
            out.push(' ');
        }
        text_start = i;
    }
    out.push_str(&html[text_start.min(html.len())..]);
    out
}

/// Index of the `>` closing a tag opened before `from`, skipping quoted attribute values.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (k, &b) in bytes.iter().enumerate().skip(from) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return k,
            _ => {}
        }
    }
    bytes.len()
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    haystack
        .as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Runs of white space become one space; line breaks survive as single newlines so that
/// paragraphs stay apart.
/// How many times `needle` occurs in `haystack`. Counts in byte-wide lanes, 255 bytes at a
/// time, which the compiler turns into SIMD compares: several times cheaper on short texts
/// than a per-byte `filter().count()` into a usize or a `memchr_iter` walk.
pub fn count_byte(haystack: &[u8], needle: u8) -> usize {
    haystack
        .chunks(255)
        .map(|chunk| {
            let lanes = chunk.iter().fold(0u8, |n, &b| n + u8::from(b == needle));
            usize::from(lanes)
        })
        .sum()
}

pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&words.join(" "));
    }
    out
}

/// Unicode NFC form, so that composed and decomposed spellings compare equal.
pub fn nfc(s: &str) -> String {
    // Nearly all text already is NFC; the quick check avoids rebuilding it char by char.
    if unicode_normalization::is_nfc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        return s.to_owned();
    }
    s.nfc().collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes_across_chunks() {
        assert_eq!(count_byte(b"", b'!'), 0);
        assert_eq!(count_byte(b"a!b!!", b'!'), 3);
        let long = vec![b'!'; 1000];
        assert_eq!(count_byte(&long, b'!'), 1000);
        assert_eq!(count_byte(&long, b'?'), 0);
    }

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(
            html_to_text("  Hello   world \n\n  again "),
            "Hello world\nagain"
        );
    }

    #[test]
    fn html_becomes_text() {
        let text =
            html_to_text("<p>Acme&#8217;s <b>new</b> caf&eacute; &amp; bar</p><p>Second</p>");
        assert_eq!(text, "Acme’s new café & bar\nSecond");
    }

    #[test]
    fn scripts_and_handlers_disappear() {
        let text = html_to_text(
            "<p>ok</p><script>alert('x')</script><img src=x onerror=\"alert(1)\"><style>p{}</style>",
        );
        assert!(!text.contains("alert"), "{text}");
        assert!(text.contains("ok"));
    }

    #[test]
    fn deep_nesting_does_not_crash() {
        let html = format!("{}text{}", "<div>".repeat(20_000), "</div>".repeat(20_000));
        assert!(html_to_text(&html).contains("text"));
        // Just under the limit the real renderer runs.
        let html = format!(
            "{}text{}",
            "<div><span>".repeat(120),
            "</span></div>".repeat(120)
        );
        assert!(html_to_text(&html).contains("text"));
    }

    #[test]
    fn tags_comments_and_lone_brackets() {
        assert_eq!(
            html_to_text("a < b and c>d <!-- hidden --> e"),
            "a < b and c>d e"
        );
        assert_eq!(
            html_to_text("<a title=\"x>y\" href='z'>link</a> text"),
            "link text"
        );
        assert_eq!(
            html_to_text("<TABLE><tr><td>1</td><td>2</td></tr></TABLE>"),
            "1 2"
        );
        assert_eq!(
            html_to_text("Ac<b>me</b> Cloud<br>next"),
            "Acme Cloud\nnext"
        );
        assert_eq!(html_to_text("<SCRIPT>x()</SCRIPT>kept<style>p{}"), "kept");
        assert_eq!(
            html_to_text("&lt;b&gt; is text &hellip; &rsquo;"),
            "<b> is text … ’"
        );
        assert_eq!(html_to_text("unclosed <div tag"), "unclosed");
    }

    #[test]
    fn decomposed_letters_are_composed() {
        assert_eq!(html_to_text("o\u{303}un"), "õun");
    }
}
