//! Reading the JS options objects: `new ConfluenceClient(options)` and each call's options.
//!
//! Plain data crosses as JSON (`JSON.stringify` then serde_json), which sees every key so a
//! misspelt option is refused; functions and signals, which JSON drops, are read with `Reflect`.

use super::js::get;
use js_sys::{Function, JSON};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::transport::Fetch;
use crate::{Auth, ClientConfig, Error, RetryPolicy};

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
}
"#;

/// Credentials for every request.
#[derive(Deserialize, tsify::Tsify)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
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
        /// The token; a function (read with `Reflect`) arrives here as absent.
        #[serde(default)]
        #[tsify(type = "BearerToken")]
        token: Option<String>,
    },
}

/// Options of `new ConfluenceClient(options)`.
#[derive(Deserialize, tsify::Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientOptions {
    /// The site, e.g. `https://your-domain.atlassian.net` (`/wiki/rest/api/...` is appended), or
    /// the OAuth gateway `https://api.atlassian.com/ex/confluence/<cloudId>`. Omit it to send
    /// relative paths (`/wiki/rest/api/user?...`), as host bridges expect.
    #[serde(default)]
    #[tsify(optional)]
    pub base_url: Option<String>,
    /// Credentials; omit them when `fetch` authenticates by itself (Forge, Connect).
    #[serde(default)]
    #[tsify(optional)]
    pub auth: Option<AuthOptions>,
    /// Retries of failed attempts (429, 502, 503, 504, network failures and timeouts), with
    /// exponential backoff and full jitter; `Retry-After` is the floor of each wait. `false`
    /// turns retrying off. Default: `{ maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30000 }`.
    #[serde(default)]
    #[tsify(optional, type = "false | RetryOptions")]
    pub retry: Option<serde_json::Value>,
    /// The time one attempt may take, in ms (default 30000), or `false` for no limit.
    #[serde(default)]
    #[tsify(optional, type = "number | false")]
    pub timeout: Option<serde_json::Value>,
    /// How many requests a bulk lookup beyond 200 ids sends at once (default 4, 1 to 32).
    #[serde(default)]
    #[tsify(optional)]
    pub concurrency: Option<u32>,
    /// Observability hooks (read with `Reflect`: functions do not survive JSON).
    #[serde(default)]
    #[tsify(optional, type = "ClientHooks")]
    #[allow(dead_code)] // only the key is checked here
    pub hooks: Option<serde::de::IgnoredAny>,
    /// The transport; defaults to the global `fetch`. Read with `Reflect` (a function does not
    /// survive JSON, so this field never receives a value and only checks the key).
    #[serde(default)]
    #[tsify(optional, type = "FetchLike")]
    #[allow(dead_code)] // read with Reflect in `Settings::from_js`
    pub fetch: Option<serde::de::IgnoredAny>,
}

/// Retry settings (see `ClientOptions.retry`); omitted fields keep their defaults.
#[derive(Deserialize, tsify::Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryOptions {
    /// Retries after the first attempt (default 3, at most 100).
    #[serde(default)]
    #[tsify(optional)]
    pub max_retries: Option<u32>,
    /// The backoff before the first retry in ms, doubling each time (default 500).
    #[serde(default)]
    #[tsify(optional)]
    pub base_delay_ms: Option<u32>,
    /// The longest single wait in ms (default 30000). A `Retry-After` asking for more fails
    /// the call at once, with `retryAfterMs` set.
    #[serde(default)]
    #[tsify(optional)]
    pub max_delay_ms: Option<u32>,
}

/// Options of one call (the second argument of every method).
#[derive(Deserialize, tsify::Tsify)]
#[serde(deny_unknown_fields)]
pub struct CallOptions {
    /// Cancels the call: the request in flight and any backoff wait stop at once and the call
    /// rejects with `kind: "aborted"`. Read with `Reflect`; an `AbortSignal` reaches the JSON
    /// conversion as `{}`, which this field accepts.
    #[serde(default)]
    #[tsify(optional, type = "AbortSignal")]
    #[allow(dead_code)] // only the key is checked here
    pub signal: Option<serde::de::IgnoredAny>,
}

