//! Response models for the Confluence Cloud REST API v1 user endpoints.
//!
//! Each struct mirrors one schema of Atlassian's OpenAPI document field for field. Presence and
//! nullability follow the spec exactly, because in the wasm build these types only *validate* a body
//! that JavaScript parses itself, and their generated TypeScript describes that `JSON.parse` output:
//!
//! | spec                   | Rust                                             | TypeScript        |
//! |------------------------|--------------------------------------------------|-------------------|
//! | required               | `T`                                              | `key: T`          |
//! | required, nullable     | `Option<T>`, the key must be present             | `key: T \| null`  |
//! | optional, nullable     | `Option<T>`, absent or `null` is `None`          | `key?: T \| null` |
//! | optional, not nullable | `Option<T>`, absent is `None`, `null` is refused | `key?: T`         |
//!
//! Unknown fields are ignored everywhere (Confluence adds fields over time), except on [`Space`],
//! which keeps them in [`Space::extra`]. Enumerations are open: an unknown value decodes into the
//! `Other` variant and keeps its text.

use serde::de::{self, Deserialize, Deserializer};

/// Defines an open string enumeration: the known wire values, plus `Other(String)` holding any
/// value this crate does not know yet, verbatim.
///
/// It derives `Debug, Clone, PartialEq, Eq, Hash`, (de)serializes as a JSON string (any other JSON
/// type is a decode error), and has `as_str()`, `Display`, `From<&str>` and `From<String>`.
///
/// The TypeScript is written here rather than by tsify because tsify cannot express an *open*
/// string union: it would render `Other(String)` as `{ Other: string }`, which is not the wire
/// shape. It is built from the same (variant, wire) list as the Rust enum, so the two cannot drift.
macro_rules! open_enum {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident {
            $( $(#[doc = $vdoc:literal])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[doc = $vdoc])* $variant, )+
            /// A value this crate does not know, kept verbatim. Decoding never puts a known value here.
            Other(String),
        }

        impl $name {
            /// The TypeScript declaration emitted into the package's `.d.ts`, for the tests.
            #[cfg(test)]
            pub(crate) const TS_DECL: &'static str =
                open_enum!(@ts $name [$($doc)*] [$($wire)+]);

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(value) => value,
                }
            }

            fn known(value: &str) -> Option<Self> {
                match value {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl $crate::schema::Shaped for $name {
            const SHAPE: $crate::schema::Shape = {
                #[cfg(not(target_arch = "wasm32"))]
                static KNOWN: &[&str] = &[$($wire),+];
                // The validator takes any string here; only the native property tests read the
                // list, and in the wasm build it would add ~400 bytes of tables and strings.
                #[cfg(target_arch = "wasm32")]
                static KNOWN: &[&str] = &[];
                $crate::schema::Shape::OpenEnum(&KNOWN)
            };
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::known(value).unwrap_or_else(|| Self::Other(value.to_owned()))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match Self::known(&value) {
                    Some(known) => known,
                    None => Self::Other(value),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;

                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " string"))
                    }

                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        Ok($name::from(value))
                    }

                    fn visit_string<E: ::serde::de::Error>(self, value: String) -> Result<$name, E> {
                        Ok($name::from(value))
                    }
                }

                deserializer.deserialize_str(Visitor)
            }
        }

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
            const TS_APPEND_CONTENT: &str = open_enum!(@ts $name [$($doc)*] [$($wire)+]);
        };
    };

    // The TypeScript declaration: doc comment, then the known values plus any other string.
    (@ts $name:ident [$($doc:literal)*] [$($wire:literal)+]) => {
        concat!(
            "/**", $("\n *", $doc,)* "\n */\n",
            "export type ", stringify!($name), " = ",
            $("\"", $wire, "\" | ",)+
            "(string & {});"
        )
    };
}

