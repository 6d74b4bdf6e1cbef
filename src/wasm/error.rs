//! Building the JS `ConfluenceError` from a core [`Error`].

use super::js::{body_strings, get, set};
use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use crate::redact::CallTokens;
use crate::{ClientConfig, Error, JsonView};

// Hand-written TypeScript: the error is a JS `Error` object given extra properties in
// `to_js_error`, a shape tsify cannot derive from a Rust type.
#[wasm_bindgen(typescript_custom_section)]
const CONFLUENCE_ERROR_TS: &str = r#"
/** The category of a {@link ConfluenceError}: branch on this, not on the message. */
export type ConfluenceErrorKind = "invalidArgument" | "http" | "network" | "decode" | "timeout" | "aborted";

/**
 * Every rejection (and every constructor throw) of this package is a `ConfluenceError`:
 * an `Error` whose `name` is `"ConfluenceError"`. Test for it with {@link isConfluenceError}.
 * No property ever holds a credential.
 *
 * ```ts
 * import { isConfluenceError } from "confluence-users";
 * try {
 *   await client.getUser({ accountId });
 * } catch (e) {
 *   if (isConfluenceError(e) && e.kind === "http" && e.status === 404) console.log("no such user");
 *   else throw e;
 * }
 * ```
 */
export interface ConfluenceError extends Error {
  name: "ConfluenceError";
  /**
   * `invalidArgument`: refused before sending; `http`: non-2xx; `network`: no HTTP answer;
   * `decode`: a 2xx body of the wrong shape; `timeout`: the last attempt timed out;
   * `aborted`: the call's `signal` fired.
   */
  kind: ConfluenceErrorKind;
  /** The HTTP status, or 0 when there was no response. */
  status: number;
  /** The operationId of the failed call (`getUser`, ...), or `"ConfluenceClient"` for a bad constructor option. */
  operation: string;
  /** The HTTP method (`"GET"`), or `""` when nothing was sent. */
  method: string;
  /** The request URL without credentials, or `""` when the call was refused before a URL existed. */
  url: string;
  /** The parsed JSON error body Confluence sent, when there was one. */
  body?: unknown;
  /** How many requests were sent (0 when the call was refused or aborted before sending). */
  attempts: number;
  /** How long the server asked to wait (`Retry-After` of the last response), in ms. */
  retryAfterMs?: number;
  /** Atlassian's `atl-traceid` of the last response, for support requests. */
  requestId?: string;
  /** What a user-supplied value threw (a getter, a Proxy trap, `fetch`, a token function), when that caused the error. */
  cause?: unknown;
}
"#;

/// Where an error happened: the fields of a `ConfluenceError` besides what the core error has.
pub(crate) struct Context<'a> {
    pub operation: &'static str,
    pub method: &'static str,
    pub url: &'a str,
    pub attempts: u32,
    pub retry_after_ms: Option<u64>,
    pub request_id: Option<&'a str>,
    /// The credentials beyond the config's own: the tokens of the call and the client's last
    /// few before it.
    pub tokens: CallTokens,
}

impl Context<'_> {
    /// Adds a token the call was given.
    pub(crate) fn add_token(&mut self, token: &str) {
        self.tokens.add(token);
    }
}
impl Context<'_> {
    /// The context of a call refused before any request existed.
    pub(crate) fn refused(operation: &'static str) -> Context<'static> {
        Context {
            operation,
            method: "",
            url: "",
            attempts: 0,
            retry_after_ms: None,
            request_id: None,
            tokens: CallTokens::default(),
        }
    }
}

/// `text` without any credential of `config` or any token of the call, in any form.
pub(crate) fn redact(config: Option<&ClientConfig>, ctx: &Context<'_>, text: &str) -> String {
    ctx.tokens.redact(config, text)
}

/// Whether a new error's stack lists the frames it was made in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frames {
    /// A synchronous throw (the constructor): the user's frames are on the stack, keep them.
    Keep,
    /// A rejection, made in a promise callback: only wasm frames are on the stack, so none is
    /// captured (src/wasm/error.js).
    Skip,
}

