//! The client-wide gate every request passes: the JS side of the core's
//! [`Governor`](crate::ratelimit::Governor). It sleeps until the governor admits a request
//! (timers for a pause, wake-ups when a slot comes back), gives the slot back when the
//! response is in, reports pauses through `onRateLimit`, and shows the telemetry as
//! `client.rateLimit`. Every decision is the governor's.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::error::{to_js_error, Context};
use super::interrupt::{Fired, Interrupt};
use super::js::{get, read, set};
use super::options::MAX_TIMER_MS;
use super::transport::RawResponse;
use crate::ratelimit::{Governor, GovernorConfig, RateLimitHeaders, Slot, Ticket, Wait};
use crate::Error;

/// What `onRateLimit` receives, once per pause: when a response makes the whole client hold
/// back its requests.
#[derive(tsify::Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitInfo<'a> {
    /// The operationId of the call whose response caused the pause.
    pub operation: &'a str,
    /// That request's URL.
    pub url: &'a str,
    /// Its status: 429, or 503 with `Retry-After`.
    pub status: u16,
    /// `"retryAfter"`: the server's `Retry-After`; `"backoff"`: a 429 without one, so the
    /// client backs off on its own (`retry.baseDelayMs`, doubling for each such 429 in a row).
    #[tsify(type = r#""retryAfter" | "backoff""#)]
    pub reason: &'a str,
    /// When requests resume, in ms since the epoch (as `Date.now()`).
    pub until: f64,
    /// How long the pause is, in ms.
    pub duration_ms: u64,
    /// The rate-limit headers of that response, by name (as in `onResponse`).
    #[tsify(type = "Record<string, string>")]
    pub rate_limit: &'a [(&'static str, String)],
}

/// Why a request was not admitted.
pub(crate) enum Held {
    /// The caller's signal fired while it waited.
    Aborted,
    /// The pause lasts longer than the call may wait (`retry.maxDelayMs`): this long, caused
    /// by a response with this status.
    TooLong(u64, u16),
}

pub(crate) struct Gate {
    governor: RefCell<Governor>,
    /// Resolvers of the requests waiting for a slot, by ticket: a release wakes the ones the
    /// governor would admit (waking all would cost a promise per waiter per release).
    wakers: RefCell<HashMap<u64, Function>>,
    /// The status of the response behind the current pause.
    pause_status: Cell<u16>,
    /// The latest time a pause timer fired for (see [`Gate::now`]).
    clock: Cell<u64>,
}

/// A slot in flight; dropping it hands the slot back.
pub(crate) struct Permit<'a> {
    gate: &'a Gate,
    slot: Option<Slot>,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.gate.governor.borrow_mut().release(slot);
            self.gate.wake();
        }
    }
}

/// A place in the queue; dropping it without admission leaves the queue.
struct Place<'a> {
    gate: &'a Gate,
    ticket: Option<Ticket>,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.gate.wakers.borrow_mut().remove(&ticket.id());
            self.gate.governor.borrow_mut().cancel(ticket);
            self.gate.wake();
        }
    }
}

impl Gate {
    pub(crate) fn new(config: GovernorConfig) -> Gate {
        Gate {
            governor: RefCell::new(Governor::new(config)),
            wakers: RefCell::new(HashMap::new()),
            pause_status: Cell::new(429),
            clock: Cell::new(0),
        }
    }

