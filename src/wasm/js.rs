//! Property access on JS values, the one way the skin reads and writes them, and the one way
//! it turns a future into a promise.

use std::future::Future;
use std::pin::Pin;

use js_sys::{Promise, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

/// `target[key]`, or `undefined` when `target` is not an object or the read throws (a getter
/// or proxy may).
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() && !target.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `target[key] = value`. Only used on objects this crate made or received from its own calls,
/// where setting a data property cannot fail; a failure would leave the property unset.
pub(crate) fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// A promise of `future`. Every future goes through one boxed type, so `future_to_promise`'s
/// machinery exists once in the binary rather than once per future (7 copies, ~27 KB before).
pub(crate) fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    future_to_promise(boxed)
}
