//! The one way the skin touches JS values, and the one way it turns a future into a promise.
//!
//! A value that came from the user (params, options, a signal, what a `fetch` or token function
//! returned) may be a Proxy whose traps throw, a revoked Proxy, or an object whose getters
//! throw. Every operation on such a value here is an import declared with `catch`, so a JS
//! exception comes back as an `Err` holding it: it never unwinds through a Rust frame (that
//! would skip the frame's drops, leaking externref slots and leaving the client's borrow held).
//! `typeof` tests (`is_object`, `is_function`, `as_string`, `as_f64`) run no user code and are
//! safe on any value; `instanceof` and `Array.isArray` are not (a Proxy's trap runs).
//!
//! Those imports return [`Any`], not `JsValue`. wasm-bindgen 0.2.130's shim for a `catch`
//! import returning a `JsValue` puts the import's return value in a fresh externref slot
//! before it looks for an exception, and on an exception returns without freeing that slot:
//! one slot leaked (holding `undefined`) per exception caught, for good. `Option<Nullable<_>>`
//! crosses as an index that the JS side allocates only for a value that is neither `undefined`
//! nor `null` (those two are fixed handles); when the import throws, wasm-bindgen's
//! `handleError` returns `undefined`, which reaches Rust as index 0, `None`, and no slot was
//! taken. (`Option<Array>`, `Option<Promise>` and the array step's `Option<Found>` do the same
//! for imports that only ever return an object.) js-sys's own `catch` methods (`Reflect::get`, `Function::call*`, `JSON::parse`)
//! have the leaking shape, so the skin calls user code only through the functions here; js-sys's
//! remain only where nothing can throw (a native promise's own `catch` and `reject`, the
//! runtime's `setTimeout`). `js-tests/boundary/regressions.test.mjs` throws through each import
//! here 1,000 times and checks that the table does not grow.
//!
//! An array of strings is read by a JS step (src/wasm/read.js) in one crossing rather than
//! several per item: it reads each item once, in order, and stops at the first that is not a
//! plain string it may take, which [`read_strings`] hands back for the caller to judge.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use js_sys::{Array, Function, JsString, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::Nullable;
use wasm_bindgen_futures::future_to_promise;

use crate::input::split_joined;
use crate::ratelimit::HEADER_NAMES;

/// Any JS value as a `catch` import returns it without leaking a slot on a throw: `None` is
/// `undefined`, `Some(Null)` is `null`. [`value`] makes it a `JsValue` again.
type Any = Option<Nullable<JsValue>>;

/// The `JsValue` an [`Any`] stands for.
fn value(any: Any) -> JsValue {
    match any {
        None => JsValue::UNDEFINED,
        Some(Nullable::Null) => JsValue::NULL,
        Some(Nullable::Value(v)) => v,
    }
}

#[wasm_bindgen]
extern "C" {
    /// A JS function as this module calls it: `f.call(this, ...)`, as js-sys's `Function::call*`.
    type Callable;
    #[wasm_bindgen(method, js_name = call, catch)]
    fn call_0(this: &Callable, context: &JsValue) -> Result<Any, JsValue>;
    #[wasm_bindgen(method, js_name = call, catch)]
    fn call_1(this: &Callable, context: &JsValue, a: &JsValue) -> Result<Any, JsValue>;

    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(value: &JsValue) -> Result<Option<Array>, JsValue>;
    #[wasm_bindgen(js_namespace = Promise, js_name = resolve, catch)]
    fn promise_resolve(value: &JsValue) -> Result<Option<Promise>, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn reflect_get(target: &JsValue, key: &JsValue) -> Result<Any, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn get_with_receiver(
        target: &JsValue,
        key: &JsValue,
        receiver: &JsValue,
    ) -> Result<Any, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = construct, catch)]
    fn construct(target: &JsValue, arguments: &Array) -> Result<Any, JsValue>;
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn parse(text: &JsString) -> Result<Any, JsValue>;
}

