//! Property access on JS values, the one way the skin reads and writes them.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

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
