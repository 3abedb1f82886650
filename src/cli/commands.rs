//! What each command does.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use tokio_util::sync::CancellationToken;

use super::output::{self, OutputFormat};
use super::score::{InputFormat, ScoreFormat};
use super::{Cli, CliError, Command, CrmCommand};
use crate::config::{self, CONFIG_ENV, Config};
use crate::daemon::{self, Poller};
use crate::domain::MentionId;
use crate::metrics::Metrics;
use crate::pipeline::mention_text;
use crate::pipeline::{PollOutcome, PollStatus};
use crate::scoring::{LangChoice, MentionScorer, Scorer};
use crate::storage::ScoreUpdate;
use crate::storage::{MentionFilter, Store};

pub async fn dispatch(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Demo { db } => crate::demo::run(db).await.map_err(CliError::Runtime),
        Command::Healthcheck { url } => healthcheck(cli.config, url).await,
        Command::CheckConfig => {
            let (path, config) = load(cli.config)?;
            print_summary(&path, &config);
            Ok(())
        }
        Command::Migrate => {
            let (_, config) = load(cli.config)?;
            let store = open(&config).await?;
            println!("database {} is up to date", config.database.url);
            store.close().await;
            Ok(())
        }
        Command::Run => run(cli.config).await,
        Command::Advocates {
            brand,
            week,
            limit,
            format,
        } => {
            let (_, config) = load(cli.config)?;
            let as_of = week
                .as_deref()
                .map(super::advocates::parse_week)
                .transpose()
                .map_err(CliError::Usage)?
                .unwrap_or_else(Utc::now);
            let brand = brand.map(|b| canonical_brand(&config, &b));
            let store = open(&config).await?;
            let result = super::advocates::write(
                &mut std::io::stdout().lock(),
                &config,
                &store,
                brand.as_deref(),
                as_of,
                limit,
                format,
            )
            .await;
            store.close().await;
            result.map_err(CliError::Runtime)
        }
        Command::Flags {
            action,
            open: open_only,
            kind,
            format,
        } => {
            let (_, config) = load(cli.config)?;
            let store = open(&config).await?;
            let result = match action {
                Some(super::FlagsAction::Ack { id }) => {
                    match store.acknowledge_flag(id, Utc::now()).await {
                        Ok(true) => {
                            println!("flag {id} acknowledged");
                            Ok(())
                        }
                        Ok(false) => Err(CliError::Usage(format!("no flag with id {id}"))),
                        Err(e) => Err(CliError::Runtime(e.into())),
                    }
                }
                None => super::flags::list(
                    &mut std::io::stdout().lock(),
                    &store,
                    open_only,
                    kind.as_deref(),
                    format,
                )
                .await
                .map_err(CliError::Runtime),
            };
            store.close().await;
            result
        }
        Command::Explain { id, format } => {
            let (_, config) = load(cli.config)?;
            let store = open(&config).await?;
            let result =
                super::explain::write(&mut std::io::stdout().lock(), &config, &store, id, format)
                    .await;
            store.close().await;
            result
        }
        Command::Nps {
            brand,
            weeks,
            format,
        } => {
            let (_, config) = load(cli.config)?;
            let brand = brand.map(|b| canonical_brand(&config, &b));
            let store = open(&config).await?;
            let result = super::advocates::write_nps(
                &mut std::io::stdout().lock(),
                &store,
                brand.as_deref(),
                weeks,
                format,
            )
            .await;
            store.close().await;
            result.map_err(CliError::Runtime)
        }
        Command::Sources { format } => {
            let (_, config) = load(cli.config)?;
            let store = open(&config).await?;
            let result =
                super::sources::write(&mut std::io::stdout().lock(), &config, &store, format).await;
            store.close().await;
            result.map_err(CliError::Runtime)
        }
        Command::Poll { once: _, source } => poll(cli.config, source).await,
        Command::Mentions {
            brand,
            since,
            source,
            limit,
            format,
        } => mentions(cli.config, brand, since, source, limit, format).await,
        Command::Score {
            lang,
            format,
            input_format,
            explain,
        } => score(cli.config, lang, format, input_format, explain),
        Command::Rescore { since } => rescore(cli.config, since).await,
        Command::Notify { action } => super::notify::dispatch(cli.config, action).await,
        Command::Report {
            report:
                super::ReportKind::Weekly {
                    week,
                    brand,
                    preview: _,
                    send,
                },
        } => super::notify::report_weekly(cli.config, week, brand, send).await,
        Command::Crm {
            command: CrmCommand::Import { file },
        } => {
            let records = super::crm::read(&file)?;
            let (_, config) = load(cli.config)?;
            let store = open(&config).await?;
            let result = super::crm::import(&store, &records).await;
            store.close().await;
            result
        }
    }
}

