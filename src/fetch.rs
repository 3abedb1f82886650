//! The one HTTP client all sources share: timeouts, a body cap, conditional GET, a
//! User-Agent naming fanwatch, and cancellation on shutdown.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio_util::sync::CancellationToken;

/// Cache validators a server gave for a URL; sent back to get a cheap 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum Fetched {
    /// 304: nothing changed since the validators were issued; nothing to parse.
    NotModified,
    Body {
        bytes: Bytes,
        content_type: Option<String>,
        validators: Validators,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("response larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("{0}")]
    Network(String),
    #[error("cancelled by shutdown")]
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
    max_body_bytes: u64,
}

impl HttpClient {
    pub fn new(timeout: Duration, max_body_bytes: u64) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(crate::USER_AGENT)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            client,
            timeout,
            max_body_bytes,
        })
    }

    /// GETs `url`, sending the validators so an unchanged resource costs a 304 and no body.
    #[tracing::instrument(skip(self, validators, cancel), fields(url = %url))]
    pub async fn get(
        &self,
        url: &url::Url,
        validators: &Validators,
        cancel: &CancellationToken,
    ) -> Result<Fetched, FetchError> {
        tokio::select! {
            biased;
            () = cancel.cancelled() => Err(FetchError::Cancelled),
            result = self.get_inner(url, validators) => result,
        }
    }

    async fn get_inner(
        &self,
        url: &url::Url,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let mut request = self.client.get(url.clone());
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, lm);
        }
        let response = request.send().await.map_err(|e| self.classify(e))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after: retry_after(response.headers()),
            });
        }
        let headers = response.headers();
        let content_type = header_str(headers, header::CONTENT_TYPE);
        let validators = Validators {
            etag: header_str(headers, header::ETAG),
            last_modified: header_str(headers, header::LAST_MODIFIED),
        };
        if response
            .content_length()
            .is_some_and(|len| len > self.max_body_bytes)
        {
            return Err(FetchError::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        // Counted while streaming (after decompression), so neither a lying Content-Length
        // nor a gzip bomb can make us hold more than the cap.
        let mut body = BytesMut::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(e))?;
            if (body.len() + chunk.len()) as u64 > self.max_body_bytes {
                return Err(FetchError::TooLarge {
                    limit: self.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            bytes: body.freeze(),
            content_type,
            validators,
        })
    }

    fn classify(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else {
            // The chain holds the useful part ("connection refused", "invalid gzip header").
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                source = s.source();
            }
            FetchError::Network(msg)
        }
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.len() <= 1024)
}

/// `Retry-After` as delay seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = header_str(headers, header::RETRY_AFTER)?;
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate(&raw)?;
    (when - chrono::Utc::now()).to_std().ok()
}

fn httpdate(raw: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc2822(raw)
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
        let future = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        h.insert(header::RETRY_AFTER, HeaderValue::from_str(&future).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d.as_secs() > 60 && d.as_secs() <= 90, "{d:?}");
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
