//! Email: the outbox rows flags and the weekly schedule write, the worker that delivers them
//! over SMTP (or into `.eml` files), and the templates they are rendered with.
//!
//! Safety rules, each enforced in one place: recipients only from the config's allow-list
//! (`config`, checked again before every send in `worker`), an hourly cap per recipient
//! (`worker`: excess alerts fold into the next digest), templates compiled into the binary
//! with auto-escaping (`render`), untrusted text kept out of headers and links (`safe`), and
//! one stable Message-ID per outbox key (`Router::message_id`), so a retry after a crash is
//! the same email.

pub mod config;
pub mod email;
pub mod recipients;
pub mod render;
pub mod safe;
pub mod weekly;
pub mod worker;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use sha2::{Digest, Sha256};

pub use config::{DigestEvery, Language, NotifyConfig, Route};
pub use recipients::{Recipient, RecipientPattern};
pub use worker::{Notifier, StepReport};

use crate::storage::{EmailKind, NewEmail, NewFlag};

/// Decides who is told of what, when, and under which idempotency key.
#[derive(Debug, Clone)]
pub struct Router {
    config: NotifyConfig,
    from_domain: String,
}

impl Router {
    /// None when nothing is to be sent (notify off, or no routes).
    pub fn new(config: &NotifyConfig) -> Option<Router> {
        if !config.active() {
            return None;
        }
        let from_domain = config
            .from
            .as_ref()
            .map_or("fanwatch.invalid", Recipient::domain)
            .to_owned();
        Some(Router {
            config: config.clone(),
            from_domain,
        })
    }

    pub fn config(&self) -> &NotifyConfig {
        &self.config
    }

    /// Derived from the outbox key alone: the same email always has the same Message-ID.
    pub fn message_id(&self, key: &str) -> String {
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        format!("<{}.fanwatch@{}>", &digest[..32], self.from_domain)
    }

    fn email(&self, key: String, kind: EmailKind, to: &Recipient, lang: Language) -> NewEmail {
        NewEmail {
            message_id: self.message_id(&key),
            key,
            kind,
            recipient: to.as_str().to_owned(),
            language: lang.as_str(),
            brand: None,
            flag_id: None,
            week: None,
            due_at: Utc::now(),
        }
    }

