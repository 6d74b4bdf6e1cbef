//! The WebAssembly skin: the `ConfluenceClient` JS class. It converts JS values to the core's
//! params, calls `fetch`, and hands the bytes to the core; every decision is the core's.

mod error;
mod interrupt;
mod transport;

use std::rc::Rc;

use js_sys::{Function, Promise, Reflect, JSON};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::{
    decide, decode_response, is_retryable_status, parse_retry_after, Auth, ClientConfig, Decision,
    Endpoint, Error, GetAnonymousUserParams, GetBulkUserLookupParams, GetBulkUserMigrationParams,
    GetCurrentUserParams, GetGroupMembershipsForUserParams, GetPrivacyUnsafeUserEmailBulkParams,
    GetPrivacyUnsafeUserEmailParams, GetUserParams, Outcome, RetryPolicy,
};
pub use error::is_confluence_error;
use error::{to_js_error, Context};
use interrupt::{is_aborted, Fired, Interrupt};
use transport::{Failure, Fetch, RawResponse};
use web_sys::{AbortController, AbortSignal};

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` on the JS string itself: `js_sys::JSON::parse` takes a `&str`, which would
    /// copy the body back out of wasm memory.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &js_sys::JsString) -> Result<JsValue, JsValue>;
}

// Hand-written TypeScript: the shape of a fetch function and of what it resolves to are JS
// function and object types that no Rust type describes.
#[wasm_bindgen(typescript_custom_section)]
const FETCH_TS: &str = r#"
/** What the client reads from a response: `status` and `text()`; `headers.get` when present. */
export interface ResponseLike {
  status: number;
  statusText?: string;
  headers?: { get(name: string): string | null };
  text(): Promise<string>;
}
/** A `fetch`-compatible function: the global `fetch`, or a host bridge's request function. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string> },
) => Promise<ResponseLike>;
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
    /// An OAuth 2.0 (3LO) access token.
    Bearer {
        /// The access token.
        token: String,
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
    /// The transport; defaults to the global `fetch`. Read from the JS object directly (a
    /// function does not survive the JSON conversion the other fields go through), so this
    /// field exists only to put `fetch` into the generated TypeScript.
    #[serde(default, skip_deserializing)]
    #[tsify(optional, type = "FetchLike")]
    #[allow(dead_code)] // read from the JS object in `new`; here only for the TypeScript
    pub fetch: Option<()>,
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
    /// rejects with `kind: "aborted"`. Read from the JS object directly (see `new`); an
    /// `AbortSignal` reaches the JSON conversion as `{}`, which this field accepts.
    #[serde(default)]
    #[tsify(optional, type = "AbortSignal")]
    #[allow(dead_code)] // only the key is checked here
    pub signal: Option<serde::de::IgnoredAny>,
}

/// The longest `setTimeout` delay JS engines honour (2^31 - 1 ms); larger ones fire at once.
const MAX_TIMER_MS: u64 = 2_147_483_647;

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

/// `options.signal`, read from the JS object itself (it does not survive `JSON.stringify`).
fn call_signal(options: &JsValue) -> Result<Option<AbortSignal>, String> {
    if !options.is_object() {
        return Ok(None);
    }
    let signal = Reflect::get(options, &JsValue::from_str("signal")).unwrap_or(JsValue::UNDEFINED);
    if signal.is_undefined() {
        return Ok(None);
    }
    // Duck-typed rather than `instanceof`, so a signal from another realm or polyfill works.
    let looks_right = Reflect::get(&signal, &JsValue::from_str("aborted"))
        .is_ok_and(|a| a.as_bool().is_some())
        && Reflect::get(&signal, &JsValue::from_str("addEventListener"))
            .is_ok_and(|f| f.is_function());
    if !looks_right {
        return Err("options.signal must be an AbortSignal".to_owned());
    }
    Ok(Some(signal.unchecked_into()))
}

/// Converts a JS value to `T` through `JSON.stringify` and serde_json, which (unlike reading
/// properties one by one) sees every key, so `deny_unknown_fields` catches a misspelt one.
/// `undefined`/`null` count as `{}`. The error is the rest of a sentence about the value: the
/// path of the bad field (`.expand[0]: unknown variant ...`) or `: ...` / ` must be ...`.
fn from_js<T: DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    if value.is_undefined() || value.is_null() {
        return serde_json::from_str("{}").map_err(|e| format!(": {}", without_position(&e)));
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(" must be an object".to_owned());
    }
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

/// serde_json's message without its " at line 1 column 17" suffix, which means nothing for a
/// JS object.
fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    }
}

struct Inner {
    config: ClientConfig,
    fetch: Fetch,
    retry: RetryPolicy,
    timeout_ms: Option<u32>,
}

/// A client for the Confluence Cloud user endpoints. Every method returns a promise of the
/// typed result and rejects with a {@link ConfluenceError}.
///
/// ```ts
/// import { ConfluenceClient } from "confluence-users";
/// const client = new ConfluenceClient({
///   baseUrl: "https://your-domain.atlassian.net",
///   auth: { type: "basic", email: "me@example.com", apiToken: process.env.CONFLUENCE_API_TOKEN! },
/// });
/// const me = await client.getCurrentUser();
/// ```
#[wasm_bindgen]
pub struct ConfluenceClient {
    inner: Rc<Inner>,
}

