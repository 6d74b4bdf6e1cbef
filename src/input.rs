//! What a params object may hold and how its values become params, decided here for every
//! front end: the field list, the order fields are read in, which are required, what a
//! number's range is, which `expand` names exist. A front end (the wasm skin) implements
//! [`Source`] to hand over the values of one object as it finds them, and nothing more.
//!
//! Each operation's table is code ([`Params::read`]) rather than data, but the reading
//! machinery behind [`Source`] is one non-generic implementation, shared by all eight.

use crate::models::AccountId;
use crate::validate::shown;
use crate::{
    AnonymousExpand, BulkExpand, GetAnonymousUserParams, GetBulkUserLookupParams,
    GetBulkUserMigrationParams, GetCurrentUserParams, GetGroupMembershipsForUserParams,
    GetPrivacyUnsafeUserEmailBulkParams, GetPrivacyUnsafeUserEmailParams, GetUserParams,
    UserExpand,
};

/// The values of one object (`params`), as a front end reads them. `Ok(None)` is an absent
/// field (`undefined`, and `null` where said); `Err` is the refusal, in the front end's error
/// type (a message built here converts into it).
pub(crate) trait Source<E: From<String>> {
    /// The string at `key`; `null` counts as absent unless `required` (then it is a value of
    /// the wrong type).
    fn string(&mut self, key: &str, required: bool) -> Result<Option<String>, E>;
    /// The array of strings at `key`.
    fn strings(&mut self, key: &str) -> Result<Option<Vec<String>>, E>;
    /// The number at `key`, as the front end holds it (any `f64`: ranges are checked here).
    fn number(&mut self, key: &str) -> Result<Option<f64>, E>;
}

/// The longest array read: no operation sends more items (bulk lookups split any number of
/// ids, but a million is far past any real call). A front end checks an array's length against
/// it before reading any item or reserving any memory, so `new Array(2 ** 31)` is refused at once.
pub(crate) const MAX_ITEMS: u32 = 1_000_000;

/// The longest string read, in UTF-16 units: far beyond any URL or header a server accepts. A
/// front end checks it before copying the string.
pub(crate) const MAX_STRING_UNITS: u32 = 65_536;

/// Appends to `out` the strings a front end joined into `joined`, the `i`th `units[i]` UTF-16
/// units long (JS's `length`). No string holds a lone surrogate, so each ends on a char
/// boundary; lengths that overrun `joined` give shorter strings, never a panic.
pub(crate) fn split_joined(joined: &str, units: &[u32], out: &mut Vec<String>) {
    out.reserve(units.len());
    // Only in ASCII is a char's UTF-16 length its UTF-8 length: a length is then a byte count.
    let ascii = joined.is_ascii();
    let mut rest = joined;
    for &n in units {
        let end = if ascii {
            n as usize
        } else {
            let mut left = n as usize;
            rest.char_indices()
                .find(|&(_, c)| {
                    let here = left == 0;
                    left = left.saturating_sub(c.len_utf16());
                    here
                })
                .map_or(rest.len(), |(at, _)| at)
        };
        let (item, tail) = rest.split_at_checked(end).unwrap_or((rest, ""));
        out.push(item.to_owned());
        rest = tail;
    }
}

/// The message for a string of `units` UTF-16 units, over [`MAX_STRING_UNITS`].
pub(crate) fn too_long_string(units: u32) -> String {
    format!("a string of {units} UTF-16 units, longer than the most ({MAX_STRING_UNITS}) the client sends")
}

/// What is wrong with an array whose `length` is `n`, over [`MAX_ITEMS`].
pub(crate) fn too_many_items(n: f64) -> String {
    // Shown as an integer: formatting an f64 would pull float printing (~22 KB) into the wasm.
    // A length no array can have is not echoed.
    let held = match n.fract() == 0.0 && n <= 9_007_199_254_740_992.0 {
        true => format!("holds {} items", n as u64),
        false => format!("has a length over {MAX_ITEMS}"),
    };
    format!("{held}; the most a call takes is {MAX_ITEMS}")
}

