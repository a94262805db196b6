//! Admin HTTP: status page, JSON status, Prometheus metrics, liveness and readiness, and
//! the drain API. Reads the same snapshots as the query path; never blocks it.

pub mod listen;
pub mod page;
pub mod prom;
pub mod shares;
pub mod status;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::dns::Engine;
use crate::dns::conns::Conns;
use crate::health::Prober;
use crate::health::drain::{Drain, unix_now};
use crate::xfr::secondary::Secondaries;
use crate::zone::Store;

/// What the handlers share.
pub struct Admin {
    /// The zones served.
    pub zones: Arc<Store>,
    /// Health and server counters.
    pub engine: Arc<Engine>,
    pub prober: Arc<Prober>,
    pub token: Option<String>,
    pub started: Instant,
    /// The DNS TCP connections, for their counts in `/metrics`.
    pub tcp: Arc<Conns>,
    /// The secondary zones, to refresh on request and report on.
    pub secondaries: Arc<Secondaries>,
    /// Asks the server for a reload and waits for how it went.
    pub reload: tokio::sync::mpsc::Sender<tokio::sync::oneshot::Sender<ReloadOutcome>>,
    /// How the last reload went (by signal or by request).
    pub last_reload: Arc<std::sync::Mutex<Option<ReloadOutcome>>>,
    /// Samples of the answer counters, for shares over a recent window.
    pub shares: shares::Shares,
}

/// How a reload went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReloadOutcome {
    pub ok: bool,
    /// Every problem, as `FILE:LINE: message`; the old zones kept serving.
    pub problems: Vec<String>,
    /// When it ended (seconds since the Unix epoch).
    pub at: u64,
}

pub fn router(admin: Arc<Admin>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/status", get(status_json))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/api/backends/{address}/drain", post(drain).delete(undrain))
        .route("/api/reload", post(reload))
        .route("/api/zones/{zone}/refresh", post(refresh))
        .route("/api/zones/{zone}/retransfer", post(retransfer))
        .with_state(admin)
}

async fn index(State(a): State<Arc<Admin>>) -> Html<String> {
    Html(page::render(&status::build(&a)))
}

