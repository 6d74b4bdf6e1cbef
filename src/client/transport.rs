//! Sending one request with ureq: the only I/O of the native client. Everything it decides
//! (attempts, waits, results) comes from the call driver; this moves bytes, as the wasm skin's
//! `fetch` transport does.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::Request;

/// The largest response body read, in bytes. A bulk lookup of 200 fully expanded users is well
/// under 1 MiB; the bound keeps a broken or hostile server from filling memory.
pub(crate) const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// One HTTP response, read whole.
pub(crate) struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Every header, names lowercased, values as sent (non-UTF-8 bytes replaced).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why an attempt got no response.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The attempt's timeout ran out (before the headers or during the body).
    TimedOut,
    /// Anything else: DNS, connect, TLS, a reset, a malformed response. The message is ureq's
    /// and may hold the URL; the caller redacts it.
    Network(String),
}

/// A ureq agent (a connection pool) set up for this API.
pub(crate) struct Transport {
    agent: ureq::Agent,
}

impl Transport {
    /// `use_env_proxy`: whether `ALL_PROXY` / `HTTPS_PROXY` / `HTTP_PROXY` (with `NO_PROXY`)
    /// apply, as they do for curl; the client turns them off for a loopback base URL.
    pub(crate) fn new(use_env_proxy: bool) -> Transport {
        let mut config = ureq::Agent::config_builder()
            // Statuses are the driver's to judge, and their bodies are needed.
            .http_status_as_error(false)
            .user_agent(concat!("confluence-users/", env!("CARGO_PKG_VERSION")));
        if !use_env_proxy {
            config = config.proxy(None);
        }
        Transport {
            agent: config.build().new_agent(),
        }
    }

    /// Sends `request` and reads the whole response, within `timeout` (from the start of the
    /// connection to the last byte of the body, as the JS client's timeout covers `fetch` and
    /// reading the body).
    pub(crate) fn send(
        &self,
        request: &Request,
        timeout: Option<Duration>,
    ) -> Result<Response, Failure> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut builder = self
            .agent
            .get(&request.url)
            .config()
            .timeout_global(timeout)
            .build();
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let mut response = builder.call().map_err(failure)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = read_body(response.body_mut(), deadline)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Reads the whole body by `deadline`. ureq's own timeout is not enough: once its deadline has
/// passed it waits up to another second per read, so a body that keeps trickling in (a byte
/// every 50 ms) would never time out. The deadline is checked after every read instead.
fn read_body(body: &mut ureq::Body, deadline: Option<Instant>) -> Result<Vec<u8>, Failure> {
    let mut reader = body.with_config().limit(MAX_BODY_BYTES).reader();
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(|e| {
            // ureq reports its own errors (a timeout, the size limit) inside the io::Error.
            match e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            {
                Some(ureq::Error::Timeout(_)) => Failure::TimedOut,
                Some(ureq::Error::BodyExceedsLimit(_)) => too_large(),
                _ if e.kind() == std::io::ErrorKind::TimedOut => Failure::TimedOut,
                _ => Failure::Network(e.to_string()),
            }
        })?;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Failure::TimedOut);
        }
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn failure(error: ureq::Error) -> Failure {
    match error {
        ureq::Error::Timeout(_) => Failure::TimedOut,
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => Failure::TimedOut,
        ureq::Error::BodyExceedsLimit(_) => too_large(),
        other => Failure::Network(other.to_string()),
    }
}

fn too_large() -> Failure {
    Failure::Network(format!(
        "the response body is larger than {} MiB",
        MAX_BODY_BYTES / 1024 / 1024
    ))
}
