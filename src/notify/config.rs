//! `[notify]`: where alerts and the weekly list go, and the limits that keep automated email
//! safe. Every recipient must match `allow_recipients`; a config that names anyone else does
//! not load.

use std::path::PathBuf;

use serde::Deserialize;

use super::recipients::{Recipient, RecipientPattern};
use crate::config::CronSchedule;
use crate::domain::BrandName;

/// Email templates exist in these languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Et,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Et => "et",
        }
    }

    pub fn parse(s: &str) -> Option<Language> {
        match s {
            "en" => Some(Language::En),
            "et" => Some(Language::Et),
            _ => None,
        }
    }
}

/// How often the flags that do not warrant an immediate email are summed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DigestEvery {
    #[default]
    Hourly,
    Daily,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Off: flags are listed but nothing is queued or sent.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// `smtp://host:port` (plain), `smtp://host:587?tls=required` (STARTTLS) or
    /// `smtps://host:465`. A user and password may be in the URL when it comes from
    /// `FANWATCH_NOTIFY__SMTP_URL`; `FANWATCH_SMTP_USERNAME`/`FANWATCH_SMTP_PASSWORD` also work.
    #[serde(default)]
    pub smtp_url: Option<String>,
    /// A PEM file with the certificate of a private CA that signed the SMTP server's
    /// certificate (trusted in addition to the public roots); needs smtps:// or tls=required.
    #[serde(default)]
    pub smtp_ca_file: Option<PathBuf>,
    /// Writes each email as an `.eml` file into this folder instead of sending it.
    #[serde(default)]
    pub dry_run_dir: Option<PathBuf>,
    #[serde(default)]
    pub from: Option<Recipient>,
    /// Exact addresses or `*@domain`; nothing is ever sent to anyone else.
    #[serde(default)]
    pub allow_recipients: Vec<RecipientPattern>,
    /// Emails per recipient per rolling hour; alerts beyond it fold into the next digest.
    #[serde(default = "default_max_per_hour")]
    pub max_per_recipient_per_hour: u32,
    /// Flag severities that are emailed at once; the rest go into the digest.
    #[serde(default = "default_immediate")]
    pub immediate_severities: Vec<String>,
    #[serde(default)]
    pub digest: DigestEvery,
    /// Local hour of the daily digest (in `timezone`).
    #[serde(default = "default_digest_hour")]
    pub digest_hour: u32,
    /// The weekly advocate list: cron with seconds, in `timezone`.
    #[serde(default = "default_weekly_schedule")]
    pub weekly_schedule: CronSchedule,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Advocates listed in the weekly email (the CSV attachment has them all).
    #[serde(default = "default_weekly_top")]
    pub weekly_top: usize,
    /// Delivery attempts before an email is dead-lettered.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    #[serde(default = "default_retry_base")]
    pub retry_base_secs: u64,
    #[serde(default = "default_retry_max")]
    pub retry_max_secs: u64,
    /// A claimed email not marked sent after this long (its daemon died) is claimed again.
    #[serde(default = "default_claim_timeout")]
    pub claim_timeout_secs: u64,
    #[serde(default = "default_smtp_timeout")]
    pub smtp_timeout_secs: u64,
    /// How often the worker looks for due email when nothing wakes it.
    #[serde(default = "default_poll_interval")]
    pub poll_interval_ms: u64,
    /// Emails sent at the same time.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default)]
    pub routes: Vec<Route>,
}

/// Who gets what: a brand filter, a flag-kind filter, recipients and their language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Empty: every brand.
    #[serde(default)]
    pub brands: Vec<BrandName>,
    /// Flag kinds alerted on this route; empty: every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
    pub to: Vec<Recipient>,
    #[serde(default)]
    pub language: Language,
    /// Whether this route also gets the weekly advocate list.
    #[serde(default = "default_true")]
    pub weekly: bool,
}

impl Route {
    pub fn covers_brand(&self, brand: &str) -> bool {
        self.brands.is_empty() || self.brands.iter().any(|b| b.as_str() == brand)
    }

    pub fn covers_kind(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind)
    }
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            smtp_url: None,
            smtp_ca_file: None,
            dry_run_dir: None,
            from: None,
            allow_recipients: Vec::new(),
            max_per_recipient_per_hour: default_max_per_hour(),
            immediate_severities: default_immediate(),
            digest: DigestEvery::default(),
            digest_hour: default_digest_hour(),
            weekly_schedule: default_weekly_schedule(),
            timezone: default_timezone(),
            weekly_top: default_weekly_top(),
            max_attempts: default_max_attempts(),
            retry_base_secs: default_retry_base(),
            retry_max_secs: default_retry_max(),
            claim_timeout_secs: default_claim_timeout(),
            smtp_timeout_secs: default_smtp_timeout(),
            poll_interval_ms: default_poll_interval(),
            concurrency: default_concurrency(),
            routes: Vec::new(),
        }
    }
}

/// Flag kinds a route may name.
pub const FLAG_KINDS: [&str; 5] = [
    "negative_experience",
    "churn_risk",
    "question",
    "influential_fan",
    "spike",
];

const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