/// Re-scores stored mentions in batches; each batch is one short transaction, so a running
/// daemon keeps storing in between.
async fn rescore(config_flag: Option<PathBuf>, since: Option<String>) -> Result<(), CliError> {
    let (_, config) = load(config_flag)?;
    let since = since
        .map(|s| parse_since(&s, Utc::now()))
        .transpose()
        .map_err(CliError::Usage)?;
    let scorer = std::sync::Arc::new(MentionScorer::new(&config)?);
    let store = open(&config).await?;
    let mut after = 0i64;
    let mut total = 0usize;
    loop {
        let rows = store
            .mentions_to_rescore(after, since, config.scoring.rescore_batch)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let scorer = std::sync::Arc::clone(&scorer);
        let updates: Vec<ScoreUpdate> = tokio::task::spawn_blocking(move || {
            rows.iter()
                .map(|r| ScoreUpdate {
                    id: MentionId(r.id),
                    score: scorer.score(
                        &mention_text(r.title.as_deref(), &r.text),
                        r.lang_hint.as_deref(),
                        r.brand_names(),
                    ),
                })
                .collect()
        })
        .await
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("scoring task failed: {e}")))?;
        store.update_scores(&updates, Utc::now()).await?;
        total += updates.len();
        tracing::info!(rescored = total, up_to_id = after, "rescore progress");
    }
    // Labels and intents changed: the author profiles are sums of them.
    let weeks = store.rebuild_author_weeks().await?;
    store.close().await;
    println!("rescored {total} mentions; rebuilt {weeks} author weeks");
    Ok(())
}

/// The config for commands that also work without one: the named file (flag or
/// FANWATCH_CONFIG) must load; the default ./fanwatch.toml is used only if it exists, and
/// without it the defaults still take the `FANWATCH_*` overrides
/// (`FANWATCH_SCORING__ET_LEXICON_PATH`).
fn load_optional(flag: Option<PathBuf>) -> Result<Config, CliError> {
    let named = flag.is_some() || std::env::var_os(CONFIG_ENV).is_some();
    let path = config_path(flag);
    if !named && !path.exists() {
        return Ok(config::load_defaults()?);
    }
    Ok(config::load_file(&path)?)
}

fn score(
    config_flag: Option<PathBuf>,
    lang: LangChoice,
    format: ScoreFormat,
    input: InputFormat,
    explain: bool,
) -> Result<(), CliError> {
    let scoring = load_optional(config_flag)?.scoring;
    let scorer = Scorer::new(&scoring.languages, scoring.et_lexicon_path.as_deref())?;
    let options = super::score::ScoreOptions {
        lang,
        format,
        input,
        explain,
    };
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match super::score::run(&scorer, &options, stdin, &mut stdout) {
        Ok(0) => Ok(()),
        Ok(bad) => Err(CliError::Runtime(anyhow::anyhow!(
            "{bad} input line(s) could not be scored: not UTF-8, or (with --input-format jsonl) not a JSON object with a string `text` field; see the error objects in the output"
        ))),
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Runtime(
            anyhow::Error::new(e).context("cannot read stdin or write stdout"),
        )),
    }
}

fn config_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("fanwatch.toml"))
}

pub(super) fn load(flag: Option<PathBuf>) -> Result<(PathBuf, Config), CliError> {
    let path = config_path(flag);
    let config = config::load_file(&path)?;
    Ok((path, config))
}

pub(super) async fn open(config: &Config) -> Result<Store, CliError> {
    Store::open(&config.database.url, config.database.max_connections)
        .await
        .with_context(|| format!("cannot open database {}", config.database.url))
        .map_err(CliError::Runtime)
}

