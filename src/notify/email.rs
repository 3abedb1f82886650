//! Turning a rendered outbox row into a MIME message, and delivering it: over SMTP with
//! lettre, or into an `.eml` file in dry-run mode.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::config::NotifyConfig;
use super::recipients::Recipient;
use super::safe;
use crate::storage::{OutboxRow, RenderedEmail};

/// Environment variables for SMTP credentials, so they need not be in any URL or file.
pub const SMTP_USERNAME_ENV: &str = "FANWATCH_SMTP_USERNAME";
pub const SMTP_PASSWORD_ENV: &str = "FANWATCH_SMTP_PASSWORD";

/// `smtp_url` checks that do not need a connection.
pub struct SmtpTarget;

impl SmtpTarget {
    pub fn check_url(raw: &str) -> Result<(), String> {
        let url = url::Url::parse(raw.trim())
            .map_err(|e| format!("invalid SMTP URL: {e} (e.g. smtp://127.0.0.1:2525)"))?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(format!(
                "SMTP URL must start with smtp:// or smtps://, not {}://",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("SMTP URL has no host".into());
        }
        for (k, v) in url.query_pairs() {
            if k == "tls" && !matches!(v.as_ref(), "required" | "opportunistic") {
                return Err(format!("tls={v}: use tls=required (STARTTLS) or smtps://"));
            }
        }
        Ok(())
    }

    /// Whether the URL asks for TLS (implicit, or STARTTLS required or opportunistic).
    pub fn uses_tls(raw: &str) -> bool {
        url::Url::parse(raw.trim())
            .is_ok_and(|u| u.scheme() == "smtps" || u.query_pairs().any(|(k, _)| k == "tls"))
    }
}

/// The URL's TLS mode with `ca` trusted besides the public roots.
fn tls_with_ca(raw: &str, ca: &std::path::Path) -> Result<Tls, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("notify.smtp_url: {e}"))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let pem =
        std::fs::read(ca).map_err(|e| format!("notify.smtp_ca_file {}: {e}", ca.display()))?;
    let cert = Certificate::from_pem(&pem).map_err(|e| {
        format!(
            "notify.smtp_ca_file {}: not a PEM certificate: {e}",
            ca.display()
        )
    })?;
    let params = TlsParameters::builder(host)
        .add_root_certificate(cert)
        .build()
        .map_err(|e| format!("notify.smtp_ca_file {}: {e}", ca.display()))?;
    let mode = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    Ok(match (url.scheme(), mode.as_deref()) {
        ("smtps", _) => Tls::Wrapper(params),
        (_, Some("opportunistic")) => Tls::Opportunistic(params),
        _ => Tls::Required(params),
    })
}

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Each email becomes `<dir>/<outbox key>.eml`; nothing leaves the machine.
    DryRun(PathBuf),
}

impl std::fmt::Debug for Mailer {
    // The transport holds credentials: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::DryRun(dir) => write!(f, "Mailer::DryRun({})", dir.display()),
        }
    }
}

/// A failed delivery; `permanent` for a 5xx answer.
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    pub permanent: bool,
}

impl Mailer {
    pub fn new(config: &NotifyConfig) -> Result<Mailer, String> {
        if let Some(dir) = &config.dry_run_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("notify.dry_run_dir {}: {e}", dir.display()))?;
            return Ok(Mailer::DryRun(dir.clone()));
        }
        let raw = config
            .smtp_url
            .as_deref()
            .ok_or("notify.smtp_url is not set (or set notify.dry_run_dir)")?;
        SmtpTarget::check_url(raw).map_err(|e| format!("notify.smtp_url: {e}"))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(raw.trim())
            .map_err(|e| format!("notify.smtp_url: {e}"))?
            .timeout(Some(Duration::from_secs(config.smtp_timeout_secs)));
        if let Some(ca) = &config.smtp_ca_file {
            builder = builder.tls(tls_with_ca(raw, ca)?);
        }
        let user = std::env::var(SMTP_USERNAME_ENV).ok();
        let password = std::env::var(SMTP_PASSWORD_ENV).ok();
        if let (Some(user), Some(password)) = (user, password) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Mailer::Smtp(builder.build()))
    }

    pub async fn send(&self, message: &Message, key: &str) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(transport) => {
                transport
                    .send(message.clone())
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError {
                        permanent: e.is_permanent(),
                        message: format!("SMTP: {e}"),
                    })
            }
            Mailer::DryRun(dir) => {
                let path = dir.join(format!("{}.eml", file_stem(key)));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| SendError {
                        message: format!("cannot write {}: {e}", path.display()),
                        permanent: false,
                    })
            }
        }
    }
}

/// An outbox key as a file name: letters, digits, `-`, `_`, `.` only.
pub fn file_stem(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The MIME message for a rendered row: text and HTML alternatives, the CSV attached when
/// there is one, the row's Message-ID, and its creation time as the Date, so every retry
/// builds the same email.
pub fn build_message(
    from: &Recipient,
    row: &OutboxRow,
    rendered: &RenderedEmail,
) -> Result<Message, String> {
    let to = Recipient::parse(&row.recipient)?;
    compose(from, &to, &row.message_id, row.created_at, rendered)
}

/// `build_message` from its parts (previews have no row yet).
pub fn compose(
    from: &Recipient,
    to: &Recipient,
    message_id: &str,
    date: chrono::DateTime<chrono::Utc>,
    rendered: &RenderedEmail,
) -> Result<Message, String> {
    let from = Mailbox::new(
        Some("fanwatch".to_owned()),
        from.address().map_err(|e| format!("notify.from: {e}"))?,
    );
    let to = Mailbox::new(None, to.address().map_err(|e| e.to_string())?);
    let body = MultiPart::alternative()
        .singlepart(SinglePart::plain(rendered.text.clone()))
        .singlepart(SinglePart::html(rendered.html.clone()));
    let body = match &rendered.attachment {
        None => body,
        Some((name, csv)) => {
            let csv_type = ContentType::parse("text/csv; charset=utf-8")
                .map_err(|e| format!("content type: {e}"))?;
            MultiPart::mixed()
                .multipart(body)
                .singlepart(Attachment::new(file_stem(name)).body(csv.clone(), csv_type))
        }
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(safe::one_line(&rendered.subject, 200))
        .message_id(Some(message_id.to_owned()))
        .date(date.into())
        .multipart(body)
        .map_err(|e| format!("cannot build the email: {e}"))
}
