//! A blocking native client (cargo feature `client`): the eight operations, bulk lookups of any
//! size, paging, retries and timeouts, with the JS package's behaviour and defaults.
//!
//! Every decision of a call (attempts, backoff, `Retry-After`, the final result, the chunks of
//! a bulk call, the next page) is the call driver's ([`crate::driver`]); this module performs
//! its steps: send with [`transport`] (ureq over rustls), sleep, decode into the models.

mod abort;
mod transport;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::token_threw;
use crate::driver::{
    BulkCall, Call, CallSettings, Done, End, FanOut, GroupWalk, Input, Migration, MigrationPage,
    PageInfo, Report, Step,
};
use crate::models::{
    AccountIdEmailRecord, BulkUserLookupArray, Group, GroupArrayWithLinks, Links, MigratedUser,
    MigratedUserArray, User, UserAnonymous,
};
use crate::options;
use crate::redact::{CallTokens, RecentTokens};
use crate::schema::Shape;
use crate::{
    parse_error_redacted, Auth, BulkEndpoint, ClientConfig, Endpoint, Error, ErrorKind,
    GetAnonymousUserParams, GetBulkUserLookupParams, GetBulkUserMigrationParams,
    GetCurrentUserParams, GetGroupMembershipsForUserParams, GetPrivacyUnsafeUserEmailBulkParams,
    GetPrivacyUnsafeUserEmailParams, GetUserParams, Request, RetryPolicy,
};
pub use abort::AbortHandle;
use abort::{race, Raced};
use transport::Ureq;
pub use transport::{HttpResponse, HttpTransport, TransportError};

/// The time one attempt may take by default, as in the JS client (`timeout: 30000`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(options::DEFAULT_TIMEOUT_MS as u64);
/// The longest timeout and backoff wait accepted, in ms: the JS client's bound (2^31 - 1, the
/// longest `setTimeout`), so both clients accept the same settings.
pub const MAX_WAIT_MS: u64 = options::MAX_TIMER_MS;
// The JS client's defaults and ranges, from the one definition both clients read.
pub use crate::options::{DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MAX_RETRIES};

/// A failed call: the [`Error`] (its [`kind`](CallError::kind) is the JS error's `kind`), with
/// where and how far the call got (the JS error's other fields). Neither `Display` nor `Debug`
/// ever shows a credential: every text from the server or the network is redacted with the
/// client's credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError(Box<Failed>);

/// The fields of a [`CallError`], boxed so a `Result` stays small.
#[derive(Debug, Clone, PartialEq)]
struct Failed {
    operation: &'static str,
    error: Error,
    url: String,
    attempts: u32,
    retry_after_ms: Option<u64>,
    request_id: Option<String>,
    /// For a call split over several requests: the message with how far it got.
    message: Option<String>,
}

impl CallError {
    /// The error's category, the same as the JS error's `kind`.
    pub fn kind(&self) -> ErrorKind {
        self.0.error.kind()
    }

    /// The HTTP status, or 0 when there was no response.
    pub fn status(&self) -> u16 {
        self.0.error.status()
    }

    /// What went wrong.
    pub fn error(&self) -> &Error {
        &self.0.error
    }

    /// The operationId of the call, e.g. `getUser`.
    pub fn operation(&self) -> &'static str {
        self.0.operation
    }

    /// The URL of the last request sent, or `""` when the call was refused before sending.
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// How many requests the failing part of the call sent (0 when refused before sending).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// How long the last response asked to wait (its `Retry-After`), in ms.
    pub fn retry_after_ms(&self) -> Option<u64> {
        self.0.retry_after_ms
    }

    /// Atlassian's `atl-traceid` of the last response, for support requests.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    fn refused(operation: &'static str, error: Error) -> CallError {
        CallError(Box::new(Failed {
            operation,
            error,
            url: String::new(),
            attempts: 0,
            retry_after_ms: None,
            request_id: None,
            message: None,
        }))
    }

    /// Adds how far a fanned-out call got (`noun`: ids, keys, usernames), in the driver's words.
    fn with_progress(mut self, fan_out: &FanOut, noun: &str) -> CallError {
        let plain = self.to_string();
        self.0.message = Some(fan_out.failure_message(&plain, noun));
        self
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.message {
            Some(message) => f.write_str(message),
            None => write!(f, "{}: {}", self.0.operation, self.0.error),
        }
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.error)
    }
}

