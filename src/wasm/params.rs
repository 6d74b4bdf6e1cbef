//! Reading params and options objects from JS, property by property.
//!
//! Every own enumerable key is checked against the fields the object may have, so a misspelt
//! one (`acountId`) is refused rather than ignored; each value's JS type is checked, and
//! numbers must be whole and in range (`NaN` and `Infinity` included). `undefined` and `null`
//! stand for an absent optional field, and for an empty object at the top.

use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

use super::js::get;
use crate::models::AccountId;
use crate::validate::shown;
use crate::{
    AnonymousExpand, BulkExpand, GetAnonymousUserParams, GetBulkUserLookupParams,
    GetBulkUserMigrationParams, GetCurrentUserParams, GetGroupMembershipsForUserParams,
    GetPrivacyUnsafeUserEmailBulkParams, GetPrivacyUnsafeUserEmailParams, GetUserParams,
    UserExpand,
};

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
    } else if Array::is_array(value) {
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

/// A JS object read as the params or options called `name` (`params`, `options.retry`).
pub(crate) struct Reader<'a> {
    object: JsValue,
    name: &'a str,
}

impl<'a> Reader<'a> {
    /// `value` as an object whose keys are all in `fields`; `undefined` and `null` read as `{}`.
    pub(crate) fn new(value: &JsValue, name: &'a str, fields: &[&str]) -> Result<Self, String> {
        if value.is_undefined() || value.is_null() {
            return Ok(Reader {
                object: JsValue::UNDEFINED,
                name,
            });
        }
        if !value.is_object() || Array::is_array(value) {
            return Err(format!("{name} must be an object, found {}", kind(value)));
        }
        let object: &Object = value.unchecked_ref();
        for key in Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !fields.contains(&key.as_str()) && !get(value, &key).is_undefined() {
                return Err(format!(
                    "{name}: unknown field `{}`, expected {}",
                    shown(&key),
                    one_of(fields)
                ));
            }
        }
        Ok(Reader {
            object: value.clone(),
            name,
        })
    }

    /// The value of `key`, `None` when it is `undefined` or `null`.
    pub(crate) fn get(&self, key: &str) -> Option<JsValue> {
        Some(self.get_raw(key)).filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// The value of `key` as it is.
    pub(crate) fn get_raw(&self, key: &str) -> JsValue {
        get(&self.object, key)
    }

    /// The message about `key`'s value (`params.limit: ...`).
    pub(crate) fn wrong(&self, key: &str, message: &str) -> String {
        format!("{}.{key}: {message}", self.name)
    }

    fn expected(&self, key: &str, what: &str, value: &JsValue) -> String {
        self.wrong(key, &format!("expected {what}, found {}", kind(value)))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, String> {
        self.get(key)
            .map(|v| {
                v.as_string()
                    .ok_or_else(|| self.expected(key, "a string", &v))
            })
            .transpose()
    }

    pub(crate) fn required_string(&self, key: &str) -> Result<String, String> {
        match self.string(key)? {
            Some(s) => Ok(s),
            None => match self.get_raw(key) {
                v if v.is_null() => Err(self.expected(key, "a string", &v)),
                _ => Err(format!("{}: missing field `{key}`", self.name)),
            },
        }
    }

    /// A whole number within `min..=max`.
    pub(crate) fn whole(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, String> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let n = value
            .as_f64()
            .ok_or_else(|| self.expected(key, "a number", &value))?;
        if !n.is_finite() {
            return Err(self.wrong(key, "must be a finite number"));
        }
        if n.fract() != 0.0 || n < min || n > max {
            return Err(self.wrong(
                key,
                &format!(
                    "must be a whole number from {} to {}",
                    min as i64, max as i64
                ),
            ));
        }
        Ok(Some(n))
    }

    pub(crate) fn i32(&self, key: &str) -> Result<Option<i32>, String> {
        let n = self.whole(key, f64::from(i32::MIN), f64::from(i32::MAX))?;
        Ok(n.map(|n| n as i32))
    }

    pub(crate) fn u32(&self, key: &str) -> Result<Option<u32>, String> {
        Ok(self.whole(key, 0.0, f64::from(u32::MAX))?.map(|n| n as u32))
    }

    /// An array whose items `item` reads (`Err` is what was expected of the item).
    fn list<T>(
        &self,
        key: &str,
        item: impl Fn(&JsValue) -> Result<T, String>,
    ) -> Result<Option<Vec<T>>, String> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        if !Array::is_array(&value) {
            return Err(self.expected(key, "an array", &value));
        }
        let array: &Array = value.unchecked_ref();
        let mut out = Vec::with_capacity(array.length() as usize);
        for (i, v) in array.iter().enumerate() {
            out.push(item(&v).map_err(|m| format!("{}.{key}[{i}]: {m}", self.name))?);
        }
        Ok(Some(out))
    }

    pub(crate) fn strings(&self, key: &str) -> Result<Option<Vec<String>>, String> {
        self.list(key, |v| {
            v.as_string()
                .ok_or_else(|| format!("expected a string, found {}", kind(v)))
        })
    }

    fn account_ids(&self, key: &str) -> Result<Vec<AccountId>, String> {
        match self.strings(key)? {
            Some(ids) => Ok(ids.into_iter().map(AccountId).collect()),
            None => Err(format!("{}: missing field `{key}`", self.name)),
        }
    }

    /// `expand`: names of `names`, read by `from_wire`.
    fn expand<T>(
        &self,
        names: &[&str],
        from_wire: fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, String> {
        let read = self.list("expand", |v| {
            let name = v
                .as_string()
                .ok_or_else(|| format!("expected a string, found {}", kind(v)))?;
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
    fn from_js(value: &JsValue) -> Result<Self, String>;
}

impl FromJs for GetUserParams {
    fn from_js(value: &JsValue) -> Result<Self, String> {
        let r = Reader::new(value, "params", &["accountId", "expand"])?;
        Ok(GetUserParams {
            account_id: AccountId(r.required_string("accountId")?),
            expand: r.expand(UserExpand::NAMES, UserExpand::from_wire)?,
        })
    }
}

impl FromJs for GetAnonymousUserParams {
    fn from_js(value: &JsValue) -> Result<Self, String> {
        let r = Reader::new(value, "params", &["expand"])?;
        Ok(GetAnonymousUserParams {
            expand: r.expand(AnonymousExpand::NAMES, AnonymousExpand::from_wire)?,
        })
    }
}

impl FromJs for GetCurrentUserParams {
    fn from_js(value: &JsValue) -> Result<Self, String> {
        let r = Reader::new(value, "params", &["expand"])?;
        Ok(GetCurrentUserParams {
            expand: r.expand(UserExpand::NAMES, UserExpand::from_wire)?,
        })
    }
}

impl FromJs for GetGroupMembershipsForUserParams {
    fn from_js(value: &JsValue) -> Result<Self, String> {
        let r = Reader::new(value, "params", &["accountId", "start", "limit"])?;
        Ok(GetGroupMembershipsForUserParams {
            account_id: AccountId(r.required_string("accountId")?),
            start: r.i32("start")?,
            limit: r.i32("limit")?,
        })
    }
}

impl FromJs for GetBulkUserLookupParams {
    fn from_js(value: &JsValue) -> Result<Self, String> {
        let r = Reader::new(value, "params", &["accountIds", "expand", "limit"])?;
        Ok(GetBulkUserLookupParams {
            account_ids: r.account_ids("accountIds")?,
            expand: r.expand(BulkExpand::NAMES, BulkExpand::from_wire)?,
            limit: r.i32("limit")?,
        })
    }
}

impl FromJs for GetPrivacyUnsafeUserEmailParams {
    fn from_js(value: &JsValue) -> Result<Self, String> {
        let r = Reader::new(value, "params", &["accountId"])?;
        Ok(GetPrivacyUnsafeUserEmailParams {
            account_id: AccountId(r.required_string("accountId")?),
        })
    }
}

impl FromJs for GetPrivacyUnsafeUserEmailBulkParams {
    fn from_js(value: &JsValue) -> Result<Self, String> {
        let r = Reader::new(value, "params", &["accountIds"])?;
        Ok(GetPrivacyUnsafeUserEmailBulkParams {
            account_ids: r.account_ids("accountIds")?,
        })
    }
}

impl FromJs for GetBulkUserMigrationParams {
    fn from_js(value: &JsValue) -> Result<Self, String> {
        let r = Reader::new(value, "params", &["keys", "usernames", "start", "limit"])?;
        Ok(GetBulkUserMigrationParams {
            keys: r.strings("keys")?,
            usernames: r.strings("usernames")?,
            start: r.i32("start")?,
            limit: r.i32("limit")?,
        })
    }
}
