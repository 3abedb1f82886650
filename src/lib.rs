//! fanwatch: watch public feeds and social networks for brand mentions, score and store
//! them, and rank the authors who advocate a brand.
//!
//! Data flows through the modules in this order:
//! `config` → `sources` (fetch + parse) → `matching` → `scoring` → `pipeline` → `storage`
//! → `advocates`/`flags` → `notify` (outbox, email, weekly list) → `http`/`cli`.

pub mod advocates;
pub mod cli;
pub mod config;
pub mod crm;
pub mod daemon;
pub mod demo;
pub mod domain;
pub mod fetch;
pub mod flags;
pub mod http;
pub mod matching;
pub mod metrics;
pub mod notify;
pub mod pipeline;
pub mod scoring;
pub mod sources;
pub mod storage;
pub mod telemetry;
pub mod text;

/// The User-Agent every request carries, so site owners can see who polls them.
pub const USER_AGENT: &str = concat!(
    "fanwatch/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/fanwatch/fanwatch)"
);
