//! A blocking native client (cargo feature `client`): the eight operations, bulk lookups of any
//! size, paging, retries and timeouts, with the JS package's behaviour and defaults.
//!
//! The decisions of a call (attempts, backoff, `Retry-After`, the final result) are the core's;
//! this module sends what it is told to and sleeps when it is told to. Its only I/O is
//! [`transport`] (ureq over rustls).

mod transport;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::models::{
    AccountIdEmailRecord, BulkUserLookupArray, Group, Links, MigratedUser, User, UserAnonymous,
};
use crate::{
    decide, is_retryable_status, is_unsendable, next_start, parse_error_redacted,
    parse_retry_after, plan_bulk, plan_migration, Auth, BulkEndpoint, ClientConfig, Decision,
    Endpoint, Error, ErrorKind, GetAnonymousUserParams, GetBulkUserLookupParams,
    GetBulkUserMigrationParams, GetCurrentUserParams, GetGroupMembershipsForUserParams,
    GetPrivacyUnsafeUserEmailBulkParams, GetPrivacyUnsafeUserEmailParams, GetUserParams,
    MigrationPlan, MigrationTally, Outcome, PagedEndpoint, Request, RetryPolicy,
    BULK_LOOKUP_MAX_IDS, MAX_BULK_URL_LEN,
};
use transport::{Failure, Response, Transport};

/// The time one attempt may take by default, as in the JS client (`timeout: 30000`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How many requests a bulk call sends at once by default, as in the JS client.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The most requests a bulk call may send at once (the JS client's `concurrency` range).
pub const MAX_CONCURRENCY: usize = 32;
/// The most retries [`ClientBuilder::retry`] accepts (the JS client's `retry.maxRetries`).
pub const MAX_RETRIES: u32 = 100;

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
    progress: Option<Progress>,
}

/// How far a split call (bulk lookup, migration) got before it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Distinct values whose requests had succeeded.
    pub done: usize,
    /// Distinct values of the call.
    pub total: usize,
    /// `"ids"`, `"keys"` or `"usernames"`.
    pub noun: &'static str,
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

    /// For a call split over several requests: how many of its distinct values (ids, keys or
    /// usernames) had been looked up when it failed, of how many.
    pub fn progress(&self) -> Option<Progress> {
        self.0.progress
    }

    fn refused(operation: &'static str, error: Error) -> CallError {
        CallError(Box::new(Failed {
            operation,
            error,
            url: String::new(),
            attempts: 0,
            retry_after_ms: None,
            request_id: None,
            progress: None,
        }))
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.operation, self.0.error)?;
        if let Some(p) = &self.0.progress {
            write!(
                f,
                " ({} of {} {} were looked up before this failure)",
                p.done, p.total, p.noun
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.error)
    }
}

