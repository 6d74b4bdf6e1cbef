//! Sending one request: the [`HttpTransport`] trait, and its default, ureq over rustls. This
//! is the only I/O of the native client; everything it decides (attempts, waits, results)
//! comes from the call driver, as the wasm skin's `fetch` transport does.

use std::fmt;
use std::io::Read;
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
};

use crate::Request;

/// The largest response body the default transport reads, in bytes. A bulk lookup of 200
/// fully expanded users is well under 1 MiB; the bound keeps a broken or hostile server from
/// filling memory.
pub(crate) const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Sends requests for a [`Client`](crate::Client): the default is ureq over rustls; another
/// (a test double, a different HTTP stack, a corporate gateway) is set with
/// [`ClientBuilder::transport`](crate::ClientBuilder::transport).
///
/// The client runs each `send` on a thread of its own and stops waiting for it at the
/// attempt's deadline or when the call is aborted, whatever the transport does; a transport
/// should still honour `timeout` itself, so that its thread ends soon after.
pub trait HttpTransport: Send + Sync + 'static {
    /// Sends `request` (a `GET`; [`Request::headers`] holds every header to send) and reads
    /// the whole response, within `timeout` (`None`: no limit) from the start of the
    /// connection to the last byte of the body.
    fn send(
        &self,
        request: &Request,
        timeout: Option<Duration>,
    ) -> Result<HttpResponse, TransportError>;
}

/// One HTTP response, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names lowercase (the client reads `content-type`, `retry-after` and
    /// `atl-traceid`).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why an attempt got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The attempt's timeout ran out (before the headers or during the body).
    TimedOut,
    /// Anything else: DNS, connect, TLS, a reset, a malformed response. The client redacts
    /// the message (it may hold the URL) before it reaches an error.
    Network(String),
}

/// The default transport: a ureq agent (a connection pool) set up for this API.
pub(crate) struct Ureq {
    agent: ureq::Agent,
}

impl Ureq {
    /// `use_env_proxy`: whether `ALL_PROXY` / `HTTPS_PROXY` / `HTTP_PROXY` (with `NO_PROXY`)
    /// apply, as they do for curl; the client turns them off for a loopback base URL.
    /// `roots`: DER certificates to trust instead of the built-in Mozilla roots.
    pub(crate) fn new(use_env_proxy: bool, roots: &[Vec<u8>]) -> Ureq {
        let mut config = ureq::Agent::config_builder()
            // Statuses are the driver's to judge, and their bodies are needed.
            .http_status_as_error(false)
            .user_agent(concat!("confluence-users/", env!("CARGO_PKG_VERSION")));
        if !use_env_proxy {
            config = config.proxy(None);
        }
        if !roots.is_empty() {
            let certs: Vec<ureq::tls::Certificate<'static>> = roots
                .iter()
                .map(|der| ureq::tls::Certificate::from_der(der).to_owned())
                .collect();
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                    .build(),
            );
        }
        let connector = DefaultConnector::new().chain(CutAtDeadline);
        Ureq {
            agent: ureq::Agent::with_parts(
                config.build(),
                connector,
                ureq::unversioned::resolver::DefaultResolver::default(),
            ),
        }
    }
}

impl HttpTransport for Ureq {
    fn send(
        &self,
        request: &Request,
        timeout: Option<Duration>,
    ) -> Result<HttpResponse, TransportError> {
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
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// A ureq connector that ends a read once the request's global deadline has passed. A read
/// that ureq starts exactly at (or past) its deadline gets a 1 s socket timeout instead of
/// none left (its `NextTimeout::not_zero`), and every read after a byte arrived starts past
/// the deadline again: a status line or a body that trickles in a byte at a time would then
/// hold the connection for as long as the server likes (seen on a loaded machine: 3.6 s for a
/// 300 ms timeout). With this, the thread
/// sending an attempt ends at its deadline (plus one read's wake-up) whatever the server does.
#[derive(Debug)]
struct CutAtDeadline;

impl Connector<Box<dyn Transport>> for CutAtDeadline {
    type Out = Deadlined;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(Deadlined))
    }
}

/// A connection whose reads and writes refuse to start past the deadline.
struct Deadlined(Box<dyn Transport>);

impl fmt::Debug for Deadlined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Deadlined")
    }
}

/// Whether `timeout` (ureq's time to its next deadline) has run out.
fn expired(timeout: &NextTimeout) -> bool {
    !timeout.after.is_not_happening() && timeout.after.is_zero()
}

impl Transport for Deadlined {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if expired(&timeout) {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        self.0.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        if expired(&timeout) {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        self.0.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

/// Reads the whole body by `deadline` (checked after every read as well: see
/// [`CutAtDeadline`]).
fn read_body(body: &mut ureq::Body, deadline: Option<Instant>) -> Result<Vec<u8>, TransportError> {
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
                Some(ureq::Error::Timeout(_)) => TransportError::TimedOut,
                Some(ureq::Error::BodyExceedsLimit(_)) => too_large(),
                _ if e.kind() == std::io::ErrorKind::TimedOut => TransportError::TimedOut,
                _ => TransportError::Network(e.to_string()),
            }
        })?;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(TransportError::TimedOut);
        }
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn failure(error: ureq::Error) -> TransportError {
    match error {
        ureq::Error::Timeout(_) => TransportError::TimedOut,
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => TransportError::TimedOut,
        ureq::Error::BodyExceedsLimit(_) => too_large(),
        other => TransportError::Network(other.to_string()),
    }
}

fn too_large() -> TransportError {
    TransportError::Network(format!(
        "the response body is larger than {} MiB",
        MAX_BODY_BYTES / 1024 / 1024
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration as UreqDuration;
    use ureq::unversioned::transport::LazyBuffers;

    /// A connection that counts the reads and writes it was asked for.
    #[derive(Debug)]
    struct Counting(LazyBuffers, usize);

    impl Transport for Counting {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.0
        }
        fn transmit_output(&mut self, _: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            self.1 += 1;
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, ureq::Error> {
            self.1 += 1;
            Ok(true)
        }
        fn is_open(&mut self) -> bool {
            true
        }
    }

    #[test]
    fn no_read_or_write_starts_past_the_deadline() {
        let mut conn = Deadlined(Box::new(Counting(LazyBuffers::new(64, 64), 0)));
        let at = |after| NextTimeout {
            after,
            reason: ureq::Timeout::Global,
        };
        assert!(conn.await_input(at(UreqDuration::from_millis(5))).is_ok());
        assert!(conn.await_input(at(UreqDuration::NotHappening)).is_ok());
        assert!(conn
            .transmit_output(0, at(UreqDuration::from_millis(5)))
            .is_ok());
        for expired in [
            conn.await_input(at(UreqDuration::from_millis(0))),
            conn.transmit_output(0, at(UreqDuration::from_millis(0)))
                .map(|()| true),
        ] {
            assert!(matches!(
                expired,
                Err(ureq::Error::Timeout(ureq::Timeout::Global))
            ));
        }
        // The refused ones never reached the connection.
        let inner = format!("{:?}", conn.0);
        assert!(inner.ends_with(", 3)"), "{inner}");
    }
}