    /// Wakes the waiting requests that may go now.
    fn wake(&self) {
        let ready = self.governor.borrow().admissible(self.now());
        let woken: Vec<Function> = {
            let mut wakers = self.wakers.borrow_mut();
            ready.iter().filter_map(|id| wakers.remove(id)).collect()
        };
        for resolve in woken {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// Wakes every waiting request (a pause began: each goes to sleep on its timer instead).
    fn wake_all(&self) {
        let woken: Vec<Function> = self.wakers.borrow_mut().drain().map(|(_, f)| f).collect();
        for resolve in woken {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// The gate's clock: `Date.now()`, but never behind a pause whose timer has fired (a timer
    /// may fire a millisecond before `Date.now()` reaches its time; the pause is over then).
    fn now(&self) -> u64 {
        let now = (js_sys::Date::now() as u64).max(self.clock.get());
        self.clock.set(now);
        now
    }

    /// Waits `delay_ms` (a retry's backoff, on a timer even when 0, as a sleep would; `None`
    /// for a first attempt) and for a slot, in the order requests asked, under one timer. A client-wide pause longer than `max_wait_ms`
    /// (`retry.maxDelayMs`) is not waited for.
    pub(crate) async fn acquire(
        &self,
        signal: Option<&AbortSignal>,
        max_wait_ms: u64,
        delay_ms: Option<u64>,
    ) -> Result<Permit<'_>, Held> {
        let mut place = Place {
            gate: self,
            ticket: Some(self.governor.borrow_mut().enqueue()),
        };
        let mut not_before = self.now().saturating_add(delay_ms.unwrap_or(0));
        let mut backoff = delay_ms.is_some();
        loop {
            let Some(ticket) = place.ticket.take() else {
                return Err(Held::Aborted);
            };
            let now = self.now();
            let paused = self.governor.borrow().pause_remaining(now);
            if paused > max_wait_ms {
                place.ticket = Some(ticket);
                return Err(Held::TooLong(paused, self.pause_status.get()));
            }
            let wait = if backoff || now < not_before || paused > 0 {
                place.ticket = Some(ticket);
                Wait::Until(not_before.max(now + paused))
            } else {
                match self.governor.borrow_mut().poll(ticket, now) {
                    Ok(slot) => {
                        return Ok(Permit {
                            gate: self,
                            slot: Some(slot),
                        })
                    }
                    Err((ticket, wait)) => {
                        place.ticket = Some(ticket);
                        wait
                    }
                }
            };
            let fired = match wait {
                Wait::Until(until) => {
                    let ms = until.saturating_sub(now).min(MAX_TIMER_MS);
                    let interrupt = Interrupt::new(Some(ms as u32), signal, None, true);
                    let fired = interrupt.wait().await;
                    if fired == Fired::Timer {
                        self.clock.set(self.clock.get().max(until));
                        not_before = until;
                        backoff = false;
                    }
                    fired
                }
                Wait::Queued => {
                    let wakers = &self.wakers;
                    let id = place.ticket.as_ref().map_or(0, Ticket::id);
                    let woken = Promise::new(&mut |resolve, _| {
                        wakers.borrow_mut().insert(id, resolve);
                    });
                    let interrupt = Interrupt::new(None, signal, None, true);
                    let _ = interrupt.race(&woken).await;
                    interrupt.fired().unwrap_or(Fired::Timer)
                }
            };
            if fired == Fired::Aborted {
                return Err(Held::Aborted);
            }
        }
    }

    /// Tells the governor what `response` said; calls `onRateLimit` when it starts a pause.
    pub(crate) fn observe(
        &self,
        response: &RawResponse,
        on_rate_limit: &Option<Function>,
        operation: &str,
        url: &str,
        redact: &dyn Fn(&str) -> String,
    ) {
        let headers = RateLimitHeaders::from_pairs(&response.rate_limit);
        let pause = self
            .governor
            .borrow_mut()
            .observe(self.now(), response.status, &headers);
        let Some(pause) = pause else {
            self.wake();
            return;
        };
        self.wake_all();
        self.pause_status.set(pause.status);
        if let Some(hook) = on_rate_limit {
            let info = RateLimitInfo {
                operation,
                url,
                status: pause.status,
                reason: pause.reason.as_str(),
                until: pause.until_ms as f64,
                duration_ms: pause.duration_ms,
                rate_limit: &response.rate_limit,
            };
            call_hook(hook, &info.to_js(redact));
        }
    }

    /// `client.rateLimit`: the governor's snapshot as a plain object.
    pub(crate) fn snapshot(&self) -> JsValue {
        let s = self.governor.borrow().snapshot(self.now());
        let out = Object::new();
        let number = |key: &str, v: Option<u64>| {
            if let Some(v) = v {
                set(&out, key, &JsValue::from(v as f64));
            }
        };
        number("limit", s.limit);
        number("remaining", s.remaining);
        if let Some(reset) = &s.reset {
            set(&out, "reset", &JsValue::from_str(reset));
        }
        if let Some(near) = s.near_limit {
            set(&out, "nearLimit", &JsValue::from_bool(near));
        }
        number("pausedForMs", Some(s.paused_for_ms));
        number("concurrency", Some(s.concurrency as u64));
        number("inFlight", Some(s.in_flight as u64));
        number("queued", Some(s.queued as u64));
        number("requests", Some(s.requests));
        number("rateLimited", Some(s.rate_limited));
        number("pausedMs", Some(s.paused_ms));
        out.into()
    }
}

impl RateLimitInfo<'_> {
    fn to_js(&self, redact: &dyn Fn(&str) -> String) -> Object {
        let info = Object::new();
        set(&info, "operation", &JsValue::from_str(self.operation));
        set(&info, "url", &JsValue::from_str(&redact(self.url)));
        set(&info, "status", &JsValue::from(self.status));
        set(&info, "reason", &JsValue::from_str(self.reason));
        set(&info, "until", &JsValue::from(self.until));
        set(&info, "durationMs", &JsValue::from(self.duration_ms as f64));
        let headers = Object::new();
        for (name, value) in self.rate_limit {
            // A proxy can echo the request's headers into these.
            set(&headers, name, &JsValue::from_str(&redact(value)));
        }
        set(&info, "rateLimit", &headers);
        info
    }
}

/// Calls `hook` with `info`; a throw or a rejected promise stays out of the call.
fn call_hook(hook: &Function, info: &Object) {
    if let Ok(returned) = hook.call1(&JsValue::UNDEFINED, info) {
        let catch = read(&returned, "catch").unwrap_or(JsValue::UNDEFINED);
        let boolean = get(&js_sys::global(), "Boolean");
        if catch.is_function() && boolean.is_function() {
            let _ = catch.unchecked_ref::<Function>().call1(&returned, &boolean);
        }
    }
}

/// The error of a call that would have to wait out a pause longer than it may
/// (`retry.maxDelayMs`): what the response behind the pause would have given it, with
/// `retryAfterMs` set.
pub(crate) fn held_error(
    config: &crate::ClientConfig,
    ctx: &mut Context<'_>,
    held: Held,
) -> JsValue {
    let err = match held {
        Held::Aborted => Error::Aborted,
        Held::TooLong(ms, status) => {
            ctx.retry_after_ms = Some(ms);
            Error::Http {
                status,
                message: Some(format!(
                    "the client is paused by a rate limit for another {ms} ms, longer than retry.maxDelayMs; nothing was sent"
                )),
                body: None,
            }
        }
    };
    to_js_error(Some(config), ctx, &err)
}