/// Settings for a [`Client`]; start from [`Client::builder`].
pub struct ClientBuilder {
    base_url: String,
    auth: Auth,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    concurrency: usize,
    hook: Option<Arc<Hook>>,
    token: Option<TokenFn>,
    transport: Option<Arc<dyn HttpTransport>>,
    root_certificates: Vec<Vec<u8>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Auth's own Debug hides the credentials.
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
            .field("hook", &self.hook.is_some())
            .field("token_fn", &self.token.is_some())
            .field("transport", &self.transport.is_some())
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

impl ClientBuilder {
    /// Retries of failed attempts (429, 502, 503, 504, network failures and timeouts), with
    /// exponential backoff and full jitter; `Retry-After` is the floor of each wait. Default
    /// [`RetryPolicy::default`] (3 retries, 500 ms doubling, waits of at most 30 s);
    /// [`RetryPolicy::NONE`] turns retrying off.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The time one attempt may take, from connecting to the last byte of the body (default
    /// [`DEFAULT_TIMEOUT`]); `None` for no limit.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many requests a bulk call beyond 200 ids sends at once (default
    /// [`DEFAULT_CONCURRENCY`], 1 to [`MAX_CONCURRENCY`]).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Observes every call: `hook` gets each request before it is sent, each response
    /// (retried or not) and each retry before its wait, as the JS client's `onRequest`,
    /// `onResponse` and `onRetry` do. It runs on the thread making the request; keep it short.
    pub fn hook(mut self, hook: impl Fn(&HookEvent<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Asks `token` for the bearer token before every attempt (the JS client's
    /// `auth: { type: "bearer", token: () => ... }`), so a token refreshed during a backoff
    /// wait is the one the retry sends; it replaces the builder's [`Auth`]. Its `Err` ends the
    /// call with [`ErrorKind::InvalidArgument`] (`auth.token threw: ...`), as does a token that
    /// could not be a header (empty, longer than [`crate::MAX_CREDENTIAL_LEN`] bytes, not
    /// visible ASCII). It runs on a thread of its own, bounded by the attempt's timeout and the
    /// call's [`AbortHandle`]. Every token it gives is redacted from every error.
    pub fn token_fn(
        mut self,
        token: impl Fn() -> Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        self.token = Some(Arc::new(token));
        self
    }

    /// Sends requests with `transport` instead of the built-in one (ureq over rustls).
    pub fn transport(mut self, transport: impl HttpTransport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Trusts these root certificates (DER) instead of the built-in Mozilla roots, for a site
    /// reached through a TLS-inspecting proxy or signed by a private authority: give every
    /// root the client needs (an empty list keeps the built-in ones; a certificate that does
    /// not parse is skipped). Used by the built-in transport only.
    pub fn root_certificates(mut self, certificates: Vec<Vec<u8>>) -> Self {
        self.root_certificates = certificates;
        self
    }

    /// Validates the settings. The error is [`Error::InvalidArgument`], naming the setting.
    pub fn build(self) -> Result<Client, Error> {
        // The JS client's checks and messages (src/options.rs), in its order.
        let concurrency =
            options::check_concurrency(self.concurrency as f64).map_err(Error::invalid)?;
        let retry = options::check_retry(self.retry).map_err(Error::invalid)?;
        let timeout_ms = match self.timeout {
            None => None,
            // Whole milliseconds, as JS timers take them: a sub-millisecond rest is dropped.
            Some(t) => {
                Some(options::check_timeout_ms(t.as_millis() as f64).map_err(Error::invalid)?)
            }
        };
        // A token function's tokens are sent instead of a fixed credential.
        let auth = match self.token {
            Some(_) => Auth::None,
            None => self.auth,
        };
        let config = ClientConfig::new(Some(&self.base_url), auth)?;
        let transport: Arc<dyn HttpTransport> = match self.transport {
            Some(transport) => transport,
            // A proxy from the environment is for reaching the outside: a loopback site is
            // reached directly (and a test server on 127.0.0.1 is never sent elsewhere).
            None => Arc::new(Ureq::new(
                !is_loopback_base(config.base_url()),
                &self.root_certificates,
            )),
        };
        Ok(Client {
            config,
            transport,
            settings: CallSettings {
                retry,
                timeout_ms,
                token_per_attempt: self.token.is_some(),
            },
            concurrency,
            hook: self.hook,
            token: self.token,
            recent_tokens: Arc::default(),
            abort: None,
        })
    }
}

/// Whether `base` (a normalized base URL) names a loopback host.
fn is_loopback_base(base: &str) -> bool {
    let host = base
        .split_once("://")
        .map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && !port.contains(']') => h,
        _ => host,
    };
    let ipv4_loopback = host.strip_prefix("127.").is_some_and(|rest| {
        let octets: Vec<&str> = rest.split('.').collect();
        octets.len() == 3 && octets.iter().all(|o| o.parse::<u8>().is_ok())
    });
    host == "localhost" || host == "[::1]" || ipv4_loopback
}

/// A client for one Confluence site: blocking calls, each with retries and a per-attempt
/// timeout. Cheap to share between threads (`&Client` is `Sync`); it keeps a pool of
/// connections, which its clones (and [`Client::with_abort`]'s) share.
///
/// ```
/// # // A stand-in for Confluence on 127.0.0.1, answering one request.
/// # use std::io::{Read, Write};
/// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// # let site = format!("http://{}", listener.local_addr()?);
/// # std::thread::spawn(move || {
/// #     let (mut socket, _) = listener.accept().unwrap();
/// #     let mut request = [0u8; 4096];
/// #     let _ = socket.read(&mut request);
/// #     let body = r#"{"type":"known","accountId":"5b10ac8d82e05b22cc7d4ef5","publicName":"Mia"}"#;
/// #     let _ = write!(socket, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
/// # });
/// use confluence_users::{Auth, Client, GetUserParams};
///
/// // `site` is your site, such as "https://your-domain.atlassian.net".
/// let client = Client::new(
///     &site,
///     Auth::Basic { email: "me@example.com".into(), api_token: "token".into() },
/// )?;
/// let user = client.get_user(&GetUserParams {
///     account_id: "5b10ac8d82e05b22cc7d4ef5".into(),
///     expand: vec![],
/// })?;
/// assert_eq!(user.public_name.as_deref(), Some("Mia"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    config: ClientConfig,
    transport: Arc<dyn HttpTransport>,
    settings: CallSettings,
    concurrency: usize,
    hook: Option<Arc<Hook>>,
    token: Option<TokenFn>,
    /// The token function's latest tokens (the core's [`RecentTokens`]), shared by the clones.
    recent_tokens: Arc<Mutex<RecentTokens>>,
    /// The handle that aborts this client's calls ([`Client::with_abort`]).
    abort: Option<AbortHandle>,
}

/// A hook: called for every [`HookEvent`] of every call, from the thread making the request.
type Hook = dyn Fn(&HookEvent<'_>) + Send + Sync;

/// A token function: the bearer token for the next attempt, or why there is none.
type TokenFn = Arc<dyn Fn() -> Result<String, String> + Send + Sync>;

/// What a hook receives: one of the driver's [`Report`]s (the JS `onRequest`, `onResponse` and
/// `onRetry` hooks' events), with the call it belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct HookEvent<'a> {
    /// The operationId, e.g. `getUser`.
    pub operation: &'static str,
    /// The request URL (never with credentials).
    pub url: &'a str,
    /// What happened: a request about to be sent, a response, a retry about to wait.
    pub report: Report,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ClientConfig's own Debug hides the credentials.
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("settings", &self.settings)
            .field("concurrency", &self.concurrency)
            .field("hook", &self.hook.is_some())
            .field("token_fn", &self.token.is_some())
            .field("abort", &self.abort)
            .finish()
    }
}

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]). `base_url` is the site
    /// (`https://your-domain.atlassian.net`) or the OAuth gateway
    /// (`https://api.atlassian.com/ex/confluence/<cloudId>`); see [`ClientConfig::new`].
    pub fn new(base_url: &str, auth: Auth) -> Result<Client, Error> {
        Client::builder(base_url, auth).build()
    }

    /// Settings beyond the defaults: retries, timeout, bulk concurrency.
    pub fn builder(base_url: &str, auth: Auth) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            auth,
            retry: RetryPolicy::default(),
            timeout: Some(DEFAULT_TIMEOUT),
            concurrency: DEFAULT_CONCURRENCY,
            hook: None,
            token: None,
            transport: None,
            root_certificates: Vec::new(),
        }
    }

    /// This client's settings and connections, with its calls aborted by `handle` (as the
    /// JS client's per-call `signal`): [`AbortHandle::abort`] ends every call made through
    /// the returned client at once, in an attempt or a backoff wait, and every later one
    /// before it sends anything, with [`ErrorKind::Aborted`]. Cheap: it shares everything
    /// with `self`, whose own calls are not affected.
    pub fn with_abort(&self, handle: &AbortHandle) -> Client {
        Client {
            abort: Some(handle.clone()),
            ..self.clone()
        }
    }

    /// `getUser`: one user by account id.
    pub fn get_user(&self, params: &GetUserParams) -> Result<User, CallError> {
        self.call(params)
    }

    /// `getAnonymousUser`: what an anonymous visitor is shown as.
    pub fn get_anonymous_user(
        &self,
        params: &GetAnonymousUserParams,
    ) -> Result<UserAnonymous, CallError> {
        self.call(params)
    }

    /// `getCurrentUser`: the user the credentials belong to.
    pub fn get_current_user(&self, params: &GetCurrentUserParams) -> Result<User, CallError> {
        self.call(params)
    }

    /// `getGroupMembershipsForUser`: one page of a user's groups (see
    /// [`paginate_group_memberships_for_user`](Self::paginate_group_memberships_for_user) for
    /// all of them).
    pub fn get_group_memberships_for_user(
        &self,
        params: &GetGroupMembershipsForUserParams,
    ) -> Result<GroupArrayWithLinks, CallError> {
        self.call(params)
    }

    /// `getBulkUserLookup`: any number of ids, split into requests of at most 200 ids and
    /// URLs under 8,000 characters, [`concurrency`](ClientBuilder::concurrency) at a time, each
    /// distinct id asked once; one result with the users in input order (unknown ids are left
    /// out, as Confluence does). A `limit` counts for the whole call.
    pub fn get_bulk_user_lookup(
        &self,
        params: &GetBulkUserLookupParams,
    ) -> Result<BulkUserLookupArray, CallError> {
        self.bulk(params)
    }

    /// `getPrivacyUnsafeUserEmail`: a user's email address, whatever their privacy settings
    /// (apps approved by Atlassian only).
    pub fn get_privacy_unsafe_user_email(
        &self,
        params: &GetPrivacyUnsafeUserEmailParams,
    ) -> Result<AccountIdEmailRecord, CallError> {
        self.call(params)
    }

    /// `getPrivacyUnsafeUserEmailBulk`: email addresses of any number of ids, split and merged
    /// as [`get_bulk_user_lookup`](Self::get_bulk_user_lookup) does.
    pub fn get_privacy_unsafe_user_email_bulk(
        &self,
        params: &GetPrivacyUnsafeUserEmailBulkParams,
    ) -> Result<Vec<AccountIdEmailRecord>, CallError> {
        self.bulk(params)
    }

    /// `getBulkUserMigration`: the account ids of any number of legacy usernames or keys,
    /// split by URL length into requests of at most 200 values, each request's pages followed;
    /// one result in input order, with [`MigrationResult::not_found`] naming the values that
    /// have no account id. `start` and `limit` pick a window of the distinct values.
    pub fn get_bulk_user_migration(
        &self,
        params: &GetBulkUserMigrationParams,
    ) -> Result<MigrationResult, CallError> {
        const OP: &str = GetBulkUserMigrationParams::OPERATION;
        let migration = Migration::new(&self.config, params, false, self.concurrency)
            .map_err(|e| CallError::refused(OP, e))?;
        let (noun, field) = (migration.noun(), migration.field());
        let workers = migration.fan_out.workers();
        let state = Mutex::new(migration);
        let chunks = self.fan_out(
            &state,
            workers,
            |m| &mut m.fan_out,
            |chunk| {
                let mut pages = Vec::new();
                let mut next = lock(&state).first_page(&self.config, chunk);
                while let Some(page) = next {
                    let page = page.map_err(|e| CallError::refused(OP, e))?;
                    let (fetched, end) = self.migration_page(&state, &page)?;
                    pages.push((fetched, end.unanswered));
                    next = end.next.map(Ok);
                }
                Ok(pages)
            },
        );
        let migration = state.into_inner().unwrap_or_else(|p| p.into_inner());
        let chunks = chunks.map_err(|e| e.with_progress(&migration.fan_out, noun))?;
        let mut results = Vec::new();
        let mut links = None;
        for (page, unanswered) in chunks.into_iter().flatten() {
            if links.is_none() {
                let mut first = page.links;
                // The result holds everything asked for: a `next` would point at a page
                // of one chunk only.
                first.0.remove("next");
                links = Some(first);
            }
            results.extend(page.results);
            results.extend(
                unanswered
                    .iter()
                    .map(|&i| unknown(field, migration.value(i))),
            );
        }
        Ok(MigrationResult {
            size: results.len(),
            start: migration.start(),
            limit: migration.limit(),
            results,
            links: links.unwrap_or_default(),
            not_found: migration
                .not_found()
                .into_iter()
                .map(|i| migration.value(i).to_owned())
                .collect(),
        })
    }

    /// Every group of a user, one page at a time as the iterator is advanced: stopping early
    /// sends no further request. An error ends the iteration.
    pub fn paginate_group_memberships_for_user(
        &self,
        params: &GetGroupMembershipsForUserParams,
    ) -> Pages<'_, Group> {
        let walk = GroupWalk::new(&self.config, params.clone())
            .map(Walk::Groups)
            .map_err(|e| CallError::refused(GetGroupMembershipsForUserParams::OPERATION, e));
        Pages::new(self, walk)
    }

    /// Every result of a migration lookup, one request at a time as the iterator is advanced
    /// (chunk by chunk, page by page): `limit` is each request's page size, `start` skips
    /// distinct values. Values Confluence did not answer come as results with no account id.
    pub fn paginate_bulk_user_migration(
        &self,
        params: &GetBulkUserMigrationParams,
    ) -> Pages<'_, MigratedUser> {
        const OP: &str = GetBulkUserMigrationParams::OPERATION;
        let walk = Migration::new(&self.config, params, true, 1).and_then(|migration| {
            let page = migration.first_page(&self.config, 0).transpose()?;
            Ok(page.map(|page| {
                Walk::Migration(Box::new(MigrationWalk {
                    state: Mutex::new(migration),
                    page,
                }))
            }))
        });
        match walk {
            Ok(Some(walk)) => Pages::new(self, Ok(walk)),
            // Nothing to ask for (an empty window): an empty iteration.
            Ok(None) => Pages::empty(self),
            Err(e) => Pages::new(self, Err(CallError::refused(OP, e))),
        }
    }

    /// Fetches one migration page and records it with the driver: the page, and what follows.
    fn migration_page(
        &self,
        state: &Mutex<Migration>,
        page: &MigrationPage,
    ) -> Result<(MigratedUserArray, crate::driver::MigrationPageEnd), CallError> {
        let fetched: MigratedUserArray =
            self.run::<GetBulkUserMigrationParams>(page.request.clone())?;
        let mut migration = lock(state);
        let field = migration.field();
        for user in &fetched.results {
            let echoed = if field == "key" {
                user.key.as_deref()
            } else {
                user.username.as_deref()
            };
            migration.answer(echoed, user.account_id.as_ref().map(|id| id.0.as_str()));
        }
        let info = PageInfo {
            start: fetched.start,
            size: fetched.size,
            has_next: fetched.links.get("next").is_some(),
        };
        let end = migration
            .page_fetched(&self.config, page, info)
            .map_err(|e| CallError::refused(GetBulkUserMigrationParams::OPERATION, e))?;
        Ok((fetched, end))
    }

    /// One call of `E`, validated, driven, decoded.
    fn call<E: Endpoint>(&self, params: &E) -> Result<E::Output, CallError> {
        let request = self
            .config
            .request(params)
            .map_err(|e| CallError::refused(E::OPERATION, e))?;
        self.run::<E>(request)
    }

    /// Drives `request` as a call of `E` and decodes its success.
    fn run<E: Endpoint>(&self, request: Request) -> Result<E::Output, CallError> {
        let mut secrets = Secrets::new(&self.config, &lock(&self.recent_tokens));
        let (response, ended) = self.drive(E::OPERATION, request, E::SHAPE, &mut secrets)?;
        // The driver validated the body against the model's shape; serde's own refusal is
        // still an error, never a panic.
        decode_body(&response).map_err(|error| {
            let error = match error {
                Error::Decode {
                    status,
                    path,
                    message,
                } => Error::Decode {
                    status,
                    path,
                    message: secrets.redact(&message),
                },
                other => other,
            };
            self.failed(E::OPERATION, ended, error, Some(&response), &secrets)
        })
    }

    /// A bulk call: the driver plans and merges, this sends its chunks on threads.
    fn bulk<E: BulkEndpoint>(&self, params: &E) -> Result<E::Output, CallError>
    where
        E::Output: Merge + Send,
    {
        let bulk = BulkCall::new(&self.config, params, self.concurrency)
            .map_err(|e| CallError::refused(E::OPERATION, e))?;
        let request = |i: usize| bulk.request(i).cloned();
        if bulk.is_single() {
            if let Some(only) = request(0) {
                return self.run::<E>(only);
            }
        }
        let workers = bulk.fan_out.workers();
        let state = Mutex::new(bulk.fan_out.clone());
        let outputs = self.fan_out(
            &state,
            workers,
            |f| f,
            |chunk| match request(chunk) {
                Some(request) => self.run::<E>(request),
                None => Err(CallError::refused(
                    E::OPERATION,
                    Error::invalid("the bulk plan has no such chunk"),
                )),
            },
        );
        let fan_out = state.into_inner().unwrap_or_else(|p| p.into_inner());
        let outputs = outputs.map_err(|e| e.with_progress(&fan_out, "ids"))?;
        Ok(E::Output::merge(outputs, &bulk))
    }

    /// Runs `job(chunk)` for the chunks the driver's [`FanOut`] (reached through `fan` in
    /// `state`) hands out, on `workers` threads. `Ok`: every output in chunk order. `Err`: the
    /// first failure; the fan-out then knows which chunks finished.
    fn fan_out<S: Send, T: Send>(
        &self,
        state: &Mutex<S>,
        workers: usize,
        fan: impl Fn(&mut S) -> &mut FanOut + Sync,
        job: impl Fn(usize) -> Result<T, CallError> + Sync,
    ) -> Result<Vec<T>, CallError> {
        let results: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::new());
        let first_error: Mutex<Option<CallError>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let Some(chunk) = fan(&mut lock(state)).next_chunk() else {
                        return;
                    };
                    match job(chunk) {
                        Ok(value) => {
                            fan(&mut lock(state)).finished(chunk);
                            lock(&results).push((chunk, value));
                        }
                        Err(err) => {
                            fan(&mut lock(state)).failed();
                            lock(&first_error).get_or_insert(err);
                            return;
                        }
                    }
                });
            }
        });
        if let Some(err) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(err);
        }
        let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
        results.sort_by_key(|(chunk, _)| *chunk);
        Ok(results.into_iter().map(|(_, value)| value).collect())
    }

    /// Performs the steps of one call's driver: asks the token function, sends, sleeps, and
    /// returns the final response of a successful call, or the error. Every wait (a send, a
    /// token, a backoff) ends at once when the call's [`AbortHandle`] fires.
    fn drive(
        &self,
        operation: &'static str,
        request: Request,
        shape: &'static Shape,
        secrets: &mut Secrets<'_>,
    ) -> Result<(HttpResponse, Ended), CallError> {
        let url = self.config.redact(&request.url);
        let abort = self.abort.as_ref();
        let mut call = Call::new(request, shape, self.settings);
        let mut step = match abort.is_some_and(AbortHandle::is_aborted) {
            // Aborted before the call: nothing is sent.
            true => call.handle(Input::Aborted, now_ms(), random(), &|s| s.to_owned()),
            false => call.start(),
        };
        loop {
            // Each report before the step that follows it, as the driver asks.
            self.report(&mut call, operation, &url);
            // What the step gave, which the input below borrows.
            let token: String;
            let message: String;
            let mut fetched: Option<HttpResponse> = None;
            let input = match step {
                Step::Send { timeout_ms, .. } => {
                    let timeout = timeout_ms.map(|ms| Duration::from_millis(u64::from(ms)));
                    let sent_at = Instant::now();
                    let transport = Arc::clone(&self.transport);
                    let request = call.request().clone();
                    // The attempt's deadline and the abort are kept here, whatever the
                    // transport does: the send runs on a thread of its own, left behind then.
                    match race(abort, timeout, move || transport.send(&request, timeout)) {
                        Raced::Done(Ok(response)) => {
                            let response = fetched.insert(response);
                            Input::Response(crate::driver::Response {
                                status: response.status,
                                content_type: response.header("content-type"),
                                retry_after: response.header("retry-after"),
                                body: &response.body,
                                elapsed_ms: sent_at.elapsed().as_secs_f64() * 1000.0,
                            })
                        }
                        Raced::Done(Err(TransportError::TimedOut)) | Raced::TimedOut => {
                            Input::TimedOut
                        }
                        Raced::Done(Err(TransportError::Network(why))) | Raced::Lost(why) => {
                            message = secrets.redact(&why);
                            Input::NetworkFailure(&message)
                        }
                        Raced::Aborted => Input::Aborted,
                    }
                }
                Step::Wait { ms, .. } => match abort::sleep(abort, Duration::from_millis(ms)) {
                    true => Input::Aborted,
                    false => Input::Waited,
                },
                Step::Token { timeout_ms, .. } => {
                    let timeout = timeout_ms.map(|ms| Duration::from_millis(u64::from(ms)));
                    match &self.token {
                        Some(source) => {
                            let source = Arc::clone(source);
                            match race(abort, timeout, move || source()) {
                                Raced::Done(Ok(got)) => {
                                    self.remember_token(secrets, &got);
                                    token = got;
                                    Input::Token(&token)
                                }
                                Raced::Done(Err(why)) => {
                                    message = secrets.redact(&token_threw(&why));
                                    Input::TokenInvalid(&message)
                                }
                                Raced::Lost(_) => {
                                    Input::TokenInvalid("auth.token threw: it panicked")
                                }
                                Raced::TimedOut => Input::TimedOut,
                                Raced::Aborted => Input::Aborted,
                            }
                        }
                        // Without a token function the driver never asks; were it to, the
                        // call ends with an error rather than a hang.
                        None => Input::TokenInvalid("auth.token must be a function"),
                    }
                }
                Step::Done(done) => return self.finish(operation, url, done, None, secrets),
                // Only an input after `Done` gives this, and the loop ends at `Done`.
                Step::Over => {
                    let ended = Ended {
                        url,
                        attempts: call.attempts(),
                        retry_after_ms: None,
                    };
                    return Err(self.failed(operation, ended, no_response(), None, secrets));
                }
            };
            let redact = |s: &str| secrets.redact(s);
            step = call.handle(input, now_ms(), random(), &redact);
            // A call that ends on a response ends with it (its body is the result or the
            // error's).
            if let (Step::Done(done), Some(response)) = (&step, fetched) {
                self.report(&mut call, operation, &url);
                return self.finish(operation, url, done.clone(), Some(response), secrets);
            }
        }
    }

    /// Keeps a token the token function gave, for redaction: for the whole call (a later
    /// error may echo any attempt's token) and among the client's last few.
    fn remember_token(&self, secrets: &mut Secrets<'_>, token: &str) {
        secrets.add(token);
        lock(&self.recent_tokens).remember(token);
    }

    /// Hands the driver's pending reports to the hook (and drops them without one).
    fn report(&self, call: &mut Call, operation: &'static str, url: &str) {
        while let Some(report) = call.poll_report() {
            if let Some(hook) = &self.hook {
                hook(&HookEvent {
                    operation,
                    url,
                    report,
                });
            }
        }
    }

    /// The driver's ending as the response to decode or the error.
    fn finish(
        &self,
        operation: &'static str,
        url: String,
        done: Done,
        response: Option<HttpResponse>,
        secrets: &Secrets<'_>,
    ) -> Result<(HttpResponse, Ended), CallError> {
        let ended = Ended {
            url,
            attempts: done.attempts,
            retry_after_ms: done.retry_after_ms,
        };
        let error = match (done.end, response) {
            (End::Success, Some(response)) => return Ok((response, ended)),
            (End::Http { .. }, Some(response)) => {
                let error = self.http_error(&response, secrets);
                return Err(self.failed(operation, ended, error, Some(&response), secrets));
            }
            (End::Decode(error), response) => {
                return Err(self.failed(operation, ended, error, response.as_ref(), secrets))
            }
            (End::Failed { error, .. }, _) => error,
            // The driver ends with Success or Http only on the response just fed to it.
            (End::Success | End::Http { .. }, None) => no_response(),
        };
        Err(self.failed(operation, ended, error, None, secrets))
    }

    fn failed(
        &self,
        operation: &'static str,
        ended: Ended,
        error: Error,
        response: Option<&HttpResponse>,
        secrets: &Secrets<'_>,
    ) -> CallError {
        CallError(Box::new(Failed {
            operation,
            error,
            url: ended.url,
            attempts: ended.attempts,
            retry_after_ms: ended.retry_after_ms,
            request_id: response
                .and_then(|r| r.header("atl-traceid"))
                .map(|id| secrets.redact(id)),
            message: None,
        }))
    }

    /// The error of a non-2xx response: Atlassian's message, and a redacted copy of its body.
    fn http_error(&self, response: &HttpResponse, secrets: &Secrets<'_>) -> Error {
        let redact = |s: &str| secrets.redact(s);
        let content_type = response.header("content-type");
        match parse_error_redacted(response.status, content_type, &response.body, &redact) {
            Error::Http {
                status,
                message,
                body,
            } => Error::Http {
                status,
                message,
                body: body.map(|b| redact_value(b, &redact)),
            },
            other => other,
        }
    }
}

