//! Running one call: validation, then attempts with timeouts, retries and hooks, then the
//! validated body or a `ConfluenceError`; and bulk and migration lookups fanned out over
//! several requests.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use super::error::{attach_cause, redact, redacted_copy, to_js_error, Context, Parsed};
use super::interrupt::{signal_aborted, Fired, Interrupt};
use super::js::{get, promise, read, resolve, set};
use super::json_parse;
use super::options::{call_signal, Settings};
use super::params::{string_of, FromJs, Refusal};
use super::transport::{self, describe, Failure, RawResponse};
use crate::response::validate_decoded_body;
use crate::schema::Shape;
use crate::{
    bearer_authorization, decide, error_message, is_retryable_status, is_unsendable,
    parse_retry_after, plan_bulk, plan_migration, BulkEndpoint, Decision, Endpoint, Error,
    GetBulkUserMigrationParams, MigrationPlan, MigrationTally, Outcome, Request,
    BULK_LOOKUP_MAX_IDS, MAX_BULK_URL_LEN,
};

/// What `onRequest` receives.
#[derive(tsify::Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RequestInfo<'a> {
    /// The operationId, e.g. `getUser`.
    pub operation: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The request URL (never with credentials).
    pub url: &'a str,
    /// 1 for the first request of the call, 2 for the first retry, ...
    pub attempt: u32,
}

/// What `onResponse` receives: every HTTP response, including ones that will be retried.
#[derive(tsify::Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ResponseInfo<'a> {
    /// The operationId.
    pub operation: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The request URL.
    pub url: &'a str,
    /// Which attempt this answers.
    pub attempt: u32,
    /// The HTTP status.
    pub status: u16,
    /// Milliseconds from sending to the whole body having arrived.
    pub elapsed_ms: f64,
    /// The rate-limit headers present (`Retry-After`, `X-RateLimit-Limit`,
    /// `X-RateLimit-Remaining`, `X-RateLimit-Reset`, `X-RateLimit-NearLimit`,
    /// `RateLimit-Reason`), by those names.
    #[tsify(type = "Record<string, string>")]
    pub rate_limit: &'a [(&'static str, String)],
}

/// What `onRetry` receives, before the wait.
#[derive(tsify::Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RetryInfo<'a> {
    /// The operationId.
    pub operation: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The request URL.
    pub url: &'a str,
    /// The attempt that failed.
    pub attempt: u32,
    /// Its status, or 0 for a network failure or timeout.
    pub status: u16,
    /// `"status"`, `"network"` or `"timeout"`.
    pub reason: &'a str,
    /// How long the client waits before the next attempt.
    pub delay_ms: u64,
}

/// A hook's argument, built as a JS object with the field names of its TypeScript type; every
/// string a server or the caller could have put a credential in passes through `redact`.
trait HookInfo {
    fn to_js(&self, redact: &dyn Fn(&str) -> String) -> Object;
}

/// `{ operation, method, url, attempt }`, which every hook's argument starts with.
fn info_object(operation: &str, method: &str, url: &str, attempt: u32) -> Object {
    let info = Object::new();
    set(&info, "operation", &JsValue::from_str(operation));
    set(&info, "method", &JsValue::from_str(method));
    set(&info, "url", &JsValue::from_str(url));
    set(&info, "attempt", &JsValue::from(attempt));
    info
}

impl HookInfo for RequestInfo<'_> {
    fn to_js(&self, redact: &dyn Fn(&str) -> String) -> Object {
        info_object(self.operation, self.method, &redact(self.url), self.attempt)
    }
}

impl HookInfo for ResponseInfo<'_> {
    fn to_js(&self, redact: &dyn Fn(&str) -> String) -> Object {
        let info = info_object(self.operation, self.method, &redact(self.url), self.attempt);
        set(&info, "status", &JsValue::from(self.status));
        set(&info, "elapsedMs", &JsValue::from(self.elapsed_ms));
        let rate_limit = Object::new();
        for (name, value) in self.rate_limit {
            // A proxy can echo the request's headers into these.
            set(&rate_limit, name, &JsValue::from_str(&redact(value)));
        }
        set(&info, "rateLimit", &rate_limit);
        info
    }
}

