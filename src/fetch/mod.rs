//! The one HTTP client all sources share: timeouts, a body cap, conditional GET, a
//! User-Agent naming fanwatch, per-host politeness (see `hosts`), quick retries with jittered
//! back-off, and cancellation on shutdown.

mod hosts;

use std::time::Duration;

use hosts::Hosts;
pub use hosts::{Politeness, Refusal};
use rand::Rng;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
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
    #[error("HTTP {status}{}{}",
        retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default(),
        detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        status: u16,
        retry_after: Option<Duration>,
        /// The start of an error body that is JSON or plain text (APIs explain themselves
        /// there: "quotaExceeded", "invalid_grant"); HTML pages are left out.
        detail: Option<String>,
    },
    #[error("response larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("{0}")]
    Network(String),
    #[error("cancelled by shutdown")]
    Cancelled,
    #[error("request budget for {host} spent this cycle")]
    BudgetSpent { host: String },
    #[error("{host} is rate limiting us (retry after {}s)", retry_after.as_secs())]
    RateLimited { host: String, retry_after: Duration },
}

impl FetchError {
    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            FetchError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

/// One API request: a GET with a query, or a POST with a body.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: url::Url,
    pub headers: Vec<(header::HeaderName, String)>,
    /// (content type, bytes)
    pub body: Option<(&'static str, Vec<u8>)>,
}

impl Request {
    pub fn get(url: url::Url) -> Self {
        Self {
            method: reqwest::Method::GET,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post(url: url::Url, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            method: reqwest::Method::POST,
            url,
            headers: Vec::new(),
            body: Some((content_type, body)),
        }
    }

    pub fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION, format!("Bearer {token}"))
    }
}

/// A successful (2xx) response, its body read within the cap.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
    max_body_bytes: u64,
    hosts: Hosts,
}

impl HttpClient {
    pub fn new(
        timeout: Duration,
        max_body_bytes: u64,
        polite: Politeness,
    ) -> Result<Self, reqwest::Error> {
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
            hosts: Hosts::new(polite),
        })
    }

    /// Refills every host's request budget; called at the start of each cycle.
    pub fn begin_cycle(&self) {
        self.hosts.begin_cycle();
    }

    /// Sends `request` politely: waits for a slot on its host, retries 429/5xx and network
    /// errors a few times with jittered exponential back-off (or the server's `Retry-After`,
    /// when short), and pauses the host when it says to wait longer. Non-2xx answers that are
    /// not retried come back as `FetchError::Status`.
    #[tracing::instrument(skip_all, fields(method = %request.method, url = %redact_url(&request.url)))]
    pub async fn send(
        &self,
        request: &Request,
        cancel: &CancellationToken,
    ) -> Result<Response, FetchError> {
        // Host and port: two servers on one address are two hosts to be polite to.
        let host = match (request.url.host_str(), request.url.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (h, _) => h.unwrap_or_default().to_owned(),
        };
        let polite = self.hosts.politeness();
        let mut attempt = 0;
        loop {
            let permit = self.hosts.acquire(&host).await.map_err(|r| match r {
                Refusal::Budget => FetchError::BudgetSpent { host: host.clone() },
                Refusal::Paused(retry_after) => FetchError::RateLimited {
                    host: host.clone(),
                    retry_after,
                },
            })?;
            let result = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(FetchError::Cancelled),
                result = self.send_once(request) => result,
            };
            drop(permit);
            if let Ok(response) = &result {
                self.hosts.observe(&host, &response.headers);
            }
            let err = match result {
                Ok(response) => return Ok(response),
                Err(err) => err,
            };
            let retryable = match &err {
                FetchError::Status { status, .. } => {
                    matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504)
                }
                // Connection refused or reset fails fast and is often momentary; a timeout
                // already cost the whole timeout, so the source's back-off takes it.
                FetchError::Network(_) => true,
                _ => false,
            };
            let asked = err.retry_after();
            if let Some(wait) = asked
                && wait > polite.max_inline_wait
            {
                // Too long to hold a poll open: stop asking this host for a while, and let the
                // source's back-off bring it back.
                self.hosts.pause(&host, wait);
                return Err(err);
            }
            if !retryable || attempt >= polite.retries {
                return Err(err);
            }
            attempt += 1;
            let backoff = Duration::from_millis(250 * (1 << attempt.min(6)))
                .mul_f64(rand::rng().random_range(0.5..1.5));
            let wait = asked.unwrap_or(backoff);
            tracing::debug!(error = %err, attempt, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(FetchError::Cancelled),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn send_once(&self, request: &Request) -> Result<Response, FetchError> {
        let mut builder = self
            .client
            .request(request.method.clone(), request.url.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some((content_type, body)) = &request.body {
            builder = builder
                .header(header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let response = builder.send().await.map_err(|e| self.classify(e))?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers());
            let detail = if status == reqwest::StatusCode::NOT_MODIFIED {
                None
            } else {
                error_detail(response).await
            };
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after,
                detail,
            });
        }
        let headers = response.headers().clone();
        let bytes = self.read_body(response).await?;
        Ok(Response {
            status: status.as_u16(),
            content_type: header_str(&headers, header::CONTENT_TYPE),
            headers,
            bytes,
        })
    }

    /// GETs `url`, sending the validators so an unchanged resource costs a 304 and no body.
    pub async fn get(
        &self,
        url: &url::Url,
        validators: &Validators,
        cancel: &CancellationToken,
    ) -> Result<Fetched, FetchError> {
        let mut request = Request::get(url.clone());
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag.clone());
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, lm.clone());
        }
        match self.send(&request, cancel).await {
            Ok(response) => Ok(Fetched::Body {
                validators: Validators {
                    etag: header_str(&response.headers, header::ETAG),
                    last_modified: header_str(&response.headers, header::LAST_MODIFIED),
                },
                bytes: response.bytes,
                content_type: response.content_type,
            }),
            Err(FetchError::Status { status: 304, .. }) => Ok(Fetched::NotModified),
            Err(e) => Err(e),
        }
    }

    async fn read_body(&self, response: reqwest::Response) -> Result<Bytes, FetchError> {
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
        Ok(body.freeze())
    }

    fn classify(&self, e: reqwest::Error) -> FetchError {
        // The URL may carry an API key; the span around the request names it, redacted.
        let e = e.without_url();
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

/// Longest error body kept for the message: enough for a Google API error's `reason`.
const DETAIL_CHARS: usize = 600;

/// A URL fit for logs and messages: query values that look like keys or tokens are hidden.
pub fn redact_url(url: &url::Url) -> String {
    let secret = |k: &str| {
        matches!(
            k.to_ascii_lowercase().as_str(),
            "key" | "api_key" | "apikey" | "access_token" | "token" | "client_secret" | "password"
        )
    };
    if !url.query_pairs().any(|(k, _)| secret(&k)) {
        return url.to_string();
    }
    let mut url = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if secret(&k) {
                "***".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

/// The first few hundred characters of a JSON or text error body, on one line. Reads at most
/// 16 KiB, whatever the server sends.
async fn error_detail(mut response: reqwest::Response) -> Option<String> {
    let ct = header_str(response.headers(), header::CONTENT_TYPE)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !(ct.contains("json") || ct.starts_with("text/plain")) {
        return None;
    }
    let mut body = Vec::new();
    while body.len() < 16 * 1024 {
        match tokio::time::timeout(Duration::from_secs(2), response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&body);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = crate::domain::truncate_chars(&flat, DETAIL_CHARS);
    (!flat.is_empty()).then(|| flat.to_owned())
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