/// `` `a`, `b` or `c` ``.
pub(crate) fn one_of(names: &[&str]) -> String {
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

/// The message for a key of object `name` that is not one of `fields`.
pub(crate) fn unknown_field(name: &str, key: &str, fields: &[&str]) -> String {
    format!(
        "{name}: unknown field `{}`, expected {}",
        shown(key),
        one_of(fields)
    )
}

/// The message for an object `name` with more keys than any caller writes.
pub(crate) fn too_many_keys(name: &str, count: u32, fields: &[&str]) -> String {
    format!("{name} has {count} keys, expected {}", one_of(fields))
}

/// The message for a required field that is absent.
pub(crate) fn missing(name: &str, key: &str) -> String {
    format!("{name}: missing field `{key}`")
}

/// Why a number is refused; [`WholeError::message`] says it about one field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum WholeError {
    /// `NaN` or an infinity.
    NotFinite,
    /// A fraction, or outside the range.
    OutOfRange {
        /// The least allowed.
        min: i64,
        /// The most allowed.
        max: i64,
    },
}

impl WholeError {
    /// `what: must be ...` (`what` is e.g. `params.limit`).
    pub(crate) fn message(self, what: &str) -> String {
        match self {
            WholeError::NotFinite => format!("{what}: must be a finite number"),
            WholeError::OutOfRange { min, max } => {
                format!("{what}: must be a whole number from {min} to {max}")
            }
        }
    }
}

/// `n` when it is a whole number within `min..=max`.
pub(crate) fn whole(n: f64, min: i64, max: i64) -> Result<f64, WholeError> {
    if !n.is_finite() {
        return Err(WholeError::NotFinite);
    }
    if !crate::options::is_whole_in(n, min, max) {
        return Err(WholeError::OutOfRange { min, max });
    }
    Ok(n)
}

/// The name of the params object in messages.
const PARAMS: &str = "params";

/// Reads the fields of one object through a [`Source`].
struct Fields<'s, E: From<String>> {
    source: &'s mut dyn Source<E>,
}

impl<E: From<String>> Fields<'_, E> {
    fn required_string(&mut self, key: &str) -> Result<String, E> {
        self.source
            .string(key, true)?
            .ok_or_else(|| missing(PARAMS, key).into())
    }

    fn account_id(&mut self, key: &str) -> Result<AccountId, E> {
        self.required_string(key).map(AccountId)
    }

    fn account_ids(&mut self, key: &str) -> Result<Vec<AccountId>, E> {
        match self.source.strings(key)? {
            Some(ids) => Ok(ids.into_iter().map(AccountId).collect()),
            None => Err(missing(PARAMS, key).into()),
        }
    }

    /// A whole number within `i32`.
    fn i32(&mut self, key: &str) -> Result<Option<i32>, E> {
        match self.source.number(key)? {
            None => Ok(None),
            Some(n) => match whole(n, i32::MIN.into(), i32::MAX.into()) {
                Ok(n) => Ok(Some(n as i32)),
                Err(why) => Err(why.message(&format!("{PARAMS}.{key}")).into()),
            },
        }
    }

    /// `expand`: each a name of `names`, read by `from_wire`.
    fn expand<T>(&mut self, names: &[&str], from_wire: fn(&str) -> Option<T>) -> Result<Vec<T>, E> {
        let given = self.source.strings("expand")?.unwrap_or_default();
        let mut out = Vec::with_capacity(given.len());
        for (i, name) in given.iter().enumerate() {
            match from_wire(name) {
                Some(value) => out.push(value),
                None => {
                    return Err(format!(
                        "{PARAMS}.expand[{i}]: unknown value `{}`, expected {}",
                        shown(name),
                        one_of(names)
                    )
                    .into())
                }
            }
        }
        Ok(out)
    }
}