impl HookInfo for RetryInfo<'_> {
    fn to_js(&self, redact: &dyn Fn(&str) -> String) -> Object {
        let info = info_object(self.operation, self.method, &redact(self.url), self.attempt);
        set(&info, "status", &JsValue::from(self.status));
        set(&info, "reason", &JsValue::from_str(self.reason));
        set(&info, "delayMs", &JsValue::from(self.delay_ms as f64));
        info
    }
}

/// Calls a hook with `info`; whatever the hook does (throw, return a rejected promise) stays
/// out of the call.
fn call_hook(hook: &Option<Function>, info: &dyn HookInfo, redact: &dyn Fn(&str) -> String) {
    let Some(hook) = hook else { return };
    if let Ok(returned) = hook.call1(&JsValue::UNDEFINED, &info.to_js(redact)) {
        // A rejected promise from a hook is handled here, with the built-in `Boolean` as the
        // handler: it takes any reason, never throws, and needs no closure kept alive.
        // (`typeof`, not `instanceof`: the latter would run a Proxy's trap.)
        let catch = read(&returned, "catch").unwrap_or(JsValue::UNDEFINED);
        let boolean = get(&js_sys::global(), "Boolean");
        if catch.is_function() && boolean.is_function() {
            let _ = catch.unchecked_ref::<Function>().call1(&returned, &boolean);
        }
    }
}

/// What the request loop needs to know of an operation (kept out of the generic parameter so
/// the loop, and the future it is, exist once in the binary rather than once per operation).
#[derive(Clone, Copy)]
pub(crate) struct Op {
    pub name: &'static str,
    pub shape: &'static Shape,
}

impl Op {
    pub(crate) fn of<E: Endpoint>() -> Op {
        Op {
            name: E::OPERATION,
            shape: E::SHAPE,
        }
    }
}

/// Why a token function gave no token.
enum TokenFailure {
    /// It threw, rejected or gave something else than a string.
    Invalid(Refusal),
    /// It had not settled when the attempt timeout passed.
    TimedOut,
    /// The caller's signal fired while waiting for it.
    Aborted,
}

impl TokenFailure {
    fn invalid(message: String, cause: JsValue) -> TokenFailure {
        TokenFailure::Invalid(Refusal {
            message,
            cause: Some(cause),
        })
    }
}

/// What a token function gave, as the token.
fn token_string(value: &JsValue) -> Result<String, TokenFailure> {
    match string_of(value) {
        Some(Ok(token)) => Ok(token),
        Some(Err(m)) => Err(TokenFailure::Invalid(
            format!("auth.token returned {m}").into(),
        )),
        None => Err(TokenFailure::Invalid(
            "auth.token must return a string".into(),
        )),
    }
}

/// How one attempt ended.
enum Attempt {
    Response(RawResponse),
    Failed(Failure),
    Aborted,
}

pub(crate) struct Inner {
    pub settings: Settings,
    /// The client-wide admission queue, pause and cap (issue 11).
    pub gate: super::gate::Gate,
    /// Coalescing and the user cache (issue 11).
    pub sharing: super::coalesce::Sharing,
    /// The last [`RECENT_TOKENS`] distinct tokens the token function returned, newest last:
    /// a later call's error may echo one (a server or proxy that caches what it saw).
    pub recent_tokens: RefCell<Vec<String>>,
}

/// How many of a token function's earlier tokens the client keeps redacting (a bound, so a
/// function that returns a new token per request does not grow the list forever).
const RECENT_TOKENS: usize = 8;

impl Inner {
    fn error(&self, ctx: &Context<'_>, err: &Error) -> JsValue {
        to_js_error(Some(&self.settings.config), ctx, err)
    }

    /// The `invalidArgument` error of a call refused before sending, with the exception that
    /// caused it (if any) as its `cause`.
    pub(crate) fn refused(&self, operation: &'static str, why: impl Into<Refusal>) -> JsValue {
        let why = why.into();
        let ctx = Context::refused(operation);
        let error = self.error(&ctx, &Error::invalid(why.message));
        if let Some(cause) = &why.cause {
            attach_cause(&error, cause, &|s| self.redact(&ctx, s));
        }
        error
    }

