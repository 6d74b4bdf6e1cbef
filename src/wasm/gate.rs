//! The client-wide gate every request passes: the JS side of the core's
//! [`Governor`](crate::ratelimit::Governor). It sleeps on a timer or waits for a wake-up as
//! the governor's [`Admission`] says, wakes the waiters [`Governor::wakes`] names, races the
//! caller's signal, gives the slot back when the response is in, reports pauses through
//! `onRateLimit`, and shows the telemetry as `client.rateLimit`. Every decision (queue order,
//! who to wake, how long to sleep, a pause too long to wait) is the governor's.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::interrupt::{Fired, Interrupt};
use super::js::{get, read, set};
use super::options::MAX_TIMER_MS;
use super::transport::RawResponse;
use crate::ratelimit::{Admission, Governor, GovernorConfig, Held, RateLimitHeaders, Slot, Waiter};
use crate::RetryPolicy;

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

pub(crate) struct Gate {
    governor: RefCell<Governor>,
    /// Resolvers of the requests waiting for a wake-up, by [`Waiter::id`].
    wakers: RefCell<HashMap<u64, Function>>,
}

/// A slot in flight; dropping it hands the slot back.
pub(crate) struct Permit<'a> {
    gate: &'a Gate,
    slot: Option<Slot>,
}

impl Permit<'_> {
    /// The slot, to be given back with [`Gate::release`] instead of by a drop.
    pub(crate) fn into_slot(mut self) -> Option<Slot> {
        self.slot.take()
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.gate.release(slot);
        }
    }
}

/// A place in the queue; dropping it leaves the queue (nothing to leave once admitted).
struct Place<'a> {
    gate: &'a Gate,
    waiter: Option<Waiter>,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if let Some(waiter) = self.waiter.take() {
            self.gate.wakers.borrow_mut().remove(&waiter.id());
            self.gate.governor.borrow_mut().leave(waiter);
            self.gate.wake();
        }
    }
}

impl Gate {
    pub(crate) fn new(config: GovernorConfig) -> Gate {
        Gate {
            governor: RefCell::new(Governor::new(config)),
            wakers: RefCell::new(HashMap::new()),
        }
    }

    /// Wakes the waiting requests the governor names.
    fn wake(&self) {
        let named = self.governor.borrow_mut().wakes(now());
        let woken: Vec<Function> = {
            let mut wakers = self.wakers.borrow_mut();
            named.iter().filter_map(|id| wakers.remove(id)).collect()
        };
        for resolve in woken {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// A slot now for a first attempt, when one is free, nothing waits and no pause runs
    /// ([`Governor::go_now`]); `None` leaves the gate as it was.
    pub(crate) fn try_go(&self) -> Option<Slot> {
        self.governor.borrow_mut().go_now(now())
    }

    /// Gives a slot back, and wakes the requests that may go now.
    pub(crate) fn release(&self, slot: Slot) {
        self.governor.borrow_mut().release(slot);
        self.wake();
    }

    /// Waits for a slot: after `delay_ms` (a retry's backoff; `None` for a first attempt), in
    /// the order requests asked, through any client-wide pause `retry` lets the call wait out.
    pub(crate) async fn acquire(
        &self,
        signal: Option<&AbortSignal>,
        retry: &RetryPolicy,
        delay_ms: Option<u64>,
    ) -> Result<Permit<'_>, Held> {
        let waiter = self.governor.borrow_mut().wait(now(), delay_ms, retry);
        let mut place = Place {
            gate: self,
            waiter: Some(waiter),
        };
        loop {
            let Some(waiter) = place.waiter.as_mut() else {
                return Err(Held::Aborted);
            };
            let now = now();
            let admission = self.governor.borrow_mut().admit(waiter, now);
            let fired = match admission {
                Admission::Go(slot) => {
                    place.waiter = None;
                    return Ok(Permit {
                        gate: self,
                        slot: Some(slot),
                    });
                }
                Admission::Held(pause) => return Err(Held::TooLong(pause)),
                Admission::Sleep(until) => {
                    let ms = until.saturating_sub(now).min(MAX_TIMER_MS);
                    let interrupt = Interrupt::new(Some(ms as u32), signal);
                    let fired = interrupt.wait().await;
                    if fired == Fired::Timer {
                        if let Some(waiter) = place.waiter.as_mut() {
                            self.governor.borrow_mut().slept(waiter, until);
                        }
                    }
                    fired
                }
                Admission::Queued => {
                    let wakers = &self.wakers;
                    let id = waiter.id();
                    let woken = Promise::new(&mut |resolve, _| {
                        wakers.borrow_mut().insert(id, resolve);
                    });
                    let interrupt = Interrupt::new(None, signal);
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
            .observe(now(), response.status, &headers);
        self.wake();
        let Some(pause) = pause else {
            return;
        };
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
        let s = self.governor.borrow().snapshot(now());
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

/// The wall clock for the governor (ms since the epoch).
fn now() -> u64 {
    js_sys::Date::now() as u64
}
