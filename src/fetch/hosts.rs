//! Politeness per host, shared by every source of a daemon: at most N requests in flight to a
//! host, a request budget per cycle, and a pause when the host says it is rate limiting us
//! (429 with a long `Retry-After`, or a rate-limit header counting down to zero).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How politely to treat each host.
#[derive(Debug, Clone, Copy)]
pub struct Politeness {
    pub per_host_concurrency: usize,
    /// Requests per host per cycle.
    pub per_host_requests: u32,
    /// Quick retries of one request (429, 5xx, network errors).
    pub retries: u32,
    /// Longest `Retry-After` waited out inside a poll; longer ones pause the host instead.
    pub max_inline_wait: Duration,
}

impl Default for Politeness {
    fn default() -> Self {
        Self {
            per_host_concurrency: 4,
            per_host_requests: 600,
            retries: 2,
            max_inline_wait: Duration::from_secs(10),
        }
    }
}

/// No server gets to pause us for longer than this in one go.
const MAX_PAUSE: Duration = Duration::from_secs(6 * 3600);

#[derive(Debug)]
struct Host {
    permits: Arc<Semaphore>,
    used: AtomicU32,
    paused_until: Mutex<Option<Instant>>,
}

/// Why a host cannot be asked right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// This cycle's request budget for the host is spent.
    Budget,
    /// The host asked us to wait this long.
    Paused(Duration),
}

#[derive(Debug, Clone)]
pub struct Hosts {
    polite: Politeness,
    hosts: Arc<Mutex<HashMap<String, Arc<Host>>>>,
}

impl Hosts {
    pub fn new(polite: Politeness) -> Self {
        Self {
            polite,
            hosts: Arc::default(),
        }
    }

    pub fn politeness(&self) -> Politeness {
        self.polite
    }

    fn host(&self, name: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        hosts
            .entry(name.to_owned())
            .or_insert_with(|| {
                Arc::new(Host {
                    permits: Arc::new(Semaphore::new(self.polite.per_host_concurrency.max(1))),
                    used: AtomicU32::new(0),
                    paused_until: Mutex::new(None),
                })
            })
            .clone()
    }

    /// A new cycle: every host's budget is full again (pauses stay until they run out).
    pub fn begin_cycle(&self) {
        let hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        for host in hosts.values() {
            host.used.store(0, Ordering::Relaxed);
        }
    }

    /// Waits for a slot on `name`, spending one request of its budget.
    pub async fn acquire(&self, name: &str) -> Result<OwnedSemaphorePermit, Refusal> {
        let host = self.host(name);
        if let Some(left) = remaining_pause(&host) {
            return Err(Refusal::Paused(left));
        }
        if host.used.fetch_add(1, Ordering::Relaxed) >= self.polite.per_host_requests {
            return Err(Refusal::Budget);
        }
        let permit = host
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Refusal::Budget)?;
        // Another request may have been told to back off while this one queued.
        match remaining_pause(&host) {
            Some(left) => Err(Refusal::Paused(left)),
            None => Ok(permit),
        }
    }

    /// Stops requests to `name` for `how_long` (capped).
    pub fn pause(&self, name: &str, how_long: Duration) {
        let host = self.host(name);
        let until = Instant::now() + how_long.min(MAX_PAUSE);
        let mut paused = host
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }

    /// Reads rate-limit headers; when the host says no requests are left, pauses it until
    /// the window resets.
    pub fn observe(&self, name: &str, headers: &HeaderMap) {
        if let Some(wait) = exhausted_rate_limit(headers, chrono::Utc::now()) {
            tracing::info!(
                host = name,
                wait_s = wait.as_secs(),
                "rate limit reached; pausing host"
            );
            self.pause(name, wait);
        }
    }
}

fn remaining_pause(host: &Host) -> Option<Duration> {
    let mut paused = host
        .paused_until
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    match *paused {
        Some(until) if until > Instant::now() => Some(until - Instant::now()),
        Some(_) => {
            *paused = None;
            None
        }
        None => None,
    }
}