/// Params a front end reads from an object of named values.
pub(crate) trait Params: Sized {
    /// Every field the object may have; any other key is refused.
    const FIELDS: &'static [&'static str];
    /// Reads the fields in order from `source`, refusing at the first that is wrong.
    fn read<E: From<String>>(source: &mut dyn Source<E>) -> Result<Self, E>;
}

impl Params for GetUserParams {
    const FIELDS: &'static [&'static str] = &["accountId", "expand"];
    fn read<E: From<String>>(source: &mut dyn Source<E>) -> Result<Self, E> {
        let mut f = Fields { source };
        Ok(GetUserParams {
            account_id: f.account_id("accountId")?,
            expand: f.expand(UserExpand::NAMES, UserExpand::from_wire)?,
        })
    }
}

impl Params for GetAnonymousUserParams {
    const FIELDS: &'static [&'static str] = &["expand"];
    fn read<E: From<String>>(source: &mut dyn Source<E>) -> Result<Self, E> {
        let mut f = Fields { source };
        Ok(GetAnonymousUserParams {
            expand: f.expand(AnonymousExpand::NAMES, AnonymousExpand::from_wire)?,
        })
    }
}

impl Params for GetCurrentUserParams {
    const FIELDS: &'static [&'static str] = &["expand"];
    fn read<E: From<String>>(source: &mut dyn Source<E>) -> Result<Self, E> {
        let mut f = Fields { source };
        Ok(GetCurrentUserParams {
            expand: f.expand(UserExpand::NAMES, UserExpand::from_wire)?,
        })
    }
}

impl Params for GetGroupMembershipsForUserParams {
    const FIELDS: &'static [&'static str] = &["accountId", "start", "limit"];
    fn read<E: From<String>>(source: &mut dyn Source<E>) -> Result<Self, E> {
        let mut f = Fields { source };
        Ok(GetGroupMembershipsForUserParams {
            account_id: f.account_id("accountId")?,
            start: f.i32("start")?,
            limit: f.i32("limit")?,
        })
    }
}

impl Params for GetBulkUserLookupParams {
    const FIELDS: &'static [&'static str] = &["accountIds", "expand", "limit"];
    fn read<E: From<String>>(source: &mut dyn Source<E>) -> Result<Self, E> {
        let mut f = Fields { source };
        Ok(GetBulkUserLookupParams {
            account_ids: f.account_ids("accountIds")?,
            expand: f.expand(BulkExpand::NAMES, BulkExpand::from_wire)?,
            limit: f.i32("limit")?,
        })
    }
}

impl Params for GetPrivacyUnsafeUserEmailParams {
    const FIELDS: &'static [&'static str] = &["accountId"];
    fn read<E: From<String>>(source: &mut dyn Source<E>) -> Result<Self, E> {
        let mut f = Fields { source };
        Ok(GetPrivacyUnsafeUserEmailParams {
            account_id: f.account_id("accountId")?,
        })
    }
}

impl Params for GetPrivacyUnsafeUserEmailBulkParams {
    const FIELDS: &'static [&'static str] = &["accountIds"];
    fn read<E: From<String>>(source: &mut dyn Source<E>) -> Result<Self, E> {
        let mut f = Fields { source };
        Ok(GetPrivacyUnsafeUserEmailBulkParams {
            account_ids: f.account_ids("accountIds")?,
        })
    }
}

