//! `fanwatch notify status|preview|send|requeue` and `fanwatch report weekly`.

use std::io::Write;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::commands::{load, open};
use super::output::write_json;
use super::{CliError, NotifyAction, OutputFormat};
use crate::domain::truncate_chars;
use crate::notify::email::compose;
use crate::notify::{Notifier, Recipient};
use crate::storage::{NewEmail, OutboxCount, OutboxRow, Store};

#[derive(Serialize)]
struct Status<'a> {
    counts: &'a [OutboxCount],
    dead: Vec<&'a OutboxRow>,
    pending: Vec<&'a OutboxRow>,
}

/// Counts per kind and status, every dead-lettered email with its last error, and what is
/// waiting.
pub async fn status(
    out: &mut impl Write,
    store: &Store,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let counts = store.outbox_counts().await?;
    let dead = store.outbox_rows(Some("dead"), 1000).await?;
    let pending = store.outbox_rows(Some("pending"), 1000).await?;
    if format == OutputFormat::Json {
        return write_json(
            out,
            &Status {
                counts: &counts,
                dead: dead.iter().collect(),
                pending: pending.iter().collect(),
            },
        );
    }
    if counts.is_empty() {
        writeln!(out, "outbox is empty")?;
        return Ok(());
    }
    writeln!(out, "{:<12} {:<9} {:>7}", "KIND", "STATUS", "EMAILS")?;
    for c in &counts {
        writeln!(out, "{:<12} {:<9} {:>7}", c.kind, c.status, c.count)?;
    }
    let list = |out: &mut dyn Write, title: &str, rows: &[OutboxRow]| -> std::io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        writeln!(out, "\n{title}")?;
        writeln!(
            out,
            "{:>6}  {:<11} {:<30} {:>8}  {:<20}  ERROR",
            "ID", "KIND", "TO", "ATTEMPTS", "DUE"
        )?;
        for r in rows {
            writeln!(
                out,
                "{:>6}  {:<11} {:<30} {:>8}  {:<20}  {}",
                r.id,
                r.kind,
                truncate_chars(&r.recipient, 30),
                r.attempts,
                r.due_at.format("%Y-%m-%d %H:%M:%S"),
                truncate_chars(r.last_error.as_deref().unwrap_or(""), 120)
            )?;
        }
        Ok(())
    };
    list(
        out,
        "dead-lettered (fanwatch notify requeue ID | --all):",
        &dead,
    )?;
    list(out, "waiting:", &pending)?;
    Ok(())
}

/// Prints one email as it would go out: headers, then each part; `raw` prints the MIME
/// message itself.
async fn print_email(
    out: &mut impl Write,
    notifier: &Notifier,
    row: &OutboxRow,
    raw: bool,
) -> anyhow::Result<()> {
    let rendered = match row.rendered() {
        Some(stored) => stored,
        None => notifier.render(row).await.map_err(anyhow::Error::msg)?,
    };
    let to = Recipient::parse(&row.recipient).map_err(anyhow::Error::msg)?;
    let message = compose(
        notifier.from(),
        &to,
        &row.message_id,
        row.created_at,
        &rendered,
    )
    .map_err(anyhow::Error::msg)?;
    if raw {
        out.write_all(&message.formatted())?;
        writeln!(out)?;
        return Ok(());
    }
    let headers = message.headers();
    for name in ["From", "To", "Subject", "Message-ID", "Date"] {
        if let Some(value) = headers.get_raw(name) {
            writeln!(out, "{name}: {value}")?;
        }
    }
    writeln!(out, "X-Fanwatch-Key: {}", row.key)?;
    if let Some((name, csv)) = &rendered.attachment {
        writeln!(out, "Attachment: {name} ({} bytes, text/csv)", csv.len())?;
    }
    writeln!(out, "\n--- text/plain ---\n{}", rendered.text.trim_end())?;
    writeln!(out, "\n--- text/html ---\n{}", rendered.html.trim_end())?;
    writeln!(out, "\n=== end of email to {} ===\n", row.recipient)?;
    Ok(())
}

