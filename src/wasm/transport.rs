//! Moves a [`Request`] through a JS `fetch` and reads the answer back. Duck-typed through
//! `Reflect` rather than `web_sys::Response`, so any fetch-like function works: the global
//! `fetch` in browsers, workers and Node, or a host bridge's function passed as `options.fetch`.

use js_sys::{Function, JsString, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::Request;

/// What came back from one fetch.
pub(crate) struct RawResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub text: JsString,
}

/// The fetch to call and the `this` to call it with (the global object for the global fetch,
/// which some runtimes insist on, `undefined` for a user's function).
pub(crate) struct Fetch {
    pub function: Function,
    pub this: JsValue,
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// Awaits `value` if it is a promise (or any thenable), else takes it as it is.
async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&value)).await
}

/// Calls `method` on `target` with no arguments.
fn call_method(target: &JsValue, method: &str) -> Result<JsValue, String> {
    match get(target, method).dyn_into::<Function>() {
        Ok(f) => f.call0(target).map_err(|e| describe(&e)),
        Err(_) => Err(format!("the fetch response has no {method}() method")),
    }
}

/// Sends `request`; `Err` holds a transport failure's description (not yet redacted).
pub(crate) async fn send(fetch: &Fetch, request: &Request) -> Result<RawResponse, String> {
    let init = Object::new();
    set(&init, "method", &JsValue::from_str(request.method));
    let headers = Object::new();
    for (name, value) in &request.headers {
        set(&headers, name, &JsValue::from_str(value));
    }
    set(&init, "headers", &headers);

    let pending = fetch
        .function
        .call2(&fetch.this, &JsValue::from_str(&request.url), &init)
        .map_err(|e| describe(&e))?;
    let response = settle(pending).await.map_err(|e| describe(&e))?;
    if !response.is_object() {
        return Err("fetch resolved to something that is not a response".to_owned());
    }
    let status = get(&response, "status")
        .as_f64()
        .filter(|s| s.fract() == 0.0 && (100.0..=599.0).contains(s))
        .ok_or_else(|| "the fetch response has no valid status".to_owned())?
        as u16;
    let content_type = content_type(&response);
    let text = settle(call_method(&response, "text")?)
        .await
        .map_err(|e| describe(&e))?;
    let text = text
        .dyn_into::<JsString>()
        .map_err(|_| "the fetch response's text() did not give a string".to_owned())?;
    Ok(RawResponse {
        status,
        content_type,
        text,
    })
}

/// `response.headers.get("content-type")`, tolerating transports that expose no headers.
fn content_type(response: &JsValue) -> Option<String> {
    let headers = get(response, "headers");
    let getter = get(&headers, "get").dyn_into::<Function>().ok()?;
    getter
        .call1(&headers, &JsValue::from_str("content-type"))
        .ok()?
        .as_string()
}

/// A readable description of a thrown JS value: an error's message, plus its `cause`'s
/// message (Node's fetch says only "fetch failed" and puts the reason there).
pub(crate) fn describe(thrown: &JsValue) -> String {
    let message = |v: &JsValue| -> Option<String> {
        match v.as_string() {
            Some(s) => Some(s),
            None => get(v, "message").as_string(),
        }
        .filter(|s| !s.is_empty())
    };
    let mut out = message(thrown).unwrap_or_else(|| "the request failed".to_owned());
    if thrown.is_object() {
        if let Some(cause) = message(&get(thrown, "cause")) {
            out.push_str(" (");
            out.push_str(&cause);
            out.push(')');
        }
    }
    out
}
