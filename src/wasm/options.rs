//! Reading the JS options objects: `new ConfluenceClient(options)` and each call's options,
//! property by property (see [`super::params::Reader`]): a misspelt option is refused.
//!
//! The keys, defaults, ranges and their messages are the core's ([`crate::options`]); this
//! file reads JS values (functions, signals, numbers, `false`) into what those rules take.
//! The structs here exist for their TypeScript declarations (tsify), which the package ships;
//! [`Settings::from_js`] reads the same fields.

use super::js::{get, read};
use super::params::{string_of, Reader, Refusal};
use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::transport::Fetch;
use crate::options::{
    self as rules, AuthKind, Given, RetryGiven, AUTH_FIELDS, CALL_FIELDS, CLIENT_FIELDS,
    HOOK_FIELDS, RETRY_FIELDS,
};
use crate::{Auth, ClientConfig, Error, RetryPolicy};

pub(crate) use crate::options::MAX_TIMER_MS;

// Hand-written TypeScript: functions and the objects they receive, which no Rust type
// describes.
#[wasm_bindgen(typescript_custom_section)]
const OPTIONS_TS: &str = r#"
/** What the client reads from a response: `status` and `text()` (or `arrayBuffer()`); `headers.get` when present. */
export interface ResponseLike {
  status: number;
  statusText?: string;
  headers?: { get(name: string): string | null };
  text?(): Promise<string>;
  arrayBuffer?(): Promise<ArrayBuffer>;
}
/** A `fetch`-compatible function: the global `fetch`, or a host bridge's request function. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; signal: AbortSignal },
) => Promise<ResponseLike>;
/** An OAuth access token, or a function giving the current one (called before every request, so an app can refresh). */
export type BearerToken = string | (() => string | Promise<string>);
/** Observability hooks; a hook that throws does not affect the call. */
export interface ClientHooks {
  onRequest?(info: RequestInfo): void;
  onResponse?(info: ResponseInfo): void;
  onRetry?(info: RetryInfo): void;
  /** Called once per client-wide pause (a 429, or a 503 with `Retry-After`): every request of the client waits until `info.until`. */
  onRateLimit?(info: RateLimitInfo): void;
}
"#;

/// Credentials for every request.
#[derive(tsify::Tsify)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AuthOptions {
    /// HTTP basic auth: an Atlassian account email and an API token.
    Basic {
        /// The account's email address.
        email: String,
        /// An API token from id.atlassian.com.
        #[serde(rename = "apiToken")]
        api_token: String,
    },
    /// An OAuth 2.0 (3LO) access token, or a function returning the current one.
    Bearer {
        /// The token, or a function called before every request.
        #[tsify(type = "BearerToken")]
        token: BearerToken,
    },
}

/// `auth.token` of bearer auth.
pub enum BearerToken {
    Fixed(String),
    /// Called before every attempt, so an app can refresh the token.
    Source(Function),
}