#[wasm_bindgen(module = "/src/wasm/read.js")]
extern "C" {
    /// What `readStrings` found (src/wasm/read.js describes its fields).
    type Found;
    #[wasm_bindgen(js_name = readStrings, catch)]
    fn read_strings_step(
        array: &JsValue,
        start: u32,
        end: u32,
        max_units: u32,
        budget: u32,
    ) -> Result<Option<Found>, JsValue>;
    /// Lists the strings of a `JSON.parse` result; what it returns has `text` and `units` only.
    #[wasm_bindgen(js_name = bodyStrings, catch)]
    fn body_strings_step(value: &JsValue, max_depth: u32) -> Result<Option<Found>, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn text(this: &Found) -> JsString;
    #[wasm_bindgen(method, getter)]
    fn units(this: &Found) -> Vec<u32>;
    #[wasm_bindgen(method, getter)]
    fn threw(this: &Found) -> bool;
    #[wasm_bindgen(method, getter)]
    fn value(this: &Found) -> Any;
}

/// Where [`read_strings`] stopped.
pub(crate) enum Stop {
    /// At `end`: every item was taken.
    End,
    /// At an item whose read threw this.
    Threw(JsValue),
    /// At this item, which the step did not take: the caller judges it.
    Item(JsValue),
}

/// Reads `array[start]` up to `array[end - 1]` of a user's array in one crossing, each item once
/// and in order, and appends to `out` those up to the first that is not a string of at most
/// `max_units` UTF-16 units without a lone surrogate, or that would bring the units taken over
/// `budget` (src/wasm/read.js). `Err` only if the step itself threw (it catches what the reads
/// throw).
pub(crate) fn read_strings(
    array: &JsValue,
    start: u32,
    end: u32,
    max_units: u32,
    budget: u32,
    out: &mut Vec<String>,
) -> Result<Stop, JsValue> {
    let found =
        read_strings_step(array, start, end, max_units, budget)?.ok_or(JsValue::UNDEFINED)?;
    let taken = split_found(&found, out).ok_or(JsValue::UNDEFINED)?;
    if start as usize + taken >= end as usize {
        return Ok(Stop::End);
    }
    let value = value(found.value());
    Ok(if found.threw() {
        Stop::Threw(value)
    } else {
        Stop::Item(value)
    })
}

#[wasm_bindgen]
extern "C" {
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    /// Writes UTF-8 into `dest` (a view of wasm memory) and returns `{ read, written }`.
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, source: &JsString, dest: &mut [u8]) -> JsValue;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// `text` as UTF-8, written straight into wasm memory by `TextEncoder.encodeInto`. (Passing a
/// `JsString` the usual way copies its ASCII prefix one character at a time in JS: 2.5 times
/// JSON.parse's time for an all-ASCII 423 KB body, against 1.9 times for one with a non-ASCII
/// character 15 KB in.)
pub(crate) fn utf8(text: &JsString) -> Vec<u8> {
    let units = text.length() as usize;
    // Exact for ASCII; text beyond it is encoded into room for 3 bytes per UTF-16 unit.
    let mut out = vec![0; units];
    let (read, written) = ENCODER.with(|encoder| encode_into(encoder, text, &mut out));
    out.truncate(written);
    if read < units {
        let rest = text.slice(read as u32, units as u32);
        out.resize(written + (units - read) * 3, 0);
        let (_, more) = ENCODER.with(|encoder| encode_into(encoder, &rest, &mut out[written..]));
        out.truncate(written + more);
    }
    out
}

/// `encoder.encodeInto(text, dest)` as `(read, written)`.
fn encode_into(encoder: &TextEncoder, text: &JsString, dest: &mut [u8]) -> (usize, usize) {
    let result = encoder.encode_into(text, dest);
    let count = |key| get(&result, key).as_f64().unwrap_or(0.0) as usize;
    (count("read"), count("written"))
}

/// Every string of `value`, a `JSON.parse` result (each object's keys, each string value), into
/// `out`, in one crossing (src/wasm/read.js); `false` when it nests deeper than `max_depth`
/// objects and arrays.
pub(crate) fn body_strings(value: &JsValue, max_depth: u32, out: &mut Vec<String>) -> bool {
    match body_strings_step(value, max_depth) {
        Ok(Some(found)) => split_found(&found, out).is_some(),
        _ => false,
    }
}

/// The strings a step found (its `text`, cut at its `units`), appended to `out`; how many.
/// `encodeInto` writes only UTF-8 (a lone surrogate would become U+FFFD): `None` cannot happen.
fn split_found(found: &Found, out: &mut Vec<String>) -> Option<usize> {
    let text = String::from_utf8(utf8(&found.text())).ok()?;
    let units = found.units();
    split_joined(&text, &units, out);
    Some(units.len())
}