fn constructor_error(message: &str) -> JsValue {
    to_js_error(
        None,
        &Context::refused("ConfluenceClient"),
        &Error::invalid(message),
        None,
    )
}

#[wasm_bindgen]
impl ConfluenceClient {
    /// Creates a client. Throws a `ConfluenceError` (`kind: "invalidArgument"`) for a bad
    /// option: a `baseUrl` that is not `https:` (`http:` only for loopback hosts) or holds
    /// credentials, a query or a fragment; empty credentials; a `fetch` that is not a function.
    ///
    /// ```ts
    /// const client = new ConfluenceClient({
    ///   baseUrl: "https://your-domain.atlassian.net",
    ///   auth: { type: "bearer", token: accessToken },
    /// });
    /// ```
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<ConfluenceClient, JsValue> {
        let fetch = if options.is_object() {
            Reflect::get(&options, &JsValue::from_str("fetch")).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        };
        let fetch = if fetch.is_undefined() {
            let global = js_sys::global();
            let function = Reflect::get(&global, &JsValue::from_str("fetch"))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| {
                    constructor_error("options.fetch is required: this runtime has no global fetch")
                })?;
            Fetch {
                function,
                this: global.into(),
            }
        } else {
            Fetch {
                function: fetch
                    .dyn_into::<Function>()
                    .map_err(|_| constructor_error("options.fetch must be a function"))?,
                this: JsValue::UNDEFINED,
            }
        };
        let options: ClientOptions =
            from_js(&options).map_err(|m| constructor_error(&format!("options{m}")))?;
        let retry = retry_policy(options.retry).map_err(|m| constructor_error(&m))?;
        let timeout_ms = timeout_ms(options.timeout).map_err(|m| constructor_error(&m))?;
        let auth = match options.auth {
            None => Auth::None,
            Some(AuthOptions::Basic { email, api_token }) => Auth::Basic { email, api_token },
            Some(AuthOptions::Bearer { token }) => Auth::Bearer { token },
        };
        let config = ClientConfig::new(options.base_url.as_deref(), auth).map_err(|e| match e {
            Error::InvalidArgument { message } => constructor_error(&message),
            other => constructor_error(&other.to_string()),
        })?;
        Ok(ConfluenceClient {
            inner: Rc::new(Inner {
                config,
                fetch,
                retry,
                timeout_ms,
            }),
        })
    }

    fn call<E>(&self, params: JsValue, options: JsValue) -> Promise
    where
        E: Endpoint + DeserializeOwned + 'static,
    {
        let inner = Rc::clone(&self.inner);
        future_to_promise(async move { inner.run::<E>(&params, &options).await })
    }

    /// Gets a user by account id (`GET /wiki/rest/api/user`).
    ///
    /// ```ts
    /// const user = await client.getUser({ accountId: "5b10ac8d82e05b22cc7d4ef5", expand: ["operations"] });
    /// console.log(user.displayName, user.operations?.length);
    /// ```
    #[wasm_bindgen(js_name = getUser, unchecked_return_type = "Promise<User>")]
    pub fn get_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetUserParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetUserParams>(params, options)
    }

    /// Gets the user that anonymous visitors act as (`GET /wiki/rest/api/user/anonymous`).
    ///
    /// ```ts
    /// const anon = await client.getAnonymousUser({ expand: ["operations"] });
    /// ```
    #[wasm_bindgen(js_name = getAnonymousUser, unchecked_return_type = "Promise<UserAnonymous>")]
    pub fn get_anonymous_user(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "GetAnonymousUserParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetAnonymousUserParams>(params, options)
    }

    /// Gets the user the credentials belong to (`GET /wiki/rest/api/user/current`).
    ///
    /// ```ts
    /// const me = await client.getCurrentUser({ expand: ["personalSpace"] });
    /// console.log(me.accountId, me.personalSpace?.key);
    /// ```
    #[wasm_bindgen(js_name = getCurrentUser, unchecked_return_type = "Promise<User>")]
    pub fn get_current_user(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "GetCurrentUserParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetCurrentUserParams>(params, options)
    }

    /// Gets one page of the groups a user belongs to (`GET /wiki/rest/api/user/memberof`).
    ///
    /// ```ts
    /// const page = await client.getGroupMembershipsForUser({ accountId, start: 0, limit: 50 });
    /// for (const group of page.results) console.log(group.name);
    /// const more = Boolean(page._links.next); // then call again with start: page.start + page.size
    /// ```
    #[wasm_bindgen(
        js_name = getGroupMembershipsForUser,
        unchecked_return_type = "Promise<GroupArrayWithLinks>"
    )]
    pub fn get_group_memberships_for_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetGroupMembershipsForUserParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetGroupMembershipsForUserParams>(params, options)
    }

    /// Looks up to 200 users by account id in one request (`GET /wiki/rest/api/user/bulk`).
    /// Unknown ids are left out of the result.
    ///
    /// ```ts
    /// const { results } = await client.getBulkUserLookup({ accountIds: ["5b10ac8d82e05b22cc7d4ef5", "5b10a2844c20165700ede21g"] });
    /// ```
    #[wasm_bindgen(js_name = getBulkUserLookup, unchecked_return_type = "Promise<BulkUserLookupArray>")]
    pub fn get_bulk_user_lookup(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetBulkUserLookupParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetBulkUserLookupParams>(params, options)
    }

    /// Gets a user's email address whatever their privacy settings
    /// (`GET /wiki/rest/api/user/email`). Only apps approved by Atlassian may call it.
    ///
    /// ```ts
    /// const { email } = await client.getPrivacyUnsafeUserEmail({ accountId });
    /// ```
    #[wasm_bindgen(
        js_name = getPrivacyUnsafeUserEmail,
        unchecked_return_type = "Promise<AccountIdEmailRecord>"
    )]
    pub fn get_privacy_unsafe_user_email(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetPrivacyUnsafeUserEmailParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetPrivacyUnsafeUserEmailParams>(params, options)
    }

    /// Gets several users' email addresses (`GET /wiki/rest/api/user/email/bulk`). Only apps
    /// approved by Atlassian may call it. Unknown ids are left out.
    ///
    /// ```ts
    /// const records = await client.getPrivacyUnsafeUserEmailBulk({ accountIds });
    /// const byId = new Map(records.map((r) => [r.accountId, r.email]));
    /// ```
    #[wasm_bindgen(
        js_name = getPrivacyUnsafeUserEmailBulk,
        unchecked_return_type = "Promise<AccountIdEmailRecord[]>"
    )]
    pub fn get_privacy_unsafe_user_email_bulk(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetPrivacyUnsafeUserEmailBulkParams")]
        params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetPrivacyUnsafeUserEmailBulkParams>(params, options)
    }

    /// Maps legacy user keys or usernames to account ids
    /// (`GET /wiki/rest/api/user/bulk/migration`; deprecated by Atlassian). Give exactly one of
    /// `keys` or `usernames`.
    ///
    /// ```ts
    /// const page = await client.getBulkUserMigration({ usernames: ["mia", "alana"] });
    /// for (const u of page.results) console.log(u.username, "->", u.accountId);
    /// ```
    #[wasm_bindgen(js_name = getBulkUserMigration, unchecked_return_type = "Promise<MigratedUserArray>")]
    pub fn get_bulk_user_migration(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetBulkUserMigrationParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetBulkUserMigrationParams>(params, options)
    }
}