/// Options of `new ConfluenceClient(options)`.
#[derive(tsify::Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ClientOptions {
    /// The site, e.g. `https://your-domain.atlassian.net` (`/wiki/rest/api/...` is appended), or
    /// the OAuth gateway `https://api.atlassian.com/ex/confluence/<cloudId>`. Omit it to send
    /// relative paths (`/wiki/rest/api/user?...`), as host bridges expect: that needs a `fetch`
    /// option or a page location (a browser page or worker), else the constructor throws.
    #[tsify(optional)]
    pub base_url: Option<String>,
    /// Credentials; omit them when `fetch` authenticates by itself (Forge, Connect).
    #[tsify(optional)]
    pub auth: Option<AuthOptions>,
    /// Retries of failed attempts (429, 502, 503, 504, network failures and timeouts), with
    /// exponential backoff and full jitter; `Retry-After` is the floor of each wait. `false`
    /// turns retrying off. Default: `{ maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30000 }`.
    #[tsify(optional, type = "false | RetryOptions")]
    pub retry: RetryPolicy,
    /// The time one attempt may take, in ms (default 30000), or `false` for no limit.
    #[tsify(optional, type = "number | false")]
    pub timeout: Option<u32>,
    /// How many requests a bulk lookup beyond 200 ids sends at once (default 4, 1 to 32).
    #[tsify(optional, type = "number")]
    pub concurrency: usize,
    /// Observability hooks.
    #[tsify(optional, type = "ClientHooks")]
    pub hooks: Hooks,
    /// The transport; defaults to the global `fetch`.
    #[tsify(optional, type = "FetchLike")]
    pub fetch: Fetch,
    // Issue 11 (rate limits): the options below.
    /// How many requests the client keeps in flight at most, across all its calls (1 to 256;
    /// default 8, or `concurrency` when that is higher). Requests beyond it wait, and go out in the order they were asked for. Near the
    /// rate limit (`X-RateLimit-NearLimit: true`, or `X-RateLimit-Remaining` under a tenth of
    /// `X-RateLimit-Limit`) the client halves this, and raises it by one per response again
    /// once the headers clear. After a 429 (or a 503 with `Retry-After`) every request of the
    /// client waits until `Retry-After` (a 429 without one: `retry.baseDelayMs`, doubling for
    /// each such 429 in a row, up to `retry.maxDelayMs`), then at most `concurrency` go at
    /// once at first.
    ///
    /// ```ts
    /// import { ConfluenceClient } from "confluence-users";
    /// const client = new ConfluenceClient({
    ///   baseUrl: "https://your-domain.atlassian.net",
    ///   auth: { type: "bearer", token: accessToken },
    ///   maxConcurrentRequests: 4,
    ///   hooks: { onRateLimit: (info) => console.warn(`paused ${info.durationMs} ms (HTTP ${info.status})`) },
    /// });
    /// ```
    #[tsify(optional, type = "number")]
    pub max_concurrent_requests: usize,
    /// Coalescing (default off). With `true` (or `{ windowMs }`), `getUser` calls made within
    /// one window (default: the same macrotask; `windowMs` waits that many ms more) with the same
    /// `expand` go out as `/user/bulk` lookups of at most 200 ids each, and identical requests
    /// in flight at the same time share one. Each caller gets its own copy of its user, or a
    /// `ConfluenceError` (`kind: "http"`, `status: 404`, "No user found with accountId: ...")
    /// for an id the bulk answer leaves out. Not coalesced: a call with its own `signal`, and
    /// `expand: ["isExternalCollaborator"]` (`/user/bulk` does not take it). A coalesced user is
    /// a `/user/bulk` record: it has no deprecated `externalCollaborator` field (read
    /// `isExternalCollaborator`) and its `_links` hold only `self`; a failed bulk request rejects
    /// every `getUser` of its batch with that request's error (`operation: "getBulkUserLookup"`).
    ///
    /// ```ts
    /// import { ConfluenceClient } from "confluence-users";
    /// const client = new ConfluenceClient({
    ///   baseUrl: "https://your-domain.atlassian.net",
    ///   auth: { type: "bearer", token: accessToken },
    ///   coalesce: true,
    /// });
    /// // 50 mentions: one request to /user/bulk, not 50 to /user.
    /// const users = await Promise.all(accountIds.map((accountId) => client.getUser({ accountId })));
    /// ```
    #[tsify(optional, type = "boolean | { windowMs?: number }")]
    pub coalesce: Option<u32>,
    /// A user cache (default off). With `true` (or `{ ttlMs, maxEntries }`; defaults 300000 ms
    /// and 10000 users), users from `getUser`, `getCurrentUser` and `getBulkUserLookup` are kept
    /// by account id and expand set; `getUser` and `getBulkUserLookup` serve fresh ones without
    /// asking the server, and ask only for the rest (a `getBulkUserLookup` with `limit` is
    /// never served from the cache). Beyond `maxEntries` the least recently used go. Email
    /// lookups are never cached. Each caller gets its own copy. `client.cache` clears it.
    ///
    /// ```ts
    /// import { ConfluenceClient } from "confluence-users";
    /// const client = new ConfluenceClient({
    ///   baseUrl: "https://your-domain.atlassian.net",
    ///   auth: { type: "bearer", token: accessToken },
    ///   cache: { ttlMs: 60_000, maxEntries: 5000 },
    /// });
    /// await client.getBulkUserLookup({ accountIds }); // asks the server
    /// await client.getBulkUserLookup({ accountIds }); // within a minute: no request
    /// client.cache.delete(accountIds[0]);
    /// ```
    #[tsify(optional, type = "boolean | CacheOptions")]
    pub cache: Option<crate::cache::CacheConfig>,
}