/// The error of a driver ending that needs a response when none came (which the driver does
/// not do: an error rather than a panic all the same).
fn no_response() -> Error {
    Error::Network {
        message: "the call ended without a response".to_owned(),
    }
}

/// What an error of one call must not show: the client's credentials and the tokens the token
/// function gave (this call's, and the client's last few before it).
struct Secrets<'c> {
    config: &'c ClientConfig,
    tokens: CallTokens,
}

impl<'c> Secrets<'c> {
    fn new(config: &'c ClientConfig, recent: &RecentTokens) -> Secrets<'c> {
        Secrets {
            config,
            tokens: CallTokens::new(recent),
        }
    }

    fn add(&mut self, token: &str) {
        self.tokens.add(token);
    }

    fn redact(&self, text: &str) -> String {
        self.tokens.redact(Some(self.config), text)
    }
}

/// Where a driven call ended, for its error.
struct Ended {
    /// The request URL, redacted.
    url: String,
    attempts: u32,
    retry_after_ms: Option<u64>,
}

/// Decodes a successful body the way the driver validated it: as text from a UTF-8 decoder (a
/// leading byte order mark dropped, invalid sequences replaced).
fn decode_body<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, Error> {
    let bytes = response
        .body
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&response.body);
    let text = String::from_utf8_lossy(bytes);
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| Error::Decode {
        status: response.status,
        path: match e.path().to_string() {
            p if p == "?" => ".".to_owned(),
            p => p,
        },
        message: e.into_inner().to_string(),
    })
}

