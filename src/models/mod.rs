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
