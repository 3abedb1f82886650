//! The daemon's HTTP endpoint: `/healthz` for orchestrators and `/metrics` for Prometheus.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::metrics::Metrics;
use crate::storage::{SourceState, Store};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub metrics: Metrics,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    database: String,
    sources: Vec<SourceHealth>,
}

#[derive(Serialize)]
struct SourceHealth {
    name: String,
    kind: String,
    state: SourceState,
    state_since: Option<chrono::DateTime<chrono::Utc>>,
    consecutive_errors: i64,
    last_error: Option<String>,
    last_success_at: Option<chrono::DateTime<chrono::Utc>>,
    next_poll_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// 200 while the daemon can reach its database (failing sources make it "degraded", which
/// is for people to look at, not a reason to restart the process); 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    let (database, sources) = match state.store.source_statuses().await {
        Ok(list) => ("ok".to_owned(), list),
        Err(e) => (format!("error: {e}"), Vec::new()),
    };
    let sources: Vec<SourceHealth> = sources
        .into_iter()
        .map(|s| SourceHealth {
            state: s.state(),
            state_since: s.state_since,
            name: s.name,
            kind: s.kind,
            consecutive_errors: s.consecutive_errors,
            last_error: s.last_error,
            last_success_at: s.last_success_at,
            next_poll_at: s.next_poll_at,
        })
        .collect();
    let db_ok = database == "ok";
    let status = if !db_ok {
        "down"
    } else if sources.iter().any(|s| !s.state.is_healthy()) {
        "degraded"
    } else {
        "ok"
    };
    let code = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status,
        version: env!("CARGO_PKG_VERSION"),
        database,
        sources,
    };
    (code, axum::Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Binds `addr` and serves until `shutdown` is cancelled. Returns the bound address (useful
/// when the port is 0) and the server task.
pub async fn serve(
    addr: std::net::SocketAddr,
    state: AppState,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(state);
    let handle = tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "HTTP server failed");
        }
    });
    Ok((local, handle))
}