/// The user cache's settings (see `ClientOptions.cache`).
#[derive(tsify::Tsify)]
#[expect(
    dead_code,
    reason = "only its TypeScript declaration is used: the values are read as core `Given`s"
)]
#[serde(rename_all = "camelCase")]
pub struct CacheOptions {
    /// How long a user is served from the cache, in ms (default 300000, at least 1).
    #[tsify(optional)]
    pub ttl_ms: Option<u32>,
    /// The most users kept (default 10000, 1 to 1000000); beyond it the least recently used go.
    #[tsify(optional)]
    pub max_entries: Option<u32>,
}

/// Retry settings (see `ClientOptions.retry`); omitted fields keep their defaults.
#[derive(tsify::Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RetryOptions {
    /// Retries after the first attempt (default 3, at most 100).
    #[tsify(optional)]
    pub max_retries: Option<u32>,
    /// The backoff before the first retry in ms, doubling each time (default 500).
    #[tsify(optional)]
    pub base_delay_ms: Option<u32>,
    /// The longest single wait in ms (default 30000). A `Retry-After` asking for more fails
    /// the call at once, with `retryAfterMs` set.
    #[tsify(optional)]
    pub max_delay_ms: Option<u32>,
}

/// Options of one call (the second argument of every method).
#[derive(tsify::Tsify)]
pub struct CallOptions {
    /// Cancels the call: the request in flight and any backoff wait stop at once and the call
    /// rejects with `kind: "aborted"`.
    #[tsify(optional, type = "AbortSignal")]
    pub signal: Option<AbortSignal>,
}

/// The hooks a client calls.
#[derive(Default)]
pub(crate) struct Hooks {
    pub on_request: Option<Function>,
    pub on_response: Option<Function>,
    pub on_retry: Option<Function>,
    pub on_rate_limit: Option<Function>,
}

/// Everything a client needs, validated.
pub(crate) struct Settings {
    pub config: ClientConfig,
    pub fetch: Fetch,
    pub retry: RetryPolicy,
    pub timeout_ms: Option<u32>,
    pub concurrency: usize,
    pub max_concurrent_requests: usize,
    /// Coalescing's window in ms, when on.
    pub coalesce: Option<u32>,
    pub cache: Option<crate::cache::CacheConfig>,
    pub hooks: Hooks,
    /// `auth.token` when it is a function, called before every request.
    pub token_source: Option<Function>,
}

/// The function at `key` of `r`: `Ok(None)` when `undefined` (`null` is not a function).
/// `typeof` rather than `instanceof Function`: the latter runs a Proxy's `getPrototypeOf` trap.
fn optional_function(r: &Reader<'_>, key: &str) -> Result<Option<Function>, Refusal> {
    match r.get_raw(key)? {
        v if v.is_undefined() => Ok(None),
        v if v.is_function() => Ok(Some(v.unchecked_into())),
        _ => Err(r.wrong(key, "must be a function").into()),
    }
}

