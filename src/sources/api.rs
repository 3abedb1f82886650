//! What every JSON API connector needs: one polite request → a typed body, with errors that
//! say what was wrong and where (an HTML error page, a truncated body, a missing field at
//! `data.children[3].data.id`), and lenient readers for the numbers and times inside.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::{PollContext, SourceError};
use crate::domain::Count;
use crate::fetch::{FetchError, Request, Response};

/// Sends `request` and decodes its JSON body. 404 means the configured target (a subreddit,
/// an app, a channel) does not exist: a config problem, not something to retry quickly.
pub async fn get_json<T: DeserializeOwned>(
    ctx: &PollContext,
    request: &Request,
    what: &str,
) -> Result<(T, Response), SourceError> {
    let response = match ctx.http.send(request, &ctx.cancel).await {
        Ok(r) => r,
        Err(FetchError::Status { status: 404, .. }) => {
            return Err(SourceError::Misconfigured(format!(
                "{what}: HTTP 404 Not Found for {} (check the source's ids, names and base_url)",
                redact(&request.url)
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let value = decode_json(what, &response)?;
    Ok((value, response))
}

/// Decodes a JSON body, refusing what is plainly not JSON with a message a person can act on.
pub fn decode_json<T: DeserializeOwned>(what: &str, response: &Response) -> Result<T, SourceError> {
    decode_json_bytes(what, response.content_type.as_deref(), &response.bytes)
}

pub fn decode_json_bytes<T: DeserializeOwned>(
    what: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<T, SourceError> {
    let body = trim_ascii_start(bytes);
    if body.is_empty() {
        return Err(SourceError::Parse(format!("{what}: empty response body")));
    }
    if body.starts_with(b"<") {
        return Err(SourceError::Parse(format!(
            "{what}: expected JSON, got an HTML or XML page{}{}",
            content_type
                .map(|c| format!(" (content-type {c})"))
                .unwrap_or_default(),
            html_title(body)
                .map(|t| format!(": {t:?}"))
                .unwrap_or_default()
        )));
    }
    if let Some(ct) = content_type {
        let ct = ct.to_ascii_lowercase();
        let textual =
            ct.contains("json") || ct.contains("javascript") || ct.starts_with("text/plain");
        if !textual {
            return Err(SourceError::Parse(format!(
                "{what}: expected JSON, got content-type {ct}"
            )));
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path == "." {
            String::new()
        } else {
            format!(" at `{path}`")
        };
        let kind = if inner.is_eof() {
            "truncated JSON"
        } else if inner.is_syntax() {
            "malformed JSON"
        } else {
            "unexpected JSON"
        };
        SourceError::Parse(format!("{what}: {kind}{at}: {inner}"))
    })
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// The `<title>` of an HTML error page, which usually says what went wrong.
fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = lower[start..].find('>')? + start + 1;
    let close = lower[open_end..].find("</title")? + open_end;
    let title = crate::text::html_to_text(&text[open_end..close]);
    let title = crate::domain::truncate_chars(title.trim(), 120).to_owned();
    (!title.is_empty()).then_some(title)
}

/// A URL fit for logs and messages: key and token query values hidden.
pub use crate::fetch::redact_url as redact;

/// A count as APIs send it: an integer, a float, or a numeric string. Negative values read as
/// 0; absurd ones (beyond `Count::MAX`, NaN) as unknown rather than as a huge audience.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Count>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    let raw: Option<Raw> = Option::deserialize(d)?;
    let value = match raw {
        Some(Raw::Int(n)) => Some(n as f64),
        Some(Raw::Float(f)) => Some(f),
        Some(Raw::Text(s)) => s.trim().parse::<f64>().ok(),
        Some(Raw::Other(_)) | None => None,
    };
    Ok(value.and_then(count_of))
}

/// `count` for a plain number already read.
pub fn count_of(value: f64) -> Option<Count> {
    if !value.is_finite() || value > Count::MAX as f64 {
        return None;
    }
    Some(Count::new(value.max(0.0) as i64))
}

/// A time as APIs send it: RFC 3339 text or Unix seconds (integer or float). Unreadable,
/// or more than a day in the future, reads as unknown: a bogus future date must not move
/// a cursor past everything real.
pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Num(f64),
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    let raw: Option<Raw> = Option::deserialize(d)?;
    let when = match raw {
        Some(Raw::Num(secs)) if secs.is_finite() && secs.abs() < 1e11 => {
            DateTime::from_timestamp(secs.trunc() as i64, 0)
        }
        Some(Raw::Text(s)) => parse_time(&s),
        _ => None,
    };
    Ok(when.filter(|t| *t <= Utc::now() + chrono::Duration::days(1)))
}

/// RFC 3339, with or without the zone (then UTC, as Algolia and some Lemmy versions write).
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// A string field that some APIs send as a number (ids, mostly).
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        UInt(u64),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        Some(Raw::Text(s)) => Some(s),
        Some(Raw::Int(n)) => Some(n.to_string()),
        Some(Raw::UInt(n)) => Some(n.to_string()),
        Some(Raw::Other(_)) | None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Page {
        #[allow(dead_code)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    struct Item {
        #[allow(dead_code)]
        id: String,
        #[serde(default, deserialize_with = "count")]
        likes: Option<Count>,
        #[serde(default, deserialize_with = "timestamp")]
        at: Option<DateTime<Utc>>,
    }

    fn decode(ct: Option<&str>, body: &str) -> Result<Page, String> {
        decode_json_bytes::<Page>("test", ct, body.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn errors_name_what_and_where() {
        let e = decode(Some("text/html"), "<html><title>502 Bad Gateway</title>").unwrap_err();
        assert!(e.contains("HTML") && e.contains("502 Bad Gateway"), "{e}");
        let e = decode(Some("application/json"), r#"{"items":[{"id":"a"},{"id":"b"#).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        let e = decode(
            Some("application/json"),
            r#"{"items":[{"id":"a"},{"nope":1}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("items[1]") && e.contains("id"), "{e}");
        let e = decode(Some("image/png"), r#"{"items":[]}"#).unwrap_err();
        assert!(e.contains("image/png"), "{e}");
        let e = decode(None, "   ").unwrap_err();
        assert!(e.contains("empty"), "{e}");
        assert!(decode(Some("application/json; charset=utf-8"), r#"{"items":[]}"#).is_ok());
    }

    #[test]
    fn numbers_and_times_are_read_leniently() {
        let page: Page = decode_json_bytes(
            "t",
            None,
            br#"{"items":[
                {"id":"a","likes":"12","at":1700000000},
                {"id":"b","likes":-3,"at":"2026-11-01T10:00:00.000Z"},
                {"id":"c","likes":1e300,"at":"2026-11-01T10:00:00"},
                {"id":"d","likes":{"x":1},"at":"9999-01-01T00:00:00Z"},
                {"id":"e","likes":null,"at":null}]}"#,
        )
        .unwrap();
        let likes: Vec<Option<i64>> = page.items.iter().map(|i| i.likes.map(Count::get)).collect();
        assert_eq!(likes, [Some(12), Some(0), None, None, None]);
        let at: Vec<bool> = page.items.iter().map(|i| i.at.is_some()).collect();
        assert_eq!(at, [true, true, true, false, false]);
    }

    #[test]
    fn secrets_are_redacted_from_urls() {
        let url = url::Url::parse("https://x.test/a?part=snippet&key=SECRET").unwrap();
        let shown = redact(&url);
        assert!(
            !shown.contains("SECRET") && shown.contains("part=snippet"),
            "{shown}"
        );
    }
}
