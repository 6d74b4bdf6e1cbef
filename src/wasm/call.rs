//! Running one call: validation, then attempts with timeouts, retries and hooks, then the
//! validated body or a `ConfluenceError`; and bulk and migration lookups fanned out over
//! several requests.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use super::error::{attach_cause, redact, redacted_body, to_js_error, Context, Frames, Parsed};
use super::gate::Permit;
use super::interrupt::{signal_aborted, Fired, Interrupt};
use super::js::{call0, call1, get, json_parse, promise, read, resolve, set};
use super::options::{call_signal, Settings};
use super::params::{string_of, FromJs, Refusal};
use super::transport::{self, describe, Failure, RawResponse};
use crate::config::token_threw;
use crate::driver::{
    BulkCall, Call, CallSettings, Done, End, FanOut, Input, Migration, MigrationPage, PageInfo,
    Report, Response, Step,
};
use crate::ratelimit::{Held, Slot};
use crate::redact::{CallTokens, RecentTokens};
use crate::schema::Shape;
use crate::{
    error_message, BulkEndpoint, Endpoint, Error, ErrorKind, GetBulkUserMigrationParams, Request,
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
    if let Ok(returned) = call1(hook, &JsValue::UNDEFINED, &info.to_js(redact)) {
        // A rejected promise from a hook is handled here, with the built-in `Boolean` as the
        // handler: it takes any reason, never throws, and needs no closure kept alive.
        // (`typeof`, not `instanceof`: the latter would run a Proxy's trap.)
        let catch = read(&returned, "catch").unwrap_or(JsValue::UNDEFINED);
        let boolean = get(&js_sys::global(), "Boolean");
        if catch.is_function() && boolean.is_function() {
            let _ = call1(catch.unchecked_ref(), &returned, &boolean);
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

/// What the attempts so far leave for the call's result: what the last failed input threw,
/// and the last response with its bytes.
#[derive(Default)]
struct Settled {
    cause: Option<JsValue>,
    last: Option<(RawResponse, Vec<u8>)>,
}

impl Settled {
    /// Keeps what an attempt left.
    fn take(&mut self, fetched: Fetched) {
        match fetched {
            Fetched::Response(response, body, _) => {
                self.cause = None;
                self.last = Some((response, body));
            }
            Fetched::Network(_, thrown) => self.cause = thrown,
            Fetched::Aborted | Fetched::TimedOut => {}
        }
    }
}

/// How one attempt ended, holding what the driver's input borrows.
enum Fetched {
    Aborted,
    TimedOut,
    /// The transport failed: its description, and what it threw.
    Network(String, Option<JsValue>),
    /// A response, its body's bytes, and the ms from sending to the whole body.
    Response(RawResponse, Vec<u8>, f64),
}

impl Fetched {
    /// What the transport's `sent` says, for an attempt sent at `sent_at`.
    fn of(sent: Result<RawResponse, (Failure, Option<Fired>)>, sent_at: f64) -> Fetched {
        match sent {
            Err((_, Some(Fired::Aborted))) => Fetched::Aborted,
            Err((Failure::Interrupted, _)) => Fetched::TimedOut,
            Err((Failure::Network(message, thrown), _)) => Fetched::Network(message, thrown),
            Ok(response) => {
                let elapsed_ms = js_sys::Date::now() - sent_at;
                let body = response.body.to_vec();
                Fetched::Response(response, body, elapsed_ms)
            }
        }
    }

    /// The driver's input for it.
    fn input(&self) -> Input<'_> {
        match self {
            Fetched::Aborted => Input::Aborted,
            Fetched::TimedOut => Input::TimedOut,
            Fetched::Network(message, _) => Input::NetworkFailure(message),
            Fetched::Response(response, body, elapsed_ms) => Input::Response(Response {
                status: response.status,
                content_type: response.content_type.as_deref(),
                retry_after: response.retry_after(),
                body,
                elapsed_ms: *elapsed_ms,
            }),
        }
    }
}

pub(crate) struct Inner {
    pub settings: Settings,
    /// The client-wide admission queue, pause and cap (issue 11).
    pub gate: super::gate::Gate,
    /// Coalescing and the user cache (issue 11).
    pub sharing: super::coalesce::Sharing,
    /// The token function's latest distinct tokens: a later call's error may echo one (a
    /// server or proxy that caches what it saw).
    pub recent_tokens: RefCell<RecentTokens>,
}

impl Inner {
    fn error(&self, ctx: &Context<'_>, err: &Error) -> JsValue {
        // A refusal (invalidArgument) is mostly thrown before the call's promise exists, with
        // the user's frames on the stack; every other error is made in a promise callback.
        let frames = match err.kind() {
            ErrorKind::InvalidArgument => Frames::Keep,
            _ => Frames::Skip,
        };
        to_js_error(Some(&self.settings.config), ctx, err, frames)
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
        self.settings
            .config
            .request(params)
            .map_err(|e| self.refused_for(E::OPERATION, e))
    }

    /// The `invalidArgument` error of a call the core refused to plan.
    pub(crate) fn refused_for(&self, operation: &'static str, err: Error) -> JsValue {
        match err {
            Error::InvalidArgument { message } => self.refused(operation, message),
            other => self.refused(operation, other.to_string()),
        }
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
        source: Option<&Function>,
        signal: Option<&AbortSignal>,
    ) -> Result<String, TokenFailure> {
        let Some(source) = source else {
            return Err(TokenFailure::Invalid(
                "auth.token must be a function".into(),
            ));
        };
        let value = call0(source, &JsValue::UNDEFINED)
            .map_err(|e| TokenFailure::invalid(token_threw(&describe(&e)), e))?;
        if !value.is_string() {
            let pending = resolve(&value).map_err(|e| {
                TokenFailure::invalid(format!("auth.token rejected: {}", describe(&e)), e)
            })?;
            let interrupt = Interrupt::new(self.settings.timeout_ms, signal);
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

    /// The driver's settings for this client's calls.
    fn call_settings(&self) -> CallSettings {
        CallSettings {
            retry: self.settings.retry,
            timeout_ms: self.settings.timeout_ms,
            token_per_attempt: self.settings.token_source.is_some(),
        }
    }

    /// Runs one call ([`launch`]) for a caller that awaits it in a future (a fan-out, a
    /// page walk, a coalesced request).
    pub(crate) async fn execute(
        self: &Rc<Self>,
        op: Op,
        request: Request,
        signal: Option<&AbortSignal>,
    ) -> Result<JsValue, JsValue> {
        let launched = launch(Rc::clone(self), op, request, signal.cloned(), None);
        JsFuture::from(launched).await
    }

    /// The driver of a call of `request`, and its first step.
    fn begin(&self, op: Op, request: Request, signal: Option<&AbortSignal>) -> (Call, Step) {
        let mut call = Call::new(request, op.shape, self.call_settings());
        let step = match signal.is_some_and(signal_aborted) {
            true => call.handle(Input::Aborted, 0, 0.0, &|s| s.to_owned()),
            false => call.start(),
        };
        (call, step)
    }

    /// The context of `call`'s errors and hooks, whose `tokens` it may echo.
    fn context<'a>(&self, op: Op, url: &'a str, call: &Call, tokens: CallTokens) -> Context<'a> {
        Context {
            operation: op.name,
            method: call.request().method,
            url,
            attempts: call.attempts(),
            retry_after_ms: None,
            request_id: None,
            tokens,
        }
    }

    /// A new call's tokens: the client's recent ones.
    fn tokens(&self) -> CallTokens {
        CallTokens::new(&self.recent_tokens.borrow())
    }

    /// Goes on with `call` from `step` (the driver's answer to its last input, which left
    /// `settled`) until the driver says the call is over or to send its next attempt.
    async fn run(
        &self,
        op: Op,
        mut call: Call,
        mut step: Step,
        signal: Option<&AbortSignal>,
        mut settled: Settled,
        tokens: CallTokens,
    ) -> Next {
        let url = call.request().url.clone();
        let mut ctx = self.context(op, &url, &call, tokens);
        // The slot of the next attempt, taken at the gate by its backoff wait or its token.
        let mut permit: Option<Permit<'_>> = None;
        loop {
            ctx.attempts = call.attempts();
            // An attempt is admitted before it is reported to `onRequest`: a request queued at
            // the gate has not been sent.
            if let Step::Token { .. } | Step::Send { .. } = &step {
                if permit.is_none() {
                    match self.admit(None, signal).await {
                        Ok(admitted) => permit = Some(admitted),
                        Err(held) => {
                            step = call.handle(Input::Held(held), 0, 0.0, &|s| s.to_owned());
                            continue;
                        }
                    }
                }
            }
            self.reports(&ctx, &mut call, &settled);
            // What the step gave, which the input below borrows.
            let token: String;
            let message: String;
            let input = match step {
                Step::Done(done) => return Next::Over(self.finish(ctx, done, settled)),
                // Never given before `Done`, which ends this loop.
                Step::Over => Input::Aborted,
                // The backoff is waited at the client-wide gate, under one timer with any
                // pause a rate limit began; the slot it gives is the retry's.
                Step::Wait { ms, .. } => match self.admit(Some(ms), signal).await {
                    Ok(admitted) => {
                        permit = Some(admitted);
                        Input::Waited
                    }
                    Err(held) => Input::Held(held),
                },
                Step::Token { .. } => {
                    let source = self.settings.token_source.as_ref();
                    match self.current_token(source, signal).await {
                        Ok(got) => {
                            self.remember_token(&mut ctx, &got);
                            token = got;
                            Input::Token(&token)
                        }
                        Err(TokenFailure::Aborted) => Input::Aborted,
                        Err(TokenFailure::TimedOut) => Input::TimedOut,
                        Err(TokenFailure::Invalid(why)) => {
                            settled.cause = why.cause;
                            message = why.message;
                            Input::TokenInvalid(&message)
                        }
                    }
                }
                Step::Send { .. } => {
                    return Next::Send(Box::new(Sending {
                        call,
                        slot: permit.and_then(Permit::into_slot),
                        settled,
                        tokens: ctx.tokens,
                    }))
                }
            };
            step = self.handle(&ctx, &mut call, input);
        }
    }

    /// Tells the driver `input`.
    fn handle(&self, ctx: &Context<'_>, call: &mut Call, input: Input<'_>) -> Step {
        let redact = |s: &str| self.redact(ctx, s);
        call.handle(
            input,
            js_sys::Date::now() as u64,
            js_sys::Math::random(),
            &redact,
        )
    }

    /// Calls the hooks of the driver's reports so far.
    fn reports(&self, ctx: &Context<'_>, call: &mut Call, settled: &Settled) {
        let rate_limit = settled
            .last
            .as_ref()
            .map_or(&[][..], |(r, _)| &r.rate_limit[..]);
        while let Some(report) = call.poll_report() {
            self.report(ctx, report, rate_limit);
        }
    }

    /// Tells the gate what a response said (before its slot is given back).
    fn observe(&self, ctx: &Context<'_>, attempt: &Fetched) {
        if let Fetched::Response(response, ..) = attempt {
            let redact = |s: &str| self.redact(ctx, s);
            let on_rate_limit = &self.settings.hooks.on_rate_limit;
            self.gate
                .observe(response, on_rate_limit, ctx.operation, ctx.url, &redact);
        }
    }

    /// Keeps a token the token function gave, for redaction: for the whole call (a later
    /// error may echo any attempt's token) and among the client's recent ones.
    fn remember_token(&self, ctx: &mut Context<'_>, token: &str) {
        ctx.add_token(token);
        self.recent_tokens.borrow_mut().remember(token);
    }

    /// Calls the hook of a driver report.
    fn report(&self, ctx: &Context<'_>, report: Report, rate_limit: &[(&'static str, String)]) {
        let hooks = &self.settings.hooks;
        let (operation, method, url) = (ctx.operation, ctx.method, ctx.url);
        let redact = |s: &str| self.redact(ctx, s);
        match report {
            Report::Request { attempt } => call_hook(
                &hooks.on_request,
                &RequestInfo {
                    operation,
                    method,
                    url,
                    attempt,
                },
                &redact,
            ),
            Report::Response {
                attempt,
                status,
                elapsed_ms,
            } => call_hook(
                &hooks.on_response,
                &ResponseInfo {
                    operation,
                    method,
                    url,
                    attempt,
                    status,
                    elapsed_ms,
                    rate_limit,
                },
                &redact,
            ),
            Report::Retry {
                attempt,
                status,
                reason,
                delay_ms,
            } => call_hook(
                &hooks.on_retry,
                &RetryInfo {
                    operation,
                    method,
                    url,
                    attempt,
                    status,
                    reason: reason.as_str(),
                    delay_ms,
                },
                &redact,
            ),
        }
    }

    /// A slot at the client-wide gate (issue 11), after `delay_ms` (a retry's backoff) and any
    /// pause the retry policy lets the call wait out.
    async fn admit(
        &self,
        delay_ms: Option<u64>,
        signal: Option<&AbortSignal>,
    ) -> Result<Permit<'_>, Held> {
        self.gate
            .acquire(signal, &self.settings.retry, delay_ms)
            .await
    }

    /// The JS value of the driver's result: the parsed body, or the `ConfluenceError`.
    fn finish(&self, ctx: Context<'_>, done: Done, settled: Settled) -> Result<JsValue, JsValue> {
        let Settled { cause, last } = settled;
        let mut ctx = Context {
            attempts: done.attempts,
            retry_after_ms: done.retry_after_ms,
            ..ctx
        };
        match (done.end, last) {
            (
                End::Failed {
                    error,
                    caused_by_input,
                },
                _,
            ) => {
                let cause = cause.filter(|_| caused_by_input);
                Err(self.with_exposed_cause(&ctx, &error, cause.as_ref()))
            }
            (End::Http { status }, Some((response, body))) => {
                ctx.request_id = response.request_id();
                Err(self.http_error(&ctx, status, &response, &body))
            }
            (End::Decode(error), Some((response, _))) => {
                ctx.request_id = response.request_id();
                Err(self.error(&ctx, &error))
            }
            (End::Success, Some((response, _))) => {
                // JS's own JSON.parse builds the objects: far cheaper than building them
                // from Rust one property at a time. The core has validated the bytes.
                let parsed = response.body.text().and_then(|text| json_parse(&text));
                parsed.map_err(|_| {
                    ctx.request_id = response.request_id();
                    let error = Error::Decode {
                        status: response.status,
                        path: ".".to_owned(),
                        message: "the body is not valid JSON".to_owned(),
                    };
                    self.error(&ctx, &error)
                })
            }
            // The driver ends with a response's verdict only after feeding on a response.
            (_, None) => Err(self.error(
                &ctx,
                &Error::Network {
                    message: "no response".to_owned(),
                },
            )),
        }
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

    /// The error for a non-2xx response. JSON.parse reads its body, the core's rules take the
    /// message from that, and the error's `body` is a redacted copy of it.
    fn http_error(
        &self,
        ctx: &Context<'_>,
        status: u16,
        response: &RawResponse,
        body: &[u8],
    ) -> JsValue {
        let redact = |s: &str| self.redact(ctx, s);
        let parsed = response
            .body
            .text()
            .and_then(|text| json_parse(&text))
            .ok()
            .and_then(|value| redacted_body(value, &redact));
        let message = error_message(
            parsed.clone().map(Parsed),
            response.content_type.as_deref(),
            body,
            &redact,
        );
        let err = Error::Http {
            status,
            message,
            body: None,
        };
        let error = self.error(ctx, &err);
        set(&error, "body", &parsed.unwrap_or(JsValue::UNDEFINED));
        error
    }
}