impl Params for GetBulkUserMigrationParams {
    const FIELDS: &'static [&'static str] = &["keys", "usernames", "start", "limit"];
    fn read<E: From<String>>(source: &mut dyn Source<E>) -> Result<Self, E> {
        let mut f = Fields { source };
        Ok(GetBulkUserMigrationParams {
            keys: f.source.strings("keys")?,
            usernames: f.source.strings("usernames")?,
            start: f.i32("start")?,
            limit: f.i32("limit")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A [`Source`] over a JSON object, with the JS reader's rules for types and `null`, and a
    /// record of the keys read, in order.
    struct JsonSource {
        object: Value,
        read: Vec<String>,
    }

    impl JsonSource {
        fn get(&mut self, key: &str) -> Option<Value> {
            self.read.push(key.to_owned());
            self.object.get(key).cloned()
        }
    }

    impl Source<String> for JsonSource {
        fn string(&mut self, key: &str, required: bool) -> Result<Option<String>, String> {
            match self.get(key) {
                None => Ok(None),
                Some(Value::Null) if !required => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(format!("params.{key}: expected a string")),
            }
        }

        fn strings(&mut self, key: &str) -> Result<Option<Vec<String>>, String> {
            match self.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Array(items)) => items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        _ => Err(format!("params.{key}[]: expected a string")),
                    })
                    .collect::<Result<_, _>>()
                    .map(Some),
                Some(_) => Err(format!("params.{key}: expected an array")),
            }
        }

        fn number(&mut self, key: &str) -> Result<Option<f64>, String> {
            match self.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => Ok(n.as_f64()),
                // JSON has no NaN: a string stands for one here.
                Some(Value::String(s)) if s == "NaN" => Ok(Some(f64::NAN)),
                Some(_) => Err(format!("params.{key}: expected a number")),
            }
        }
    }

    fn read<P: Params>(object: Value) -> (Result<P, String>, Vec<String>) {
        let mut source = JsonSource {
            object,
            read: Vec::new(),
        };
        let result = P::read::<String>(&mut source);
        (result, source.read)
    }

    #[test]
    fn every_field_listed_is_read_in_order() {
        fn order<P: Params>() {
            let (_, keys) = read::<P>(json!({
                "accountId": "a", "accountIds": ["a"], "expand": [], "start": 0, "limit": 1,
                "keys": [], "usernames": []
            }));
            assert_eq!(keys, P::FIELDS, "{}", std::any::type_name::<P>());
        }
        order::<GetUserParams>();
        order::<GetAnonymousUserParams>();
        order::<GetCurrentUserParams>();
        order::<GetGroupMembershipsForUserParams>();
        order::<GetBulkUserLookupParams>();
        order::<GetPrivacyUnsafeUserEmailParams>();
        order::<GetPrivacyUnsafeUserEmailBulkParams>();
        order::<GetBulkUserMigrationParams>();
    }

    #[test]
    fn values_become_params() {
        let (params, _) = read::<GetBulkUserLookupParams>(json!({
            "accountIds": ["a", "b"], "expand": ["operations", "personalSpace"], "limit": 50
        }));
        assert_eq!(
            params.unwrap(),
            GetBulkUserLookupParams {
                account_ids: vec![AccountId::from("a"), AccountId::from("b")],
                expand: vec![BulkExpand::Operations, BulkExpand::PersonalSpace],
                limit: Some(50),
            }
        );
        let (params, _) = read::<GetBulkUserMigrationParams>(json!({"usernames": ["mia"]}));
        assert_eq!(
            params.unwrap(),
            GetBulkUserMigrationParams {
                keys: None,
                usernames: Some(vec!["mia".into()]),
                start: None,
                limit: None,
            }
        );
    }

    #[test]
    fn required_fields_are_refused_when_absent_and_the_first_wrong_field_is_named() {
        assert_eq!(
            read::<GetUserParams>(json!({})).0.unwrap_err(),
            "params: missing field `accountId`"
        );
        // `null` is a value of the wrong type for a required string, absent for a list.
        assert_eq!(
            read::<GetUserParams>(json!({"accountId": null}))
                .0
                .unwrap_err(),
            "params.accountId: expected a string"
        );
        assert_eq!(
            read::<GetPrivacyUnsafeUserEmailBulkParams>(json!({"accountIds": null}))
                .0
                .unwrap_err(),
            "params: missing field `accountIds`"
        );
        // Fields are read in order: the missing id is named before the bad expand.
        let (result, keys) = read::<GetUserParams>(json!({"expand": 5}));
        assert_eq!(result.unwrap_err(), "params: missing field `accountId`");
        assert_eq!(keys, ["accountId"]);
    }

    #[test]
    fn expand_names_come_from_the_operation() {
        assert_eq!(
            read::<GetAnonymousUserParams>(json!({"expand": ["operations", "personalSpace"]}))
                .0
                .unwrap_err(),
            "params.expand[1]: unknown value `personalSpace`, expected `operations`"
        );
        assert_eq!(
            read::<GetUserParams>(json!({"accountId": "a", "expand": ["x\u{7}"]}))
                .0
                .unwrap_err(),
            "params.expand[0]: unknown value `x\\u{7}`, expected `operations`, \
             `details.personal`, `details.business`, `personalSpace` or `isExternalCollaborator`"
        );
    }

    #[test]
    fn numbers_are_whole_and_within_i32() {
        let limit = |n: Value| {
            read::<GetGroupMembershipsForUserParams>(json!({"accountId": "a", "limit": n})).0
        };
        assert_eq!(limit(json!(2147483647)).unwrap().limit, Some(i32::MAX));
        assert_eq!(limit(json!(-2147483648)).unwrap().limit, Some(i32::MIN));
        for bad in [json!(2147483648_i64), json!(-2147483649_i64), json!(1.5)] {
            assert_eq!(
                limit(bad).unwrap_err(),
                "params.limit: must be a whole number from -2147483648 to 2147483647"
            );
        }
        assert_eq!(
            limit(json!("NaN")).unwrap_err(),
            "params.limit: must be a finite number"
        );
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(whole(3.0, 1, 32), Ok(3.0));
        assert_eq!(whole(-0.0, 0, 1), Ok(-0.0));
        assert_eq!(whole(f64::INFINITY, 1, 32), Err(WholeError::NotFinite));
        assert_eq!(
            whole(33.0, 1, 32),
            Err(WholeError::OutOfRange { min: 1, max: 32 })
        );
        assert_eq!(
            whole(0.5, 0, 1).unwrap_err().message("options.x"),
            "options.x: must be a whole number from 0 to 1"
        );
    }

    #[test]
    fn messages_about_keys() {
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(
            unknown_field("params", "acountId", GetUserParams::FIELDS),
            "params: unknown field `acountId`, expected `accountId` or `expand`"
        );
        assert_eq!(
            too_many_keys("params", 2_000_000, &["expand"]),
            "params has 2000000 keys, expected `expand`"
        );
    }

    #[test]
    fn joined_strings_are_split_by_their_utf16_lengths() {
        let split = |joined: &str, units: &[u32]| {
            let mut out = vec!["kept".to_owned()];
            split_joined(joined, units, &mut out);
            out
        };
        assert_eq!(
            split("abcdef", &[1, 0, 2, 3]),
            ["kept", "a", "", "bc", "def"]
        );
        assert_eq!(split("", &[]), ["kept"]);
        // é is 2 bytes and 1 unit, 😀 4 bytes and 2 units, 中 3 bytes and 1 unit.
        assert_eq!(
            split("aé😀b中😀", &[2, 3, 0, 1, 2]),
            ["kept", "aé", "😀b", "", "中", "😀"]
        );
        // Lengths that do not add up cut short rather than panic.
        assert_eq!(split("ab", &[1, 5, 1]), ["kept", "a", "b", ""]);
        assert_eq!(split("é😀", &[1, 1, 9]), ["kept", "é", "😀", ""]);
    }

    #[test]
    fn messages_about_sizes() {
        assert_eq!(
            too_long_string(70_000),
            "a string of 70000 UTF-16 units, longer than the most (65536) the client sends"
        );
        assert_eq!(
            too_many_items(2_000_000.0),
            "holds 2000000 items; the most a call takes is 1000000"
        );
        // No array has a fractional or unsafe length: it is not echoed.
        assert_eq!(
            too_many_items(1e300),
            "has a length over 1000000; the most a call takes is 1000000"
        );
        assert_eq!(
            too_many_items(1_000_000.5),
            "has a length over 1000000; the most a call takes is 1000000"
        );
    }
}