/// A copy of a JSON value with `redact` applied to every string and key.
fn redact_value(value: Value, redact: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(redact(&s)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| redact_value(v, redact)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (redact(&k), redact_value(v, redact)))
                .collect(),
        ),
        other => other,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A worker that panicked leaves plain values behind, nothing half-updated that matters.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A number in `[0, 1)` for the backoff jitter: std's per-process random hash keys, mixed with
/// a counter, are random enough to spread retries (no `rand` dependency).
fn random() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_usize(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The result for a value Confluence did not answer, shaped as Confluence answers an unknown
/// value: the value in its `field`, no account id.
fn unknown(field: &str, value: &str) -> MigratedUser {
    let value = Some(value.to_owned());
    let (username, key) = if field == "key" {
        (None, value)
    } else {
        (value, None)
    };
    MigratedUser {
        username,
        key,
        account_id: None,
    }
}

/// What [`Client::get_bulk_user_migration`] returns: every value's result in input order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MigrationResult {
    /// One result per distinct value asked for, in input order.
    pub results: Vec<MigratedUser>,
    /// The call's `start`.
    pub start: i32,
    /// The call's `limit`, or how many distinct values it asked for.
    pub limit: usize,
    /// `results.len()`.
    pub size: usize,
    /// The first response's links, without `next`.
    pub links: Links,
    /// The values that have no account id, in input order.
    pub not_found: Vec<String>,
}