/// Where [`Inner::run`] stopped.
enum Next {
    /// The call is over: its result.
    Over(Result<JsValue, JsValue>),
    /// The driver asks for an attempt, which the gate has admitted.
    Send(Box<Sending>),
}

/// A call about to send an attempt: what [`fly`] needs to send it and [`resume`] to go on.
struct Sending {
    call: Call,
    /// The attempt's slot at the gate, given back when its report is in.
    slot: Option<Slot>,
    settled: Settled,
    tokens: CallTokens,
}

/// A call whose attempt is in flight, between [`fly`] and [`resume`].
struct Flight {
    inner: Rc<Inner>,
    op: Op,
    sending: Sending,
    signal: Option<AbortSignal>,
    sent_at: f64,
    /// The user cache's expand key to keep the result under, if any.
    keep: Option<String>,
}

/// The calls in flight, by the id their continuation is called with (a freed id is reused).
#[derive(Default)]
struct Flights {
    slots: Vec<Option<Flight>>,
    free: Vec<u32>,
}

impl Flights {
    /// An id for a flight about to start.
    fn reserve(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() as u32 - 1
        })
    }

    /// Puts `flight` under its reserved `id`.
    fn put(&mut self, id: u32, flight: Flight) {
        if let Some(slot) = self.slots.get_mut(id as usize) {
            *slot = Some(flight);
        }
    }

    /// Takes the flight of `id` out, freeing the id.
    fn take(&mut self, id: u32) -> Option<Flight> {
        let flight = self.slots.get_mut(id as usize).and_then(Option::take);
        if flight.is_some() {
            self.free.push(id);
        }
        flight
    }
}

