//! A timer and/or an `AbortSignal` as a promise that rejects when either fires: racing a token
//! function's promise or a gate's wake-up against it bounds it (timeout) and lets the caller
//! cancel it; awaiting it alone is an abortable sleep. (An attempt is bounded by its own step,
//! src/wasm/fetch.js.)

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use super::js::{get, key, read};

/// Why an interrupt fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fired {
    Timer,
    Aborted,
}

pub(crate) struct Interrupt {
    /// Rejects when the interrupt fires.
    promise: Promise,
    fired: Rc<Cell<Option<Fired>>>,
    timer: JsValue,
    signal: Option<AbortSignal>,
    // Kept alive while the timer or the listener may call them; released on drop, after both
    // are unhooked.
    on_timer: Option<Closure<dyn FnMut()>>,
    on_abort: Option<Closure<dyn FnMut()>>,
}

/// Whether `signal` has aborted. The caller's signal may be any object with `aborted` and
/// `addEventListener`: one whose `aborted` getter throws is taken as aborted, so the call ends
/// rather than hanging or throwing.
pub(crate) fn signal_aborted(signal: &AbortSignal) -> bool {
    read(signal, "aborted").map_or(true, |v| v.is_truthy())
}

fn global_fn(name: &str) -> Option<Function> {
    Reflect::get(&js_sys::global(), &key(name))
        .ok()?
        .dyn_into()
        .ok()
}

impl Interrupt {
    /// Fires after `timer_ms` (if any) or when `signal` aborts (if given), whichever is first.
    pub(crate) fn new(timer_ms: Option<u32>, signal: Option<&AbortSignal>) -> Self {
        let fired = Rc::new(Cell::new(None));
        let reject_slot: Rc<Cell<Option<Function>>> = Rc::new(Cell::new(None));
        let slot = Rc::clone(&reject_slot);
        let promise = Promise::new(&mut |_resolve, reject| slot.set(Some(reject)));
        // Marked handled (with the built-in `Boolean` as a handler that never throws): an
        // interrupt that fires before it is raced or waited on (the caller's signal was already
        // aborted) must not be reported as an unhandled rejection.
        let boolean = get(&js_sys::global(), "Boolean");
        if let Ok(catch) = get(&promise, "catch").dyn_into::<Function>() {
            let _ = catch.call1(&promise, &boolean);
        }
        let fire = {
            let fired = Rc::clone(&fired);
            move |why: Fired| {
                if fired.get().is_some() {
                    return;
                }
                fired.set(Some(why));
                if let Some(reject) = reject_slot.take() {
                    let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("interrupted"));
                }
            }
        };

        let mut this = Interrupt {
            promise,
            fired,
            timer: JsValue::UNDEFINED,
            signal: signal.cloned(),
            on_timer: None,
            on_abort: None,
        };
        if let Some(signal) = signal {
            let on_abort_fire = fire.clone();
            let on_abort = Closure::<dyn FnMut()>::new(move || on_abort_fire(Fired::Aborted));
            let _ =
                signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
            this.on_abort = Some(on_abort);
            // An abort before the listener was added (between two attempts, from a hook, or a
            // signal that was never going to dispatch) fires no event: look now.
            if signal_aborted(signal) {
                fire(Fired::Aborted);
            }
        }
        if let Some(ms) = timer_ms {
            let on_timer = Closure::<dyn FnMut()>::new(move || fire(Fired::Timer));
            if let Some(set_timeout) = global_fn("setTimeout") {
                this.timer = set_timeout
                    .call2(&JsValue::NULL, on_timer.as_ref(), &JsValue::from(ms))
                    .unwrap_or(JsValue::UNDEFINED);
            }
            this.on_timer = Some(on_timer);
        }
        this
    }

    /// What fired, if anything has.
    pub(crate) fn fired(&self) -> Option<Fired> {
        self.fired.get()
    }

    /// Awaits `work`, unless the interrupt fires first (then [`Interrupt::fired`] says so and
    /// the error is the interrupt's).
    ///
    /// `work` is always passed through `Promise.race`, which reads its `then` inside the
    /// engine: a promise whose `then` was replaced by a throwing getter rejects the race
    /// instead of throwing through this frame.
    pub(crate) async fn race(&self, work: &Promise) -> Result<JsValue, JsValue> {
        JsFuture::from(Promise::race(&Array::of2(work, &self.promise))).await
    }

    /// Waits until the interrupt fires and says why: the abortable sleep.
    pub(crate) async fn wait(&self) -> Fired {
        let _ = JsFuture::from(self.promise.clone()).await;
        self.fired().unwrap_or(Fired::Timer)
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        if !self.timer.is_undefined() {
            if let Some(clear_timeout) = global_fn("clearTimeout") {
                let _ = clear_timeout.call1(&JsValue::NULL, &self.timer);
            }
        }
        if let (Some(signal), Some(on_abort)) = (&self.signal, &self.on_abort) {
            let _ = signal
                .remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
    }
}