/// How a bulk operation's responses become one, as the driver's [`BulkCall::merge`] says.
trait Merge: Sized {
    /// The merged result of every chunk's response, in chunk order.
    fn merge(outputs: Vec<Self>, bulk: &BulkCall) -> Self;
}

/// The records the driver picks, moved out of the chunks' record lists.
fn pick<R>(chunks: Vec<Vec<R>>, id: impl Fn(&R) -> Option<&str>, bulk: &BulkCall) -> Vec<R> {
    let picks = {
        let mut merge = bulk.merge();
        for (chunk, records) in chunks.iter().enumerate() {
            for (index, record) in records.iter().enumerate() {
                merge.record(chunk, index, id(record));
            }
        }
        merge.finish()
    };
    let mut slots: Vec<Vec<Option<R>>> = chunks
        .into_iter()
        .map(|records| records.into_iter().map(Some).collect())
        .collect();
    picks
        .into_iter()
        .filter_map(|at| slots.get_mut(at.chunk)?.get_mut(at.index)?.take())
        .collect()
}

impl Merge for BulkUserLookupArray {
    fn merge(outputs: Vec<Self>, bulk: &BulkCall) -> Self {
        let mut chunks = Vec::with_capacity(outputs.len());
        let mut first = None;
        for mut output in outputs {
            chunks.push(std::mem::take(&mut output.results));
            first.get_or_insert(output);
        }
        let results = pick(
            chunks,
            |u| u.account_id.as_ref().map(|id| id.0.as_str()),
            bulk,
        );
        let mut merged = first.unwrap_or(BulkUserLookupArray {
            results: Vec::new(),
            start: 0,
            limit: 0,
            size: 0,
            links: Links::default(),
        });
        merged.size = i32::try_from(results.len()).unwrap_or(i32::MAX);
        merged.results = results;
        merged.start = 0;
        merged.limit = i32::try_from(bulk.limit()).unwrap_or(i32::MAX);
        merged
    }
}