/// The queued row of `email` (its stored rendering is exactly what a retry sends), or, when
/// it is not queued, the row it would get.
async fn queued_or_preview(store: &Store, email: &NewEmail) -> anyhow::Result<OutboxRow> {
    Ok(store
        .outbox_by_key(&email.key)
        .await?
        .unwrap_or_else(|| OutboxRow {
            id: 0,
            key: email.key.clone(),
            kind: email.kind.as_str().to_owned(),
            recipient: email.recipient.clone(),
            language: email.language.to_owned(),
            brand: email.brand.clone(),
            flag_id: email.flag_id,
            week: email.week.clone(),
            message_id: email.message_id.clone(),
            status: "preview".into(),
            attempts: 0,
            due_at: email.due_at,
            subject: None,
            body_text: None,
            body_html: None,
            attachment_name: None,
            attachment: None,
            last_error: None,
            created_at: Utc::now(),
            sent_at: None,
        }))
}

/// `notify preview --flag ID`: the alert (or digest entry) each recipient would get.
pub async fn preview_flag(
    out: &mut impl Write,
    notifier: &Notifier,
    store: &Store,
    id: i64,
    raw: bool,
) -> anyhow::Result<usize> {
    let flags = store.flag_details(&[id]).await?;
    let flag = flags
        .first()
        .ok_or_else(|| anyhow::anyhow!("no flag with id {id}"))?;
    let emails = notifier.router().emails_for_flag(
        flag.id,
        &flag.kind,
        &flag.severity,
        &flag.brand,
        Utc::now(),
    );
    for email in &emails {
        let row = queued_or_preview(store, email).await?;
        if email.kind == crate::storage::EmailKind::DigestItem {
            writeln!(
                out,
                "(severity {}: goes into the next digest, due {}, shown here as its own email)",
                flag.severity,
                email.due_at.format("%Y-%m-%d %H:%M UTC")
            )?;
        }
        print_email(out, notifier, &row, raw).await?;
    }
    Ok(emails.len())
}

/// `notify preview --weekly` and `report weekly --preview`: each brand's weekly list, to
/// each of its recipients.
pub async fn preview_weekly(
    out: &mut impl Write,
    notifier: &Notifier,
    store: &Store,
    monday: NaiveDate,
    brand: Option<&str>,
    brands: &[String],
    raw: bool,
) -> anyhow::Result<usize> {
    let week = crate::advocates::iso_week_name(monday);
    let mut shown = 0;
    for b in brands
        .iter()
        .filter(|b| brand.is_none_or(|x| x == b.as_str()))
    {
        for email in notifier.router().weekly_emails(b, &week, Utc::now()) {
            let row = queued_or_preview(store, &email).await?;
            print_email(out, notifier, &row, raw).await?;
            shown += 1;
        }
    }
    Ok(shown)
}

/// `notify preview` alone: the emails waiting in the outbox.
pub async fn preview_pending(
    out: &mut impl Write,
    notifier: &Notifier,
    store: &Store,
    raw: bool,
) -> anyhow::Result<usize> {
    let rows = store.outbox_rows(Some("pending"), 50).await?;
    let mut shown = 0;
    for row in rows.iter().filter(|r| r.kind != "digest_item") {
        print_email(out, notifier, row, raw).await?;
        shown += 1;
    }
    Ok(shown)
}

/// `report weekly --send`: queues the week's lists (once per brand, week and recipient,
/// whoever queued them first) and delivers what is due.
pub async fn send_weekly(
    out: &mut impl Write,
    notifier: &Notifier,
    monday: NaiveDate,
    brand: Option<&str>,
) -> anyhow::Result<()> {
    let queued = notifier.queue_weekly_for(monday, brand, Utc::now()).await?;
    let report = notifier.drain(Duration::from_secs(120)).await?;
    writeln!(
        out,
        "weekly {}: {queued} newly queued; sent {}, retrying {}, dead {}, deferred by the hourly cap {}",
        crate::advocates::iso_week_name(monday),
        report.sent,
        report.retried,
        report.dead,
        report.deferred
    )?;
    Ok(())
}

/// The week a report covers by default: the last full ISO week.
pub fn last_full_week() -> NaiveDate {
    crate::storage::week_of(Utc::now()) - chrono::Duration::weeks(1)
}

fn notifier(config: &crate::config::Config, store: &Store) -> Result<Notifier, CliError> {
    Notifier::new(config, store.clone(), crate::metrics::Metrics::new())
        .map_err(CliError::Usage)?
        .ok_or_else(|| {
            CliError::Usage(
                "notify is off or has no [[notify.routes]]: nothing would be sent".into(),
            )
        })
}