thread_local! {
    static FLIGHTS: RefCell<Flights> = RefCell::default();
    /// The one continuation of every attempt.
    static RESUME: Closure<dyn Fn(u32, JsValue) -> Result<JsValue, JsValue>> = Closure::new(resume);
}

/// Runs a call, keeping its result in the user cache under `keep`. Every attempt is one JS
/// promise chain ([`fly`]): the attempt step, then [`resume`], which judges its report, tells
/// the driver and, when the driver is done, ends the call there. A first attempt the gate
/// admits at once (no token function, no queue, no pause, the signal not aborted) is sent
/// straight from here, so a call answered at its first attempt runs no Rust future, executor
/// or `JsFuture`; waits (a backoff, the gate's queue, a token function) run in [`later`]'s
/// future, which hands each attempt back to [`fly`].
pub(crate) fn launch(
    inner: Rc<Inner>,
    op: Op,
    request: Request,
    signal: Option<AbortSignal>,
    keep: Option<String>,
) -> Promise {
    let (mut call, step) = inner.begin(op, request, signal.as_ref());
    let tokens = inner.tokens();
    let slot = match step {
        Step::Send { .. } => inner.gate.try_go(),
        _ => None,
    };
    let Some(slot) = slot else {
        return later(
            inner,
            op,
            call,
            step,
            signal,
            Settled::default(),
            tokens,
            keep,
        );
    };
    let url = call.request().url.clone();
    let ctx = inner.context(op, &url, &call, tokens);
    inner.reports(&ctx, &mut call, &Settled::default());
    let sending = Sending {
        call,
        slot: Some(slot),
        settled: Settled::default(),
        tokens: ctx.tokens,
    };
    fly(inner, op, sending, signal, keep)
}

