//! The one way the skin touches JS values, and the one way it turns a future into a promise.
//!
//! A value that came from the user (params, options, a signal, what a `fetch` or token function
//! returned) may be a Proxy whose traps throw, a revoked Proxy, or an object whose getters
//! throw. Every operation on such a value here is an import declared with `catch`, so a JS
//! exception comes back as an `Err` holding it: it never unwinds through a Rust frame (that
//! would skip the frame's drops, leaking externref slots and leaving the client's borrow held).
//! `typeof` tests (`is_object`, `is_function`, `as_string`, `as_f64`) run no user code and are
//! safe on any value; `instanceof` and `Array.isArray` are not (a Proxy's trap runs).

use std::future::Future;
use std::pin::Pin;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(value: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(js_namespace = Promise, js_name = resolve, catch)]
    fn promise_resolve(value: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn get_with_receiver(
        target: &JsValue,
        key: &JsValue,
        receiver: &JsValue,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = construct, catch)]
    fn construct(target: &JsValue, arguments: &Array) -> Result<JsValue, JsValue>;
}

/// `target[key]` of a value this crate made, or received from its own `JSON.parse`: such reads
/// cannot throw; `undefined` when `target` is not an object.
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    read(target, key).unwrap_or(JsValue::UNDEFINED)
}

/// `target[key]` of a user's value: `Err` is what a getter or proxy trap threw. `undefined` for
/// primitives, whose properties are never what the caller looks for.
pub(crate) fn read(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if !target.is_object() && !target.is_function() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(target, &JsValue::from_str(key))
}

/// `target[index]` of a user's value.
pub(crate) fn read_index(target: &JsValue, index: u32) -> Result<JsValue, JsValue> {
    Reflect::get_u32(target, index)
}

/// `Array.isArray(value)`; `Err` for a revoked Proxy.
pub(crate) fn is_array(value: &JsValue) -> Result<bool, JsValue> {
    if !value.is_object() {
        return Ok(false);
    }
    array_is_array(value)
}

/// `Object.keys(value)`: the engine's own array of strings. `Err` is what an `ownKeys` or
/// `getOwnPropertyDescriptor` trap threw.
pub(crate) fn keys(value: &JsValue) -> Result<Array, JsValue> {
    object_keys(value)
}

/// A native promise of `value` (a promise, any thenable, or a plain value). `Err` only for a
/// native promise whose `constructor` getter throws; a thenable whose `then` throws gives a
/// rejected promise.
pub(crate) fn resolve(value: &JsValue) -> Result<Promise, JsValue> {
    promise_resolve(value)
}

/// A view of `value` when it is an `ArrayBuffer` that can be read. Its `byteLength` getter,
/// called on `value`, checks the internal slot without running a trap (a Proxy has no such
/// slot, so it is not one); `new Uint8Array` may still throw (a detached buffer).
pub(crate) fn array_buffer_bytes(value: &JsValue) -> Option<Uint8Array> {
    if !value.is_object() {
        return None;
    }
    let view = || -> Result<JsValue, JsValue> {
        let global = js_sys::global();
        let proto = read(&read(&global, "ArrayBuffer")?, "prototype")?;
        get_with_receiver(&proto, &JsValue::from_str("byteLength"), value)?;
        construct(&read(&global, "Uint8Array")?, &Array::of1(value))
    };
    view().ok().map(JsCast::unchecked_into)
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