impl NotifyConfig {
    /// Whether anything is to be queued: a route and somewhere to deliver.
    pub fn active(&self) -> bool {
        self.enabled && !self.routes.is_empty()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        // Checked by `validate`; UTC only for a config that skipped it.
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }

    pub fn is_allowed(&self, to: &Recipient) -> bool {
        self.allow_recipients.iter().any(|p| p.matches(to))
    }

    /// The first problem as (key path below `notify`, message).
    pub fn validate(&self) -> Result<(), (Vec<String>, String)> {
        let key = |k: &str| vec![k.to_owned()];
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err((
                key("timezone"),
                format!(
                    "unknown time zone {:?} (an IANA name such as \"Europe/Tallinn\")",
                    self.timezone
                ),
            ));
        }
        if self.digest_hour > 23 {
            return Err((key("digest_hour"), "must be between 0 and 23".into()));
        }
        if self.max_per_recipient_per_hour == 0 {
            return Err((
                key("max_per_recipient_per_hour"),
                "must be at least 1".into(),
            ));
        }
        if self.max_attempts == 0 || self.max_attempts > 100 {
            return Err((key("max_attempts"), "must be between 1 and 100".into()));
        }
        if self.retry_base_secs == 0 || self.retry_base_secs > self.retry_max_secs {
            return Err((
                key("retry_base_secs"),
                "must be at least 1 and not above retry_max_secs".into(),
            ));
        }
        if self.smtp_timeout_secs == 0 {
            return Err((key("smtp_timeout_secs"), "must be at least 1".into()));
        }
        // A claim must outlive a send, or a second daemon could take over an email that is
        // still being sent.
        if self.claim_timeout_secs <= self.smtp_timeout_secs {
            return Err((
                key("claim_timeout_secs"),
                "must be larger than smtp_timeout_secs".into(),
            ));
        }
        if self.concurrency == 0 || self.concurrency > 64 {
            return Err((key("concurrency"), "must be between 1 and 64".into()));
        }
        if self.weekly_top == 0 {
            return Err((key("weekly_top"), "must be at least 1".into()));
        }
        if let Some(i) = self
            .immediate_severities
            .iter()
            .position(|s| !SEVERITIES.contains(&s.as_str()))
        {
            return Err((
                vec!["immediate_severities".into(), i.to_string()],
                format!("unknown severity (one of {})", SEVERITIES.join(", ")),
            ));
        }
        if let Some(url) = &self.smtp_url {
            super::email::SmtpTarget::check_url(url).map_err(|e| (key("smtp_url"), e))?;
            if self.smtp_ca_file.is_some() && !super::email::SmtpTarget::uses_tls(url) {
                return Err((
                    key("smtp_ca_file"),
                    "a CA file needs TLS: use smtps:// or smtp://...?tls=required".into(),
                ));
            }
        }
        if !self.routes.is_empty() && self.from.is_none() {
            return Err((key("from"), "routes need a sender address".into()));
        }
        if !self.routes.is_empty() && self.smtp_url.is_none() && self.dry_run_dir.is_none() {
            return Err((
                key("smtp_url"),
                "routes need smtp_url (or dry_run_dir to write .eml files)".into(),
            ));
        }
        for (i, route) in self.routes.iter().enumerate() {
            let at = |k: &str| vec!["routes".into(), i.to_string(), k.to_owned()];
            if route.to.is_empty() {
                return Err((at("to"), "a route needs at least one recipient".into()));
            }
            for (j, to) in route.to.iter().enumerate() {
                if !self.is_allowed(to) {
                    let mut path = at("to");
                    path.push(j.to_string());
                    return Err((path, format!("{to} is not in notify.allow_recipients")));
                }
            }
            if let Some(j) = route
                .kinds
                .iter()
                .position(|k| !FLAG_KINDS.contains(&k.as_str()))
            {
                let mut path = at("kinds");
                path.push(j.to_string());
                return Err((
                    path,
                    format!("unknown flag kind (one of {})", FLAG_KINDS.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

fn default_true() -> bool {
    true
}

fn default_max_per_hour() -> u32 {
    20
}

fn default_immediate() -> Vec<String> {
    vec!["high".into(), "critical".into()]
}

fn default_digest_hour() -> u32 {
    8
}

fn default_weekly_schedule() -> CronSchedule {
    // The literal is known to be valid; a unit test keeps it so.
    CronSchedule::parse("0 0 8 * * Mon").unwrap_or_else(|e| unreachable!("{e}"))
}

fn default_timezone() -> String {
    "Europe/Tallinn".into()
}

fn default_weekly_top() -> usize {
    10
}

fn default_max_attempts() -> u32 {
    12
}

fn default_retry_base() -> u64 {
    30
}

fn default_retry_max() -> u64 {
    3600
}

fn default_claim_timeout() -> u64 {
    120
}

fn default_smtp_timeout() -> u64 {
    30
}

fn default_poll_interval() -> u64 {
    1000
}

fn default_concurrency() -> usize {
    4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(
            NotifyConfig::default().weekly_schedule.as_str(),
            "0 0 8 * * Mon"
        );
        assert!(NotifyConfig::default().validate().is_ok());
        assert_eq!(NotifyConfig::default().tz(), chrono_tz::Europe::Tallinn);
    }
}