/// How one attempt ended.
enum Attempt {
    Response(RawResponse),
    Failed(Failure),
    Aborted,
}

impl Inner {
    /// Sends one request, bounded by the timeout and the caller's signal.
    async fn attempt(&self, request: &crate::Request, signal: Option<&AbortSignal>) -> Attempt {
        let controller = match AbortController::new() {
            Ok(c) => c,
            Err(e) => return Attempt::Failed(Failure::Network(transport::describe(&e))),
        };
        let interrupt = Interrupt::new(self.timeout_ms, signal, Some(&controller));
        match transport::send(&self.fetch, request, &controller.signal(), &interrupt).await {
            Ok(response) => Attempt::Response(response),
            Err(_) if interrupt.fired() == Some(Fired::Aborted) => Attempt::Aborted,
            Err(failure) => Attempt::Failed(failure),
        }
    }

    async fn run<E: Endpoint + DeserializeOwned>(
        &self,
        params: &JsValue,
        options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let refused = |message: String| {
            to_js_error(
                Some(&self.config),
                &Context::refused(E::OPERATION),
                &Error::invalid(message),
                None,
            )
        };
        let signal = call_signal(options).map_err(refused)?;
        let _options: CallOptions = from_js(options).map_err(|m| refused(format!("options{m}")))?;
        let params: E = from_js(params).map_err(|m| refused(format!("params{m}")))?;
        let request = self.config.request(&params).map_err(|e| match e {
            Error::InvalidArgument { message } => refused(message),
            other => refused(other.to_string()),
        })?;
        let mut ctx = Context {
            operation: E::OPERATION,
            method: request.method,
            url: &request.url,
            attempts: 0,
            retry_after_ms: None,
            request_id: None,
        };
        let aborted =
            |ctx: &Context<'_>| to_js_error(Some(&self.config), ctx, &Error::Aborted, None);
        if signal.as_ref().is_some_and(is_aborted) {
            return Err(aborted(&ctx));
        }

        loop {
            ctx.attempts += 1;
            let outcome = self.attempt(&request, signal.as_ref()).await;
            let response = match outcome {
                Attempt::Aborted => return Err(aborted(&ctx)),
                Attempt::Response(response) => response,
                Attempt::Failed(failure) => {
                    let err = match failure {
                        Failure::Network(message) => Error::Network { message },
                        Failure::Interrupted => Error::Timeout {
                            timeout_ms: self.timeout_ms.map_or(0, u64::from),
                        },
                    };
                    match self.decide(ctx.attempts, Outcome::NoResponse) {
                        Decision::RetryAfter { delay_ms } => {
                            self.sleep(delay_ms, signal.as_ref())
                                .await
                                .map_err(|()| aborted(&ctx))?;
                            continue;
                        }
                        Decision::GiveUp => {
                            return Err(to_js_error(Some(&self.config), &ctx, &err, None))
                        }
                    }
                }
            };
            if is_retryable_status(response.status) {
                let outcome = Outcome::Status {
                    status: response.status,
                    retry_after: response.retry_after.as_deref(),
                };
                if let Decision::RetryAfter { delay_ms } = self.decide(ctx.attempts, outcome) {
                    self.sleep(delay_ms, signal.as_ref())
                        .await
                        .map_err(|()| aborted(&ctx))?;
                    continue;
                }
            }
            return self.finish::<E>(&mut ctx, &response);
        }
    }

