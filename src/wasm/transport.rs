//! Moves a [`Request`] through a JS `fetch` and reads the answer back. An attempt is one JS
//! promise chain ([`start`], src/wasm/fetch.js) that reports what it read; what that means is
//! judged here. The response is duck-typed rather than a `web_sys::Response`, so any
//! fetch-like function works: the global `fetch` in browsers, workers and Node, or a host
//! bridge's function passed as `options.fetch`.

use std::cell::OnceCell;

use super::js::{array_buffer_bytes, call1, get, key, read, set, utf8};
use super::params::string_of;
use js_sys::{Array, Function, JsString, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, TextDecoder};

use super::interrupt::Fired;
use crate::Request;

/// What came back from one fetch.
pub(crate) struct RawResponse {
    pub status: u16,
    pub content_type: Option<String>,
    /// The response's `headers`, for the headers only some outcomes need.
    headers: JsValue,
    request_id: OnceCell<Option<String>>,
    /// The rate-limit headers present (`Retry-After` among them), by their canonical names.
    pub rate_limit: Vec<(&'static str, String)>,
    pub body: Body,
}

impl RawResponse {
    /// `Retry-After`, as the step read it with the other rate-limit headers.
    pub(crate) fn retry_after(&self) -> Option<&str> {
        self.rate_limit
            .iter()
            .find(|(name, _)| *name == "Retry-After")
            .map(|(_, value)| value.as_str())
    }

    /// Atlassian's `atl-traceid`, which support asks for (read for errors only).
    pub(crate) fn request_id(&self) -> Option<&str> {
        self.request_id
            .get_or_init(|| header(&self.headers, "atl-traceid").ok().flatten())
            .as_deref()
    }
}

/// A response body as the transport gave it.
pub(crate) enum Body {
    /// From `text()`.
    Text(JsString),
    /// From `arrayBuffer()`, for transports without `text()`.
    Bytes(Uint8Array),
}

impl Body {
    /// The bytes to validate.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        match self {
            Body::Bytes(bytes) => bytes.to_vec(),
            Body::Text(text) => utf8(text),
        }
    }

    /// The body as text, decoded as `text()` decodes it (UTF-8, a leading BOM dropped,
    /// invalid sequences replaced).
    pub(crate) fn text(&self) -> Result<JsString, JsValue> {
        match self {
            Body::Bytes(bytes) => Ok(TextDecoder::new()?.decode_with_buffer_source(bytes)?.into()),
            Body::Text(text) => Ok(text.clone()),
        }
    }
}

/// Why an attempt produced no response.
pub(crate) enum Failure {
    /// The transport failed: its description (not yet redacted), and what it threw or
    /// rejected with, if anything.
    Network(String, Option<JsValue>),
    /// The attempt's interrupt (timeout or the caller's abort) fired first.
    Interrupted,
}

/// The fetch to call and the `this` to call it with (the global object for the global fetch,
/// which some runtimes insist on, `undefined` for a user's function).
pub(crate) struct Fetch {
    pub function: Function,
    pub this: JsValue,
    /// Whether this fetch is known to stop when `init.signal` aborts (the global fetch: the
    /// Fetch standard requires it). A user's function is not trusted to: the attempt step
    /// (src/wasm/fetch.js) races what it and its body method return against that abort.
    pub honours_signal: bool,
}

impl Failure {
    /// The transport threw or rejected with `e`.
    pub(crate) fn thrown(e: JsValue) -> Failure {
        Failure::Network(describe(&e), Some(e))
    }
}

#[wasm_bindgen(module = "/src/wasm/fetch.js")]
extern "C" {
    /// One attempt as one promise chain (src/wasm/fetch.js describes its report), then
    /// `then(id, report)`. No `catch`: it never throws; its promise rejects only when `then`
    /// throws.
    #[wasm_bindgen(js_name = fetchThen)]
    #[allow(clippy::too_many_arguments)]
    fn fetch_attempt(
        then: &Function,
        id: u32,
        fetch: &Function,
        this: &JsValue,
        url: &str,
        method: &JsValue,
        headers: &Object,
        timeout_ms: Option<u32>,
        signal: Option<&AbortSignal>,
        names: &Array,
        race: bool,
    ) -> Promise;
}

