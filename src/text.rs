//! Text clean-up shared by all sources: HTML to plain text, white space, Unicode form.

use sha2::Digest;
use unicode_normalization::UnicodeNormalization;

/// Longest text kept per mention; beyond this a post is an article, and the start is enough
/// to match and score it.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Turns HTML (or plain text that may hold entities) into readable plain text: tags and
/// scripts removed, entities decoded, white space collapsed, NFC-normalised so that "õ" typed
/// as o + combining tilde matches the brand term "õ".
pub fn html_to_text(html: &str) -> String {
    let raw = if html.contains('<') || html.contains('&') {
        render_html(html)
    } else {
        html.to_owned()
    };
    let text = collapse_whitespace(&raw.nfc().collect::<String>());
    crate::domain::truncate_chars(&text, MAX_TEXT_CHARS).to_owned()
}

/// Deeper than this, the HTML renderer's cost explodes (it walks the tree recursively), and
/// no real post nests this deep: such input is treated as hostile and only stripped.
const MAX_NESTING: usize = 256;

fn render_html(html: &str) -> String {
    // Parsing cost grows with input; cap it before handing hostile input to the parser.
    let html = crate::domain::truncate_chars(html, MAX_TEXT_CHARS * 10);
    if nesting_depth(html) > MAX_NESTING {
        return strip_tags(html);
    }
    let rendered = html2text::config::plain_no_decorate()
        .raw_mode(true)
        .no_table_borders()
        .string_from_read(html.as_bytes(), 1_000_000);
    match rendered {
        Ok(text) => text,
        // The renderer refuses some pathological documents (e.g. absurd nesting); keep the
        // words rather than lose the item.
        Err(_) => strip_tags(html),
    }
}

/// Rough element depth: opening tags minus closing tags, ignoring self-closing and void ones.
fn nesting_depth(html: &str) -> usize {
    const VOID: [&str; 8] = ["br", "img", "hr", "meta", "link", "input", "source", "wbr"];
    let (mut depth, mut max) = (0usize, 0usize);
    for tag in html.split('<').skip(1) {
        let Some(end) = tag.find('>') else { continue };
        let inner = &tag[..end];
        if let Some(_closing) = inner.strip_prefix('/') {
            depth = depth.saturating_sub(1);
        } else if !(inner.ends_with('/') || inner.starts_with('!') || inner.starts_with('?')) {
            let name: String = inner.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            if !name.is_empty() && !VOID.contains(&name.to_ascii_lowercase().as_str()) {
                depth += 1;
                max = max.max(depth);
            }
        }
    }
    max
}

/// A plain tag stripper for input the HTML renderer must not see or refused: drops tags and
/// the content of scripts and styles, decodes the common entities.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[1..end].trim_start().to_ascii_lowercase();
        rest = &after[end + 1..];
        for skipped in ["script", "style"] {
            if tag.starts_with(skipped) {
                let close = format!("</{skipped}");
                let lower = rest.to_ascii_lowercase();
                rest = lower.find(&close).map_or("", |i| &rest[i..]);
            }
        }
        out.push(' ');
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after.find(';').filter(|&i| i <= 10);
        let decoded = semi.and_then(|i| {
            let name = &after[..i];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, i))
        });
        match decoded {
            Some((c, i)) => {
                out.push(c);
                rest = &after[i + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Runs of white space become one space; line breaks survive as single newlines so that
/// paragraphs stay apart.
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
    s.nfc().collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(html_to_text("  Hello   world \n\n  again "), "Hello world\nagain");
    }

    #[test]
    fn html_becomes_text() {
        let text = html_to_text("<p>Acme&#8217;s <b>new</b> caf&eacute; &amp; bar</p><p>Second</p>");
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
        let html = format!("{}text{}", "<div><span>".repeat(120), "</span></div>".repeat(120));
        assert!(html_to_text(&html).contains("text"));
    }

    #[test]
    fn fallback_stripper_drops_scripts_and_decodes() {
        let text = strip_tags("<div>a &amp; b<script>alert(1)</script> &#233;t&#xE9; <b>c</b></div>");
        assert_eq!(collapse_whitespace(&text), "a & b été c");
    }

    #[test]
    fn decomposed_letters_are_composed() {
        assert_eq!(html_to_text("o\u{303}un"), "õun");
    }
}