impl ClientOptions {
    fn from_js(options: &JsValue) -> Result<ClientOptions, Refusal> {
        let r = Reader::new(options, "options", CLIENT_FIELDS)?;
        let fetch = match optional_function(&r, "fetch")? {
            Some(function) => Fetch {
                function,
                this: JsValue::UNDEFINED,
                honours_signal: false,
            },
            None => {
                let global = js_sys::global();
                let function = get(&global, "fetch");
                if !function.is_function() {
                    return Err(
                        "options.fetch is required: this runtime has no global fetch".into(),
                    );
                }
                let function = function.unchecked_into();
                Fetch {
                    function,
                    this: global.into(),
                    honours_signal: true,
                }
            }
        };
        let hooks = match r.get("hooks")? {
            None => Hooks::default(),
            Some(value) => {
                let h = Reader::new(&value, "options.hooks", HOOK_FIELDS)?;
                Hooks {
                    on_request: optional_function(&h, "onRequest")?,
                    on_response: optional_function(&h, "onResponse")?,
                    on_retry: optional_function(&h, "onRetry")?,
                    on_rate_limit: optional_function(&h, "onRateLimit")?,
                }
            }
        };
        let concurrency = rules::concurrency(given(&r, "concurrency")?)?;
        Ok(ClientOptions {
            base_url: r.string("baseUrl")?,
            auth: r
                .get("auth")?
                .map(|v| AuthOptions::from_js(&v))
                .transpose()?,
            retry: retry_policy(&r)?,
            timeout: rules::timeout_ms(given(&r, "timeout")?)?,
            concurrency,
            hooks,
            fetch,
            // Never below a bulk call's own `concurrency`, which would otherwise be capped.
            max_concurrent_requests: rules::max_concurrent_requests(
                given(&r, "maxConcurrentRequests")?,
                concurrency,
            )?,
            coalesce: coalesce_window(&r)?,
            cache: cache_config(&r)?,
        })
    }
}

impl AuthOptions {
    fn from_js(value: &JsValue) -> Result<AuthOptions, Refusal> {
        const NAME: &str = "options.auth";
        let kind = Reader::new(value, NAME, AUTH_FIELDS)?.required_string("type")?;
        let kind = AuthKind::from_type(&kind)?;
        let r = Reader::new(value, NAME, kind.fields())?;
        match kind {
            AuthKind::Basic => Ok(AuthOptions::Basic {
                email: r.required_string("email")?,
                api_token: r.required_string("apiToken")?,
            }),
            AuthKind::Bearer => {
                let token = match r.get("token")? {
                    Some(f) if f.is_function() => BearerToken::Source(f.unchecked_into()),
                    Some(s) if s.is_string() => match string_of(&s) {
                        Some(Ok(s)) => BearerToken::Fixed(s),
                        Some(Err(m)) => return Err(r.wrong("token", &m).into()),
                        None => return Err("options.auth.token must be a string".into()),
                    },
                    _ => return Err("options.auth.token must be a string or a function".into()),
                };
                Ok(AuthOptions::Bearer { token })
            }
        }
    }
}

impl Settings {
    /// Reads and validates `new ConfluenceClient(options)`; the error is the message of an
    /// `invalidArgument` error.
    pub(crate) fn from_js(options: &JsValue) -> Result<Settings, Refusal> {
        let o = ClientOptions::from_js(options)?;
        let mut token_source = None;
        let auth = match o.auth {
            None => Auth::None,
            Some(AuthOptions::Basic { email, api_token }) => Auth::Basic { email, api_token },
            Some(AuthOptions::Bearer {
                token: BearerToken::Fixed(token),
            }) => Auth::Bearer { token },
            // A token function: the header is made per request.
            Some(AuthOptions::Bearer {
                token: BearerToken::Source(source),
            }) => {
                token_source = Some(source);
                Auth::None
            }
        };
        // A custom fetch is the one not told about the signal (see `Fetch::honours_signal`);
        // a page or worker has a `location` that relative paths resolve against.
        let custom_fetch = !o.fetch.honours_signal;
        let page_location = get(&js_sys::global(), "location").is_object();
        let config = ClientConfig::new(o.base_url.as_deref(), auth)
            .and_then(|config| {
                config.require_resolvable(custom_fetch, page_location)?;
                Ok(config)
            })
            .map_err(|e| match e {
                Error::InvalidArgument { message } => Refusal::from(message),
                other => Refusal::from(other.to_string()),
            })?;
        Ok(Settings {
            config,
            fetch: o.fetch,
            retry: o.retry,
            timeout_ms: o.timeout,
            concurrency: o.concurrency,
            max_concurrent_requests: o.max_concurrent_requests,
            coalesce: o.coalesce,
            cache: o.cache,
            hooks: o.hooks,
            token_source,
        })
    }
}

/// What the option at `key` is, for the core's rules. A getter that throws is the refusal.
fn given(options: &Reader<'_>, key: &str) -> Result<Given, Refusal> {
    Ok(match options.get(key)? {
        None => Given::Absent,
        Some(v) if v.as_bool() == Some(false) => Given::False,
        Some(v) => v.as_f64().map_or(Given::Other, Given::Number),
    })
}