fn week_or_last(week: Option<&str>) -> Result<NaiveDate, CliError> {
    week.map_or_else(
        || Ok(last_full_week()),
        |w| crate::notify::weekly::parse_iso_week(w).map_err(CliError::Usage),
    )
}

fn brand_names(
    config: &crate::config::Config,
    brand: Option<&str>,
) -> Result<Vec<String>, CliError> {
    let names: Vec<String> = config
        .brands
        .iter()
        .map(|b| b.name.as_str().to_owned())
        .collect();
    match brand {
        Some(b) if !names.iter().any(|n| n == b) => Err(CliError::Usage(format!(
            "no brand named {b:?} in the config"
        ))),
        _ => Ok(names),
    }
}

pub async fn dispatch(
    config_flag: Option<std::path::PathBuf>,
    action: NotifyAction,
) -> Result<(), CliError> {
    let (_, config) = load(config_flag)?;
    let store = open(&config).await?;
    let out = &mut std::io::stdout().lock();
    let result = match action {
        NotifyAction::Status { format } => {
            status(out, &store, format).await.map_err(CliError::Runtime)
        }
        NotifyAction::Requeue { id, all: _ } => store
            .requeue_dead(id, Utc::now())
            .await
            .map_err(CliError::from)
            .and_then(|n| match (n, id) {
                (0, Some(id)) => Err(CliError::Usage(format!(
                    "no dead-lettered email with id {id}"
                ))),
                (n, _) => {
                    writeln!(out, "{n} email(s) due again").map_err(|e| CliError::Runtime(e.into()))
                }
            }),
        NotifyAction::Send => match notifier(&config, &store) {
            Ok(n) => match n.drain(Duration::from_secs(300)).await {
                Ok(r) => writeln!(
                    out,
                    "sent {}, retrying {}, dead {}, folded into digests {}, deferred {}",
                    r.sent, r.retried, r.dead, r.folded, r.deferred
                )
                .map_err(|e| CliError::Runtime(e.into())),
                Err(e) => Err(e.into()),
            },
            Err(e) => Err(e),
        },
        NotifyAction::Preview {
            flag,
            weekly,
            week,
            brand,
            raw,
        } => match notifier(&config, &store) {
            Err(e) => Err(e),
            Ok(n) => {
                let shown = if let Some(id) = flag {
                    preview_flag(out, &n, &store, id, raw).await
                } else if weekly {
                    match (
                        week_or_last(week.as_deref()),
                        brand_names(&config, brand.as_deref()),
                    ) {
                        (Ok(monday), Ok(brands)) => {
                            preview_weekly(out, &n, &store, monday, brand.as_deref(), &brands, raw)
                                .await
                        }
                        (Err(e), _) | (_, Err(e)) => {
                            store.close().await;
                            return Err(e);
                        }
                    }
                } else {
                    preview_pending(out, &n, &store, raw).await
                };
                match shown {
                    Ok(0) => {
                        eprintln!(
                            "nothing would be sent (no route covers it, or the outbox is empty)"
                        );
                        Ok(())
                    }
                    Ok(_) => Ok(()),
                    Err(e) => Err(CliError::Runtime(e)),
                }
            }
        },
    };
    store.close().await;
    result
}

/// `report weekly [--week W] [--brand B] [--preview | --send]`.
pub async fn report_weekly(
    config_flag: Option<std::path::PathBuf>,
    week: Option<String>,
    brand: Option<String>,
    send: bool,
) -> Result<(), CliError> {
    let (_, config) = load(config_flag)?;
    let monday = week_or_last(week.as_deref())?;
    let brands = brand_names(&config, brand.as_deref())?;
    let store = open(&config).await?;
    let result = match notifier(&config, &store) {
        Err(e) => Err(e),
        Ok(n) => {
            let out = &mut std::io::stdout().lock();
            if send {
                send_weekly(out, &n, monday, brand.as_deref())
                    .await
                    .map_err(CliError::Runtime)
            } else {
                preview_weekly(out, &n, &store, monday, brand.as_deref(), &brands, false)
                    .await
                    .map(|_| ())
                    .map_err(CliError::Runtime)
            }
        }
    };
    store.close().await;
    result
}
