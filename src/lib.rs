//! Typed client for the Confluence Cloud REST API v1 user endpoints.
//!
//! The crate is split the way rustls and quinn-proto are: this core does no I/O. Building a
//! request (method, URL, headers) and turning a response (status, headers, body bytes) into a
//! model or an [`Error`] are plain functions, tested natively with `cargo test` and usable from
//! any Rust HTTP client. The WebAssembly skin in `src/wasm/` (built only for `wasm32`) moves
//! bytes through the JavaScript `fetch` and nothing else.
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
pub mod coalesce;
mod config;
mod encode;
mod endpoints;
mod error;
pub mod models;
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

pub use bulk::{
    plan_bulk, plan_migration, BulkPlan, MigrationPlan, MigrationTally, MAX_BULK_URL_LEN,
    MIGRATION_CHUNK_MAX,
};
pub use config::{bearer_authorization, Auth, ClientConfig, Request, MAX_CREDENTIAL_LEN};
pub use endpoints::*;
pub use error::{Error, ErrorBody, ErrorKind};
pub use paging::next_start;
pub use redact::{redact, Redactor, MIN_FRAGMENT, REDACTED};
pub use response::{
    decode_response, error_message, parse_error, parse_error_redacted, validate_body,
    validate_response, JsonView,
};
pub use retry::{
    decide, is_retryable_status, is_unsendable, parse_retry_after, Decision, Outcome, RetryPolicy,
};
pub use validate::{validate, Invalid};