/// Sends the attempt `sending` asks for; the promise settles as [`resume`] says.
fn fly(
    inner: Rc<Inner>,
    op: Op,
    sending: Sending,
    signal: Option<AbortSignal>,
    keep: Option<String>,
) -> Promise {
    let id = FLIGHTS.with(|flights| flights.borrow_mut().reserve());
    let sent_at = js_sys::Date::now();
    let settings = &inner.settings;
    let request = sending.call.request();
    let pending = RESUME.with(|resume| {
        let then = (resume.as_ref().unchecked_ref(), id);
        transport::start(
            &settings.fetch,
            request,
            settings.timeout_ms,
            signal.as_ref(),
            then,
        )
    });
    let flight = Flight {
        inner,
        op,
        sending,
        signal,
        sent_at,
        keep,
    };
    FLIGHTS.with(|flights| flights.borrow_mut().put(id, flight));
    pending
}

/// An attempt's continuation: judges its `report` and tells the driver. The call's result, or
/// its error thrown, settles the call's promise; a call that goes on (a retry) gives the
/// promise of the rest.
fn resume(id: u32, report: JsValue) -> Result<JsValue, JsValue> {
    let Some(flight) = FLIGHTS.with(|flights| flights.borrow_mut().take(id)) else {
        // Every id is given to one continuation, once.
        return Err(js_sys::Error::new("confluence-users: a call resumed twice").into());
    };
    let (inner, op) = (flight.inner, flight.op);
    let Sending {
        mut call,
        slot,
        mut settled,
        tokens,
    } = flight.sending;
    let url = call.request().url.clone();
    let ctx = inner.context(op, &url, &call, tokens);
    let fetched = Fetched::of(transport::judge(report), flight.sent_at);
    inner.observe(&ctx, &fetched);
    if let Some(slot) = slot {
        inner.gate.release(slot);
    }
    let step = inner.handle(&ctx, &mut call, fetched.input());
    settled.take(fetched);
    let Step::Done(done) = step else {
        let (signal, tokens, keep) = (flight.signal, ctx.tokens, flight.keep);
        return Ok(later(inner, op, call, step, signal, settled, tokens, keep).into());
    };
    inner.reports(&ctx, &mut call, &settled);
    let value = inner.finish(ctx, done, settled)?;
    inner.keep(&value, flight.keep);
    Ok(value)
}

