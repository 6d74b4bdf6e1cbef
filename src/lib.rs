//! Typed client for the Confluence Cloud REST API v1 user endpoints.
//!
//! The crate is split the way rustls and quinn-proto are: this core does no I/O. Building a
//! request (method, URL, headers) and turning a response (status, headers, body bytes) into a
//! model or an [`Error`] are plain functions, tested natively with `cargo test` and usable from
//! any Rust HTTP client. What a call does over time (attempts, timeouts, retries and
//! `Retry-After`, token refreshes, bulk fan-out and merge, paging) is the [`driver`]'s state
//! machines, fed what happened and answering what to do next; what a client does across its
//! calls (a rate-limit pause, the cap on requests in flight and their queue) is the
//! [`ratelimit`] governor's, and which `getUser` calls share a request and what is served
//! from memory are [`coalesce`]'s and [`cache`]'s. The WebAssembly skin in `src/wasm/`
//! (built only for `wasm32`) performs their steps with the JavaScript `fetch`, timers and
//! `AbortSignal`, reads JS values into core types and converts results back.
//!
//! ```
//! use confluence_users::{Auth, ClientConfig, GetUserParams, UserExpand, Endpoint, decode_response};
//!
//! let config = ClientConfig::new(
//!     Some("https://your-domain.atlassian.net"),
//!     Auth::Basic { email: "me@example.com".into(), api_token: "token".into() },
//! )?;
//! let params = GetUserParams {
//!     account_id: "5b10ac8d82e05b22cc7d4ef5".into(),
//!     expand: vec![UserExpand::Operations],
//! };
//! let request = config.request(&params)?;
//! assert_eq!(
//!     request.url,
//!     "https://your-domain.atlassian.net/wiki/rest/api/user?accountId=5b10ac8d82e05b22cc7d4ef5&expand=operations"
//! );
//! // Send `request` with any HTTP client, then hand back what came in:
//! let body = br#"{"type":"known","accountId":"5b10ac8d82e05b22cc7d4ef5","publicName":"Mia"}"#;
//! let user = decode_response::<GetUserParams>(200, Some("application/json"), body)?;
//! assert_eq!(user.public_name.as_deref(), Some("Mia"));
//!
//! // A non-2xx status becomes an error carrying Atlassian's own message.
//! let err = decode_response::<GetUserParams>(
//!     404,
//!     Some("application/json"),
//!     br#"{"statusCode":404,"message":"No user found with accountId: x"}"#,
//! )
//! .unwrap_err();
//! assert_eq!(err.status(), 404);
//! assert_eq!(err.to_string(), "404 Not Found: No user found with accountId: x");
//! # Ok::<(), confluence_users::Error>(())
//! ```
#![deny(missing_docs)]

mod bulk;
pub mod cache;
#[cfg(all(feature = "client", not(target_arch = "wasm32")))]
mod client;
pub mod coalesce;
mod config;
pub mod driver;
mod encode;
mod endpoints;
mod error;
// What a JS params object may hold, read field by field: only the wasm skin reads JS objects
// (and the tests check the rules natively). The native client takes the typed params structs,
// for which the type rules hold by construction; the value rules (an empty id, a limit out of
// range) are each operation's `Endpoint::validate`, which both front ends apply.
#[cfg(any(target_arch = "wasm32", test))]
mod input;
pub mod models;
// The settings' defaults, ranges and messages: the wasm skin's and the native client's. A
// native build without the client has no settings to check.
#[cfg(any(target_arch = "wasm32", feature = "client", test))]
mod options;
mod paging;
pub mod ratelimit;
mod redact;
mod response;
mod retry;
pub mod schema;
mod validate;
#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
pub use wasm::{is_confluence_error, ConfluenceClient};

pub use bulk::{plan_bulk, BulkPlan, MAX_BULK_URL_LEN};
// The README's Rust sample compiles: rustdoc runs its `rust` blocks as doctests of the feature.
#[cfg(all(doctest, feature = "client"))]
#[doc = include_str!("../README.md")]
struct ReadmeSamples;
#[cfg(all(feature = "client", not(target_arch = "wasm32")))]
pub use client::{
    AbortHandle, CallError, Client, ClientBuilder, HookEvent, HttpResponse, HttpTransport,
    MigrationResult, Pages, TransportError, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, MAX_CONCURRENCY,
    MAX_RETRIES, MAX_WAIT_MS,
};
pub use config::{Auth, ClientConfig, Request, MAX_CREDENTIAL_LEN};
pub use endpoints::*;
pub use error::{Error, ErrorBody, ErrorKind};
pub use redact::{redact, Redactor, MIN_FRAGMENT, REDACTED};
pub use response::{
    decode_response, error_message, parse_error, parse_error_redacted, validate_response, JsonView,
};
pub use retry::RetryPolicy;
pub use validate::{validate, Invalid};

// The wasm build's allocator: talc rather than Rust's default dlmalloc, for size (issue 10,
// js-tests/bench/SIZE.md: 3.3 KB less wasm, 1.7 KB less gzip) at no cost on the bench's
// decode path; single-threaded, growing linear memory as dlmalloc does.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
