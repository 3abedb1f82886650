//! Feed XML is prepared here before the parser sees it.
//!
//! Encoding: everything becomes UTF-8 first. The parser's own switching panics on UTF-16
//! documents that declare their encoding, and its UTF-8 check rejects feeds that merely
//! mislabel Windows-1252 as UTF-8.
//!
//! Namespaces: Atom 0.3 and RSS with the old UserLand namespace are still served by some
//! sites; the parser knows neither, so they are mapped to Atom 1.0 and plain RSS.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Makes a feed document ready for the parser: UTF-8, and namespaces it understands.
pub fn prepare(bytes: &[u8]) -> Cow<'_, [u8]> {
    let utf8 = to_utf8(bytes);
    let head = &utf8[..utf8.len().min(4096)];
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    let unversioned_rss = RSS_ROOT
        .find(&String::from_utf8_lossy(head))
        .is_some_and(|m| !m.as_str().contains("version"));
    if !(has(ATOM_03.as_bytes()) || has(USERLAND.as_bytes()) || unversioned_rss) {
        return utf8;
    }
    let Ok(text) = std::str::from_utf8(&utf8) else {
        return utf8;
    };
    let text = if text.contains(ATOM_03) {
        // Atom 0.3 named content types by MIME type; Atom 1.0 by keyword.
        let text = text.replace(ATOM_03, ATOM_10);
        ATOM_03_TYPE
            .replace_all(&text, |c: &regex::Captures<'_>| match &c[2] {
                "text/plain" => format!("{}\"text\"", &c[1]),
                "application/xhtml+xml" => format!("{}\"xhtml\"", &c[1]),
                _ => format!("{}\"html\"", &c[1]),
            })
            .into_owned()
    } else {
        text.to_owned()
    };
    let text = USERLAND_DECL.replace_all(&text, "");
    // `<rss>` without a version is, in practice, RSS 2.0.
    let text = if unversioned_rss {
        RSS_ROOT
            .replace(&text, |c: &regex::Captures<'_>| {
                format!("<rss version=\"2.0\"{}", &c[0][4..])
            })
            .into_owned()
    } else {
        text.into_owned()
    };
    Cow::Owned(text.into_bytes())
}

/// The `<rss ...>` root start tag.
static RSS_ROOT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"<rss(\s[^>]*)?>").unwrap_or_else(|e| unreachable!("{e}"))
});

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
const USERLAND: &str = "http://backend.userland.com/rss";

/// A default-namespace declaration of UserLand's RSS namespaces (rss, rss2).
static USERLAND_DECL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"\s+xmlns\s*=\s*["']http://backend\.userland\.com/rss2?["']"#)
        .unwrap_or_else(|e| unreachable!("{e}"))
});

/// `type="..."` attributes with the MIME types Atom 0.3 used for text constructs.
static ATOM_03_TYPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"(\stype\s*=\s*)["'](text/plain|text/html|application/xhtml\+xml)["']"#)
        .unwrap_or_else(|e| unreachable!("{e}"))
});

/// Detects the encoding (byte-order mark, UTF-16 shape, XML declaration; UTF-8 by default)
/// and returns the document as UTF-8 with its declaration saying so.
pub fn to_utf8(bytes: &[u8]) -> Cow<'_, [u8]> {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => (enc, &bytes[bom_len..]),
        None => match bytes {
            [0x00, b'<', 0x00, _, ..] => (UTF_16BE, bytes),
            [b'<', 0x00, _, 0x00, ..] => (UTF_16LE, bytes),
            _ => (declared(bytes).unwrap_or(UTF_8), bytes),
        },
    };
    if encoding == UTF_8 {
        if std::str::from_utf8(body).is_ok() {
            return Cow::Borrowed(body);
        }
        // Declared (or assumed) UTF-8 but is not: read it as Windows-1252, as browsers do.
        let (text, _) = WINDOWS_1252.decode_without_bom_handling(body);
        return Cow::Owned(declare_utf8(&text).into_bytes());
    }
    let (text, _) = encoding.decode_without_bom_handling(body);
    Cow::Owned(declare_utf8(&text).into_bytes())
}

