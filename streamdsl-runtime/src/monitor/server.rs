//! The HTTP server of `StreamingContext::metrics_addr`, on the pipeline's tokio runtime:
//! `/` the live page, `/metrics` Prometheus's scrape, `/api/status` and
//! `/api/batches/<batch time in ms>` the page's JSON. GET only; anything else is 404/405.

use super::Monitor;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::time::Duration;

/// The page: one file with its script and styles, so nothing is fetched from elsewhere.
const PAGE: &str = include_str!("page.html");

/// Accepts connections until the runtime shuts down with the pipeline.
pub(crate) async fn serve(listener: tokio::net::TcpListener, monitor: Monitor) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, most likely: wait rather than spin.
                tracing::warn!(error = %e, "the metrics server cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let monitor = monitor.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let response = respond(&monitor, request.method(), request.uri().path());
                async move { Ok::<_, Infallible>(response) }
            });
            // A client that goes away mid-request is its own business.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(monitor: &Monitor, method: &Method, path: &str) -> Response<Full<Bytes>> {
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET is served\n");
    }
    let (content_type, body) = match path {
        "/" => ("text/html; charset=utf-8", PAGE.to_owned()),
        "/metrics" => (
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            monitor.metrics_text(),
        ),
        "/api/status" => ("application/json", monitor.status_json()),
        _ => {
            let batch = path
                .strip_prefix("/api/batches/")
                .and_then(|t| t.parse().ok());
            match batch.and_then(|time_ms| monitor.batch_json(time_ms)) {
                Some(json) => ("application/json", json),
                None => return plain(StatusCode::NOT_FOUND, "not found\n"),
            }
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}