async fn status_json(State(a): State<Arc<Admin>>) -> Response {
    let body = serde_json::to_string_pretty(&status::build(&a)).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn metrics(State(a): State<Arc<Admin>>) -> Response {
    let s = status::build(&a);
    let body = prom::render(&a, &s);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Ready once every configured zone has data (a secondary its first transfer or saved
/// copy) and the first probe round is done.
async fn readyz(State(a): State<Arc<Admin>>) -> Response {
    let zones = a.zones.get();
    let waiting: Vec<String> = zones.unavailable().map(|n| n.to_string()).collect();
    if !waiting.is_empty() {
        let body = format!("zones without data: {}\n", waiting.join(" "));
        return (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    }
    if a.prober.first_round_done() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "first probe round not done\n",
        )
            .into_response()
    }
}

fn json(code: StatusCode, body: serde_json::Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST /api/reload`: the same as SIGHUP, answered with the result: 200 and `ok: true`,
/// or 422 with every problem (the old zones keep serving).
async fn reload(State(a): State<Arc<Admin>>, h: HeaderMap) -> Response {
    if let Some(denied) = denied(&a, &h) {
        return denied;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    if a.reload.send(tx).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    match rx.await {
        Ok(outcome) => {
            let code = if outcome.ok {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            json(code, serde_json::json!(outcome))
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response(),
    }
}

async fn refresh(State(a): State<Arc<Admin>>, Path(zone): Path<String>, h: HeaderMap) -> Response {
    trigger(&a, &zone, &h, false)
}

async fn retransfer(
    State(a): State<Arc<Admin>>,
    Path(zone): Path<String>,
    h: HeaderMap,
) -> Response {
    trigger(&a, &zone, &h, true)
}

/// Starts a refresh (or a full transfer) of a secondary zone: 202, or 404 for a zone that
/// is not a secondary here. The result shows on `/status` and in the log.
fn trigger(a: &Admin, zone: &str, h: &HeaderMap, force: bool) -> Response {
    if let Some(denied) = denied(a, h) {
        return denied;
    }
    let name = match crate::zonefile::rdata::config_name(zone) {
        Ok(n) => n,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("'{zone}' is not a name: {e}\n"),
            )
                .into_response();
        }
    };
    if !a.secondaries.trigger(&name, force) {
        return (
            StatusCode::NOT_FOUND,
            format!("{name} is not a secondary zone here\n"),
        )
            .into_response();
    }
    let action = if force { "retransfer" } else { "refresh" };
    json(
        StatusCode::ACCEPTED,
        serde_json::json!({ "zone": name.to_string(), "action": action }),
    )
}

/// What a drain request may say: `{"reason": "disk swap", "for": "30m"}` (both optional).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DrainRequest {
    reason: Option<String>,
    #[serde(rename = "for")]
    duration: Option<String>,
}

async fn drain(
    State(a): State<Arc<Admin>>,
    Path(addr): Path<String>,
    h: HeaderMap,
    body: String,
) -> Response {
    if let Some(denied) = denied(&a, &h) {
        return denied;
    }
    let req: DrainRequest = match body.trim() {
        "" => DrainRequest::default(),
        text => match serde_json::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let why = format!(
                    "the body must be JSON like {{\"reason\": \"…\", \"for\": \"30m\"}}: {e}\n"
                );
                return (StatusCode::BAD_REQUEST, why).into_response();
            }
        },
    };
    let until = match req
        .duration
        .as_deref()
        .map(crate::config::validate::parse_duration)
    {
        None => None,
        Some(Some(d)) => Some(unix_now() + d.as_secs().max(1)),
        Some(None) => {
            let why = "'for' must be a duration such as 90s, 30m or 2h\n";
            return (StatusCode::BAD_REQUEST, why).into_response();
        }
    };
    let drain = Drain {
        reason: req.reason.filter(|r| !r.is_empty()),
        since: unix_now(),
        until,
    };
    set_drain(&a, &addr, Some(drain))
}

async fn undrain(State(a): State<Arc<Admin>>, Path(addr): Path<String>, h: HeaderMap) -> Response {
    if let Some(denied) = denied(&a, &h) {
        return denied;
    }
    set_drain(&a, &addr, None)
}

/// 401 unless the request carries the token (when one is configured).
fn denied(a: &Admin, h: &HeaderMap) -> Option<Response> {
    (!authorized(a.token.as_deref(), h)).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong bearer token\n",
        )
            .into_response()
    })
}

fn set_drain(a: &Admin, addr: &str, drain: Option<Drain>) -> Response {
    let drained = drain.is_some();
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return (
            StatusCode::BAD_REQUEST,
            format!("'{addr}' is not an IP address\n"),
        )
            .into_response();
    };
    // ::ffff:192.0.2.10 is 192.0.2.10: zones hold the IPv4 form, and a drain of the other
    // spelling would be accepted and change nothing.
    let ip = ip.to_canonical();
    let in_pool = a
        .zones
        .get()
        .plans()
        .any(|(_, plan)| plan.addrs.contains(&ip));
    // An undrain of an address drained before its pool went away is still allowed.
    let stale_drain = !drained && a.prober.drained().contains(&ip);
    if !in_pool && !stale_drain {
        return (
            StatusCode::NOT_FOUND,
            format!("{ip} is in no pool: no balanced A or AAAA RRset of any zone holds it\n"),
        )
            .into_response();
    }
    let details = drain.clone();
    match a.prober.set_drain(ip, drain) {
        Ok(changed) => {
            let mut body =
                serde_json::json!({ "address": ip, "drained": drained, "changed": changed });
            if let Some(d) = details {
                body["reason"] = serde_json::json!(d.reason);
                body["until"] = serde_json::json!(d.until);
            }
            (
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// With a token configured, writes need `Authorization: Bearer <token>`.
fn authorized(token: Option<&str>, h: &HeaderMap) -> bool {
    let Some(token) = token else { return true };
    let given = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Constant-time comparison: the token must not leak through timing.
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_token_check() {
        let mut h = HeaderMap::new();
        assert!(authorized(None, &h));
        assert!(!authorized(Some("s3cret"), &h));
        h.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert!(authorized(Some("s3cret"), &h));
        h.insert(header::AUTHORIZATION, "Bearer s3cre".parse().unwrap());
        assert!(!authorized(Some("s3cret"), &h));
    }
}