/// The rest of a call, from `step`, as a future until its next attempt (sent by [`fly`]).
#[allow(clippy::too_many_arguments)]
fn later(
    inner: Rc<Inner>,
    op: Op,
    call: Call,
    step: Step,
    signal: Option<AbortSignal>,
    settled: Settled,
    tokens: CallTokens,
    keep: Option<String>,
) -> Promise {
    promise(async move {
        let next = inner
            .run(op, call, step, signal.as_ref(), settled, tokens)
            .await;
        match next {
            Next::Send(sending) => Ok(fly(inner, op, *sending, signal, keep).into()),
            Next::Over(result) => {
                let value = result?;
                inner.keep(&value, keep);
                Ok(value)
            }
        }
    })
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

/// What a bulk call needs of its operation, as plain functions: [`run_bulk`] then exists once
/// in the binary rather than once per operation.
#[derive(Clone, Copy)]
pub(crate) struct BulkOp {
    op: Op,
    records: fn(&JsValue) -> Array,
    assemble: fn(JsValue, Array, usize) -> JsValue,
}

impl BulkOp {
    pub(crate) fn of<E: BulkShape>() -> BulkOp {
        BulkOp {
            op: Op::of::<E>(),
            records: E::records,
            assemble: E::assemble,
        }
    }
}

/// Plans a bulk call with the core's [`BulkCall`]; nothing is sent on failure.
pub(crate) fn plan_bulk<E: BulkShape>(
    inner: &Inner,
    params: &JsValue,
    options: &JsValue,
) -> Result<(BulkCall, Option<AbortSignal>), JsValue> {
    let (params, signal) = inner.prepare::<E>(params, options)?;
    Ok((plan_bulk_of(inner, &params)?, signal))
}

/// Plans a bulk call of params already read (the coalescer's and the cache's lookups).
pub(crate) fn plan_bulk_of<E: BulkShape>(inner: &Inner, params: &E) -> Result<BulkCall, JsValue> {
    BulkCall::new(&inner.settings.config, params, inner.settings.concurrency)
        .map_err(|e| inner.refused_for(E::OPERATION, e))
}

/// A bulk call's promise: one request is [`launch`]ed as any single-request call, several
/// are run by [`run_bulk`].
pub(crate) fn bulk(
    inner: Rc<Inner>,
    shape: BulkOp,
    mut planned: Result<(BulkCall, Option<AbortSignal>), JsValue>,
) -> Promise {
    if let Ok((bulk, signal)) = &mut planned {
        if let Some(request) = bulk.take_single() {
            return launch(inner, shape.op, request, signal.take(), None);
        }
    }
    promise(run_bulk(inner, shape, planned))
}

/// A bulk call: the core's [`BulkCall`] has planned the requests and picks the merge; this
/// runs them, `concurrency` at a time, and assembles the records. `planned` was made before
/// the method returned (a live Immer draft is revoked, and any params object may change, once
/// the caller's code goes on).
pub(crate) async fn run_bulk(
    inner: Rc<Inner>,
    shape: BulkOp,
    planned: Result<(BulkCall, Option<AbortSignal>), JsValue>,
) -> Result<JsValue, JsValue> {
    let op = shape.op;
    let (mut bulk, signal) = planned?;
    if let Some(request) = bulk.take_single() {
        return inner.execute(op, request, signal.as_ref()).await;
    }
    let fan = Rc::new(RefCell::new(bulk.fan_out.clone()));
    let job = {
        let (inner, signal) = (Rc::clone(&inner), signal.clone());
        let requests: Rc<[Request]> = (0..).map_while(|i| bulk.request(i).cloned()).collect();
        move |chunk: usize| {
            let (inner, signal, requests) =
                (Rc::clone(&inner), signal.clone(), Rc::clone(&requests));
            Box::pin(async move {
                let request = requests.get(chunk).cloned().ok_or(JsValue::UNDEFINED)?;
                inner.execute(op, request, signal.as_ref()).await
            }) as Job<_>
        }
    };
    let responses = fan_out(&fan, job, "ids").await?;
    let records: Vec<Array> = responses.iter().map(shape.records).collect();
    let mut merge = bulk.merge();
    for (chunk, list) in records.iter().enumerate() {
        for (index, record) in list.iter().enumerate() {
            merge.record(
                chunk,
                index,
                get(&record, "accountId").as_string().as_deref(),
            );
        }
    }
    let merged: Array = merge
        .finish()
        .into_iter()
        .filter_map(|at| records.get(at.chunk).map(|list| list.get(at.index as u32)))
        .collect();
    let first = responses.into_iter().next().unwrap_or(JsValue::UNDEFINED);
    Ok((shape.assemble)(first, merged, bulk.limit()))
}

/// One chunk's work for [`fan_out`].
type Job<T> = Pin<Box<dyn Future<Output = Result<T, JsValue>>>>;

/// Runs the chunks `fan` hands out, on as many workers as it says, each chunk's work made by
/// `job`. `Ok`: every chunk's output, in chunk order. `Err`: the first failure, its message
/// saying how many `noun` were looked up before it.
async fn fan_out<T: 'static>(
    fan: &Rc<RefCell<FanOut>>,
    job: impl Fn(usize) -> Job<T> + 'static,
    noun: &str,
) -> Result<Vec<T>, JsValue> {
    let slots: Rc<RefCell<Vec<Option<T>>>> = Rc::new(RefCell::new(
        (0..fan.borrow().chunk_count()).map(|_| None).collect(),
    ));
    let job = Rc::new(job);
    let workers = Array::new();
    for _ in 0..fan.borrow().workers() {
        let (fan, slots, job) = (Rc::clone(fan), Rc::clone(&slots), Rc::clone(&job));
        workers.push(&promise(async move {
            loop {
                let next = fan.borrow_mut().next_chunk();
                let Some(chunk) = next else {
                    return Ok(JsValue::UNDEFINED);
                };
                match job(chunk).await {
                    Ok(value) => {
                        fan.borrow_mut().finished(chunk);
                        if let Some(slot) = slots.borrow_mut().get_mut(chunk) {
                            *slot = Some(value);
                        }
                    }
                    Err(err) => {
                        fan.borrow_mut().failed();
                        return Err(err);
                    }
                }
            }
        }));
    }
    if let Err(err) = JsFuture::from(Promise::all(&workers)).await {
        // Said when the failure surfaces: chunks still in flight then have finished.
        let message = get(&err, "message").as_string().unwrap_or_default();
        let note = fan.borrow().failure_message(&message, noun);
        set(&err, "message", &note.into());
        return Err(err);
    }
    let values = std::mem::take(&mut *slots.borrow_mut());
    Ok(values.into_iter().flatten().collect())
}