    fn decide(&self, attempts: u32, outcome: Outcome<'_>) -> Decision {
        decide(
            &self.retry,
            attempts,
            outcome,
            js_sys::Date::now() as u64,
            js_sys::Math::random(),
        )
    }

    /// Waits `ms`, or fails at once when the caller's signal aborts.
    async fn sleep(&self, ms: u64, signal: Option<&AbortSignal>) -> Result<(), ()> {
        let interrupt = Interrupt::new(Some(ms.min(MAX_TIMER_MS) as u32), signal, None);
        match interrupt.wait().await {
            Fired::Timer => Ok(()),
            Fired::Aborted => Err(()),
        }
    }

    /// Turns the final response into the result: the validated body, or the error.
    fn finish<'a, E: Endpoint>(
        &self,
        ctx: &mut Context<'a>,
        response: &'a RawResponse,
    ) -> Result<JsValue, JsValue> {
        ctx.request_id = response.request_id.as_deref();
        ctx.retry_after_ms = response
            .retry_after
            .as_deref()
            .and_then(|v| parse_retry_after(v, js_sys::Date::now() as u64));
        let fail =
            |err: &Error, body: Option<&str>| to_js_error(Some(&self.config), ctx, err, body);
        let text = response.text.as_string().unwrap_or_default();
        // The core validates the body against the model; JS's own JSON.parse then builds the
        // objects, which is far cheaper than building them from Rust one property at a time.
        match decode_response::<E>(
            response.status,
            response.content_type.as_deref(),
            text.as_bytes(),
        ) {
            Ok(_validated) => json_parse(&response.text).map_err(|_| {
                let err = Error::Decode {
                    status: response.status,
                    path: ".".to_owned(),
                    message: "the body is not valid JSON".to_owned(),
                };
                fail(&err, None)
            }),
            Err(err) => Err(fail(&err, Some(&text))),
        }
    }
}