    /// Each recipient once, with the language of the first route that names them.
    fn recipients<'a>(
        &'a self,
        pick: impl Fn(&Route) -> bool + 'a,
    ) -> impl Iterator<Item = (&'a Recipient, Language)> + 'a {
        let mut seen = std::collections::HashSet::new();
        self.config
            .routes
            .iter()
            .filter(move |r| pick(r))
            .flat_map(|r| r.to.iter().map(move |to| (to, r.language)))
            .filter(move |(to, _)| seen.insert(to.as_str()))
    }

    /// The outbox rows of a new flag: an alert now if its severity is immediate, otherwise an
    /// item of each recipient's next digest.
    pub fn flag_emails(&self, flag_id: i64, flag: &NewFlag, now: DateTime<Utc>) -> Vec<NewEmail> {
        self.emails_for_flag(flag_id, flag.kind, flag.severity, &flag.brand, now)
    }

    /// `flag_emails` for a stored flag.
    pub fn emails_for_flag(
        &self,
        flag_id: i64,
        kind: &str,
        severity: &str,
        brand: &str,
        now: DateTime<Utc>,
    ) -> Vec<NewEmail> {
        let immediate = self
            .config
            .immediate_severities
            .iter()
            .any(|s| s == severity);
        let (email_kind, due) = if immediate {
            (EmailKind::Alert, now)
        } else {
            (EmailKind::DigestItem, self.next_digest(now))
        };
        self.recipients(|r| r.covers_brand(brand) && r.covers_kind(kind))
            .map(|(to, lang)| NewEmail {
                brand: Some(brand.to_owned()),
                flag_id: Some(flag_id),
                due_at: due,
                ..self.email(format!("flag:{flag_id}:{to}"), email_kind, to, lang)
            })
            .collect()
    }

    /// The digest row for one recipient's items that were due at `due`.
    pub fn digest_email(&self, to: &str, lang: &str, due: DateTime<Utc>) -> NewEmail {
        let language = Language::parse(lang).unwrap_or_default();
        let key = format!("digest:{to}:{}:{}", language.as_str(), due.timestamp());
        NewEmail {
            message_id: self.message_id(&key),
            key,
            kind: EmailKind::Digest,
            recipient: to.to_owned(),
            language: language.as_str(),
            brand: None,
            flag_id: None,
            week: None,
            due_at: due,
        }
    }

    /// One weekly list per brand, ISO week and recipient: the key makes a second daemon's (or
    /// a second run's) copy a no-op.
    pub fn weekly_emails(&self, brand: &str, week: &str, now: DateTime<Utc>) -> Vec<NewEmail> {
        self.recipients(|r| r.weekly && r.covers_brand(brand))
            .map(|(to, lang)| NewEmail {
                brand: Some(brand.to_owned()),
                week: Some(week.to_owned()),
                due_at: now,
                ..self.email(
                    format!("weekly:{brand}:{week}:{to}"),
                    EmailKind::Weekly,
                    to,
                    lang,
                )
            })
            .collect()
    }

    /// When the digest after `after` goes out: the next full hour, or the next
    /// `digest_hour` o'clock in the configured time zone.
    pub fn next_digest(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        match self.config.digest {
            DigestEvery::Hourly => {
                let hour = after
                    .with_minute(0)
                    .and_then(|t| t.with_second(0))
                    .and_then(|t| t.with_nanosecond(0))
                    .unwrap_or(after);
                hour + Duration::hours(1)
            }
            DigestEvery::Daily => {
                let tz = self.config.tz();
                let local = after.with_timezone(&tz);
                (0..3)
                    .filter_map(|d| {
                        let day = local.date_naive() + Duration::days(d);
                        let at = day.and_hms_opt(self.config.digest_hour, 0, 0)?;
                        // A DST gap hour has no local time; the earliest valid one is used.
                        tz.from_local_datetime(&at).earliest()
                    })
                    .map(|t| t.with_timezone(&Utc))
                    .find(|t| *t > after)
                    .unwrap_or(after + Duration::days(1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(toml: &str) -> Router {
        let config: NotifyConfig = toml::from_str(toml).unwrap();
        config.validate().unwrap();
        Router::new(&config).unwrap()
    }

    const BASE: &str = r#"
        smtp_url = "smtp://127.0.0.1:2525"
        from = "fanwatch@example.com"
        allow_recipients = ["*@example.com"]
        [[routes]]
        brands = ["Acme"]
        to = ["marketing@example.com", "cx@example.com"]
        language = "et"
        [[routes]]
        kinds = ["churn_risk"]
        to = ["marketing@example.com", "boss@example.com"]
    "#;

    fn flag(kind: &'static str, severity: &'static str, brand: &str) -> NewFlag {
        NewFlag {
            kind,
            severity,
            reason: "r".into(),
            brand: brand.into(),
            author_id: None,
            mention_id: None,
            cause_key: format!("{kind}:{brand}"),
        }
    }

    #[test]
    fn flags_go_to_matching_routes_once_per_recipient() {
        let r = router(BASE);
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 20, 0).unwrap();
        let emails = r.flag_emails(7, &flag("churn_risk", "high", "Acme"), now);
        let to: Vec<(&str, &str, EmailKind)> = emails
            .iter()
            .map(|e| (e.recipient.as_str(), e.language, e.kind))
            .collect();
        assert_eq!(
            to,
            [
                ("marketing@example.com", "et", EmailKind::Alert),
                ("cx@example.com", "et", EmailKind::Alert),
                ("boss@example.com", "en", EmailKind::Alert),
            ]
        );
        assert_eq!(emails[0].key, "flag:7:marketing@example.com");
        assert_eq!(emails[0].due_at, now);
        // Another brand's question: only routes for all brands and that kind.
        assert!(
            r.flag_emails(8, &flag("question", "low", "Other"), now)
                .is_empty()
        );
        let digest = r.flag_emails(9, &flag("question", "low", "Acme"), now);
        assert!(digest.iter().all(|e| e.kind == EmailKind::DigestItem));
        assert_eq!(
            digest[0].due_at,
            Utc.with_ymd_and_hms(2026, 12, 1, 11, 0, 0).unwrap()
        );
    }

    #[test]
    fn message_ids_follow_the_key() {
        let r = router(BASE);
        let a = r.message_id("flag:1:marketing@example.com");
        assert_eq!(a, r.message_id("flag:1:marketing@example.com"));
        assert_ne!(a, r.message_id("flag:2:marketing@example.com"));
        assert!(a.starts_with('<') && a.ends_with("@example.com>"), "{a}");
    }

    #[test]
    fn daily_digest_is_at_the_local_hour() {
        let r = router(&format!("digest = \"daily\"\ndigest_hour = 8\n{BASE}"));
        // 06:30 UTC is 08:30 in Tallinn in winter (UTC+2): next is tomorrow 06:00 UTC.
        let after = Utc.with_ymd_and_hms(2026, 12, 1, 6, 30, 0).unwrap();
        assert_eq!(
            r.next_digest(after),
            Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap()
        );
        let early = Utc.with_ymd_and_hms(2026, 12, 1, 5, 0, 0).unwrap();
        assert_eq!(
            r.next_digest(early),
            Utc.with_ymd_and_hms(2026, 12, 1, 6, 0, 0).unwrap()
        );
    }

    #[test]
    fn weekly_rows_are_one_per_brand_week_and_recipient() {
        let r = router(BASE);
        let now = Utc::now();
        let rows = r.weekly_emails("Acme", "2026-W48", now);
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|e| e.kind == EmailKind::Weekly));
        assert_eq!(rows[0].key, "weekly:Acme:2026-W48:marketing@example.com");
        assert_eq!(r.weekly_emails("Other", "2026-W48", now).len(), 2);
    }
}