/// `x-ratelimit-remaining` (Reddit sends "0.0", Mastodon "0") or `ratelimit-remaining`
/// (Bluesky, the IETF draft) at zero, with the reset as seconds from now, a Unix time, or an
/// RFC 3339 time (Mastodon). Without a usable reset, one minute.
fn exhausted_rate_limit(
    headers: &HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let (remaining, reset) = match get("x-ratelimit-remaining") {
        Some(r) => (r, get("x-ratelimit-reset")),
        None => (get("ratelimit-remaining")?, get("ratelimit-reset")),
    };
    let remaining: f64 = remaining.parse().ok()?;
    if remaining >= 1.0 {
        return None;
    }
    let wait = reset.and_then(|r| {
        if let Ok(n) = r.parse::<f64>() {
            let n = n.max(0.0);
            // Small numbers are seconds from now; large ones are a Unix time.
            if n < 1e9 {
                Some(Duration::from_secs_f64(n.min(MAX_PAUSE.as_secs_f64())))
            } else {
                let at = chrono::DateTime::from_timestamp(n as i64, 0)?;
                (at - now).to_std().ok()
            }
        } else {
            let at = chrono::DateTime::parse_from_rfc3339(r).ok()?;
            (at.with_timezone(&chrono::Utc) - now).to_std().ok()
        }
    });
    Some(
        wait.unwrap_or(Duration::from_secs(60))
            .max(Duration::from_secs(1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn rate_limit_headers_of_each_platform() {
        let now = chrono::Utc::now();
        // Reddit: float remaining, seconds to reset.
        let reddit = headers(&[
            ("x-ratelimit-remaining", "0.0"),
            ("x-ratelimit-reset", "42"),
        ]);
        assert_eq!(
            exhausted_rate_limit(&reddit, now),
            Some(Duration::from_secs(42))
        );
        let fine = headers(&[
            ("x-ratelimit-remaining", "57.0"),
            ("x-ratelimit-reset", "42"),
        ]);
        assert_eq!(exhausted_rate_limit(&fine, now), None);
        // Mastodon: RFC 3339 reset.
        let at = (now + chrono::Duration::seconds(300)).to_rfc3339();
        let masto = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &at)]);
        let wait = exhausted_rate_limit(&masto, now).unwrap();
        assert!((299..=300).contains(&wait.as_secs()), "{wait:?}");
        // Bluesky: Unix time.
        let epoch = (now.timestamp() + 120).to_string();
        let sky = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", &epoch)]);
        let wait = exhausted_rate_limit(&sky, now).unwrap();
        assert!((119..=120).contains(&wait.as_secs()), "{wait:?}");
        // Garbage is ignored, and a missing reset means a minute.
        assert_eq!(
            exhausted_rate_limit(&headers(&[("x-ratelimit-remaining", "lots")]), now),
            None
        );
        assert_eq!(
            exhausted_rate_limit(&headers(&[("ratelimit-remaining", "0")]), now),
            Some(Duration::from_secs(60))
        );
    }

    #[tokio::test]
    async fn budget_and_pause_refuse_requests() {
        let hosts = Hosts::new(Politeness {
            per_host_requests: 2,
            ..Politeness::default()
        });
        assert!(hosts.acquire("a").await.is_ok());
        assert!(hosts.acquire("a").await.is_ok());
        assert_eq!(hosts.acquire("a").await.unwrap_err(), Refusal::Budget);
        assert!(hosts.acquire("b").await.is_ok(), "budgets are per host");
        hosts.begin_cycle();
        assert!(
            hosts.acquire("a").await.is_ok(),
            "a new cycle refills the budget"
        );
        hosts.pause("b", Duration::from_secs(30));
        assert!(matches!(hosts.acquire("b").await, Err(Refusal::Paused(_))));
    }
}