/// `f.call(this)`: `Err` is what `f` threw.
pub(crate) fn call0(f: &Function, this: &JsValue) -> Result<JsValue, JsValue> {
    f.unchecked_ref::<Callable>().call_0(this).map(value)
}

/// `f.call(this, a)`: `Err` is what `f` threw.
pub(crate) fn call1(f: &Function, this: &JsValue, a: &JsValue) -> Result<JsValue, JsValue> {
    f.unchecked_ref::<Callable>().call_1(this, a).map(value)
}

/// `JSON.parse` on the JS string itself (`js_sys::JSON::parse` takes a `&str`, which would copy
/// the body back out of wasm memory). `Err` is the `SyntaxError` of a body that is not JSON.
pub(crate) fn json_parse(text: &JsString) -> Result<JsValue, JsValue> {
    parse(text).map(value)
}

/// The names every call reads or sets: its params' fields, the request's method and headers,
/// `encodeInto`'s result and a bulk page's fields (not those of errors, hooks, the cache, token
/// functions or waits: not on every call; the attempt step, src/wasm/fetch.js, reads the
/// response in JS). With the rate-limit headers ([`HEADER_NAMES`]), [`key`] makes each one's JS
/// string once. A fixed list, not every name seen: a cached string holds an externref slot for
/// the instance's life, and names from servers and callers are many.
const HOT_NAMES: [&str; 19] = [
    "accountId",
    "accountIds",
    "expand",
    "start",
    "limit",
    "keys",
    "usernames",
    "signal",
    "GET",
    "Accept",
    "Authorization",
    "read",
    "written",
    "aborted",
    "results",
    "size",
    "_links",
    "next",
    "length",
];

thread_local! {
    /// The JS strings of [`HOT_NAMES`], made on first use. A `JsValue::from_str` decodes its
    /// UTF-8 with a `TextDecoder` crossing into JS: a getUser made ~40 of them, which was 11 %
    /// of its time (answered from memory, Node 20).
    static KEYS: RefCell<[Option<JsValue>; HOT_NAMES.len() + HEADER_NAMES.len()]> =
        const { RefCell::new([const { None }; HOT_NAMES.len() + HEADER_NAMES.len()]) };
}

/// `name` as a JS string: made once if it is one of [`HOT_NAMES`] or [`HEADER_NAMES`].
pub(crate) fn key(name: &str) -> JsValue {
    let hot = HOT_NAMES.iter().position(|hot| *hot == name);
    let header = || HEADER_NAMES.iter().position(|h| *h == name);
    let Some(at) = hot.or_else(|| header().map(|i| HOT_NAMES.len() + i)) else {
        return JsValue::from_str(name);
    };
    KEYS.with(|keys| match keys.borrow_mut().get_mut(at) {
        Some(slot) => slot.get_or_insert_with(|| JsValue::from_str(name)).clone(),
        None => JsValue::from_str(name),
    })
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
    reflect_get(target, &self::key(key)).map(value)
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
    object_keys(value).map(Option::unwrap_or_default)
}

/// A native promise of `value` (a promise, any thenable, or a plain value). `Err` only for a
/// native promise whose `constructor` getter throws; a thenable whose `then` throws gives a
/// rejected promise.
pub(crate) fn resolve(value: &JsValue) -> Result<Promise, JsValue> {
    promise_resolve(value).map(|p| p.unwrap_or_else(|| Promise::resolve(&JsValue::UNDEFINED)))
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
        get_with_receiver(&proto, &key("byteLength"), value)?;
        construct(&read(&global, "Uint8Array")?, &Array::of1(value)).map(self::value)
    };
    view().ok().map(JsCast::unchecked_into)
}

/// `target[key] = value`. Only used on objects this crate made or received from its own calls,
/// where setting a data property cannot fail; a failure would leave the property unset.
pub(crate) fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &self::key(key), value);
}

/// A promise of `future`. Every future goes through one boxed type, so `future_to_promise`'s
/// machinery exists once in the binary rather than once per future (7 copies, ~27 KB before).
pub(crate) fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    future_to_promise(boxed)
}