/// The longest `setTimeout` delay JS engines honour (2^31 - 1 ms); larger ones fire at once.
pub(crate) const MAX_TIMER_MS: u64 = 2_147_483_647;

/// The hooks a client calls.
#[derive(Default)]
pub(crate) struct Hooks {
    pub on_request: Option<Function>,
    pub on_response: Option<Function>,
    pub on_retry: Option<Function>,
}

/// Everything a client needs, validated.
pub(crate) struct Settings {
    pub config: ClientConfig,
    pub fetch: Fetch,
    pub retry: RetryPolicy,
    pub timeout_ms: Option<u32>,
    pub concurrency: usize,
    pub hooks: Hooks,
    /// `auth.token` when it is a function, called before every request.
    pub token_source: Option<Function>,
}

/// The function at `target[key]`: `Ok(None)` when absent, an error naming `name` otherwise.
fn optional_function(target: &JsValue, key: &str, name: &str) -> Result<Option<Function>, String> {
    let value = get(target, key);
    if value.is_undefined() {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| format!("{name} must be a function"))
}

impl Settings {
    /// Reads and validates `new ConfluenceClient(options)`; the error is the message of an
    /// `invalidArgument` error.
    pub(crate) fn from_js(options: &JsValue) -> Result<Settings, String> {
        let fetch = match optional_function(options, "fetch", "options.fetch")? {
            Some(function) => Fetch {
                function,
                this: JsValue::UNDEFINED,
            },
            None => {
                let global = js_sys::global();
                let function = optional_function(&global, "fetch", "the global fetch")?
                    .ok_or("options.fetch is required: this runtime has no global fetch")?;
                Fetch {
                    function,
                    this: global.into(),
                }
            }
        };
        let hooks_value = get(options, "hooks");
        if !hooks_value.is_undefined() && !hooks_value.is_object() {
            return Err("options.hooks must be an object".to_owned());
        }
        let hooks = Hooks {
            on_request: optional_function(&hooks_value, "onRequest", "options.hooks.onRequest")?,
            on_response: optional_function(&hooks_value, "onResponse", "options.hooks.onResponse")?,
            on_retry: optional_function(&hooks_value, "onRetry", "options.hooks.onRetry")?,
        };
        let token_source = Some(get(&get(options, "auth"), "token"))
            .filter(JsValue::is_function)
            .map(JsValue::unchecked_into::<Function>);

        let parsed: ClientOptions = from_js(options).map_err(|m| format!("options{m}"))?;
        let auth = match parsed.auth {
            None => Auth::None,
            Some(AuthOptions::Basic { email, api_token }) => Auth::Basic { email, api_token },
            Some(AuthOptions::Bearer { token: Some(token) }) => Auth::Bearer { token },
            // A token function: the header is made per request.
            Some(AuthOptions::Bearer { token: None }) if token_source.is_some() => Auth::None,
            Some(AuthOptions::Bearer { token: None }) => {
                return Err("options.auth.token must be a string or a function".to_owned())
            }
        };
        let concurrency = match parsed.concurrency {
            None => 4,
            Some(n @ 1..=32) => n as usize,
            Some(n) => {
                return Err(format!(
                    "options.concurrency must be from 1 to 32 (got {n})"
                ))
            }
        };
        let config = ClientConfig::new(parsed.base_url.as_deref(), auth).map_err(|e| match e {
            Error::InvalidArgument { message } => message,
            other => other.to_string(),
        })?;
        Ok(Settings {
            config,
            fetch,
            retry: retry_policy(parsed.retry)?,
            timeout_ms: timeout_ms(parsed.timeout)?,
            concurrency,
            hooks,
            token_source,
        })
    }
}