impl Merge for Vec<AccountIdEmailRecord> {
    fn merge(outputs: Vec<Self>, bulk: &BulkCall) -> Self {
        pick(outputs, |r| Some(r.account_id.0.as_str()), bulk)
    }
}

/// What a [`Pages`] iterator fetches next.
enum Walk {
    Groups(GroupWalk),
    Migration(Box<MigrationWalk>),
}

/// A migration iteration: the driver's state, and the page to fetch next.
struct MigrationWalk {
    // A Mutex only to share `Client::migration_page` with the fanned-out call.
    state: Mutex<Migration>,
    page: MigrationPage,
}

/// The items of a paged operation, fetched one page at a time as the iterator is advanced:
/// dropping it early sends no further request. After an error it yields nothing more.
pub struct Pages<'c, T> {
    client: &'c Client,
    next: Option<Walk>,
    /// A refusal found before anything was sent, yielded first.
    refused: Option<CallError>,
    buffered: std::collections::VecDeque<T>,
}

impl<'c, T> Pages<'c, T> {
    fn new(client: &'c Client, first: Result<Walk, CallError>) -> Self {
        let (next, refused) = match first {
            Ok(walk) => (Some(walk), None),
            Err(e) => (None, Some(e)),
        };
        Pages {
            client,
            next,
            refused,
            buffered: Default::default(),
        }
    }

