//! Admin HTTP: status page, JSON status, Prometheus metrics, liveness and readiness, and
//! the drain API. Reads the same snapshots as the query path; never blocks it.

pub mod listen;
pub mod page;
pub mod prom;
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
}

pub fn router(admin: Arc<Admin>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/status", get(status_json))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/api/backends/{address}/drain", post(drain).delete(undrain))
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

async fn drain(State(a): State<Arc<Admin>>, Path(addr): Path<String>, h: HeaderMap) -> Response {
    set_drain(&a, &addr, &h, true)
}

async fn undrain(State(a): State<Arc<Admin>>, Path(addr): Path<String>, h: HeaderMap) -> Response {
    set_drain(&a, &addr, &h, false)
}

fn set_drain(a: &Admin, addr: &str, h: &HeaderMap, drained: bool) -> Response {
    if !authorized(a.token.as_deref(), h) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong bearer token\n",
        )
            .into_response();
    }
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
    match a.prober.set_drain(ip, drained) {
        Ok(changed) => {
            let body = serde_json::json!({ "address": ip, "drained": drained, "changed": changed });
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