/// Fetches one page of a migration chunk and hands its answers to the core's [`Migration`].
/// Returns the page, its results, and the chunk's next page; after the chunk's last page the
/// results also hold an entry for each of the chunk's values Confluence did not answer for,
/// shaped as Confluence answers an unknown value (`accountId: null`).
pub(crate) async fn migration_page(
    inner: &Rc<Inner>,
    migration: &RefCell<Migration>,
    page: &MigrationPage,
    signal: Option<&AbortSignal>,
) -> Result<(JsValue, Array, Option<MigrationPage>), JsValue> {
    let op = Op::of::<GetBulkUserMigrationParams>();
    let fetched = inner.execute(op, page.request.clone(), signal).await?;
    let results: Array = get(&fetched, "results").unchecked_into();
    let field = migration.borrow().field();
    for entry in results.iter() {
        let echoed = get(&entry, field).as_string();
        let account_id = get(&entry, "accountId").as_string();
        migration
            .borrow_mut()
            .answer(echoed.as_deref(), account_id.as_deref());
    }
    let end = migration
        .borrow_mut()
        .page_fetched(&inner.settings.config, page, page_info(&fetched))
        .map_err(|e| inner.refused_for(op.name, e))?;
    let migration = migration.borrow();
    for i in end.unanswered {
        let value = JsValue::from_str(migration.value(i));
        let entry = Object::new();
        for name in ["username", "key"] {
            let v = if name == field {
                &value
            } else {
                &JsValue::NULL
            };
            set(&entry, name, v);
        }
        set(&entry, "accountId", &JsValue::NULL);
        results.push(&entry);
    }
    Ok((fetched, results, end.next))
}

