//! Config value types that parse themselves, so deserialising a config also validates it.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// A cron expression with seconds ("0 */15 * * * *").
#[derive(Clone)]
pub struct CronSchedule {
    expr: String,
    schedule: cron::Schedule,
}

impl CronSchedule {
    pub fn parse(expr: &str) -> Result<Self, String> {
        let schedule = cron::Schedule::from_str(expr.trim())
            .map_err(|e| format!("invalid cron expression {expr:?}: {e} (six fields, seconds first, e.g. \"0 */15 * * * *\")"))?;
        if schedule.upcoming(chrono::Utc).next().is_none() {
            return Err(format!("cron expression {expr:?} never fires"));
        }
        Ok(Self {
            expr: expr.trim().to_owned(),
            schedule,
        })
    }

    pub fn default_every_15_minutes() -> Self {
        // The literal is known to be valid; a unit test keeps it so.
        Self::parse("0 */15 * * * *").unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// The next time the schedule fires after `after`.
    pub fn next_after(
        &self,
        after: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        self.schedule.after(&after).next()
    }

    /// The times the schedule fires after `from` and up to `to`, read in time zone `tz`.
    pub fn occurrences_in<'a, Tz: chrono::TimeZone + 'a>(
        &'a self,
        tz: &Tz,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> impl Iterator<Item = chrono::DateTime<chrono::Utc>> + 'a {
        self.schedule
            .after(&from.with_timezone(tz))
            .map(|t| t.with_timezone(&chrono::Utc))
            .take_while(move |t| *t <= to)
    }

    pub fn as_str(&self) -> &str {
        &self.expr
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.expr)
    }
}

impl<'de> Deserialize<'de> for CronSchedule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An absolute http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(url::Url);

impl HttpUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw.trim()).map_err(|e| format!("invalid URL {raw:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("URL {raw:?} must start with http:// or https://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("URL {raw:?} has no host"));
        }
        Ok(Self(url))
    }

    pub fn as_url(&self) -> &url::Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Where the data lives: `sqlite://path` (embedded default) or `postgres://...`.
/// The URL may hold a password, so `Debug` and `Display` hide it.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("sqlite:") {
            let path = raw.trim_start_matches("sqlite:").trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("sqlite URL has no file path (e.g. sqlite://fanwatch.db)".into());
            }
            Ok(Self::Sqlite(raw.to_owned()))
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|e| format!("invalid PostgreSQL URL: {e}"))?;
            Ok(Self::Postgres(raw.to_owned()))
        } else {
            Err("database URL must start with sqlite:// or postgres://".into())
        }
    }

    pub fn default_sqlite() -> Self {
        Self::Sqlite("sqlite://fanwatch.db".into())
    }

    /// The full URL, password included: only for handing to the driver.
    pub fn expose(&self) -> &str {
        match self {
            Self::Sqlite(s) | Self::Postgres(s) => s,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(s) => f.write_str(s),
            Self::Postgres(s) => match url::Url::parse(s) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("***"));
                    }
                    f.write_str(url.as_str())
                }
                Err(_) => f.write_str("postgres://***"),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A regular expression that compiled; matched case-insensitively unless it says otherwise.
#[derive(Clone)]
pub struct RegexPattern(regex::Regex);

impl RegexPattern {
    pub fn parse(raw: &str) -> Result<Self, String> {
        regex::RegexBuilder::new(raw)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map(Self)
            .map_err(|e| format!("invalid regex {raw:?}: {e}"))
    }

    pub fn regex(&self) -> &regex::Regex {
        &self.0
    }
}

impl fmt::Debug for RegexPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegexPattern({:?})", self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for RegexPattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A duration in whole seconds, at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(u64);

impl Seconds {
    pub fn get(self) -> u64 {
        self.0
    }

    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0)
    }

    pub(super) fn thirty() -> Self {
        Self(30)
    }

    pub(super) fn sixty() -> Self {
        Self(60)
    }

    pub(super) fn six_hours() -> Self {
        Self(6 * 3600)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = u64::deserialize(d)?;
        if raw == 0 || raw > 7 * 24 * 3600 {
            return Err(serde::de::Error::custom(
                "must be between 1 and 604800 seconds",
            ));
        }
        Ok(Self(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_is_valid() {
        assert_eq!(
            CronSchedule::default_every_15_minutes().as_str(),
            "0 */15 * * * *"
        );
    }

    #[test]
    fn cron_needs_seconds_field() {
        assert!(CronSchedule::parse("*/15 * * * *").is_err());
        assert!(CronSchedule::parse("0 0 8 * * Mon").is_ok());
    }

    #[test]
    fn urls_must_be_http() {
        assert!(HttpUrl::parse("ftp://example.com/feed").is_err());
        assert!(HttpUrl::parse("not a url").is_err());
        assert!(HttpUrl::parse("https://example.com/feed.xml").is_ok());
    }

    #[test]
    fn database_password_is_hidden() {
        let url = DatabaseUrl::parse("postgres://bob:hunter2@db/fanwatch").unwrap();
        assert!(!format!("{url} {url:?}").contains("hunter2"));
        assert!(url.expose().contains("hunter2"));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
