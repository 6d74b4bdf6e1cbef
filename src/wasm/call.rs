//! Running one call: validation, then attempts with timeouts, retries and hooks, then the
//! validated body or a `ConfluenceError`; and bulk lookups fanned out over several requests.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use super::error::{redacted_cause, redacted_copy, to_js_error, with_cause, Context, Parsed};
use super::interrupt::{signal_aborted, Fired, Interrupt};
use super::js::{get, promise, read, resolve, set};
use super::json_parse;
use super::options::{call_signal, Settings, MAX_TIMER_MS};
use super::params::{string_of, FromJs, Refusal};
use super::transport::{self, describe, Failure, RawResponse};
use crate::response::validate_decoded_body;
use crate::schema::Shape;
use crate::{
    bearer_authorization, decide, error_message, is_retryable_status, parse_retry_after, plan_bulk,
    BulkEndpoint, Decision, Endpoint, Error, Outcome, Request, BULK_LOOKUP_MAX_IDS,
    MAX_BULK_URL_LEN,
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

/// A hook's argument, built as a JS object with the field names of its TypeScript type.
trait HookInfo {
    fn to_js(&self) -> Object;
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
    fn to_js(&self) -> Object {
        info_object(self.operation, self.method, self.url, self.attempt)
    }
}

impl HookInfo for ResponseInfo<'_> {
    fn to_js(&self) -> Object {
        let info = info_object(self.operation, self.method, self.url, self.attempt);
        set(&info, "status", &JsValue::from(self.status));
        set(&info, "elapsedMs", &JsValue::from(self.elapsed_ms));
        let rate_limit = Object::new();
        for (name, value) in self.rate_limit {
            set(&rate_limit, name, &JsValue::from_str(value));
        }
        set(&info, "rateLimit", &rate_limit);
        info
    }
}

impl HookInfo for RetryInfo<'_> {
    fn to_js(&self) -> Object {
        let info = info_object(self.operation, self.method, self.url, self.attempt);
        set(&info, "status", &JsValue::from(self.status));
        set(&info, "reason", &JsValue::from_str(self.reason));
        set(&info, "delayMs", &JsValue::from(self.delay_ms as f64));
        info
    }
}

/// Calls a hook with `info`; whatever the hook does (throw, return a rejected promise) stays
/// out of the call.
fn call_hook(hook: &Option<Function>, info: &dyn HookInfo) {
    let Some(hook) = hook else { return };
    if let Ok(returned) = hook.call1(&JsValue::UNDEFINED, &info.to_js()) {
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
}

impl Inner {
    fn error(&self, ctx: &Context<'_>, err: &Error) -> JsValue {
        to_js_error(Some(&self.settings.config), ctx, err)
    }

    /// The `invalidArgument` error of a call refused before sending, with the exception that
    /// caused it (if any) as its `cause`.
    pub(crate) fn refused(&self, operation: &'static str, why: impl Into<Refusal>) -> JsValue {
        let why = why.into();
        let error = self.error(&Context::refused(operation), &Error::invalid(why.message));
        with_cause(error, why.cause.as_ref())
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
            secret: None,
        };
        if signal.is_some_and(signal_aborted) {
            return Err(self.error(&ctx, &Error::Aborted));
        }
        let hooks = &self.settings.hooks;
        loop {
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
                let header = bearer_authorization(&got).map_err(|e| e.to_string());
                ctx.secret = Some(got);
                match header {
                    Ok(value) => attempt_request
                        .to_mut()
                        .headers
                        .push(("Authorization", value)),
                    Err(message) => return Err(self.error(&ctx, &Error::invalid(message))),
                }
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
            );
            let sent_at = js_sys::Date::now();
            let (failure, status, retry_after) = match self.attempt(&attempt_request, signal).await
            {
                Attempt::Aborted => return Err(self.error(&ctx, &Error::Aborted)),
                Attempt::Response(response) => {
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
                    let (err, cause) = match failure {
                        Failure::Network(message, cause) => (Error::Network { message }, cause),
                        Failure::Interrupted => (self.timed_out(), None),
                    };
                    match self.decide(ctx.attempts, Outcome::NoResponse) {
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
            );
            if self.sleep(retry_after, signal).await.is_err() {
                return Err(self.error(&ctx, &Error::Aborted));
            }
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
            self.settings.hooks.on_response.is_some(),
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

    /// The error for `err` with a redacted stand-in of `cause`, which came from code that saw the
    /// credentials (a `fetch` gets the Authorization header).
    fn with_exposed_cause(
        &self,
        ctx: &Context<'_>,
        err: &Error,
        cause: Option<&JsValue>,
    ) -> JsValue {
        let config = &self.settings.config;
        let redact = |s: &str| crate::redact(&config.redact(s), ctx.secret.as_deref());
        let cause = cause.map(|c| redacted_cause(c, &redact));
        with_cause(self.error(ctx, err), cause.as_ref())
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

    /// Waits `ms`, or fails at once when the caller's signal aborts.
    async fn sleep(&self, ms: u64, signal: Option<&AbortSignal>) -> Result<(), ()> {
        let interrupt = Interrupt::new(Some(ms.min(MAX_TIMER_MS) as u32), signal, None, true);
        match interrupt.wait().await {
            Fired::Timer => Ok(()),
            Fired::Aborted => Err(()),
        }
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
        let config = &self.settings.config;
        let redact = |s: &str| crate::redact(&config.redact(s), ctx.secret.as_deref());
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

    let total = requests.len();
    let queue = Rc::new(RefCell::new(requests.into_iter().enumerate()));
    let results: Rc<RefCell<Vec<Option<JsValue>>>> = Rc::new(RefCell::new(vec![None; total]));
    let failed = Rc::new(Cell::new(false));
    let workers = Array::new();
    for _ in 0..inner.settings.concurrency.min(total) {
        let (inner, queue, results, failed, signal) = (
            Rc::clone(&inner),
            Rc::clone(&queue),
            Rc::clone(&results),
            Rc::clone(&failed),
            signal.clone(),
        );
        workers.push(&promise(async move {
            loop {
                if failed.get() {
                    return Ok(JsValue::UNDEFINED);
                }
                let next = queue.borrow_mut().next();
                let Some((index, request)) = next else {
                    return Ok(JsValue::UNDEFINED);
                };
                match inner.execute(op, request, signal.as_ref()).await {
                    Ok(value) => results.borrow_mut()[index] = Some(value),
                    Err(err) => {
                        failed.set(true);
                        return Err(err);
                    }
                }
            }
        }));
    }
    if let Err(err) = JsFuture::from(Promise::all(&workers)).await {
        let done: usize = results
            .borrow()
            .iter()
            .zip(&plan.chunks)
            .filter(|(r, _)| r.is_some())
            .map(|(_, range)| range.len())
            .sum();
        let message = get(&err, "message").as_string().unwrap_or_default();
        let note = format!(
            "{message} ({done} of {} ids were looked up before this failure)",
            plan.unique.len()
        );
        set(&err, "message", &note.into());
        return Err(err);
    }

    // Merge: each distinct id's record, in the order the ids were given. Records are placed
    // by their id's position, found through a map borrowing the planned ids (no key copies).
    let responses: Vec<JsValue> = results.borrow_mut().drain(..).flatten().collect();
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