    /// Parses and validates a call's params and options; nothing is sent on failure.
    pub(crate) fn prepare<E: Endpoint + FromJs>(
        &self,
        params: &JsValue,
        options: &JsValue,
    ) -> Result<(E, Option<AbortSignal>), JsValue> {
        let refused = |why: Refusal| self.refused(E::OPERATION, why);
        let signal = call_signal(options).map_err(refused)?;
        let params = E::from_js(params).map_err(refused)?;
        Ok((params, signal))
    }

    pub(crate) fn request_for<E: Endpoint>(&self, params: &E) -> Result<Request, JsValue> {
        self.settings.config.request(params).map_err(|e| match e {
            Error::InvalidArgument { message } => self.refused(E::OPERATION, message),
            other => self.refused(E::OPERATION, other.to_string()),
        })
    }

    /// Parses and validates a call and builds its request; nothing is sent on failure.
    pub(crate) fn prepare_call<E: Endpoint + FromJs>(
        &self,
        params: &JsValue,
        options: &JsValue,
    ) -> Result<(Request, Option<AbortSignal>), JsValue> {
        let (params, signal) = self.prepare::<E>(params, options)?;
        Ok((self.request_for(&params)?, signal))
    }

    /// Plans a migration lookup (see [`plan_migration`]) for this client's base URL.
    pub(crate) fn plan_migration(
        &self,
        params: &GetBulkUserMigrationParams,
        paged: bool,
    ) -> Result<MigrationPlan, JsValue> {
        const OPERATION: &str = GetBulkUserMigrationParams::OPERATION;
        // The URL of one request minus its query: what every chunk's URL starts with.
        let probe = GetBulkUserMigrationParams::for_values("key", vec!["x".into()], None);
        let fixed_len = self.request_for(&probe)?.url.len() - "?key=x".len();
        plan_migration(params, paged, fixed_len, MAX_BULK_URL_LEN).map_err(|e| match e {
            Error::InvalidArgument { message } => self.refused(OPERATION, message),
            other => self.refused(OPERATION, other.to_string()),
        })
    }

