//! Configuration: one TOML file, every key overridable by `FANWATCH_SECTION__KEY` environment
//! variables. Values are parsed into meaningful types here, at the edge, so a config that loads
//! is a config that runs.

mod error;
mod load;
mod sources;
mod types;

pub use error::ConfigError;
pub use load::{load_defaults, load_file, load_str};
pub use sources::{SourceConfig, SourceKind, normalize_subreddit, normalize_tag};
pub use types::{CronSchedule, DatabaseUrl, HttpUrl, RegexPattern, Seconds};

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::domain::BrandName;
use crate::scoring::Lang;

/// The environment variable that names the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "FANWATCH_CONFIG";
/// Prefix of per-key overrides, e.g. `FANWATCH_DATABASE__URL`.
pub const ENV_PREFIX: &str = "FANWATCH_";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub database: DatabaseConfig,
    #[serde(default)]
    pub poll: PollConfig,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default)]
    pub brands: Vec<BrandConfig>,
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub scoring: ScoringConfig,
    #[serde(default)]
    pub advocates: crate::advocates::AdvocateConfig,
    #[serde(default)]
    pub flags: crate::flags::FlagConfig,
    #[serde(default)]
    pub notify: crate::notify::NotifyConfig,
}

/// How mentions are scored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    /// Languages mentions are scored in; texts detected in any other language are stored as
    /// `und` without sentiment. A brand's own `languages` narrows this per brand.
    #[serde(default = "default_languages")]
    pub languages: Vec<Lang>,
    /// Optional path to the EKI valence lexicon (`sqnad.csv` from github.com/EKT1/valence,
    /// GPL-3.0), loaded in addition to fanwatch's own Estonian lexicon.
    #[serde(default)]
    pub et_lexicon_path: Option<PathBuf>,
    /// Mentions re-scored per transaction by `fanwatch rescore`.
    #[serde(default = "default_rescore_batch")]
    pub rescore_batch: u32,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            languages: default_languages(),
            et_lexicon_path: None,
            rescore_batch: default_rescore_batch(),
        }
    }
}

fn default_languages() -> Vec<Lang> {
    vec![Lang::En, Lang::Et]
}

fn default_rescore_batch() -> u32 {
    500
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    #[serde(default = "DatabaseUrl::default_sqlite")]
    pub url: DatabaseUrl,
    /// Upper bound of pooled connections.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: DatabaseUrl::default_sqlite(),
            max_connections: default_max_connections(),
        }
    }
}

fn default_max_connections() -> u32 {
    8
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollConfig {
    #[serde(default = "CronSchedule::default_every_15_minutes")]
    pub schedule: CronSchedule,
    /// How many sources are fetched at the same time.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Whether `fanwatch run` polls once right at start-up instead of waiting for the schedule.
    #[serde(default = "default_true")]
    pub on_start: bool,
    /// Per-request timeout.
    #[serde(default = "Seconds::thirty")]
    pub timeout_secs: Seconds,
    /// Responses larger than this are refused (after decompression).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
    /// First back-off delay after a failure; doubles with each consecutive failure.
    #[serde(default = "Seconds::sixty")]
    pub backoff_base_secs: Seconds,
    /// Back-off never exceeds this, so a failing source is still retried.
    #[serde(default = "Seconds::six_hours")]
    pub backoff_max_secs: Seconds,
    /// A source failing for this long is reported as down (log, metric, `source_down` state).
    #[serde(default = "Seconds::six_hours")]
    pub down_after_secs: Seconds,
    /// Requests in flight to one host at a time, across all sources.
    #[serde(default = "default_per_host_concurrency")]
    pub per_host_concurrency: usize,
    /// Requests one host gets per cycle, across all sources; paging stops when it is spent.
    #[serde(default = "default_per_host_requests")]
    pub per_host_requests_per_cycle: u32,
    /// Quick retries of one request after 429/5xx or a network error, before the source's
    /// own back-off takes over.
    #[serde(default = "default_retries")]
    pub retries: u32,
}

fn default_per_host_concurrency() -> usize {
    4
}

fn default_per_host_requests() -> u32 {
    600
}

fn default_retries() -> u32 {
    2
}

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            schedule: CronSchedule::default_every_15_minutes(),
            concurrency: default_concurrency(),
            on_start: true,
            timeout_secs: Seconds::thirty(),
            max_body_bytes: default_max_body_bytes(),
            backoff_base_secs: Seconds::sixty(),
            backoff_max_secs: Seconds::six_hours(),
            down_after_secs: Seconds::six_hours(),
            per_host_concurrency: default_per_host_concurrency(),
            per_host_requests_per_cycle: default_per_host_requests(),
            retries: default_retries(),
        }
    }
}

fn default_concurrency() -> usize {
    32
}

fn default_max_body_bytes() -> u64 {
    10 * 1024 * 1024
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address of the health and metrics endpoint.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Set to false to run the daemon without the HTTP endpoint.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            enabled: true,
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9187))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandConfig {
    pub name: BrandName,
    /// Words or phrases, matched case-insensitively as whole words.
    #[serde(default)]
    pub terms: Vec<String>,
    /// Regular expressions, for spellings terms cannot express.
    #[serde(default)]
    pub regex: Vec<RegexPattern>,
    /// Phrases whose occurrences do not count as a mention, e.g. "acme looney".
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Languages this brand is watched in (default: `scoring.languages`).
    #[serde(default)]
    pub languages: Vec<Lang>,
}