fn retry_policy(options: &Reader<'_>) -> Result<RetryPolicy, Refusal> {
    let given = match options.get("retry")? {
        None => RetryGiven::Absent,
        Some(v) if v.as_bool() == Some(false) => RetryGiven::False,
        Some(v) if v.is_object() => {
            let r = Reader::new(&v, "options.retry", RETRY_FIELDS)?;
            let o = RetryOptions {
                max_retries: r.u32("maxRetries")?,
                base_delay_ms: r.u32("baseDelayMs")?,
                max_delay_ms: r.u32("maxDelayMs")?,
            };
            RetryGiven::Object {
                max_retries: o.max_retries,
                base_delay_ms: o.base_delay_ms,
                max_delay_ms: o.max_delay_ms,
            }
        }
        Some(_) => RetryGiven::Other,
    };
    Ok(rules::retry_policy(given)?)
}

/// Reads a call's options: its signal, after checking the keys. Duck-typed rather than
/// `instanceof`, so a signal from another realm or polyfill works; reading its `aborted` or
/// `addEventListener` must not throw.
pub(crate) fn call_signal(options: &JsValue) -> Result<Option<AbortSignal>, Refusal> {
    let r = Reader::new(options, "options", CALL_FIELDS)?;
    let signal = r.get_raw("signal")?;
    if signal.is_undefined() {
        return Ok(None);
    }
    let member = |key: &str| {
        read(&signal, key).map_err(|e| Refusal::threw(&format!("options.signal.{key}"), e))
    };
    let aborted = member("aborted")?;
    let listen = member("addEventListener")?;
    let options = CallOptions {
        signal: match aborted.as_bool().is_some() && listen.is_function() {
            true => Some(signal.unchecked_into()),
            false => return Err(r.wrong("signal", "must be an AbortSignal").into()),
        },
    };
    Ok(options.signal)
}

// Issue 11 (rate limits): reading its options.

impl Settings {
    /// The governor's settings (the core's rule: [`GovernorConfig::for_client`]).
    ///
    /// [`GovernorConfig::for_client`]: crate::ratelimit::GovernorConfig::for_client
    pub(crate) fn governor(&self) -> crate::ratelimit::GovernorConfig {
        crate::ratelimit::GovernorConfig::for_client(
            self.max_concurrent_requests,
            self.concurrency,
            &self.retry,
        )
    }
}

/// `coalesce`: `true` (the default window), `false`, or `{ windowMs }`.
fn coalesce_window(r: &Reader<'_>) -> Result<Option<u32>, Refusal> {
    let Some(value) = r.get("coalesce")? else {
        return Ok(None);
    };
    match value.as_bool() {
        Some(false) => return Ok(None),
        Some(true) => return Ok(Some(rules::coalesce_window_ms(Given::Absent)?)),
        None => {}
    }
    if !value.is_object() {
        return Err("options.coalesce must be a boolean or { windowMs }".into());
    }
    let c = Reader::new(&value, "options.coalesce", &["windowMs"])?;
    Ok(Some(rules::coalesce_window_ms(given(&c, "windowMs")?)?))
}

/// `cache`: `true` (the defaults), `false`, or `{ ttlMs, maxEntries }`.
fn cache_config(r: &Reader<'_>) -> Result<Option<crate::cache::CacheConfig>, Refusal> {
    let Some(value) = r.get("cache")? else {
        return Ok(None);
    };
    match value.as_bool() {
        Some(false) => Ok(None),
        Some(true) => Ok(Some(rules::cache_config(Given::Absent, Given::Absent)?)),
        None if value.is_object() => {
            let c = Reader::new(&value, "options.cache", &["ttlMs", "maxEntries"])?;
            let (ttl, max_entries) = (given(&c, "ttlMs")?, given(&c, "maxEntries")?);
            Ok(Some(rules::cache_config(ttl, max_entries)?))
        }
        None => Err("options.cache must be a boolean or { ttlMs, maxEntries }".into()),
    }
}