    /// The bearer token of a token function, awaited for at most the attempt timeout and
    /// until the caller's signal fires (a token promise that never settles must not hold the
    /// call forever).
    async fn current_token(
        &self,
        source: &Function,
        signal: Option<&AbortSignal>,
    ) -> Result<String, TokenFailure> {
        let value = source
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| TokenFailure::invalid(format!("auth.token threw: {}", describe(&e)), e))?;
        if !value.is_string() {
            let pending = resolve(&value).map_err(|e| {
                TokenFailure::invalid(format!("auth.token rejected: {}", describe(&e)), e)
            })?;
            let interrupt = Interrupt::new(self.settings.timeout_ms, signal, None, true);
            let settled = interrupt.race(&pending).await;
            return match (settled, interrupt.fired()) {
                (_, Some(Fired::Aborted)) => Err(TokenFailure::Aborted),
                (_, Some(Fired::Timer)) => Err(TokenFailure::TimedOut),
                (Err(e), None) => Err(TokenFailure::invalid(
                    format!("auth.token rejected: {}", describe(&e)),
                    e,
                )),
                (Ok(value), None) => token_string(&value),
            };
        }
        token_string(&value)
    }

    /// `text` without any credential of the client or token of the call.
    fn redact(&self, ctx: &Context<'_>, text: &str) -> String {
        redact(Some(&self.settings.config), ctx, text)
    }

    /// Sends `request` until it succeeds, fails for good, or the signal fires.
    pub(crate) async fn execute(
        &self,
        op: Op,
        request: Request,
        signal: Option<&AbortSignal>,
    ) -> Result<JsValue, JsValue> {
        let url = request.url.clone();
        let mut ctx = Context {
            operation: op.name,
            method: request.method,
            url: &url,
            attempts: 0,
            retry_after_ms: None,
            request_id: None,
            tokens: self.recent_tokens.borrow().clone(),
            table: std::cell::OnceCell::new(),
        };
        if signal.is_some_and(signal_aborted) {
            return Err(self.error(&ctx, &Error::Aborted));
        }
        let hooks = &self.settings.hooks;
        // The backoff before the next attempt, waited out by the client-wide gate together with
        // any pause and the queue for a slot.
        let mut delay_ms = None;
        loop {
            let max_wait_ms = self.settings.retry.max_delay_ms;
            let permit = (self.gate.acquire(signal, max_wait_ms, delay_ms).await)
                .map_err(|held| super::gate::held_error(&self.settings.config, &mut ctx, held))?;
            let mut attempt_request = std::borrow::Cow::Borrowed(&request);
            // With a token function, each attempt asks it for the current token, so a token
            // refreshed during a backoff wait is the one the retry sends.
            if let Some(source) = &self.settings.token_source {
                let got = match self.current_token(source, signal).await {
                    Ok(token) => token,
                    Err(TokenFailure::Aborted) => return Err(self.error(&ctx, &Error::Aborted)),
                    Err(TokenFailure::TimedOut) => return Err(self.error(&ctx, &self.timed_out())),
                    Err(TokenFailure::Invalid(why)) => return Err(self.refusal(&ctx, why)),
                };
                let header = bearer_authorization(&got)
                    .map_err(|e| self.error(&ctx, &Error::invalid(e.to_string())))?;
                // Kept for the whole call: a later error may echo any attempt's token (one
                // refused above was never sent).
                ctx.add_token(&got);
                {
                    let mut recent = self.recent_tokens.borrow_mut();
                    if !recent.contains(&got) {
                        if recent.len() == RECENT_TOKENS {
                            recent.remove(0);
                        }
                        recent.push(got);
                    }
                }
                attempt_request
                    .to_mut()
                    .headers
                    .push(("Authorization", header));
            }
            ctx.attempts += 1;
            call_hook(
                &hooks.on_request,
                &RequestInfo {
                    operation: op.name,
                    method: request.method,
                    url: &url,
                    attempt: ctx.attempts,
                },
                &|s| self.redact(&ctx, s),
            );
            let sent_at = js_sys::Date::now();
            let (failure, status, retry_after) = match self.attempt(&attempt_request, signal).await
            {
                Attempt::Aborted => return Err(self.error(&ctx, &Error::Aborted)),
                Attempt::Response(response) => {
                    let on_rate_limit = &hooks.on_rate_limit;
                    let redact = |s: &str| self.redact(&ctx, s);
                    self.gate
                        .observe(&response, on_rate_limit, op.name, &url, &redact);
                    call_hook(
                        &hooks.on_response,
                        &ResponseInfo {
                            operation: op.name,
                            method: request.method,
                            url: &url,
                            attempt: ctx.attempts,
                            status: response.status,
                            elapsed_ms: js_sys::Date::now() - sent_at,
                            rate_limit: &response.rate_limit,
                        },
                        &|s| self.redact(&ctx, s),
                    );
                    if !is_retryable_status(response.status) {
                        return self.finish(op, &mut ctx, &response);
                    }
                    let outcome = Outcome::Status {
                        status: response.status,
                        retry_after: response.retry_after(),
                    };
                    match self.decide(ctx.attempts, outcome) {
                        Decision::GiveUp => return self.finish(op, &mut ctx, &response),
                        Decision::RetryAfter { delay_ms } => (None, response.status, delay_ms),
                    }
                }
                Attempt::Failed(failure) => {
                    let (err, outcome, cause) = match failure {
                        Failure::Network(message, cause) => {
                            let outcome = if is_unsendable(&message) {
                                Outcome::Unsendable
                            } else {
                                Outcome::NoResponse
                            };
                            (Error::Network { message }, outcome, cause)
                        }
                        Failure::Interrupted => (self.timed_out(), Outcome::NoResponse, None),
                    };
                    match self.decide(ctx.attempts, outcome) {
                        Decision::GiveUp => {
                            return Err(self.with_exposed_cause(&ctx, &err, cause.as_ref()))
                        }
                        Decision::RetryAfter { delay_ms } => (Some(err), 0, delay_ms),
                    }
                }
            };
            let reason = match &failure {
                None => "status",
                Some(Error::Timeout { .. }) => "timeout",
                Some(_) => "network",
            };
            drop(permit);
            call_hook(
                &hooks.on_retry,
                &RetryInfo {
                    operation: op.name,
                    method: request.method,
                    url: &url,
                    attempt: ctx.attempts,
                    status,
                    reason,
                    delay_ms: retry_after,
                },
                &|s| self.redact(&ctx, s),
            );
            delay_ms = Some(retry_after);
        }
    }

    /// Sends one request, bounded by the timeout and the caller's signal.
    async fn attempt(&self, request: &Request, signal: Option<&AbortSignal>) -> Attempt {
        let controller = match AbortController::new() {
            Ok(c) => c,
            Err(e) => return Attempt::Failed(Failure::thrown(e)),
        };
        let interrupt = Interrupt::new(
            self.settings.timeout_ms,
            signal,
            Some(&controller),
            !self.settings.fetch.honours_signal,
        );
        match transport::send(
            &self.settings.fetch,
            request,
            &controller.signal(),
            &interrupt,
        )
        .await
        {
            Ok(response) => Attempt::Response(response),
            Err(_) if interrupt.fired() == Some(Fired::Aborted) => Attempt::Aborted,
            Err(failure) => Attempt::Failed(failure),
        }
    }

    /// The error of an attempt (or token wait) that ran out of time.
    fn timed_out(&self) -> Error {
        Error::Timeout {
            timeout_ms: self.settings.timeout_ms.map_or(0, u64::from),
        }
    }

    /// The `invalidArgument` error of a token function's failure `why`, in the call's context.
    fn refusal(&self, ctx: &Context<'_>, why: Refusal) -> JsValue {
        self.with_exposed_cause(ctx, &Error::invalid(why.message), why.cause.as_ref())
    }

    /// The error for `err` with `cause` attached through redaction: it came from code that saw
    /// the credentials (a `fetch` gets the Authorization header, a token function makes it).
    fn with_exposed_cause(
        &self,
        ctx: &Context<'_>,
        err: &Error,
        cause: Option<&JsValue>,
    ) -> JsValue {
        let error = self.error(ctx, err);
        if let Some(cause) = cause {
            attach_cause(&error, cause, &|s| self.redact(ctx, s));
        }
        error
    }

    fn decide(&self, attempts: u32, outcome: Outcome<'_>) -> Decision {
        decide(
            &self.settings.retry,
            attempts,
            outcome,
            js_sys::Date::now() as u64,
            js_sys::Math::random(),
        )
    }

    /// Turns the final response into the result: the validated body, or the error.
    fn finish<'a>(
        &self,
        op: Op,
        ctx: &mut Context<'a>,
        response: &'a RawResponse,
    ) -> Result<JsValue, JsValue> {
        if !(200..300).contains(&response.status) {
            ctx.request_id = response.request_id();
            ctx.retry_after_ms = response
                .retry_after()
                .and_then(|v| parse_retry_after(v, js_sys::Date::now() as u64));
            return Err(self.http_error(ctx, response));
        }
        // The core validates the body against the model; JS's own JSON.parse then builds the
        // objects, which is far cheaper than building them from Rust one property at a time.
        let checked = validate_decoded_body(
            response.status,
            response.content_type.as_deref(),
            &response.body.to_vec(),
            op.shape,
            &|s| self.redact(ctx, s),
        )
        .and_then(|()| {
            let not_json = |_| Error::Decode {
                status: response.status,
                path: ".".to_owned(),
                message: "the body is not valid JSON".to_owned(),
            };
            response
                .body
                .text()
                .and_then(|text| json_parse(&text))
                .map_err(not_json)
        });
        checked.map_err(|err| {
            ctx.request_id = response.request_id();
            self.error(ctx, &err)
        })
    }

    /// The error for a non-2xx response. JSON.parse reads its body, the core's rules take the
    /// message from that, and the error's `body` is a redacted copy of it.
    fn http_error(&self, ctx: &Context<'_>, response: &RawResponse) -> JsValue {
        let redact = |s: &str| self.redact(ctx, s);
        let parsed = response
            .body
            .text()
            .and_then(|text| json_parse(&text))
            .ok()
            .and_then(|value| redacted_copy(&value, &redact, 0));
        let message = error_message(
            parsed.clone().map(Parsed),
            response.content_type.as_deref(),
            &response.body.to_vec(),
            &redact,
        );
        let err = Error::Http {
            status: response.status,
            message,
            body: None,
        };
        let error = self.error(ctx, &err);
        set(&error, "body", &parsed.unwrap_or(JsValue::UNDEFINED));
        error
    }
}