/// The encoding an ASCII-compatible XML declaration names, if it is one we know.
fn declared(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(512)];
    let head: String = head.iter().map(|&b| b as char).collect();
    let decl_end = head.find("?>")?;
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl_end.min(decl.len())];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let label = rest[1..].split(quote).next()?;
    let enc = Encoding::for_label(label.trim().as_bytes())?;
    // A UTF-16 label on a document that is not shaped like UTF-16 is a lie; go by the bytes.
    (enc != UTF_16LE && enc != UTF_16BE).then_some(enc)
}

/// Rewrites the XML declaration's encoding to UTF-8 after the text was transcoded.
fn declare_utf8(text: &str) -> String {
    let trimmed = text.trim_start();
    let lead = text.len() - trimmed.len();
    let Some(end) = trimmed
        .find("?>")
        .filter(|&i| trimmed.starts_with("<?xml") && i < 512)
    else {
        return text.to_owned();
    };
    let decl = &trimmed[..end];
    let Some(at) = decl.find("encoding") else {
        return text.to_owned();
    };
    let after = &decl[at..];
    let value_end = after
        .char_indices()
        .filter(|(_, c)| *c == '"' || *c == '\'')
        .nth(1)
        .map(|(i, _)| at + i + 1);
    match value_end {
        Some(value_end) => format!(
            "{}{}encoding=\"utf-8\"{}",
            &text[..lead],
            &decl[..at],
            &trimmed[value_end..]
        ),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str, be: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if be { [0xFE, 0xFF] } else { [0xFF, 0xFE] });
        }
        for unit in s.encode_utf16() {
            out.extend(if be {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    const DOC: &str = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss><t>Tšau õun</t></rss>";

    #[test]
    fn utf16_with_and_without_bom() {
        for (be, bom) in [(true, true), (true, false), (false, true), (false, false)] {
            let doc = utf16(DOC, be, bom);
            let out = to_utf8(&doc);
            let text = std::str::from_utf8(&out).unwrap();
            assert!(
                text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
                "{text}"
            );
            assert!(text.contains("Tšau õun"));
        }
    }

    #[test]
    fn declared_single_byte_encodings() {
        let mut doc = b"<?xml version='1.0' encoding='windows-1251'?><t>".to_vec();
        doc.extend([0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2]); // "Привет"
        doc.extend(b"</t>");
        let out = to_utf8(&doc);
        let text = std::str::from_utf8(&out).unwrap();
        assert!(
            text.contains("encoding=\"utf-8\"?>") && text.contains("Привет"),
            "{text}"
        );
    }

    #[test]
    fn mislabelled_latin1_is_recovered() {
        let doc = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>caf\xE9</t>";
        assert_eq!(
            std::str::from_utf8(&to_utf8(doc)).unwrap(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><t>café</t>"
        );
    }

    #[test]
    fn old_namespaces_are_mapped() {
        let atom03 = br#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><title>x</title></entry></feed>"#;
        let out = prepare(atom03);
        assert!(
            std::str::from_utf8(&out)
                .unwrap()
                .contains("xmlns=\"http://www.w3.org/2005/Atom\"")
        );
        let userland =
            br#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel/></rss>"#;
        assert_eq!(
            &*prepare(userland),
            br#"<rss version="2.0"><channel/></rss>"#
        );
        let bare = br#"<rss xmlns:itunes="x"><channel/></rss>"#;
        assert_eq!(
            &*prepare(bare),
            br#"<rss version="2.0" xmlns:itunes="x"><channel/></rss>"#
        );
    }

    #[test]
    fn utf8_passes_untouched() {
        let doc = "<?xml version=\"1.0\"?><t>õ</t>".as_bytes();
        assert!(matches!(to_utf8(doc), Cow::Borrowed(_)));
        let with_bom = [&[0xEF, 0xBB, 0xBF][..], doc].concat();
        assert_eq!(&*to_utf8(&with_bom), doc);
    }
}