/// Declares a response model once: from the same lines come the serde struct, its tsify
/// TypeScript (wasm builds) and its [`Shaped::SHAPE`](crate::schema::Shaped) for the
/// validator, so the three cannot drift.
///
/// Each field starts with its kind, the four rows of the table above plus two:
///
/// | kind                 | Rust        | serde                                              | schema              |
/// |----------------------|-------------|----------------------------------------------------|---------------------|
/// | `required`           | `T`         | must be present, not `null`                        | required, `T`       |
/// | `required_nullable`  | `Option<T>` | must be present, may be `null`                     | required, nullable  |
/// | `optional`           | `Option<T>` | may be absent, `null` refused                      | optional, `T`       |
/// | `optional_nullable`  | `Option<T>` | may be absent or `null`                            | optional, nullable  |
/// | `optional_safe_int`  | `Option<i64>` | may be absent; `null` and unsafe integers refused | optional, safe int  |
/// | `extra`              | the map     | every other key, verbatim (`#[serde(flatten)]`)    | keeps unknown keys  |
///
/// then `name: T = "wireName"`. The struct's own attributes (docs, extra derives) and each
/// field's (docs, a tsify type override) are passed through.
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        model!(@munch [$(#[$meta])*] $name [false] [] [] $($body)*);
    };

    // All fields read: the struct and its shape.
    (@munch [$($meta:tt)*] $name:ident [$keeps:tt] [$($fields:tt)*] [$($schema:tt)*]) => {
        $($meta)*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
        pub struct $name { $($fields)* }

        impl $crate::schema::Shaped for $name {
            // A static, so that every shape holding this one points at one table rather than
            // a copy per use of the constant.
            const SHAPE: $crate::schema::Shape = {
                static OBJECT: $crate::schema::Object = $crate::schema::Object {
                    name: stringify!($name),
                    fields: &[$($schema)*],
                    keeps_unknown: $keeps,
                };
                $crate::schema::Shape::Object(&OBJECT)
            };
        }
    };

    (@munch $meta:tt $name:ident $keeps:tt [$($fields:tt)*] [$($schema:tt)*]
        $(#[$fm:meta])* required $field:ident : $ty:ty = $wire:tt, $($rest:tt)*
    ) => {
        model!(@munch $meta $name $keeps
            [$($fields)* $(#[$fm])* #[serde(rename = $wire)] pub $field: $ty,]
            [$($schema)* model!(@field $wire, true, <$ty as $crate::schema::Shaped>::SHAPE),]
            $($rest)*);
    };

    (@munch $meta:tt $name:ident $keeps:tt [$($fields:tt)*] [$($schema:tt)*]
        $(#[$fm:meta])* required_nullable $field:ident : $ty:ty = $wire:tt, $($rest:tt)*
    ) => {
        model!(@munch $meta $name $keeps
            [$($fields)* $(#[$fm])*
                #[serde(rename = $wire, deserialize_with = "crate::models::required_nullable")]
                pub $field: Option<$ty>,]
            [$($schema)* model!(@field $wire, true,
                $crate::schema::Shape::Nullable(&<$ty as $crate::schema::Shaped>::SHAPE)),]
            $($rest)*);
    };

    (@munch $meta:tt $name:ident $keeps:tt [$($fields:tt)*] [$($schema:tt)*]
        $(#[$fm:meta])* optional $field:ident : $ty:ty = $wire:tt, $($rest:tt)*
    ) => {
        model!(@munch $meta $name $keeps
            [$($fields)* $(#[$fm])*
                #[serde(
                    rename = $wire,
                    default,
                    skip_serializing_if = "Option::is_none",
                    deserialize_with = "crate::models::non_null"
                )]
                pub $field: Option<$ty>,]
            [$($schema)* model!(@field $wire, false, <$ty as $crate::schema::Shaped>::SHAPE),]
            $($rest)*);
    };

    (@munch $meta:tt $name:ident $keeps:tt [$($fields:tt)*] [$($schema:tt)*]
        $(#[$fm:meta])* optional_nullable $field:ident : $ty:ty = $wire:tt, $($rest:tt)*
    ) => {
        model!(@munch $meta $name $keeps
            [$($fields)* $(#[$fm])*
                #[serde(
                    rename = $wire,
                    default,
                    skip_serializing_if = "crate::models::nullable_is_none"
                )]
                pub $field: Option<$ty>,]
            [$($schema)* model!(@field $wire, false,
                $crate::schema::Shape::Nullable(&<$ty as $crate::schema::Shaped>::SHAPE)),]
            $($rest)*);
    };

    (@munch $meta:tt $name:ident $keeps:tt [$($fields:tt)*] [$($schema:tt)*]
        $(#[$fm:meta])* optional_safe_int $field:ident : i64 = $wire:tt, $($rest:tt)*
    ) => {
        model!(@munch $meta $name $keeps
            [$($fields)* $(#[$fm])*
                #[serde(
                    rename = $wire,
                    default,
                    skip_serializing_if = "Option::is_none",
                    deserialize_with = "crate::models::js_safe_i64"
                )]
                pub $field: Option<i64>,]
            [$($schema)* model!(@field $wire, false, $crate::schema::Shape::SafeInt),]
            $($rest)*);
    };

    (@munch $meta:tt $name:ident $keeps:tt [$($fields:tt)*] [$($schema:tt)*]
        $(#[$fm:meta])* extra $field:ident : $ty:ty, $($rest:tt)*
    ) => {
        model!(@munch $meta $name [true]
            [$($fields)* $(#[$fm])* #[serde(flatten)] pub $field: $ty,]
            [$($schema)*]
            $($rest)*);
    };

    (@field $wire:tt, $required:tt, $shape:expr) => {
        $crate::schema::Field { name: $wire, shape: $shape, required: $required }
    };
}

mod common;
mod email;
mod group;
mod migration;
mod space;
mod user;

pub use common::{Icon, Link, Links, OperationCheckResult, OperationName};
pub use email::AccountIdEmailRecord;
pub use group::{Group, GroupArrayWithLinks, GroupType};
pub use migration::{MigratedUser, MigratedUserArray};
pub use space::{
    DescriptionRepresentation, Space, SpaceDescription, SpaceDescriptions,
    SpaceDescriptionsExpandable, SpaceExpandable, SpaceHomepage,
};
pub use user::{
    AccountId, AccountType, BulkUserLookup, BulkUserLookupArray, User, UserAnonymous,
    UserAnonymousExpandable, UserBusinessDetails, UserDetails, UserExpandable, UserPersonalDetails,
    UserType,
};

/// Largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`, 2^53 − 1).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// `deserialize_with` for a field the spec lists as **required and nullable**: the key must be
/// present, its value may be `null`.
///
/// A plain `Option<T>` would also accept a missing key; serde only reports a missing field when the
/// field has a `deserialize_with` and no `default`.
pub(crate) fn required_nullable<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)
}

/// `deserialize_with` for a field the spec lists as **optional and not nullable** (used with
/// `#[serde(default)]`): the key may be absent, but an explicit `null` is a decode error, because
/// the generated TypeScript (`key?: T`) promises JavaScript callers it is never `null`.
pub(crate) fn non_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// `skip_serializing_if` for an **optional, nullable** field: omits the key when it is `None`.
///
/// This is `Option::is_none` under another name on purpose. tsify 0.5 treats the literal path
/// `"Option::is_none"` as "optional and never null" and renders `key?: T`, dropping the `| null`
/// the wire may carry; with this function, `#[serde(default)]` alone makes tsify render the
/// correct `key?: T | null`. The wasm test `ts_decl` checks the rendering.
pub(crate) fn nullable_is_none<T>(value: &Option<T>) -> bool {
    value.is_none()
}

/// `deserialize_with` for an optional, non-nullable int64 field: rejects `null`, non-integers and
/// integers beyond ±[`MAX_SAFE_INTEGER`].
///
/// JavaScript callers read the same body through `JSON.parse`, which would silently round a larger
/// value, so the body is refused instead of handing JS a different number than Rust sees.
pub(crate) fn js_safe_i64<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    struct Visitor;

    impl Visitor {
        fn out_of_range<E: de::Error>(value: impl std::fmt::Display) -> E {
            E::custom(format_args!(
                "integer {value} is outside the range JavaScript numbers represent exactly \
                 (±{MAX_SAFE_INTEGER})"
            ))
        }
    }

    impl de::Visitor<'_> for Visitor {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer")
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
            if value.unsigned_abs() <= MAX_SAFE_INTEGER.unsigned_abs() {
                Ok(value)
            } else {
                Err(Self::out_of_range(value))
            }
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
            match i64::try_from(value) {
                Ok(value) if value <= MAX_SAFE_INTEGER => Ok(value),
                _ => Err(Self::out_of_range(value)),
            }
        }
    }

    deserializer.deserialize_i64(Visitor).map(Some)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Shared helpers for the model tests.

    use serde::{de::DeserializeOwned, Serialize};
    use std::fmt::Debug;

    /// Decodes `json` the way the crate does, so errors carry the JSON path.
    pub(crate) fn decode<T: DeserializeOwned>(
        json: &str,
    ) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(json))
    }

    /// Decodes `json`, panicking with the path and message on failure.
    pub(crate) fn decode_ok<T: DeserializeOwned>(json: &str) -> T {
        decode(json)
            .unwrap_or_else(|err| panic!("decode failed at {}: {}", err.path(), err.inner()))
    }

    /// Decodes `json`, expects failure, and returns (path, message).
    pub(crate) fn decode_err<T: DeserializeOwned + Debug>(json: &str) -> (String, String) {
        match decode::<T>(json) {
            Ok(value) => panic!("expected a decode error, got {value:?}"),
            Err(err) => (err.path().to_string(), err.inner().to_string()),
        }
    }

    /// Serializes `value` and decodes it again, asserting the result is equal.
    pub(crate) fn assert_round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(
        value: &T,
    ) {
        let json = serde_json::to_string(value).expect("models always serialize");
        let back: T = decode_ok(&json);
        assert_eq!(&back, value, "round trip changed the value; json: {json}");
    }

    /// Sets the value at a JSON pointer, adding the last key to its object if it is absent.
    pub(crate) fn set(json: &mut serde_json::Value, pointer: &str, new: serde_json::Value) {
        let (parent, key) = pointer.rsplit_once('/').expect("pointer has a '/'");
        match json.pointer_mut(parent) {
            Some(serde_json::Value::Object(object)) => {
                object.insert(key.to_owned(), new);
            }
            Some(serde_json::Value::Array(array)) => array[key.parse::<usize>().unwrap()] = new,
            _ => panic!("no object or array at {parent}"),
        }
    }

    /// Parses `json` into a `serde_json::Value` for editing in a test.
    pub(crate) fn value(json: &str) -> serde_json::Value {
        serde_json::from_str(json).expect("fixture is valid JSON")
    }
}

/// Every model, field by field: serde (the derive the declaration produces) and the validator
/// (its schema) give the same verdict when a field is dropped or set to `null`, at every depth,
/// and that verdict is the one the field's kind promises.
#[cfg(test)]
mod agreement {
    use super::test_support::decode;
    use super::*;
    use crate::schema::{Object, Shape, Shaped};
    use serde::de::DeserializeOwned;
    use serde_json::{json, Map, Value};

    /// A value of `shape` with every field present (`full`) or only the required ones.
    fn example(shape: &Shape, full: bool) -> Value {
        match shape {
            Shape::String => json!("text"),
            Shape::OpenEnum(known) => json!(known[0]),
            Shape::Bool => json!(true),
            Shape::Int32 => json!(48),
            Shape::SafeInt => json!(2064386),
            Shape::Nullable(inner) => example(inner, full),
            Shape::Array(item) => json!([example(item, full)]),
            Shape::Object(object) => Value::Object(
                object
                    .fields
                    .iter()
                    .filter(|field| full || field.required)
                    .map(|field| (field.name.to_owned(), example(&field.shape, full)))
                    .collect::<Map<_, _>>(),
            ),
            Shape::Links => json!({"self": "/wiki/rest/api/user", "collection": {"href": "/x"}}),
            Shape::AnyObject => json!({"macro": {"name": "toc"}}),
        }
    }

    /// What a mutation must give, from the field's declaration.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Verdict {
        Accepted,
        Refused,
    }

    /// Every (JSON pointer, field, object) of `value`, which has `shape`: the fields of each
    /// object at any depth, through arrays and nullable values.
    fn fields(
        shape: &Shape,
        value: &Value,
        at: String,
        out: &mut Vec<(String, &'static Object, usize)>,
    ) {
        match (shape, value) {
            (Shape::Nullable(inner), _) => fields(inner, value, at, out),
            (Shape::Array(item), Value::Array(items)) => {
                for (i, v) in items.iter().enumerate() {
                    fields(item, v, format!("{at}/{i}"), out);
                }
            }
            (Shape::Object(object), Value::Object(map)) => {
                for (index, field) in object.fields.iter().enumerate() {
                    if let Some(v) = map.get(field.name) {
                        let pointer = format!("{at}/{}", field.name);
                        out.push((pointer.clone(), object, index));
                        fields(&field.shape, v, pointer, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// Checks one body against both, returning the shared verdict.
    fn verdict<T: DeserializeOwned + Shaped + std::fmt::Debug>(
        body: &Value,
        what: &str,
    ) -> Verdict {
        let text = body.to_string();
        let serde = decode::<T>(&text).map(drop).map_err(|e| e.to_string());
        let validator = crate::validate::validate(&text, &T::SHAPE).map_err(|e| e.message);
        assert_eq!(
            serde.is_ok(),
            validator.is_ok(),
            "{what}: serde says {serde:?}, the validator {validator:?}; body {text}"
        );
        if serde.is_ok() {
            Verdict::Accepted
        } else {
            Verdict::Refused
        }
    }

    fn agree<T: DeserializeOwned + Shaped + std::fmt::Debug>() {
        let name = match T::SHAPE {
            Shape::Object(object) => object.name,
            _ => unreachable!("models are objects"),
        };
        for full in [true, false] {
            let base = example(&T::SHAPE, full);
            assert_eq!(
                verdict::<T>(&base, name),
                Verdict::Accepted,
                "{name}: {base}"
            );
            let mut all = Vec::new();
            fields(&T::SHAPE, &base, String::new(), &mut all);
            if full {
                assert!(!all.is_empty(), "{name} has fields");
            }
            for (pointer, object, index) in all {
                let field = &object.fields[index];
                let (parent, _) = pointer.rsplit_once('/').expect("a field's pointer");

                let mut dropped = base.clone();
                let removed = match dropped.pointer_mut(parent) {
                    Some(Value::Object(map)) => map.remove(field.name),
                    _ => None,
                };
                assert!(removed.is_some(), "{name}: {pointer} was present");
                let expected = match field.required {
                    true => Verdict::Refused,
                    false => Verdict::Accepted,
                };
                let what = format!("{name}: without {pointer}");
                assert_eq!(verdict::<T>(&dropped, &what), expected, "{what}");

                let mut nulled = base.clone();
                *nulled.pointer_mut(&pointer).expect("present") = Value::Null;
                let expected = match field.shape {
                    Shape::Nullable(_) => Verdict::Accepted,
                    _ => Verdict::Refused,
                };
                let what = format!("{name}: {pointer} null");
                assert_eq!(verdict::<T>(&nulled, &what), expected, "{what}");
            }
        }
    }

    /// One test per model, named after it.
    macro_rules! agreement_tests {
        ($($test:ident: $model:ty,)+) => {
            $(
                #[test]
                fn $test() {
                    agree::<$model>();
                }
            )+
        };
    }

    agreement_tests! {
        icon: Icon,
        operation_check_result: OperationCheckResult,
        user: User,
        user_expandable: UserExpandable,
        user_details: UserDetails,
        user_business_details: UserBusinessDetails,
        user_personal_details: UserPersonalDetails,
        user_anonymous: UserAnonymous,
        user_anonymous_expandable: UserAnonymousExpandable,
        bulk_user_lookup: BulkUserLookup,
        bulk_user_lookup_array: BulkUserLookupArray,
        space: Space,
        space_descriptions: SpaceDescriptions,
        space_descriptions_expandable: SpaceDescriptionsExpandable,
        space_description: SpaceDescription,
        space_homepage: SpaceHomepage,
        space_expandable: SpaceExpandable,
        group: Group,
        group_array_with_links: GroupArrayWithLinks,
        account_id_email_record: AccountIdEmailRecord,
        migrated_user: MigratedUser,
        migrated_user_array: MigratedUserArray,
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{decode_err, decode_ok};
    use super::*;
    use serde::{Deserialize, Serialize};

    /// Exercises the four field shapes on one small struct.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Shapes {
        #[serde(deserialize_with = "required_nullable")]
        required_nullable: Option<String>,
        #[serde(default, skip_serializing_if = "nullable_is_none")]
        optional_nullable: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "non_null"
        )]
        optional: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "js_safe_i64"
        )]
        big: Option<i64>,
    }

    #[test]
    fn required_nullable_accepts_null_but_not_absence() {
        let shapes: Shapes = decode_ok(r#"{"required_nullable": null}"#);
        assert_eq!(shapes.required_nullable, None);
        let (path, msg) = decode_err::<Shapes>("{}");
        assert_eq!(path, ".");
        assert_eq!(msg, "missing field `required_nullable` at line 1 column 2");
    }

    #[test]
    fn optional_nullable_accepts_null_and_absence_and_is_omitted_when_none() {
        let shapes: Shapes = decode_ok(r#"{"required_nullable": "a", "optional_nullable": null}"#);
        assert_eq!(shapes.optional_nullable, None);
        assert_eq!(
            serde_json::to_string(&shapes).unwrap(),
            r#"{"required_nullable":"a"}"#
        );
    }

    #[test]
    fn non_null_rejects_explicit_null() {
        let (path, msg) = decode_err::<Shapes>(r#"{"required_nullable": "a", "optional": null}"#);
        assert_eq!(path, "optional");
        assert!(
            msg.starts_with("invalid type: null, expected a string"),
            "{msg}"
        );
    }

    #[test]
    fn js_safe_i64_bounds() {
        let ok: Shapes = decode_ok(r#"{"required_nullable": null, "big": 9007199254740991}"#);
        assert_eq!(ok.big, Some(MAX_SAFE_INTEGER));
        let ok: Shapes = decode_ok(r#"{"required_nullable": null, "big": -9007199254740991}"#);
        assert_eq!(ok.big, Some(-MAX_SAFE_INTEGER));

        for (json, shown) in [
            ("9007199254740992", "9007199254740992"),
            ("-9007199254740992", "-9007199254740992"),
            ("18446744073709551615", "18446744073709551615"),
        ] {
            let (path, msg) =
                decode_err::<Shapes>(&format!(r#"{{"required_nullable": null, "big": {json}}}"#));
            assert_eq!(path, "big");
            assert!(
                msg.starts_with(&format!(
                    "integer {shown} is outside the range JavaScript numbers represent exactly"
                )),
                "{msg}"
            );
        }

        let (_, msg) = decode_err::<Shapes>(r#"{"required_nullable": null, "big": 1.5}"#);
        assert!(
            msg.starts_with("invalid type: floating point `1.5`, expected an integer"),
            "{msg}"
        );
        let (_, msg) = decode_err::<Shapes>(r#"{"required_nullable": null, "big": null}"#);
        assert!(
            msg.starts_with("invalid type: null, expected an integer"),
            "{msg}"
        );
    }

    #[test]
    fn open_enum_known_unknown_and_wrong_type() {
        assert_eq!(decode_ok::<UserType>(r#""anonymous""#), UserType::Anonymous);
        assert_eq!(
            decode_ok::<UserType>(r#""robot""#),
            UserType::Other("robot".to_owned())
        );
        assert_eq!(UserType::Other("robot".into()).as_str(), "robot");
        assert_eq!(
            serde_json::to_string(&UserType::Other("robot".into())).unwrap(),
            r#""robot""#
        );
        assert_eq!(decode_ok::<AccountType>(r#""""#), AccountType::Empty);
        assert_eq!(AccountType::from("app"), AccountType::App);
        assert_eq!(
            AccountType::from(String::from("customer")).to_string(),
            "customer"
        );

        let (_, msg) = decode_err::<UserType>("3");
        assert!(
            msg.starts_with("invalid type: integer `3`, expected a UserType string"),
            "{msg}"
        );
        let (_, msg) = decode_err::<OperationName>("null");
        assert!(
            msg.starts_with("invalid type: null, expected a OperationName string"),
            "{msg}"
        );
    }

    #[test]
    fn open_enum_typescript_lists_every_wire_value() {
        assert!(
            UserType::TS_DECL.ends_with(
                "\nexport type UserType = \"known\" | \"unknown\" | \"anonymous\" | \"user\" | (string & {});"
            ),
            "{}",
            UserType::TS_DECL
        );
        assert!(AccountType::TS_DECL.ends_with(
            "export type AccountType = \"atlassian\" | \"app\" | \"\" | (string & {});"
        ));
        assert!(OperationName::TS_DECL.contains("\"clear_permissions\" | "));
        assert!(GroupType::TS_DECL.ends_with("export type GroupType = \"group\" | (string & {});"));
        assert!(DescriptionRepresentation::TS_DECL.ends_with(
            "export type DescriptionRepresentation = \"plain\" | \"view\" | (string & {});"
        ));
        assert!(
            UserType::TS_DECL.starts_with("/**\n * "),
            "{}",
            UserType::TS_DECL
        );
    }
}

/// Checks the TypeScript tsify generates, in a wasm build (run with
/// `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --target wasm32-unknown-unknown --lib`).
#[cfg(all(test, target_arch = "wasm32"))]
mod ts_decl {
    use super::*;
    use tsify::Tsify;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// The members of a DECL without their doc comments, one per entry.
    fn members(decl: &str) -> Vec<&str> {
        decl.lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("/**") && !line.starts_with('*'))
            .collect()
    }

    #[wasm_bindgen_test]
    fn the_four_field_shapes_render_as_the_wire_allows() {
        let user = members(User::DECL);
        // optional, not nullable
        assert!(
            user.contains(&"accountType?: AccountType;"),
            "{}",
            User::DECL
        );
        assert!(user.contains(&"publicName?: string;"), "{}", User::DECL);
        // optional, nullable
        assert!(
            user.contains(&"personalSpace?: Space | null;"),
            "{}",
            User::DECL
        );
        assert!(
            user.contains(&"accountId?: AccountId | null;"),
            "{}",
            User::DECL
        );
        // required, not nullable
        assert!(user.contains(&"type: UserType;"), "{}", User::DECL);
        let bulk = members(BulkUserLookup::DECL);
        // required, nullable
        assert!(
            bulk.contains(&"profilePicture: Icon | null;"),
            "{}",
            BulkUserLookup::DECL
        );
        assert!(
            bulk.contains(&"accountId: AccountId | null;"),
            "{}",
            BulkUserLookup::DECL
        );
    }

    #[wasm_bindgen_test]
    fn newtypes_and_flattened_maps() {
        assert!(
            AccountId::DECL.ends_with("export type AccountId = string;"),
            "{}",
            AccountId::DECL
        );
        assert!(
            Space::DECL.contains("} & Record<string, unknown>;"),
            "{}",
            Space::DECL
        );
        assert!(
            members(Group::DECL).contains(&"_links?: Links;"),
            "{}",
            Group::DECL
        );
    }
}