    fn empty(client: &'c Client) -> Self {
        Pages {
            client,
            next: None,
            refused: None,
            buffered: Default::default(),
        }
    }
}

/// One step of a walk: a page's items and what follows.
trait Item: Sized {
    fn step(client: &Client, walk: Walk) -> Result<(Vec<Self>, Option<Walk>), CallError>;
}

impl Item for Group {
    fn step(client: &Client, walk: Walk) -> Result<(Vec<Self>, Option<Walk>), CallError> {
        const OP: &str = GetGroupMembershipsForUserParams::OPERATION;
        let Walk::Groups(mut walk) = walk else {
            return Ok((Vec::new(), None));
        };
        let Some(request) = walk.next_request(&client.config) else {
            return Ok((Vec::new(), None));
        };
        let request = request.map_err(|e| CallError::refused(OP, e))?;
        let page = client.run::<GetGroupMembershipsForUserParams>(request)?;
        walk.page(PageInfo {
            start: page.start,
            size: page.size,
            has_next: page.links.get("next").is_some(),
        });
        let more = walk.next_request(&client.config).is_some();
        Ok((page.results, more.then_some(Walk::Groups(walk))))
    }
}

impl Item for MigratedUser {
    fn step(client: &Client, walk: Walk) -> Result<(Vec<Self>, Option<Walk>), CallError> {
        const OP: &str = GetBulkUserMigrationParams::OPERATION;
        let Walk::Migration(mut walk) = walk else {
            return Ok((Vec::new(), None));
        };
        let (fetched, end) = client.migration_page(&walk.state, &walk.page)?;
        let migration = lock(&walk.state);
        let field = migration.field();
        let mut items = fetched.results;
        items.extend(
            end.unanswered
                .iter()
                .map(|&i| unknown(field, migration.value(i))),
        );
        let next = migration
            .walk_next(&client.config, &walk.page, end.next)
            .transpose()
            .map_err(|e| CallError::refused(OP, e))?;
        drop(migration);
        Ok((
            items,
            next.map(|page| {
                walk.page = page;
                Walk::Migration(walk)
            }),
        ))
    }
}