fn print_summary(path: &std::path::Path, config: &Config) {
    println!("config {} is valid", path.display());
    println!(
        "database: {} ({})",
        config.database.url,
        config.database.url.backend()
    );
    println!(
        "poll: schedule \"{}\", concurrency {}",
        config.poll.schedule.as_str(),
        config.poll.concurrency
    );
    println!("brands ({}):", config.brands.len());
    for b in &config.brands {
        println!(
            "  {}: {} term(s), {} regex(es), {} exclusion(s)",
            b.name,
            b.terms.len(),
            b.regex.len(),
            b.exclude.len()
        );
    }
    let notify = &config.notify;
    if notify.active() {
        // The host only: a URL from FANWATCH_NOTIFY__SMTP_URL may carry a password.
        let target = match (&notify.dry_run_dir, &notify.smtp_url) {
            (Some(dir), _) => format!("dry run into {}", dir.display()),
            (None, Some(url)) => url::Url::parse(url).map_or_else(
                |_| "SMTP".to_owned(),
                |u| {
                    format!(
                        "{}://{}:{}",
                        u.scheme(),
                        u.host_str().unwrap_or(""),
                        u.port_or_known_default().unwrap_or(0)
                    )
                },
            ),
            (None, None) => "nowhere".to_owned(),
        };
        println!(
            "notify: {target}, {} route(s), at most {} email(s) per recipient per hour, weekly list \"{}\" {}",
            notify.routes.len(),
            notify.max_per_recipient_per_hour,
            notify.weekly_schedule.as_str(),
            notify.timezone
        );
        for r in &notify.routes {
            let to: Vec<&str> = r.to.iter().map(|t| t.as_str()).collect();
            println!(
                "  {} [{}] → {}",
                if r.brands.is_empty() {
                    "all brands".to_owned()
                } else {
                    r.brands
                        .iter()
                        .map(|b| b.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                r.language.as_str(),
                to.join(", ")
            );
        }
    } else {
        println!("notify: off (no [[notify.routes]])");
    }
    println!("sources ({}):", config.sources.len());
    for s in &config.sources {
        let target = s.describe(&config.brands);
        let disabled = if s.enabled { "" } else { " (disabled)" };
        println!("  {} [{}] {}{}", s.name, s.kind.as_str(), target, disabled);
    }
}

/// Cancels the token on SIGINT or SIGTERM.
fn spawn_signal_handler(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            () = term => {}
        }
        tracing::info!("shutdown requested; finishing in-flight work");
        token.cancel();
    });
}

async fn run(config_flag: Option<PathBuf>) -> Result<(), CliError> {
    let (path, config) = load(config_flag)?;
    let store = open(&config).await?;
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    let metrics = Metrics::new();
    let mut poller = Poller::new(&config, store.clone(), metrics.clone(), shutdown.clone()).await?;
    let notifier = crate::notify::Notifier::new(&config, store.clone(), metrics.clone())
        .map_err(CliError::Usage)?;
    let outbox = notifier.map(|n| {
        poller.wake_on_flags(n.waker());
        let stop = shutdown.clone();
        tokio::spawn(async move { n.run(stop).await })
    });
    let http = if config.http.enabled {
        let state = crate::http::AppState {
            store: store.clone(),
            metrics,
        };
        let (addr, handle) = crate::http::serve(config.http.listen, state, shutdown.clone())
            .await
            .with_context(|| format!("cannot listen on {} (http.listen)", config.http.listen))?;
        tracing::info!(%addr, "serving /healthz and /metrics");
        Some(handle)
    } else {
        None
    };
    tracing::info!(
        config = %path.display(),
        database = %config.database.url,
        sources = poller.source_names().count(),
        schedule = config.poll.schedule.as_str(),
        "fanwatch daemon started"
    );
    let work = daemon::run(
        poller,
        config.poll.schedule.clone(),
        config.poll.on_start,
        shutdown.clone(),
    );
    tokio::pin!(work);
    tokio::select! {
        () = &mut work => {}
        () = shutdown.cancelled() => {
            // In-flight fetches stop at once; stores finish their transaction.
            if tokio::time::timeout(daemon::SHUTDOWN_GRACE, &mut work).await.is_err() {
                tracing::warn!("in-flight work did not finish in time; exiting anyway");
            }
        }
    }
    if let Some(handle) = outbox {
        // A send cut short here is claimed again after its lease, as after a crash.
        let _ = tokio::time::timeout(daemon::SHUTDOWN_GRACE, handle).await;
    }
    if let Some(handle) = http {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), handle).await;
    }
    store.close().await;
    tracing::info!("fanwatch daemon stopped");
    Ok(())
}

async fn poll(config_flag: Option<PathBuf>, source: Option<String>) -> Result<(), CliError> {
    let (_, config) = load(config_flag)?;
    if let Some(name) = &source
        && !config.sources.iter().any(|s| s.name.as_str() == name)
    {
        return Err(CliError::Usage(format!(
            "no source named {name:?} in the config"
        )));
    }
    let store = open(&config).await?;
    let cancel = CancellationToken::new();
    spawn_signal_handler(cancel.clone());
    let poller = Poller::new(&config, store.clone(), Metrics::new(), cancel).await?;
    let outcomes = poller.cycle(false, source.as_deref()).await?;
    store.close().await;
    print_outcomes(&mut std::io::stdout().lock(), &outcomes).context("cannot write output")?;
    Ok(())
}

