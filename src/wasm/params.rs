//! Reading params and options objects from JS, property by property, into core values.
//!
//! Which keys an object may have, which fields are required, the ranges and the `expand`
//! names are the core's ([`crate::input`], [`crate::options`]); this reader checks every own
//! enumerable key against the core's list, so a misspelt one (`acountId`) is refused rather
//! than ignored, and each value's JS type. `undefined` and `null` stand for an absent optional
//! field, and for an empty object at the top.

use js_sys::JsString;
use wasm_bindgen::{JsCast, JsValue};

use super::js::{is_array, keys, read, read_strings, Stop};
use crate::input::{
    missing, too_long_string, too_many_items, too_many_keys, unknown_field, whole, Params, Source,
    MAX_ITEMS, MAX_STRING_UNITS,
};

/// The most UTF-16 units the JS step joins into one string for [`Reader::strings`]: any real
/// call's array in one piece, while a huge one crosses in pieces of this size rather than as one
/// string the size of all its items.
const JOINED_UNITS: u32 = 1 << 20;

/// Why a JS value was refused: the message of an `invalidArgument` error, and what a getter or
/// proxy trap threw when that is the reason (the error's `cause`).
pub(crate) struct Refusal {
    pub message: String,
    pub cause: Option<JsValue>,
}

impl Refusal {
    /// `what` could not be read: reading it threw `cause`.
    pub(crate) fn threw(what: &str, cause: JsValue) -> Refusal {
        Refusal {
            message: format!("{what}: reading it threw (the error's `cause`)"),
            cause: Some(cause),
        }
    }
}

impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal {
            message,
            cause: None,
        }
    }
}

impl From<&str> for Refusal {
    fn from(message: &str) -> Refusal {
        message.to_owned().into()
    }
}

/// What a JS value is, for "expected X, found Y" messages.
fn kind(value: &JsValue) -> &'static str {
    if value.is_null() {
        "null"
    } else if value.is_undefined() {
        "undefined"
    } else if value.is_string() {
        "a string"
    } else if value.as_f64().is_some() {
        "a number"
    } else if value.as_bool().is_some() {
        "a boolean"
    } else if is_array(value).unwrap_or(false) {
        "an array"
    } else if value.is_function() {
        "a function"
    } else if value.is_object() {
        "an object"
    } else if value.is_bigint() {
        "a bigint"
    } else {
        "a symbol"
    }
}

/// A JS string as Rust's, refused when longer than [`MAX_STRING_UNITS`] (checked before the
/// copy) or when it holds a lone surrogate (which the copy would silently turn into U+FFFD,
/// sending another value than the caller's). `Err` is what was wrong; `None`: not a string.
pub(crate) fn string_of(value: &JsValue) -> Option<Result<String, String>> {
    let js: &JsString = value.dyn_ref()?;
    if js.length() > MAX_STRING_UNITS {
        return Some(Err(too_long_string(js.length())));
    }
    let s = value.as_string()?;
    // Only a string with U+FFFD can have had a lone surrogate: the common case skips the check.
    // Its UTF-8 starts with the byte 0xEF, which a byte scan finds (`contains` of a multi-byte
    // char builds a substring searcher on every call: 1.3 % of a 200-id bulk call).
    if s.as_bytes().contains(&0xEF) && s.contains('\u{FFFD}') && JsValue::from_str(&s) != *value {
        return Some(Err(
            "the string holds a lone surrogate (it is not valid UTF-16)".to_owned(),
        ));
    }
    Some(Ok(s))
}

/// `value` as a string, or what was wrong with it.
fn expect_string(value: &JsValue) -> Result<String, String> {
    string_of(value).unwrap_or_else(|| Err(format!("expected a string, found {}", kind(value))))
}

/// A JS object read as the params or options called `name` (`params`, `options.retry`).
pub(crate) struct Reader<'a> {
    object: JsValue,
    name: &'a str,
}

impl<'a> Reader<'a> {
    /// `value` as an object whose keys are all in `fields`; `undefined` and `null` read as `{}`.
    pub(crate) fn new(value: &JsValue, name: &'a str, fields: &[&str]) -> Result<Self, Refusal> {
        if value.is_undefined() || value.is_null() {
            return Ok(Reader {
                object: JsValue::UNDEFINED,
                name,
            });
        }
        let array = is_array(value).map_err(|e| Refusal::threw(name, e))?;
        if !value.is_object() || array {
            return Err(format!("{name} must be an object, found {}", kind(value)).into());
        }
        let all = keys(value).map_err(|e| Refusal::threw(name, e))?;
        if all.length() > MAX_ITEMS {
            return Err(too_many_keys(name, all.length(), fields).into());
        }
        for key in all.iter() {
            // Object.keys gives strings; one too long for any field name is unknown.
            let key = match key.dyn_ref::<JsString>() {
                Some(k) if k.length() <= 256 => key.as_string().unwrap_or_default(),
                _ => String::from("…"),
            };
            if fields.contains(&key.as_str()) {
                continue;
            }
            let unknown = read(value, &key).map_err(|e| Refusal::threw(name, e))?;
            if !unknown.is_undefined() {
                return Err(unknown_field(name, &key, fields).into());
            }
        }
        Ok(Reader {
            object: value.clone(),
            name,
        })
    }

