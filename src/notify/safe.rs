//! Untrusted text (mention text, author names, titles) on its way into an email. HTML is
//! escaped by the templates; what is left to do here is what escaping cannot: keep it out of
//! headers, and keep links in it from becoming clickable in mail clients that linkify text.

use std::sync::LazyLock;

use regex::Regex;

/// Tokens a mail client would turn into a link: schemes, `www.`, addresses, bare domains.
static LINK_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z][a-z0-9+.-]*:/{1,3}|www\.|[^\s@]+@[^\s@]+\.|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Characters that reorder or hide text (bidi overrides, zero-width joiners): used to make
/// a link or a name look like something else.
fn is_deceptive(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// One line for a header or a table cell: no control characters or line breaks of any kind,
/// whitespace collapsed, at most `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4));
    let mut space = false;
    for c in s.chars() {
        if c.is_control() || c.is_whitespace() || matches!(c, '\u{2028}' | '\u{2029}') {
            space = !out.is_empty();
            continue;
        }
        if is_deceptive(c) {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    crate::domain::truncate_chars(&out, max).to_owned()
}

/// Body text: line breaks kept (at most two in a row), other control characters dropped,
/// link-like tokens defanged, at most `max` characters.
pub fn body_text(s: &str, max: usize) -> String {
    let mut cleaned = String::with_capacity(s.len());
    let mut newlines = 0;
    for c in s.chars() {
        if c == '\n' {
            newlines += 1;
            if newlines <= 2 {
                cleaned.push('\n');
            }
            continue;
        }
        if c.is_control() || is_deceptive(c) || matches!(c, '\u{2028}' | '\u{2029}') {
            if c == '\t' {
                cleaned.push(' ');
            }
            continue;
        }
        newlines = 0;
        cleaned.push(c);
    }
    defang(crate::domain::truncate_chars(cleaned.trim(), max))
}

/// `https://evil.example/x` → `https[:]//evil[.]example/x`: still readable, no longer a link.
pub fn defang(s: &str) -> String {
    if !LINK_LIKE.is_match(s) {
        return s.to_owned();
    }
    s.split_inclusive(char::is_whitespace)
        .map(|token| {
            if LINK_LIKE.is_match(token) {
                token
                    .replace("://", "[:]//")
                    .replace(":/", "[:]/")
                    .replace('.', "[.]")
                    .replace('@', "[@]")
            } else {
                token.to_owned()
            }
        })
        .collect()
}

/// A link fanwatch itself puts in an email (the mention's own page): only plain http(s)
/// URLs, and only if they parse; anything else is shown as defanged text, never linked.
pub fn safe_link(raw: Option<&str>) -> Option<String> {
    let url = url::Url::parse(raw?.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_lose_line_breaks_and_controls() {
        assert_eq!(
            one_line("Great\r\nBcc: evil@x.com\u{0}\u{202E}moc", 100),
            "Great Bcc: evil@x.com moc"
        );
        assert_eq!(one_line("a\u{2028}b\u{85}c", 100), "a b c");
        assert_eq!(one_line("  spaced   out  ", 100), "spaced out");
        assert_eq!(one_line("abcdef", 4).chars().count(), 4);
    }

    #[test]
    fn links_in_untrusted_text_are_defanged() {
        let out = body_text(
            "Win a prize at https://evil.example/login or www.evil.example, mail me@evil.example.\nThanks. Good service!",
            1000,
        );
        assert!(!out.contains("https://"), "{out}");
        assert!(!out.contains("www."), "{out}");
        assert!(!out.contains("evil.example"), "{out}");
        assert!(!out.contains("me@evil"), "{out}");
        assert!(out.contains("Thanks. Good service!"), "{out}");
        assert!(out.contains('\n'));
        assert_eq!(defang("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(defang("see evil.com"), "see evil[.]com");
        assert_eq!(defang("plain words, e.g. this."), "plain words, e.g. this.");
    }

    #[test]
    fn only_http_links_are_linked() {
        assert_eq!(
            safe_link(Some("https://mastodon.ee/@kadri/1")).as_deref(),
            Some("https://mastodon.ee/@kadri/1")
        );
        assert_eq!(safe_link(Some("javascript:alert(1)")), None);
        assert_eq!(safe_link(Some("data:text/html,<b>x</b>")), None);
        assert_eq!(safe_link(Some("not a url")), None);
        assert_eq!(safe_link(None), None);
    }
}