impl<T: Item> Iterator for Pages<'_, T> {
    type Item = Result<T, CallError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(err) = self.refused.take() {
            return Some(Err(err));
        }
        loop {
            if let Some(item) = self.buffered.pop_front() {
                return Some(Ok(item));
            }
            let walk = self.next.take()?;
            match T::step(self.client, walk) {
                Ok((items, next)) => {
                    self.buffered.extend(items);
                    self.next = next;
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_skip_the_environment_proxy() {
        for base in [
            "http://127.0.0.1:8090",
            "http://127.1.2.3",
            "http://localhost:1",
            "http://[::1]:8080",
            "https://[::1]",
            "https://localhost/wiki-proxy",
        ] {
            assert!(is_loopback_base(base), "{base}");
        }
        for base in [
            "https://x.atlassian.net",
            "https://127.evil.example",
            "https://127.0.0.1.example.com",
            "https://[2001:db8::1]:443",
            "https://api.atlassian.com/ex/confluence/1324a887",
        ] {
            assert!(!is_loopback_base(base), "{base}");
        }
    }

    #[test]
    fn jitter_is_in_the_unit_interval_and_varies() {
        let draws: Vec<f64> = (0..1000).map(|_| random()).collect();
        assert!(draws.iter().all(|r| (0.0..1.0).contains(r)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((0.4..0.6).contains(&mean), "mean {mean}");
        let mut distinct = draws.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert!(distinct.len() > 990);
    }

    #[test]
    fn error_bodies_are_redacted_in_keys_and_values() {
        let body = serde_json::json!({
            "message": "token SECRET",
            "SECRET": [1, "Bearer SECRET", { "nested": "SECRET" }],
            "n": 5
        });
        let redacted = redact_value(body, &|s: &str| s.replace("SECRET", "[REDACTED]"));
        assert!(!redacted.to_string().contains("SECRET"), "{redacted}");
        assert_eq!(redacted["n"], 5);
        assert_eq!(redacted["[REDACTED]"][1], "Bearer [REDACTED]");
    }

    #[test]
    fn settings_out_of_the_js_ranges_are_refused_with_the_js_messages() {
        let builder = || Client::builder("https://x.atlassian.net", Auth::None);
        let refused = |b: ClientBuilder| b.build().unwrap_err().to_string();
        let timeout = "invalid argument: options.timeout must be a whole number of ms from 1 to 2147483647, or false";
        assert_eq!(
            refused(builder().timeout(Some(Duration::from_micros(10)))),
            timeout
        );
        assert_eq!(
            refused(builder().timeout(Some(Duration::from_millis(MAX_WAIT_MS + 1)))),
            timeout
        );
        for n in [0, MAX_CONCURRENCY + 1] {
            assert_eq!(
                refused(builder().concurrency(n)),
                "invalid argument: options.concurrency must be a whole number from 1 to 32"
            );
        }
        assert_eq!(
            refused(builder().retry(RetryPolicy {
                max_retries: MAX_RETRIES + 1,
                ..RetryPolicy::default()
            })),
            "invalid argument: options.retry.maxRetries must be at most 100"
        );
        assert_eq!(
            refused(builder().retry(RetryPolicy {
                max_delay_ms: MAX_WAIT_MS + 1,
                ..RetryPolicy::default()
            })),
            "invalid argument: options.retry.maxDelayMs must be at most 2147483647"
        );
        let client = builder().timeout(None).build().unwrap();
        assert_eq!(client.settings.timeout_ms, None);
        let client = builder()
            .timeout(Some(Duration::from_micros(1_500)))
            .concurrency(MAX_CONCURRENCY)
            .build()
            .unwrap();
        assert_eq!(client.settings.timeout_ms, Some(1));
        assert_eq!(client.concurrency, 32);
    }

    #[test]
    fn the_builder_defaults_are_what_the_js_client_reads_for_absent_options() {
        use crate::options::{concurrency, retry_policy, timeout_ms, Given, RetryGiven};
        let client = Client::new("https://x.atlassian.net", Auth::None).unwrap();
        assert_eq!(Ok(client.settings.retry), retry_policy(RetryGiven::Absent));
        assert_eq!(Ok(client.settings.timeout_ms), timeout_ms(Given::Absent));
        assert_eq!(Ok(client.concurrency), concurrency(Given::Absent));
        assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(30));
        assert_eq!(
            (client.settings.timeout_ms, client.concurrency),
            (Some(30_000), 4)
        );
    }
}