fn retry_policy(value: Option<serde_json::Value>) -> Result<RetryPolicy, String> {
    let defaults = RetryPolicy::default();
    match value {
        None => Ok(defaults),
        Some(serde_json::Value::Bool(false)) => Ok(RetryPolicy::NONE),
        Some(value @ serde_json::Value::Object(_)) => {
            let o: RetryOptions =
                serde_json::from_value(value).map_err(|e| format!("options.retry: {e}"))?;
            let policy = RetryPolicy {
                max_retries: o.max_retries.unwrap_or(defaults.max_retries),
                base_delay_ms: o.base_delay_ms.map_or(defaults.base_delay_ms, u64::from),
                max_delay_ms: o.max_delay_ms.map_or(defaults.max_delay_ms, u64::from),
            };
            if policy.max_retries > 100 {
                return Err("options.retry.maxRetries must be at most 100".to_owned());
            }
            if policy.max_delay_ms > MAX_TIMER_MS {
                return Err(format!(
                    "options.retry.maxDelayMs must be at most {MAX_TIMER_MS}"
                ));
            }
            Ok(policy)
        }
        Some(_) => Err("options.retry must be false or an object".to_owned()),
    }
}

fn timeout_ms(value: Option<serde_json::Value>) -> Result<Option<u32>, String> {
    const DEFAULT_TIMEOUT_MS: u32 = 30_000;
    match value {
        None => Ok(Some(DEFAULT_TIMEOUT_MS)),
        Some(serde_json::Value::Bool(false)) => Ok(None),
        Some(serde_json::Value::Number(n)) => match n.as_u64() {
            Some(ms) if (1..=MAX_TIMER_MS).contains(&ms) => Ok(Some(ms as u32)),
            _ => Err(format!(
                "options.timeout must be a whole number of ms from 1 to {MAX_TIMER_MS}, or false"
            )),
        },
        Some(_) => Err("options.timeout must be a number of ms or false".to_owned()),
    }
}

/// Reads a call's options: its signal, after checking the keys.
pub(crate) fn call_signal(options: &JsValue) -> Result<Option<AbortSignal>, String> {
    let _checked: CallOptions = from_js(options).map_err(|m| format!("options{m}"))?;
    let signal = get(options, "signal");
    if signal.is_undefined() {
        return Ok(None);
    }
    // Duck-typed rather than `instanceof`, so a signal from another realm or polyfill works.
    let looks_right = get(&signal, "aborted").as_bool().is_some()
        && get(&signal, "addEventListener").is_function();
    if !looks_right {
        return Err("options.signal must be an AbortSignal".to_owned());
    }
    Ok(Some(signal.unchecked_into()))
}

/// Converts a JS value to `T` through `JSON.stringify` and serde_json, which (unlike reading
/// properties one by one) sees every key, so `deny_unknown_fields` catches a misspelt one.
/// `undefined`/`null` count as `{}`. The error is the rest of a sentence about the value: the
/// path of the bad field (`.expand[0]: unknown variant ...`) or `: ...` / ` must be ...`.
pub(crate) fn from_js<T: DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    if value.is_undefined() || value.is_null() {
        return serde_json::from_str("{}").map_err(|e| format!(": {}", without_position(&e)));
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(" must be an object".to_owned());
    }
    reject_non_finite(value)?;
    let json = JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| " must be a plain, JSON-compatible object".to_owned())?;
    let mut de = serde_json::Deserializer::from_str(&json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = without_position(e.inner());
        match path.as_str() {
            "." | "?" => format!(": {inner}"),
            _ => format!(".{path}: {inner}"),
        }
    })
}

/// `JSON.stringify` turns `NaN` and `±Infinity` into `null`, which would read as an omitted
/// option; they are refused instead, in the object's own values and one array level down
/// (every params and options object is that flat).
fn reject_non_finite(object: &JsValue) -> Result<(), String> {
    let bad = |v: &JsValue| v.as_f64().is_some_and(|n| !n.is_finite());
    let object: &js_sys::Object = object.unchecked_ref();
    for entry in js_sys::Object::entries(object).iter() {
        let entry: js_sys::Array = entry.unchecked_into();
        let (key, value) = (entry.get(0).as_string().unwrap_or_default(), entry.get(1));
        if bad(&value) {
            return Err(format!(".{key}: must be a finite number"));
        }
        if js_sys::Array::is_array(&value) {
            let items: js_sys::Array = value.unchecked_into();
            if let Some(i) = items.iter().position(|v| bad(&v)) {
                return Err(format!(".{key}[{i}]: must be a finite number"));
            }
        }
    }
    Ok(())
}

/// serde_json's message without its " at line 1 column 17" suffix, which means nothing for a
/// JS object.
fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    }
}
