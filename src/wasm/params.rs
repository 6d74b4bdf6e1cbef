//! Reading params and options objects from JS, property by property.
//!
//! Every own enumerable key is checked against the fields the object may have, so a misspelt
//! one (`acountId`) is refused rather than ignored; each value's JS type is checked, and
//! numbers must be whole and in range (`NaN` and `Infinity` included). `undefined` and `null`
//! stand for an absent optional field, and for an empty object at the top.

use js_sys::JsString;
use wasm_bindgen::{JsCast, JsValue};

use super::js::{is_array, keys, read, read_index};
use crate::models::AccountId;
use crate::validate::shown;
use crate::{
    AnonymousExpand, BulkExpand, GetAnonymousUserParams, GetBulkUserLookupParams,
    GetBulkUserMigrationParams, GetCurrentUserParams, GetGroupMembershipsForUserParams,
    GetPrivacyUnsafeUserEmailBulkParams, GetPrivacyUnsafeUserEmailParams, GetUserParams,
    UserExpand,
};

/// The longest array read: no operation sends more items (bulk lookups split any number of
/// ids, but a million is far past any real call). Checked on `length` before any item is read
/// or any memory reserved, so `new Array(2 ** 31)` is refused at once.
pub(crate) const MAX_ITEMS: u32 = 1_000_000;

/// The longest string read, in UTF-16 units: far beyond any URL or header a server accepts.
/// Checked on the JS `length` before the string is copied into wasm memory.
pub(crate) const MAX_STRING_UNITS: u32 = 65_536;

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

/// `` `a`, `b` or `c` ``.
fn one_of(names: &[&str]) -> String {
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == names.len() { " or " } else { ", " });
        }
        out.push('`');
        out.push_str(name);
        out.push('`');
    }
    out
}

/// A JS string as Rust's, refused when longer than [`MAX_STRING_UNITS`] (checked before the
/// copy) or when it holds a lone surrogate (which the copy would silently turn into U+FFFD,
/// sending another value than the caller's). `Err` is what was wrong; `None`: not a string.
pub(crate) fn string_of(value: &JsValue) -> Option<Result<String, String>> {
    let js: &JsString = value.dyn_ref()?;
    if js.length() > MAX_STRING_UNITS {
        return Some(Err(format!(
            "a string of {} UTF-16 units, longer than the most ({MAX_STRING_UNITS}) the client sends",
            js.length()
        )));
    }
    let s = value.as_string()?;
    // Only a string with U+FFFD can have had a lone surrogate: the common case skips the check.
    if s.contains('\u{FFFD}') && JsValue::from_str(&s) != *value {
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
            return Err(format!(
                "{name} has {} keys, expected {}",
                all.length(),
                one_of(fields)
            )
            .into());
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
                return Err(format!(
                    "{name}: unknown field `{}`, expected {}",
                    shown(&key),
                    one_of(fields)
                )
                .into());
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
            return Err(format!("{}: missing field `{key}`", self.name).into());
        }
        Ok(expect_string(&value).map_err(|m| self.wrong(key, &m))?)
    }

    /// A whole number within `min..=max`.
    pub(crate) fn whole(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, Refusal> {
        let Some(value) = self.get(key)? else {
            return Ok(None);
        };
        let n = value
            .as_f64()
            .ok_or_else(|| self.expected(key, "a number", &value))?;
        if !n.is_finite() {
            return Err(self.wrong(key, "must be a finite number").into());
        }
        if n.fract() != 0.0 || n < min || n > max {
            return Err(self
                .wrong(
                    key,
                    &format!(
                        "must be a whole number from {} to {}",
                        min as i64, max as i64
                    ),
                )
                .into());
        }
        Ok(Some(n))
    }

    pub(crate) fn i32(&self, key: &str) -> Result<Option<i32>, Refusal> {
        let n = self.whole(key, f64::from(i32::MIN), f64::from(i32::MAX))?;
        Ok(n.map(|n| n as i32))
    }

    pub(crate) fn u32(&self, key: &str) -> Result<Option<u32>, Refusal> {
        Ok(self.whole(key, 0.0, f64::from(u32::MAX))?.map(|n| n as u32))
    }

    /// An array whose items `item` reads (`Err` is what was expected of the item). Its
    /// `length` is read once and checked before anything is reserved; each item is read by
    /// index, so a Proxy's lying `length` or throwing index trap is an `Err`.
    fn list<T>(
        &self,
        key: &str,
        item: impl Fn(&JsValue) -> Result<T, String>,
    ) -> Result<Option<Vec<T>>, Refusal> {
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
                return Err(self
                    .wrong(
                        key,
                        &format!("holds {n} items; the most a call takes is {MAX_ITEMS}"),
                    )
                    .into())
            }
            _ => return Err(self.wrong(key, "has no valid length").into()),
        };
        // Reserve for small arrays only: a sparse or refused array must not claim memory.
        let mut out = Vec::with_capacity(length.min(1024) as usize);
        for i in 0..length {
            let v = read_index(&value, i)
                .map_err(|e| Refusal::threw(&format!("{}.{key}[{i}]", self.name), e))?;
            out.push(item(&v).map_err(|m| format!("{}.{key}[{i}]: {m}", self.name))?);
        }
        Ok(Some(out))
    }

    pub(crate) fn strings(&self, key: &str) -> Result<Option<Vec<String>>, Refusal> {
        self.list(key, expect_string)
    }

    fn account_ids(&self, key: &str) -> Result<Vec<AccountId>, Refusal> {
        match self.strings(key)? {
            Some(ids) => Ok(ids.into_iter().map(AccountId).collect()),
            None => Err(format!("{}: missing field `{key}`", self.name).into()),
        }
    }

    /// `expand`: names of `names`, read by `from_wire`.
    fn expand<T>(
        &self,
        names: &[&str],
        from_wire: fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, Refusal> {
        let read = self.list("expand", |v| {
            let name = expect_string(v)?;
            from_wire(&name).ok_or_else(|| {
                format!(
                    "unknown value `{}`, expected {}",
                    shown(&name),
                    one_of(names)
                )
            })
        })?;
        Ok(read.unwrap_or_default())
    }
}

