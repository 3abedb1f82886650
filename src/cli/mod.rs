//! Command line: `fanwatch [--config PATH] <command>`. Exit codes: 0 success, 1 runtime
//! failure, 2 usage or configuration error.

mod advocates;
mod commands;
mod crm;
mod explain;
mod flags;
mod notify;
mod output;
mod score;
mod sources;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::ConfigError;
use crate::telemetry::LogFormat;

pub use advocates::{parse_week, write as write_advocates_to, write_ranked_csv};
pub use commands::print_outcomes as print_outcomes_to;
pub use flags::list as write_flags_to;
pub use output::OutputFormat;
pub use output::write_mentions as write_mentions_to;
pub use score::{InputFormat, ScoreFormat};
pub use sources::write as write_sources_to;

#[derive(Debug, Parser)]
#[command(
    name = "fanwatch",
    version,
    about = "Watch feeds and social networks for brand mentions"
)]
pub struct Cli {
    /// Config file (TOML). Default: $FANWATCH_CONFIG, else ./fanwatch.toml.
    #[arg(long, short = 'c', global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log output format.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "FANWATCH_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the config and print a short summary.
    CheckConfig,
    /// Create or update the database schema.
    Migrate,
    /// Run the daemon: poll on the schedule, serve /healthz and /metrics.
    Run,
    /// Poll sources once and print one line per source.
    Poll {
        /// Run a single cycle over all sources, ignoring back-off (the only mode; kept explicit
        /// for scripts).
        #[arg(long)]
        once: bool,
        /// Poll only this source.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
    },
    /// List every source with its kind, state (pending, ok, failing, misconfigured, down),
    /// last and next poll, items fetched, mentions stored and errors.
    Sources {
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// The authors who praise and recommend each brand repeatedly over weeks, best first:
    /// advocate score, quadrant (champion, loyal_fan, at_risk_voice, detractor), positive
    /// weeks, reach.
    Advocates {
        /// Only this brand (case-insensitive).
        #[arg(long)]
        brand: Option<String>,
        /// Rank as at the end of this ISO week, e.g. 2026-W47 (default: now).
        #[arg(long)]
        week: Option<String>,
        /// At most this many authors per brand.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Flags to act on: negative experiences, churn risks, questions, influential fans,
    /// spikes. `flags ack ID` marks one handled.
    #[command(args_conflicts_with_subcommands = true)]
    Flags {
        #[command(subcommand)]
        action: Option<FlagsAction>,
        /// Only flags not yet acknowledged.
        #[arg(long)]
        open: bool,
        /// Only this kind (negative_experience, churn_risk, question, influential_fan, spike).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Why a mention scored as it did: sentiment contributions, intents and cues, reach
    /// inputs, and the advocate-score breakdown of its author.
    Explain {
        /// The mention's id (first column of `mentions`).
        id: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Social NPS per brand and ISO week: % promoters − % detractors among the authors who
    /// mentioned the brand that week.
    Nps {
        #[arg(long)]
        brand: Option<String>,
        /// How many weeks back, this one included.
        #[arg(long, default_value_t = 12)]
        weeks: u32,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// List stored mentions, newest first.
    Mentions {
        /// Only mentions of this brand (case-insensitive).
        #[arg(long)]
        brand: Option<String>,
        /// Only mentions published within this period ("7d", "24h", "2w") or since a date
        /// ("2026-11-01").
        #[arg(long)]
        since: Option<String>,
        /// Only mentions from this source.
        #[arg(long)]
        source: Option<String>,
        /// At most this many mentions.
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Run the whole pipeline once on bundled sample feeds, served locally, into a throw-away
    /// database, and show what it found. Needs no config and no network.
    Demo {
        /// Keep the demo database in this file instead of a temporary one.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
    /// Score texts from stdin (one per line): language, sentiment, intents, as JSON lines.
    /// Needs no config; with one, uses its `[scoring]` section.
    Score {
        /// Language of the texts, or detect it per line.
        #[arg(long, default_value = "auto", value_parser = parse_lang_choice)]
        lang: crate::scoring::LangChoice,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ScoreFormat,
        /// `text`: one text per line; `jsonl`: objects with a `text` field (and optional `id`,
        /// echoed back, and `lang`).
        #[arg(long, value_enum, default_value = "text")]
        input_format: InputFormat,
        /// Also show the words and rules that moved each score.
        #[arg(long)]
        explain: bool,
    },
    /// Re-score stored mentions (after a lexicon change), in batches, alongside a running
    /// daemon.
    Rescore {
        /// Only mentions published within this period ("30d") or since a date.
        #[arg(long)]
        since: Option<String>,
    },
    /// Customer records from the CRM, linked to social authors by their handles.
    Crm {
        #[command(subcommand)]
        command: CrmCommand,
    },
    /// Ask a running daemon's /healthz (for container health checks).
    /// The email outbox: what is queued, sent and dead-lettered, and what would go out.
    Notify {
        #[command(subcommand)]
        action: NotifyAction,
    },
    /// Reports emailed on a schedule.
    Report {
        #[command(subcommand)]
        report: ReportKind,
    },
    Healthcheck {
        /// Default: http://<http.listen>/healthz from the config, else 127.0.0.1:9187.
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CrmCommand {
    /// Import customers from a CSV file (customer_id,name,email,segment,lifecycle_stage,handles):
    /// all lines or none; every bad line is listed.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum NotifyAction {
    /// Emails per kind and status, dead-lettered ones with their last error, what is waiting.
    Status {
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Prints exactly what would be sent: for one flag, the weekly list, or (alone) the
    /// emails waiting in the outbox.
    Preview {
        #[arg(long, value_name = "ID", conflicts_with = "weekly")]
        flag: Option<i64>,
        #[arg(long)]
        weekly: bool,
        /// With --weekly: the ISO week (default: the last full week).
        #[arg(long, requires = "weekly")]
        week: Option<String>,
        #[arg(long)]
        brand: Option<String>,
        /// The MIME message as sent, instead of headers and decoded parts.
        #[arg(long)]
        raw: bool,
    },
    /// Delivers what is due now and exits (for use without the daemon).
    Send,
    /// Makes dead-lettered emails due again.
    Requeue {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportKind {
    /// The weekly advocate list: --preview (the default) prints it, --send queues and sends it
    /// (once per brand, week and recipient, however often it is run).
    Weekly {
        #[arg(long)]
        week: Option<String>,
        #[arg(long)]
        brand: Option<String>,
        #[arg(long, conflicts_with = "send")]
        preview: bool,
        #[arg(long)]
        send: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FlagsAction {
    /// Mark a flag handled.
    Ack { id: i64 },
}

fn parse_lang_choice(s: &str) -> Result<crate::scoring::LangChoice, String> {
    s.parse()
}

/// Why a command failed; decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{0:#}")]
    Runtime(#[from] anyhow::Error),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_) | CliError::Usage(_) => 2,
            CliError::Runtime(_) => 1,
        }
    }
}

/// A lexicon that does not load is a configuration error of the key that names it.
impl From<crate::scoring::LexiconError> for CliError {
    fn from(e: crate::scoring::LexiconError) -> Self {
        CliError::Usage(format!("scoring.et_lexicon_path: {e}"))
    }
}

impl From<crate::storage::StorageError> for CliError {
    fn from(e: crate::storage::StorageError) -> Self {
        CliError::Runtime(e.into())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Run => "info",
        // The demo reports failures in its own output; log lines would only repeat them.
        Command::Demo { .. } => "error",
        Command::Rescore { .. } => "info",
        _ => "warn",
    };
    crate::telemetry::init(cli.log_format, default_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Scoring threads end soon after a cycle instead of holding their stacks and malloc
        // arenas through the idle minutes between cycles.
        .thread_keep_alive(std::time::Duration::from_secs(1))
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