    /// The value of `key`, `None` when it is `undefined` or `null`.
    pub(crate) fn get(&self, key: &str) -> Result<Option<JsValue>, Refusal> {
        Ok(Some(self.get_raw(key)?).filter(|v| !v.is_undefined() && !v.is_null()))
    }

    /// The value of `key` as it is.
    pub(crate) fn get_raw(&self, key: &str) -> Result<JsValue, Refusal> {
        read(&self.object, key).map_err(|e| Refusal::threw(&format!("{}.{key}", self.name), e))
    }

    /// The message about `key`'s value (`params.limit: ...`).
    pub(crate) fn wrong(&self, key: &str, message: &str) -> String {
        format!("{}.{key}: {message}", self.name)
    }

    fn expected(&self, key: &str, what: &str, value: &JsValue) -> String {
        self.wrong(key, &format!("expected {what}, found {}", kind(value)))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, Refusal> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => Ok(Some(expect_string(&v).map_err(|m| self.wrong(key, &m))?)),
        }
    }

    pub(crate) fn required_string(&self, key: &str) -> Result<String, Refusal> {
        let value = self.get_raw(key)?;
        if value.is_undefined() {
            return Err(missing(self.name, key).into());
        }
        Ok(expect_string(&value).map_err(|m| self.wrong(key, &m))?)
    }

    /// The number at `key`, whatever it is (`NaN` included).
    fn number(&self, key: &str) -> Result<Option<f64>, Refusal> {
        match self.get(key)? {
            None => Ok(None),
            Some(value) => match value.as_f64() {
                Some(n) => Ok(Some(n)),
                None => Err(self.expected(key, "a number", &value).into()),
            },
        }
    }

    /// A whole number from 0 to `u32::MAX`.
    pub(crate) fn u32(&self, key: &str) -> Result<Option<u32>, Refusal> {
        match self.number(key)? {
            None => Ok(None),
            Some(n) => match whole(n, 0, u32::MAX.into()) {
                Ok(n) => Ok(Some(n as u32)),
                Err(why) => Err(why.message(&format!("{}.{key}", self.name)).into()),
            },
        }
    }

    /// An array of strings. Its `length` is read once and checked before anything is
    /// reserved; each item is read by index, so a Proxy's lying `length` or throwing index
    /// trap is an `Err`.
    pub(crate) fn strings(&self, key: &str) -> Result<Option<Vec<String>>, Refusal> {
        let Some(value) = self.get(key)? else {
            return Ok(None);
        };
        let threw = |e| Refusal::threw(&format!("{}.{key}", self.name), e);
        if !is_array(&value).map_err(threw)? {
            return Err(self.expected(key, "an array", &value).into());
        }
        let length = read(&value, "length").map_err(threw)?;
        let length = match length.as_f64() {
            Some(n) if n.fract() == 0.0 && (0.0..=f64::from(MAX_ITEMS)).contains(&n) => n as u32,
            Some(n) if n > f64::from(MAX_ITEMS) => {
                return Err(self.wrong(key, &too_many_items(n)).into());
            }
            _ => return Err(self.wrong(key, "has no valid length").into()),
        };
        // Reserve for small arrays only: a sparse or refused array must not claim memory.
        let mut out = Vec::with_capacity(length.min(1024) as usize);
        // The JS step takes the plain strings; an item it stops at is judged here, and the
        // reading goes on after it.
        while out.len() < length as usize {
            let start = out.len() as u32;
            let stop = read_strings(
                &value,
                start,
                length,
                MAX_STRING_UNITS,
                JOINED_UNITS,
                &mut out,
            )
            .map_err(threw)?;
            let at = || format!("{}.{key}[{}]", self.name, out.len());
            match stop {
                Stop::End => break,
                Stop::Threw(e) => return Err(Refusal::threw(&at(), e)),
                Stop::Item(v) => {
                    let item = expect_string(&v).map_err(|m| format!("{}: {m}", at()))?;
                    out.push(item);
                }
            }
        }
        Ok(Some(out))
    }
}

/// The reader as the core's params [`Source`]: the core asks for each field in its order.
impl Source<Refusal> for Reader<'_> {
    fn string(&mut self, key: &str, required: bool) -> Result<Option<String>, Refusal> {
        if !required {
            return Reader::string(self, key);
        }
        // Read once: a getter runs as often as it is read. Only `undefined` is absent here
        // (the core names the missing field); `null` is a value of the wrong type.
        let value = self.get_raw(key)?;
        if value.is_undefined() {
            return Ok(None);
        }
        Ok(Some(
            expect_string(&value).map_err(|m| self.wrong(key, &m))?,
        ))
    }

    fn strings(&mut self, key: &str) -> Result<Option<Vec<String>>, Refusal> {
        Reader::strings(self, key)
    }

    fn number(&mut self, key: &str) -> Result<Option<f64>, Refusal> {
        Reader::number(self, key)
    }
}

/// Params read from their JS object.
pub(crate) trait FromJs: Sized {
    fn from_js(value: &JsValue) -> Result<Self, Refusal>;
}

/// Every operation's params: the keys checked against the core's list, then the core reads
/// the fields. One reader serves all eight (`dyn Source`), so only the core's short `read` is
/// compiled per operation.
impl<P: Params> FromJs for P {
    fn from_js(value: &JsValue) -> Result<Self, Refusal> {
        let mut reader = Reader::new(value, "params", P::FIELDS)?;
        P::read(&mut reader)
    }
}