/// Params read from their JS object.
pub(crate) trait FromJs: Sized {
    fn from_js(value: &JsValue) -> Result<Self, Refusal>;
}

impl FromJs for GetUserParams {
    fn from_js(value: &JsValue) -> Result<Self, Refusal> {
        let r = Reader::new(value, "params", &["accountId", "expand"])?;
        Ok(GetUserParams {
            account_id: AccountId(r.required_string("accountId")?),
            expand: r.expand(UserExpand::NAMES, UserExpand::from_wire)?,
        })
    }
}

impl FromJs for GetAnonymousUserParams {
    fn from_js(value: &JsValue) -> Result<Self, Refusal> {
        let r = Reader::new(value, "params", &["expand"])?;
        Ok(GetAnonymousUserParams {
            expand: r.expand(AnonymousExpand::NAMES, AnonymousExpand::from_wire)?,
        })
    }
}

impl FromJs for GetCurrentUserParams {
    fn from_js(value: &JsValue) -> Result<Self, Refusal> {
        let r = Reader::new(value, "params", &["expand"])?;
        Ok(GetCurrentUserParams {
            expand: r.expand(UserExpand::NAMES, UserExpand::from_wire)?,
        })
    }
}

impl FromJs for GetGroupMembershipsForUserParams {
    fn from_js(value: &JsValue) -> Result<Self, Refusal> {
        let r = Reader::new(value, "params", &["accountId", "start", "limit"])?;
        Ok(GetGroupMembershipsForUserParams {
            account_id: AccountId(r.required_string("accountId")?),
            start: r.i32("start")?,
            limit: r.i32("limit")?,
        })
    }
}

impl FromJs for GetBulkUserLookupParams {
    fn from_js(value: &JsValue) -> Result<Self, Refusal> {
        let r = Reader::new(value, "params", &["accountIds", "expand", "limit"])?;
        Ok(GetBulkUserLookupParams {
            account_ids: r.account_ids("accountIds")?,
            expand: r.expand(BulkExpand::NAMES, BulkExpand::from_wire)?,
            limit: r.i32("limit")?,
        })
    }
}

impl FromJs for GetPrivacyUnsafeUserEmailParams {
    fn from_js(value: &JsValue) -> Result<Self, Refusal> {
        let r = Reader::new(value, "params", &["accountId"])?;
        Ok(GetPrivacyUnsafeUserEmailParams {
            account_id: AccountId(r.required_string("accountId")?),
        })
    }
}

impl FromJs for GetPrivacyUnsafeUserEmailBulkParams {
    fn from_js(value: &JsValue) -> Result<Self, Refusal> {
        let r = Reader::new(value, "params", &["accountIds"])?;
        Ok(GetPrivacyUnsafeUserEmailBulkParams {
            account_ids: r.account_ids("accountIds")?,
        })
    }
}

impl FromJs for GetBulkUserMigrationParams {
    fn from_js(value: &JsValue) -> Result<Self, Refusal> {
        let r = Reader::new(value, "params", &["keys", "usernames", "start", "limit"])?;
        Ok(GetBulkUserMigrationParams {
            keys: r.strings("keys")?,
            usernames: r.strings("usernames")?,
            start: r.i32("start")?,
            limit: r.i32("limit")?,
        })
    }
}