/// The JS error for `err`. Every string it carries, and every string in the JSON body, passes
/// through redaction of the config's credentials and the call's tokens.
pub(crate) fn to_js_error(
    config: Option<&ClientConfig>,
    ctx: &Context<'_>,
    err: &Error,
    frames: Frames,
) -> JsValue {
    let redact = |s: &str| redact(config, ctx, s);
    let message = redact(&format!("{}: {err}", ctx.operation));
    let request_id = ctx.request_id.map(&redact);
    make_error(
        &message,
        frames == Frames::Skip,
        err.kind().as_str(),
        err.status(),
        ctx.operation,
        ctx.method,
        &redact(ctx.url),
        ctx.attempts,
        ctx.retry_after_ms.map(|ms| ms as f64),
        request_id.as_deref(),
    )
}

#[wasm_bindgen(module = "/src/wasm/error.js")]
extern "C" {
    /// A ConfluenceError with its fields (src/wasm/error.js). No `catch`: it runs no user code.
    #[wasm_bindgen(js_name = makeError)]
    #[allow(clippy::too_many_arguments)]
    fn make_error(
        message: &str,
        frameless: bool,
        kind: &str,
        status: u16,
        operation: &str,
        method: &str,
        url: &str,
        attempts: u32,
        retry_after_ms: Option<f64>,
        request_id: Option<&str>,
    ) -> JsValue;
}

/// A `JSON.parse` result as [`JsonView`] reads it.
pub(crate) struct Parsed(pub JsValue);

impl JsonView for Parsed {
    fn member(&self, key: &str) -> Option<Self> {
        if Array::is_array(&self.0) {
            return None;
        }
        Some(get(&self.0, key))
            .filter(|v| !v.is_undefined())
            .map(Parsed)
    }
    fn items(&self) -> Option<Vec<Self>> {
        Array::is_array(&self.0)
            .then(|| self.0.unchecked_ref::<Array>().iter().map(Parsed).collect())
    }
    fn string(&self) -> Option<String> {
        self.0.as_string()
    }
}

/// The deepest nesting of an error body kept as JSON (serde_json's limit, which the native
/// core applies): a deeper one is read as text.
const MAX_BODY_DEPTH: usize = 128;

/// `value`, a `JSON.parse` result, when `redact` changes none of its strings (keys included) and
/// it nests no deeper than [`MAX_BODY_DEPTH`]; otherwise its [`redacted_copy`]. The strings are
/// listed in one crossing and each is redacted on its own, as the copy would: an error body
/// without a credential (nearly all) is not copied value by value through wasm.
pub(crate) fn redacted_body(value: JsValue, redact: &dyn Fn(&str) -> String) -> Option<JsValue> {
    let mut strings = Vec::new();
    if body_strings(&value, MAX_BODY_DEPTH as u32, &mut strings)
        && strings.iter().all(|s| redact(s) == *s)
    {
        return Some(value);
    }
    redacted_copy(&value, redact, 0)
}

/// A copy of a `JSON.parse` result with `redact` applied to every string, keys included
/// (value by value: a proxy that escapes `/` or `=` in its JSON would hide a credential from a
/// search of the raw text). `None` when it nests deeper than [`MAX_BODY_DEPTH`].
fn redacted_copy(
    value: &JsValue,
    redact: &dyn Fn(&str) -> String,
    depth: usize,
) -> Option<JsValue> {
    if let Some(s) = value.as_string() {
        return Some(JsValue::from_str(&redact(&s)));
    }
    if !value.is_object() {
        return Some(value.clone());
    }
    if depth >= MAX_BODY_DEPTH {
        return None;
    }
    if Array::is_array(value) {
        let items = value.unchecked_ref::<Array>().iter();
        return items
            .map(|item| redacted_copy(&item, redact, depth + 1))
            .collect::<Option<Array>>()
            .map(JsValue::from);
    }
    let copy = Object::new();
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        let item = redacted_copy(&get(value, &key), redact, depth + 1)?;
        let key = redact(&key);
        if key == "__proto__" {
            // An own property, as JSON.parse makes it, not the prototype.
            let descriptor = Object::new();
            for flag in ["writable", "enumerable", "configurable"] {
                set(&descriptor, flag, &JsValue::TRUE);
            }
            set(&descriptor, "value", &item);
            Object::define_property(&copy, &key.into(), &descriptor);
        } else {
            set(&copy, &key, &item);
        }
    }
    Some(copy.into())
}