/// How a bulk operation's response holds its records: `results` of an object, or the array
/// itself.
pub(crate) trait BulkShape: BulkEndpoint + FromJs + 'static {
    /// The records of one response.
    fn records(response: &JsValue) -> Array;
    /// The merged response: the first response with `records` in place of its own; `limit`
    /// is the call's own (or, when it set none, how many distinct ids it asked for).
    fn assemble(first: JsValue, records: Array, limit: usize) -> JsValue;
}

impl BulkShape for crate::GetBulkUserLookupParams {
    fn records(response: &JsValue) -> Array {
        get(response, "results").unchecked_into()
    }
    fn assemble(first: JsValue, records: Array, limit: usize) -> JsValue {
        let size = JsValue::from(records.length());
        set(&first, "results", &records);
        set(&first, "size", &size);
        set(&first, "start", &JsValue::from(0));
        set(&first, "limit", &JsValue::from(limit as f64));
        first
    }
}

impl BulkShape for crate::GetPrivacyUnsafeUserEmailBulkParams {
    fn records(response: &JsValue) -> Array {
        response.clone().unchecked_into()
    }
    fn assemble(_first: JsValue, records: Array, _limit: usize) -> JsValue {
        records.into()
    }
}

/// A bulk call: any number of ids, split into requests of at most 200 ids and short URLs,
/// at most `concurrency` in flight, each distinct id asked once, results merged in input order.
/// `prepared` is the call's params and signal, read before the method returned (a live Immer
/// draft is revoked, and any params object may change, once the caller's code goes on).
pub(crate) async fn run_bulk<E: BulkShape>(
    inner: Rc<Inner>,
    prepared: Result<(E, Option<AbortSignal>), JsValue>,
) -> Result<JsValue, JsValue> {
    let (params, signal) = prepared?;
    let op = Op::of::<E>();
    let ids = params.account_ids();
    // The URL of one request minus its ids: what every chunk's URL starts with.
    let probe = params.with_account_ids(vec!["x".into()]);
    let fixed_len = inner.request_for(&probe)?.url.len() - 1;
    let plan = plan_bulk(ids, BULK_LOOKUP_MAX_IDS, fixed_len, MAX_BULK_URL_LEN).map_err(|e| {
        inner.refused(
            op.name,
            e.to_string()
                .trim_start_matches("invalid argument: ")
                .to_owned(),
        )
    })?;
    let requests = plan
        .chunks
        .iter()
        .map(|range| {
            inner.request_for(&params.with_account_ids(plan.unique[range.clone()].to_vec()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if requests.len() == 1 {
        let request = requests
            .into_iter()
            .next()
            .unwrap_or_else(|| unreachable!());
        return inner.execute(op, request, signal.as_ref()).await;
    }

    let jobs = requests
        .into_iter()
        .map(|request| {
            let (inner, signal) = (Rc::clone(&inner), signal.clone());
            Box::pin(async move { inner.execute(op, request, signal.as_ref()).await }) as Job<_>
        })
        .collect();
    let responses =
        fan_out(inner.settings.concurrency, jobs)
            .await
            .map_err(|(err, finished)| {
                note_progress(&err, &finished, &plan.chunks, plan.unique.len(), "ids")
            })?;

    // Merge: each distinct id's record, in the order the ids were given. Records are placed
    // by their id's position, found through a map borrowing the planned ids (no key copies).
    let position: std::collections::HashMap<&str, usize> = plan
        .unique
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut placed: Vec<Option<JsValue>> = vec![None; plan.unique.len()];
    for response in &responses {
        for record in E::records(response).iter() {
            let at = get(&record, "accountId")
                .as_string()
                .and_then(|id| position.get(id.as_str()).copied());
            if let Some(slot) = at.and_then(|i| placed.get_mut(i)) {
                slot.get_or_insert(record);
            }
        }
    }
    drop(position);
    // A `limit` counts for the whole call: each request carries it, and the merged result keeps
    // the first `limit` records in input order.
    let limit = params.result_limit().unwrap_or(plan.unique.len());
    let merged: Array = placed.into_iter().flatten().take(limit).collect();
    let first = responses.into_iter().next().unwrap_or(JsValue::UNDEFINED);
    Ok(E::assemble(first, merged, limit))
}

/// One unit of work for [`fan_out`].
type Job<T> = Pin<Box<dyn Future<Output = Result<T, JsValue>>>>;

/// Runs `jobs` at most `concurrency` at a time, starting them in list order; after the first
/// failure no further job starts. `Ok`: every job's output, in list order. `Err`: the first
/// failure, and which jobs had finished by then.
async fn fan_out<T: 'static>(
    concurrency: usize,
    jobs: Vec<Job<T>>,
) -> Result<Vec<T>, (JsValue, Vec<bool>)> {
    let total = jobs.len();
    let queue = Rc::new(RefCell::new(jobs.into_iter().enumerate()));
    let results: Rc<RefCell<Vec<Option<T>>>> =
        Rc::new(RefCell::new((0..total).map(|_| None).collect()));
    let failed = Rc::new(Cell::new(false));
    let workers = Array::new();
    for _ in 0..concurrency.clamp(1, total.max(1)) {
        let (queue, results, failed) = (Rc::clone(&queue), Rc::clone(&results), Rc::clone(&failed));
        workers.push(&promise(async move {
            loop {
                if failed.get() {
                    return Ok(JsValue::UNDEFINED);
                }
                let next = queue.borrow_mut().next();
                let Some((index, job)) = next else {
                    return Ok(JsValue::UNDEFINED);
                };
                match job.await {
                    Ok(value) => results.borrow_mut()[index] = Some(value),
                    Err(err) => {
                        failed.set(true);
                        return Err(err);
                    }
                }
            }
        }));
    }
    let outcome = JsFuture::from(Promise::all(&workers)).await;
    let mut results = results.borrow_mut();
    match outcome {
        Err(err) => Err((err, results.iter().map(Option::is_some).collect())),
        Ok(_) => Ok(results.drain(..).flatten().collect()),
    }
}

/// Adds to a fanned-out call's error how far it got, so a caller knows what to retry.
fn note_progress(
    err: &JsValue,
    finished: &[bool],
    chunks: &[std::ops::Range<usize>],
    total: usize,
    noun: &str,
) -> JsValue {
    let done: usize = finished
        .iter()
        .zip(chunks)
        .filter(|(f, _)| **f)
        .map(|(_, range)| range.len())
        .sum();
    let message = get(err, "message").as_string().unwrap_or_default();
    let note = format!("{message} ({done} of {total} {noun} were looked up before this failure)");
    set(err, "message", &note.into());
    err.clone()
}

/// Fetches one page of a migration chunk and tallies its results. Returns the page, its
/// results, and the params of the chunk's next page; after the chunk's last page the results
/// also hold an entry for each of the chunk's values Confluence did not answer for, shaped as
/// Confluence answers an unknown value (`accountId: null`).
pub(crate) async fn migration_page(
    inner: &Inner,
    plan: &MigrationPlan,
    tally: &RefCell<MigrationTally>,
    chunk: usize,
    params: GetBulkUserMigrationParams,
    signal: Option<&AbortSignal>,
) -> Result<(JsValue, Array, Option<GetBulkUserMigrationParams>), JsValue> {
    use crate::PagedEndpoint;
    let request = inner.request_for(&params)?;
    let page = inner
        .execute(Op::of::<GetBulkUserMigrationParams>(), request, signal)
        .await?;
    let results: Array = get(&page, "results").unchecked_into();
    {
        let mut tally = tally.borrow_mut();
        for entry in results.iter() {
            let has_account_id = get(&entry, "accountId")
                .as_string()
                .is_some_and(|id| !id.is_empty());
            tally.answer(
                get(&entry, plan.field).as_string().as_deref(),
                has_account_id,
            );
        }
    }
    let has_next = !get(&get(&page, "_links"), "next").is_undefined();
    let start = get(&page, "start").as_f64().unwrap_or(0.0) as i32;
    let size = get(&page, "size").as_f64().unwrap_or(0.0) as i32;
    let next =
        crate::next_start(params.start(), start, size, has_next).map(|n| params.with_start(n));
    if next.is_none() {
        let range = plan.chunks.get(chunk).cloned().unwrap_or(0..0);
        for i in tally.borrow().unanswered(range) {
            let value = JsValue::from_str(&plan.unique[i]);
            let entry = Object::new();
            for field in ["username", "key"] {
                let v = if field == plan.field {
                    &value
                } else {
                    &JsValue::NULL
                };
                set(&entry, field, v);
            }
            set(&entry, "accountId", &JsValue::NULL);
            results.push(&entry);
        }
    }
    Ok((page, results, next))
}

/// `getBulkUserMigration`: any number of values, split by URL length into chunks of at most
/// 200, `concurrency` chunks at a time, each chunk's pages followed; one result in input order
/// with `notFound` naming the values that have no account id.
pub(crate) async fn run_migration(
    inner: Rc<Inner>,
    prepared: Result<(GetBulkUserMigrationParams, Option<AbortSignal>), JsValue>,
) -> Result<JsValue, JsValue> {
    let (params, signal) = prepared?;
    let plan = Rc::new(inner.plan_migration(&params, false)?);
    let tally = Rc::new(RefCell::new(MigrationTally::new(&plan)));
    let jobs = (0..plan.chunks.len())
        .map(|chunk| {
            let (inner, plan, tally, signal) = (
                Rc::clone(&inner),
                Rc::clone(&plan),
                Rc::clone(&tally),
                signal.clone(),
            );
            Box::pin(async move {
                let mut next = plan.chunk_params(chunk);
                let mut first = None;
                let items = Array::new();
                while let Some(params) = next {
                    let (page, results, following) =
                        migration_page(&inner, &plan, &tally, chunk, params, signal.as_ref())
                            .await?;
                    first.get_or_insert(page);
                    for entry in results.iter() {
                        items.push(&entry);
                    }
                    next = following;
                }
                Ok((first, items))
            }) as Job<_>
        })
        .collect();
    let chunks: Vec<(Option<JsValue>, Array)> = fan_out(inner.settings.concurrency, jobs)
        .await
        .map_err(|(err, finished)| {
            if plan.chunks.len() == 1 {
                return err;
            }
            note_progress(
                &err,
                &finished,
                &plan.chunks,
                plan.unique.len(),
                plan.noun(),
            )
        })?;

    let results = Array::new();
    let mut links = None;
    for (first, items) in chunks {
        links = links.or_else(|| first.map(|page| get(&page, "_links")));
        for entry in items.iter() {
            results.push(&entry);
        }
    }
    // The result holds everything asked for, so no `next` link: it would point at a page
    // of one chunk only.
    let links: Object = links
        .filter(JsValue::is_object)
        .map(|l| Object::assign(&Object::new(), l.unchecked_ref()))
        .unwrap_or_default();
    let _ = js_sys::Reflect::delete_property(&links, &JsValue::from_str("next"));
    let not_found: Array = tally
        .borrow()
        .not_found()
        .into_iter()
        .map(|i| JsValue::from_str(&plan.unique[i]))
        .collect();
    let out = Object::new();
    set(&out, "results", &results);
    set(&out, "start", &JsValue::from(params.start.unwrap_or(0)));
    let limit = params.limit.map_or(plan.unique.len() as f64, f64::from);
    set(&out, "limit", &JsValue::from(limit));
    set(&out, "size", &JsValue::from(results.length()));
    set(&out, "_links", &links);
    set(&out, "notFound", &not_found);
    Ok(out.into())
}