/// One line per source: `NAME  STATUS  fetched=N new=N duplicate=N [error="..."]`.
pub fn print_outcomes(out: &mut impl Write, outcomes: &[PollOutcome]) -> std::io::Result<()> {
    let width = outcomes
        .iter()
        .map(|o| o.source.as_str().len())
        .max()
        .unwrap_or(0);
    for o in outcomes {
        let name = o.source.as_str();
        match &o.status {
            PollStatus::Stored {
                fetched,
                matched,
                report,
            } => writeln!(
                out,
                "{name:width$}  ok            fetched={fetched} matched={matched} new={} duplicate={}",
                report.new, report.duplicate
            )?,
            PollStatus::NotModified => writeln!(
                out,
                "{name:width$}  not-modified  fetched=0 matched=0 new=0 duplicate=0"
            )?,
            PollStatus::Failed { error, state, .. } => writeln!(
                out,
                "{name:width$}  error         fetched=0 matched=0 new=0 duplicate=0 state={state} error={error:?}"
            )?,
            PollStatus::Cancelled => writeln!(out, "{name:width$}  cancelled")?,
            PollStatus::Deferred { reason } => writeln!(
                out,
                "{name:width$}  deferred      fetched=0 matched=0 new=0 duplicate=0 reason={reason:?}"
            )?,
        }
    }
    Ok(())
}

/// "7d", "36h", "2w" → that long ago; "2026-11-01" or an RFC 3339 time → that moment.
pub fn parse_since(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if let Ok(d) = humantime::parse_duration(raw) {
        let d =
            chrono::Duration::from_std(d).map_err(|_| format!("--since {raw:?} is too long"))?;
        return now
            .checked_sub_signed(d)
            .ok_or_else(|| format!("--since {raw:?} is too long"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        && let Some(t) = day.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(format!(
        "--since {raw:?} is neither a period (7d, 24h, 2w) nor a date (2026-11-01)"
    ))
}

/// Brands are stored under their configured spelling; any case works on the command line.
fn canonical_brand(config: &Config, raw: &str) -> String {
    config
        .brands
        .iter()
        .find(|c| c.name.as_str().to_lowercase() == raw.trim().to_lowercase())
        .map_or_else(|| raw.trim().to_owned(), |c| c.name.to_string())
}

async fn mentions(
    config_flag: Option<PathBuf>,
    brand: Option<String>,
    since: Option<String>,
    source: Option<String>,
    limit: Option<usize>,
    format: OutputFormat,
) -> Result<(), CliError> {
    let (_, config) = load(config_flag)?;
    let since = since
        .map(|s| parse_since(&s, Utc::now()))
        .transpose()
        .map_err(CliError::Usage)?;
    let brand = brand.map(|b| canonical_brand(&config, &b));
    let store = open(&config).await?;
    let mut rows = store
        .mentions(&MentionFilter {
            brand,
            since,
            source,
            id: None,
        })
        .await?;
    store.close().await;
    if let Some(limit) = limit {
        rows.truncate(limit);
    }
    output::write_mentions(&mut std::io::stdout().lock(), &rows, format)
        .context("cannot write output")?;
    Ok(())
}

async fn healthcheck(config_flag: Option<PathBuf>, url: Option<String>) -> Result<(), CliError> {
    let url = match url {
        Some(u) => u,
        None => {
            let listen = config::load_file(&config_path(config_flag))
                .map(|c| c.http.listen)
                .unwrap_or_else(|_| std::net::SocketAddr::from(([127, 0, 0, 1], 9187)));
            format!("http://{listen}/healthz")
        }
    };
    let response = reqwest::Client::new()
        .get(&url)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    println!("{body}");
    if status.is_success() {
        Ok(())
    } else {
        Err(CliError::Runtime(anyhow::anyhow!(
            "{url} answered {status}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_periods_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_since("7d", now).unwrap().to_rfc3339(),
            "2026-11-16T12:00:00+00:00"
        );
        assert_eq!(
            parse_since("2w", now).unwrap().to_rfc3339(),
            "2026-11-09T12:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-11-01", now).unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert!(parse_since("last tuesday", now).is_err());
    }
}