/// How many objects, and how deep, [`carries_secret`] reads before it gives up and takes the
/// cause for one that leaks (a huge object is not searched to the end).
const MAX_CAUSE_VALUES: usize = 1000;
const MAX_CAUSE_SEARCH_DEPTH: usize = 32;

/// The deepest `cause` chain kept on a redacted copy.
const MAX_CAUSE_DEPTH: usize = 8;

/// Sets `error.cause` to `cause` as it is, or, when any string it carries (its name, message,
/// stack, own properties at any depth, its own cause chain) holds a credential in any form, to
/// a redacted copy: an `Error` with the redacted name and message, and the same treatment for
/// its cause. A user keeps their own exception whenever it is safe to.
pub(crate) fn attach_cause(error: &JsValue, cause: &JsValue, redact: &dyn Fn(&str) -> String) {
    set(error, "cause", &safe_cause(cause, redact, 0));
}

fn safe_cause(cause: &JsValue, redact: &dyn Fn(&str) -> String, depth: usize) -> JsValue {
    if !carries_secret(cause, redact, 0, &mut Vec::new()) {
        return cause.clone();
    }
    if let Some(s) = cause.as_string() {
        return JsValue::from_str(&redact(&s));
    }
    let text = |key: &str| get(cause, key).as_string().map(|s| redact(&s));
    let copy = js_sys::Error::new(&text("message").unwrap_or_default());
    if let Some(name) = text("name") {
        copy.set_name(&name);
    }
    let inner = get(cause, "cause");
    if !inner.is_undefined() && depth < MAX_CAUSE_DEPTH {
        set(&copy, "cause", &safe_cause(&inner, redact, depth + 1));
    }
    copy.into()
}

/// Whether `value` holds a string that `redact` changes. Reads `name`, `message`, `stack` and
/// `cause` (which may be inherited or hidden) and every own property, keys included; `seen`
/// holds the objects already being read (a cycle is read once).
fn carries_secret(
    value: &JsValue,
    redact: &dyn Fn(&str) -> String,
    depth: usize,
    seen: &mut Vec<JsValue>,
) -> bool {
    let changes = |s: &str| redact(s) != s;
    if let Some(s) = value.as_string() {
        return changes(&s);
    }
    if !value.is_object() && !value.is_function() {
        return false;
    }
    if seen.iter().any(|v| Object::is(v, value)) {
        return false;
    }
    if depth >= MAX_CAUSE_SEARCH_DEPTH || seen.len() >= MAX_CAUSE_VALUES {
        return true;
    }
    seen.push(value.clone());
    for key in ["name", "message", "stack", "cause"] {
        if carries_secret(&get(value, key), redact, depth + 1, seen) {
            return true;
        }
    }
    let Ok(keys) = js_sys::Reflect::own_keys(value) else {
        // A proxy that refuses to list its keys cannot be shown to be safe.
        return true;
    };
    keys.iter().any(|key| match key.as_string() {
        Some(key) => changes(&key) || carries_secret(&get(value, &key), redact, depth + 1, seen),
        None => false,
    })
}

/// `isConfluenceError(value)`: true for errors thrown by this package. It checks the shape, not
/// `instanceof`, so it holds across two copies of the package and across realms.
///
/// ```ts
/// import { isConfluenceError } from "confluence-users";
/// try { await client.getCurrentUser(); }
/// catch (e) { if (isConfluenceError(e) && e.kind === "http") console.error(e.status, e.message); }
/// ```
#[wasm_bindgen(js_name = isConfluenceError, unchecked_return_type = "value is ConfluenceError")]
pub fn is_confluence_error(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: &JsValue,
) -> bool {
    let get = |key: &str| get(value, key);
    value.is_object()
        && get("name").as_string().as_deref() == Some("ConfluenceError")
        && get("kind").is_string()
        && get("status").as_f64().is_some()
}