/// Settings for a [`Client`]; start from [`Client::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    auth: Auth,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    concurrency: usize,
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

    /// Validates the settings. The error is [`Error::InvalidArgument`], naming the setting.
    pub fn build(self) -> Result<Client, Error> {
        let config = ClientConfig::new(Some(&self.base_url), self.auth)?;
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(Error::invalid(format!(
                "concurrency must be a whole number from 1 to {MAX_CONCURRENCY}"
            )));
        }
        if self.retry.max_retries > MAX_RETRIES {
            return Err(Error::invalid(format!(
                "retry.maxRetries must be at most {MAX_RETRIES}"
            )));
        }
        if self.timeout == Some(Duration::ZERO) {
            return Err(Error::invalid(
                "timeout must be at least 1 ms, or None for no limit",
            ));
        }
        // A proxy from the environment is for reaching the outside: a loopback site is
        // reached directly (and a test server on 127.0.0.1 is never sent elsewhere).
        let transport = Transport::new(!is_loopback_base(config.base_url()));
        Ok(Client {
            config,
            transport,
            retry: self.retry,
            timeout: self.timeout,
            concurrency: self.concurrency,
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
    host == "localhost" || host == "[::1]" || host.starts_with("127.")
}

/// A client for one Confluence site: blocking calls, each with retries and a per-attempt
/// timeout. Cheap to share between threads (`&Client` is `Sync`); it keeps a pool of
/// connections.
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
pub struct Client {
    config: ClientConfig,
    transport: Transport,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    concurrency: usize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ClientConfig's own Debug hides the credentials.
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
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
    ) -> Result<crate::models::GroupArrayWithLinks, CallError> {
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
        let plan = self.plan_migration(params, false)?;
        let chunks = self.fan_out(plan.chunks.len(), |chunk| {
            let mut pages = Vec::new();
            let mut next = plan.chunk_params(chunk);
            while let Some(page_params) = next {
                let page = self.call(&page_params)?;
                next = following(&page_params, page.start, page.size, page.links.get("next"));
                pages.push(page);
            }
            Ok(pages)
        });
        let chunks = chunks.map_err(|(mut err, finished)| {
            if plan.chunks.len() > 1 {
                err.0.progress = Some(progress(&finished, &plan.chunks, plan.noun()));
            }
            err
        })?;
        let mut tally = MigrationTally::new(&plan);
        let mut results = Vec::new();
        let mut links = None;
        for (chunk, pages) in chunks.into_iter().enumerate() {
            for page in pages {
                if links.is_none() {
                    let mut first = page.links.clone();
                    // The result holds everything asked for: a `next` would point at a page
                    // of one chunk only.
                    first.0.remove("next");
                    links = Some(first);
                }
                for user in page.results {
                    tally.answer(echoed(&plan, &user), has_account_id(&user));
                    results.push(user);
                }
            }
            let range = plan.chunks[chunk].clone();
            results.extend(
                tally
                    .unanswered(range)
                    .into_iter()
                    .map(|i| unanswered(&plan, i)),
            );
        }
        let not_found = tally
            .not_found()
            .into_iter()
            .map(|i| plan.unique[i].clone())
            .collect();
        Ok(MigrationResult {
            size: results.len(),
            start: params.start.unwrap_or(0),
            limit: params
                .limit
                .map_or(plan.unique.len(), |l| l.max(0) as usize),
            results,
            links: links.unwrap_or_default(),
            not_found,
        })
    }

    /// Every group of a user, one page at a time as the iterator is advanced: stopping early
    /// sends no further request. An error ends the iteration.
    pub fn paginate_group_memberships_for_user(
        &self,
        params: &GetGroupMembershipsForUserParams,
    ) -> Pages<'_, Group> {
        let first = match self.config.request(params) {
            Ok(_) => Ok(params.clone()),
            Err(e) => Err(CallError::refused(
                GetGroupMembershipsForUserParams::OPERATION,
                e,
            )),
        };
        Pages::new(self, first.map(Walk::Groups))
    }

    /// Every result of a migration lookup, one request at a time as the iterator is advanced
    /// (chunk by chunk, page by page): `limit` is each request's page size, `start` skips
    /// distinct values. Values Confluence did not answer come as results with no account id.
    pub fn paginate_bulk_user_migration(
        &self,
        params: &GetBulkUserMigrationParams,
    ) -> Pages<'_, MigratedUser> {
        let first = self.plan_migration(params, true).map(|plan| {
            let tally = MigrationTally::new(&plan);
            let params = plan.chunk_params(0);
            Walk::Migration(Box::new(MigrationWalk {
                plan,
                tally,
                chunk: 0,
                params,
            }))
        });
        Pages::new(self, first)
    }

    fn plan_migration(
        &self,
        params: &GetBulkUserMigrationParams,
        paged: bool,
    ) -> Result<MigrationPlan, CallError> {
        const OP: &str = GetBulkUserMigrationParams::OPERATION;
        let refused = |e| CallError::refused(OP, e);
        // The URL of one request minus its query: what every chunk's URL starts with.
        let probe = GetBulkUserMigrationParams::for_values("key", vec!["x".into()], None);
        let fixed_len = self.config.request(&probe).map_err(refused)?.url.len() - "?key=x".len();
        plan_migration(params, paged, fixed_len, MAX_BULK_URL_LEN).map_err(refused)
    }

    /// One request of `E`, retried as the policy says, decoded.
    fn call<E: Endpoint>(&self, params: &E) -> Result<E::Output, CallError> {
        let request = self
            .config
            .request(params)
            .map_err(|e| CallError::refused(E::OPERATION, e))?;
        self.execute::<E>(&request)
    }

    /// A bulk call: planned, fanned out, merged in input order.
    fn bulk<E: BulkEndpoint>(&self, params: &E) -> Result<E::Output, CallError>
    where
        E::Output: Merge + Send,
    {
        let refused = |e| CallError::refused(E::OPERATION, e);
        // The URL of one request minus its ids: what every chunk's URL starts with.
        let probe = params.with_account_ids(vec!["x".into()]);
        let fixed_len = self.config.request(&probe).map_err(refused)?.url.len() - 1;
        let plan = plan_bulk(
            params.account_ids(),
            BULK_LOOKUP_MAX_IDS,
            fixed_len,
            MAX_BULK_URL_LEN,
        )
        .map_err(refused)?;
        let requests = plan
            .chunks
            .iter()
            .map(|range| {
                self.config
                    .request(&params.with_account_ids(plan.unique[range.clone()].to_vec()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(refused)?;
        if requests.len() == 1 {
            return self.execute::<E>(&requests[0]);
        }
        let outputs = self
            .fan_out(requests.len(), |i| self.execute::<E>(&requests[i]))
            .map_err(|(mut err, finished)| {
                err.0.progress = Some(progress(&finished, &plan.chunks, "ids"));
                err
            })?;
        let position: HashMap<&str, usize> = plan
            .unique
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let limit = params.result_limit().unwrap_or(plan.unique.len());
        Ok(E::Output::merge(outputs, &position, limit))
    }

    /// Runs `job(0..count)` on at most `concurrency` threads, starting jobs in order; after the
    /// first failure no further job starts. `Ok`: every output in order. `Err`: the first
    /// failure and which jobs had finished by then.
    fn fan_out<T: Send>(
        &self,
        count: usize,
        job: impl Fn(usize) -> Result<T, CallError> + Sync,
    ) -> Result<Vec<T>, (CallError, Vec<bool>)> {
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let results: Mutex<Vec<Option<T>>> = Mutex::new((0..count).map(|_| None).collect());
        let first_error: Mutex<Option<CallError>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..self.concurrency.clamp(1, count.max(1)) {
                scope.spawn(|| loop {
                    if failed.load(Ordering::SeqCst) {
                        return;
                    }
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= count {
                        return;
                    }
                    match job(index) {
                        Ok(value) => lock(&results)[index] = Some(value),
                        Err(err) => {
                            failed.store(true, Ordering::SeqCst);
                            lock(&first_error).get_or_insert(err);
                            return;
                        }
                    }
                });
            }
        });
        let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
        match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(err) => Err((err, results.iter().map(Option::is_some).collect())),
            None => Ok(results.into_iter().flatten().collect()),
        }
    }

    /// Sends `request` until it succeeds, fails for good, or the retries run out.
    fn execute<E: Endpoint>(&self, request: &Request) -> Result<E::Output, CallError> {
        let redact = |s: &str| self.config.redact(s);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let sent = self.transport.send(request, self.timeout);
            let fail = |error: Error, response: Option<&Response>| {
                CallError(Box::new(Failed {
                    operation: E::OPERATION,
                    error,
                    url: redact(&request.url),
                    attempts,
                    retry_after_ms: response
                        .and_then(|r| r.header("retry-after"))
                        .and_then(|v| parse_retry_after(v, now_ms())),
                    request_id: response.and_then(|r| r.header("atl-traceid")).map(&redact),
                    progress: None,
                }))
            };
            let (outcome, error) = match &sent {
                Ok(response) => {
                    let outcome = Outcome::Status {
                        status: response.status,
                        retry_after: response.header("retry-after"),
                    };
                    if !is_retryable_status(response.status) {
                        return self
                            .decode::<E>(response)
                            .map_err(|e| fail(e, Some(response)));
                    }
                    (outcome, None)
                }
                Err(Failure::TimedOut) => (Outcome::NoResponse, Some(self.timed_out())),
                Err(Failure::Network(message)) => {
                    let outcome = if is_unsendable(message) {
                        Outcome::Unsendable
                    } else {
                        Outcome::NoResponse
                    };
                    let message = redact(message);
                    (outcome, Some(Error::Network { message }))
                }
            };
            match decide(&self.retry, attempts, outcome, now_ms(), random()) {
                Decision::GiveUp => {
                    return Err(match (sent, error) {
                        (Ok(response), _) => fail(self.http_error(&response), Some(&response)),
                        (Err(_), Some(error)) => fail(error, None),
                        (Err(_), None) => fail(self.timed_out(), None),
                    })
                }
                Decision::RetryAfter { delay_ms } => {
                    std::thread::sleep(Duration::from_millis(delay_ms))
                }
            }
        }
    }

    fn timed_out(&self) -> Error {
        Error::Timeout {
            timeout_ms: self
                .timeout
                .map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        }
    }

    /// The final response as the model or the error, every text in it redacted.
    fn decode<E: Endpoint>(&self, response: &Response) -> Result<E::Output, Error> {
        let redact = |s: &str| self.config.redact(s);
        let content_type = response.header("content-type");
        if !(200..300).contains(&response.status) {
            return Err(self.http_error(response));
        }
        crate::validate_response::<E>(response.status, content_type, &response.body, &redact)?;
        let mut de = serde_json::Deserializer::from_slice(&response.body);
        serde_path_to_error::deserialize(&mut de).map_err(|e| Error::Decode {
            status: response.status,
            path: match e.path().to_string() {
                p if p == "?" => ".".to_owned(),
                p => p,
            },
            message: redact(&e.into_inner().to_string()),
        })
    }
}