/// What a fetched page says of the next one.
pub(crate) fn page_info(page: &JsValue) -> PageInfo {
    PageInfo {
        start: get(page, "start").as_f64().unwrap_or(0.0) as i32,
        size: get(page, "size").as_f64().unwrap_or(0.0) as i32,
        has_next: !get(&get(page, "_links"), "next").is_undefined(),
    }
}

/// `getBulkUserMigration`: the core's [`Migration`] plans the chunks; this follows each chunk's
/// pages, `concurrency` chunks at a time, and builds one result in input order with `notFound`
/// naming the values that have no account id.
pub(crate) async fn run_migration(
    inner: Rc<Inner>,
    prepared: Result<(GetBulkUserMigrationParams, Option<AbortSignal>), JsValue>,
) -> Result<JsValue, JsValue> {
    const OPERATION: &str = GetBulkUserMigrationParams::OPERATION;
    let (params, signal) = prepared?;
    let migration = Migration::new(
        &inner.settings.config,
        &params,
        false,
        inner.settings.concurrency,
    )
    .map_err(|e| inner.refused_for(OPERATION, e))?;
    let fan = Rc::new(RefCell::new(migration.fan_out.clone()));
    let noun = migration.noun();
    let migration = Rc::new(RefCell::new(migration));
    let job = {
        let (inner, migration) = (Rc::clone(&inner), Rc::clone(&migration));
        move |chunk: usize| {
            let (inner, migration, signal) =
                (Rc::clone(&inner), Rc::clone(&migration), signal.clone());
            Box::pin(async move {
                let first = migration
                    .borrow()
                    .first_page(&inner.settings.config, chunk)
                    .transpose()
                    .map_err(|e| inner.refused_for(OPERATION, e))?;
                let mut next = first;
                let mut first_page = None;
                let items = Array::new();
                while let Some(page) = next {
                    let (fetched, results, following) =
                        migration_page(&inner, &migration, &page, signal.as_ref()).await?;
                    first_page.get_or_insert(fetched);
                    for entry in results.iter() {
                        items.push(&entry);
                    }
                    next = following;
                }
                Ok((first_page, items))
            }) as Job<_>
        }
    };
    let chunks: Vec<(Option<JsValue>, Array)> = fan_out(&fan, job, noun).await?;

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
    let migration = migration.borrow();
    let not_found: Array = migration
        .not_found()
        .into_iter()
        .map(|i| JsValue::from_str(migration.value(i)))
        .collect();
    let out = Object::new();
    set(&out, "results", &results);
    set(&out, "start", &JsValue::from(migration.start()));
    set(&out, "limit", &JsValue::from(migration.limit() as f64));
    set(&out, "size", &JsValue::from(results.length()));
    set(&out, "_links", &links);
    set(&out, "notFound", &not_found);
    Ok(out.into())
}