thread_local! {
    /// The rate-limit headers every response is read for (its content type too).
    static READ_HEADERS: Array = crate::ratelimit::HEADER_NAMES.iter().map(|name| key(name)).collect();
}

/// Sends `request` through `fetch`, bounded by `timeout_ms` and the caller's `signal`, as one
/// JS step: fetch, status, headers and body without crossing back between them (each `await`
/// from Rust costs a closure and a promise). The promise is of what `then` returns (or throws)
/// for `(id, report)`; [`judge`] reads the report.
pub(crate) fn start(
    fetch: &Fetch,
    request: &Request,
    timeout_ms: Option<u32>,
    signal: Option<&AbortSignal>,
    (then, id): (&Function, u32),
) -> Promise {
    let headers = Object::new();
    for (name, value) in &request.headers {
        set(&headers, name, &JsValue::from_str(value));
    }
    READ_HEADERS.with(|names| {
        fetch_attempt(
            then,
            id,
            &fetch.function,
            &fetch.this,
            &request.url,
            &key(request.method),
            &headers,
            timeout_ms,
            signal,
            names,
            !fetch.honours_signal,
        )
    })
}

/// What an attempt step's report (src/wasm/fetch.js) says: the response, or why there is none
/// and what fired when an abort ended the attempt.
pub(crate) fn judge(outcome: JsValue) -> Result<RawResponse, (Failure, Option<Fired>)> {
    let outcome: Array = outcome.unchecked_into();
    let code = outcome.get(0).as_f64().unwrap_or(1.0) as u32;
    let fired = match code / 8 % 8 {
        1 => Some(Fired::Timer),
        2 => Some(Fired::Aborted),
        _ => None,
    };
    let network = |m: &str| Err((Failure::Network(m.to_owned(), None), fired));
    match code % 8 {
        0 => {}
        // Thrown after an abort: the abort is why.
        1 if fired.is_some() => return Err((Failure::Interrupted, fired)),
        1 => return Err((Failure::thrown(outcome.get(1)), None)),
        2 => return network("fetch resolved to something that is not a response"),
        3 => return network("the fetch response has neither text() nor arrayBuffer()"),
        4 => return network("the fetch response's text() did not give a string"),
        _ => return network("the fetch response has no valid status"),
    }
    // An integer from 100 to 599 (the step checked).
    let status = outcome.get(1).as_f64().unwrap_or(0.0) as u16;
    let mut rate_limit = Vec::new();
    let found = outcome.get(3);
    if !found.is_undefined() {
        let found: &Array = found.unchecked_ref();
        for (i, name) in (0..).zip(crate::ratelimit::HEADER_NAMES) {
            if let Some(value) = string_of(&found.get(i)).and_then(Result::ok) {
                rate_limit.push((name, value));
            }
        }
    }
    let body = outcome.get(5);
    let body = if code & 64 != 0 {
        Body::Text(body.unchecked_into())
    } else {
        match array_buffer_bytes(&body) {
            Some(bytes) => Body::Bytes(bytes),
            None => {
                return network("the fetch response's arrayBuffer() did not give an ArrayBuffer")
            }
        }
    };
    Ok(RawResponse {
        status,
        content_type: string_of(&outcome.get(2)).and_then(Result::ok),
        headers: outcome.get(4),
        request_id: OnceCell::new(),
        rate_limit,
        body,
    })
}

/// `headers.get(name)`, tolerating transports that expose no headers (Forge's bridge strips
/// some); `Err` is what the headers object threw.
fn header(headers: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    let getter = read(headers, "get")?;
    if !getter.is_function() {
        return Ok(None);
    }
    let value = call1(getter.unchecked_ref(), headers, &key(name))?;
    Ok(string_of(&value).and_then(Result::ok))
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