impl Client {
    /// The error of a non-2xx response: Atlassian's message, and a redacted copy of its body.
    fn http_error(&self, response: &Response) -> Error {
        let redact = |s: &str| self.config.redact(s);
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
    // A job that panicked poisons nothing this code relies on: the data is plain values.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A number in `[0, 1)` for the backoff jitter: std's per-process random hash keys, mixed with
/// a counter, are random enough for spreading retries (no `rand` dependency).
fn random() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_usize(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The params of the page after `page` of a walk that asked with `params`.
fn following<P: PagedEndpoint>(
    params: &P,
    start: i32,
    size: i32,
    next_link: Option<&crate::models::Link>,
) -> Option<P> {
    next_start(params.start(), start, size, next_link.is_some()).map(|n| params.with_start(n))
}

fn progress(finished: &[bool], chunks: &[std::ops::Range<usize>], noun: &'static str) -> Progress {
    Progress {
        done: finished
            .iter()
            .zip(chunks)
            .filter(|(f, _)| **f)
            .map(|(_, r)| r.len())
            .sum(),
        total: chunks.last().map_or(0, |r| r.end),
        noun,
    }
}

fn echoed<'a>(plan: &MigrationPlan, user: &'a MigratedUser) -> Option<&'a str> {
    if plan.field == "key" {
        user.key.as_deref()
    } else {
        user.username.as_deref()
    }
}

fn has_account_id(user: &MigratedUser) -> bool {
    user.account_id.as_ref().is_some_and(|id| !id.0.is_empty())
}

/// The result for value `i` that Confluence did not answer, shaped as Confluence answers an
/// unknown value.
fn unanswered(plan: &MigrationPlan, i: usize) -> MigratedUser {
    let value = Some(plan.unique[i].clone());
    let (username, key) = if plan.field == "key" {
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

/// How a bulk operation's responses merge into one.
trait Merge: Sized {
    /// The responses of every chunk, in order, as one: each distinct id's record once, in the
    /// order of `position` (id to index), the first `limit` of them.
    fn merge(outputs: Vec<Self>, position: &HashMap<&str, usize>, limit: usize) -> Self;
}

/// Each record placed at its id's position; records of ids not asked for are dropped.
fn place<R>(
    records: impl IntoIterator<Item = R>,
    id: impl Fn(&R) -> Option<&str>,
    position: &HashMap<&str, usize>,
    limit: usize,
) -> Vec<R> {
    let mut placed: Vec<Option<R>> = (0..position.len()).map(|_| None).collect();
    for record in records {
        let at = id(&record).and_then(|id| position.get(id).copied());
        if let Some(slot) = at.and_then(|i| placed.get_mut(i)) {
            if slot.is_none() {
                *slot = Some(record);
            }
        }
    }
    placed.into_iter().flatten().take(limit).collect()
}

impl Merge for BulkUserLookupArray {
    fn merge(outputs: Vec<Self>, position: &HashMap<&str, usize>, limit: usize) -> Self {
        let mut outputs = outputs.into_iter();
        let Some(mut first) = outputs.next() else {
            return BulkUserLookupArray {
                results: Vec::new(),
                start: 0,
                limit: 0,
                size: 0,
                links: Links::default(),
            };
        };
        let records = std::mem::take(&mut first.results)
            .into_iter()
            .chain(outputs.flat_map(|o| o.results));
        first.results = place(
            records,
            |u| u.account_id.as_ref().map(|id| id.0.as_str()),
            position,
            limit,
        );
        first.size = i32::try_from(first.results.len()).unwrap_or(i32::MAX);
        first.start = 0;
        first.limit = i32::try_from(limit).unwrap_or(i32::MAX);
        first
    }
}

impl Merge for Vec<AccountIdEmailRecord> {
    fn merge(outputs: Vec<Self>, position: &HashMap<&str, usize>, limit: usize) -> Self {
        place(
            outputs.into_iter().flatten(),
            |r| Some(r.account_id.0.as_str()),
            position,
            limit,
        )
    }
}

/// What a [`Pages`] iterator fetches next.
enum Walk {
    Groups(GetGroupMembershipsForUserParams),
    Migration(Box<MigrationWalk>),
}

struct MigrationWalk {
    plan: MigrationPlan,
    tally: MigrationTally,
    chunk: usize,
    /// The current chunk's next page; `None` past the last chunk.
    params: Option<GetBulkUserMigrationParams>,
}

/// The items of a paged operation, fetched one page at a time as the iterator is advanced.
/// After an error it yields nothing more.
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
}

/// One step of a walk: a page's items and what follows.
trait Item: Sized {
    fn step(client: &Client, walk: Walk) -> Result<(Vec<Self>, Option<Walk>), CallError>;
}

impl Item for Group {
    fn step(client: &Client, walk: Walk) -> Result<(Vec<Self>, Option<Walk>), CallError> {
        let Walk::Groups(params) = walk else {
            return Ok((Vec::new(), None));
        };
        let page = client.call(&params)?;
        let next = following(&params, page.start, page.size, page.links.get("next"));
        Ok((page.results, next.map(Walk::Groups)))
    }
}

impl Item for MigratedUser {
    fn step(client: &Client, walk: Walk) -> Result<(Vec<Self>, Option<Walk>), CallError> {
        let Walk::Migration(mut walk) = walk else {
            return Ok((Vec::new(), None));
        };
        let Some(params) = walk.params.take() else {
            return Ok((Vec::new(), None));
        };
        let page = client.call(&params)?;
        let mut items = page.results;
        for user in &items {
            walk.tally
                .answer(echoed(&walk.plan, user), has_account_id(user));
        }
        walk.params = following(&params, page.start, page.size, page.links.get("next"));
        if walk.params.is_none() {
            // The chunk is done: its unanswered values, then the next chunk.
            let range = walk.plan.chunks[walk.chunk].clone();
            items.extend(
                walk.tally
                    .unanswered(range)
                    .into_iter()
                    .map(|i| unanswered(&walk.plan, i)),
            );
            walk.chunk += 1;
            walk.params = walk.plan.chunk_params(walk.chunk);
        }
        let more = walk.params.is_some();
        Ok((items, more.then_some(Walk::Migration(walk))))
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