impl Config {
    /// Cross-field rules that a single field's type cannot express.
    fn validate(&self) -> Result<(), (Vec<load::PathSeg>, String)> {
        use load::PathSeg::{Index, Key};
        if self.poll.concurrency == 0 || self.poll.concurrency > 1024 {
            return Err((
                vec![Key("poll".into()), Key("concurrency".into())],
                "must be between 1 and 1024".into(),
            ));
        }
        if self.poll.backoff_base_secs.get() > self.poll.backoff_max_secs.get() {
            return Err((
                vec![Key("poll".into()), Key("backoff_base_secs".into())],
                "must not be larger than poll.backoff_max_secs".into(),
            ));
        }
        if self.poll.per_host_concurrency == 0 || self.poll.per_host_concurrency > 256 {
            return Err((
                vec![Key("poll".into()), Key("per_host_concurrency".into())],
                "must be between 1 and 256".into(),
            ));
        }
        if self.poll.per_host_requests_per_cycle == 0 {
            return Err((
                vec![
                    Key("poll".into()),
                    Key("per_host_requests_per_cycle".into()),
                ],
                "must be at least 1".into(),
            ));
        }
        if self.poll.retries > 10 {
            return Err((
                vec![Key("poll".into()), Key("retries".into())],
                "must be at most 10".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err((
                vec![Key("database".into()), Key("max_connections".into())],
                "must be at least 1".into(),
            ));
        }
        if self.scoring.languages.is_empty() {
            return Err((
                vec![Key("scoring".into()), Key("languages".into())],
                "list at least one language (en, et)".into(),
            ));
        }
        if self.scoring.rescore_batch == 0 {
            return Err((
                vec![Key("scoring".into()), Key("rescore_batch".into())],
                "must be at least 1".into(),
            ));
        }
        let adv = &self.advocates;
        if !(7..=730).contains(&adv.window_days) {
            return Err((
                vec![Key("advocates".into()), Key("window_days".into())],
                "must be between 7 and 730".into(),
            ));
        }
        if adv.half_life_days == 0 || adv.half_life_days > 3650 {
            return Err((
                vec![Key("advocates".into()), Key("half_life_days".into())],
                "must be between 1 and 3650".into(),
            ));
        }
        if !(0.0..=100.0).contains(&adv.high_reach) {
            return Err((
                vec![Key("advocates".into()), Key("high_reach".into())],
                "must be between 0 and 100 (a reach_score)".into(),
            ));
        }
        self.notify.validate().map_err(|(path, msg)| {
            let mut full = vec![Key("notify".into())];
            full.extend(path.into_iter().map(|seg| match seg.parse::<usize>() {
                Ok(i) => Index(i),
                Err(_) => Key(seg),
            }));
            (full, msg)
        })?;
        let mut brand_names = HashSet::new();
        for (i, brand) in self.brands.iter().enumerate() {
            let at = |key: &str| vec![Key("brands".into()), Index(i), Key(key.into())];
            if !brand_names.insert(brand.name.as_str().to_lowercase()) {
                return Err((
                    at("name"),
                    format!("duplicate brand name {:?}", brand.name.as_str()),
                ));
            }
            if brand.terms.iter().all(|t| t.trim().is_empty()) && brand.regex.is_empty() {
                return Err((
                    at("terms"),
                    "a brand needs at least one term or regex".into(),
                ));
            }
            if let Some(j) = brand.terms.iter().position(|t| t.trim().is_empty()) {
                let mut path = at("terms");
                path.push(Index(j));
                return Err((path, "empty term".into()));
            }
            if let Some(j) = brand.exclude.iter().position(|t| t.trim().is_empty()) {
                let mut path = at("exclude");
                path.push(Index(j));
                return Err((path, "empty exclusion".into()));
            }
        }
        for (i, route) in self.notify.routes.iter().enumerate() {
            if let Some(j) = route
                .brands
                .iter()
                .position(|b| !brand_names.contains(&b.as_str().to_lowercase()))
            {
                return Err((
                    vec![
                        Key("notify".into()),
                        Key("routes".into()),
                        Index(i),
                        Key("brands".into()),
                        Index(j),
                    ],
                    format!(
                        "no brand named {:?} in [[brands]]",
                        route.brands[j].as_str()
                    ),
                ));
            }
        }
        let mut source_names = HashSet::new();
        for (i, source) in self.sources.iter().enumerate() {
            let at = |key: &str| vec![Key("sources".into()), Index(i), Key(key.into())];
            if !source_names.insert(source.name.as_str()) {
                return Err((
                    at("name"),
                    format!("duplicate source name {:?}", source.name.as_str()),
                ));
            }
            source.validate().map_err(|(key, msg)| (at(key), msg))?;
        }
        Ok(())
    }

    pub fn enabled_sources(&self) -> impl Iterator<Item = &SourceConfig> {
        self.sources.iter().filter(|s| s.enabled)
    }
}
