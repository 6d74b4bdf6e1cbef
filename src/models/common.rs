//! Schemas shared by several resources: `Icon`, `OperationCheckResult` and `GenericLinks`.

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

model! {
    /// An image: a profile picture or a space icon (`Icon`).
    ///
    /// The spec makes `Icon` nullable: a `profilePicture` may be `null` depending on the user's
    /// privacy settings, so fields of this type may be `null`.
    pub struct Icon {
        /// Path of the image relative to the site, e.g. `/wiki/aa-avatar/5b10ac8d82e05b22cc7d4ef5`.
        required path: String = "path",
        /// Width in pixels.
        required width: i32 = "width",
        /// Height in pixels.
        required height: i32 = "height",
        /// Whether this is the default image rather than one the user or space set.
        required is_default: bool = "isDefault",
    }
}

model! {
    /// An operation and the kind of entity it applies to, e.g. `create` on `page`
    /// (`OperationCheckResult`). Present in `operations`, with `expand=operations`.
    pub struct OperationCheckResult {
        /// The operation.
        required operation: OperationName = "operation",
        /// The space or content type it applies to: `application`, `page`, `blogpost`, `comment`,
        /// `attachment` or `space`.
        required target_type: String = "targetType",
    }
}

open_enum! {
    /// An operation a user may perform (`OperationCheckResult.operation`).
    pub enum OperationName {
        /// `administer`
        Administer = "administer",
        /// `archive`
        Archive = "archive",
        /// `clear_permissions`
        ClearPermissions = "clear_permissions",
        /// `copy`
        Copy = "copy",
        /// `create`
        Create = "create",
        /// `create_space`
        CreateSpace = "create_space",
        /// `delete`
        Delete = "delete",
        /// `export`
        Export = "export",
        /// `move`
        Move = "move",
        /// `purge`
        Purge = "purge",
        /// `purge_version`
        PurgeVersion = "purge_version",
        /// `read`
        Read = "read",
        /// `restore`
        Restore = "restore",
        /// `restrict_content`
        RestrictContent = "restrict_content",
        /// `update`
        Update = "update",
        /// `use`
        Use = "use",
    }
}

/// One value of `_links`: a URL or path string (the usual case), or a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// A URL or a path, e.g. `https://your-domain.atlassian.net/wiki` or `/rest/api/user/memberof?…`.
    Url(String),
    /// A JSON object, which the spec allows but Confluence rarely sends.
    Object(serde_json::Map<String, serde_json::Value>),
}

impl Link {
    /// The link when it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Link::Url(url) => Some(url),
            Link::Object(_) => None,
        }
    }

    /// The link when it is an object.
    pub fn as_object(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        match self {
            Link::Url(_) => None,
            Link::Object(object) => Some(object),
        }
    }
}

impl Serialize for Link {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Link::Url(url) => serializer.serialize_str(url),
            Link::Object(object) => object.serialize(serializer),
        }
    }
}

// Hand-written rather than `#[serde(untagged)]`: untagged buffers the whole value and reports only
// "data did not match any variant", where this names the type it found.
impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LinkVisitor;

        impl<'de> Visitor<'de> for LinkVisitor {
            type Value = Link;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a link: a string or a JSON object")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Link, E> {
                Ok(Link::Url(value.to_owned()))
            }

            fn visit_string<E: de::Error>(self, value: String) -> Result<Link, E> {
                Ok(Link::Url(value))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Link, A::Error> {
                let mut object = serde_json::Map::new();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    object.insert(key, value);
                }
                Ok(Link::Object(object))
            }
        }

        deserializer.deserialize_any(LinkVisitor)
    }
}

/// Hypermedia links of a resource (`_links`, the spec's `GenericLinks`): a map from a name such as
/// `self`, `base`, `context`, `next` or `webui` to a [`Link`].
///
/// The spec does not fix the keys, so they are kept in a map; the getters cover the common ones.
/// On a page, `next` is a path relative to `base`, present while more results follow.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Links(pub BTreeMap<String, Link>);

impl crate::schema::Shaped for Links {
    const SHAPE: crate::schema::Shape = crate::schema::Shape::Links;
}

// tsify would render `BTreeMap<String, Link>` as a JS `Map` and `Link` as a tagged object; the
// wire is a plain object of strings or objects, so the declaration is written out here.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const LINKS_TS: &str = r#"/**
 * One value of `_links`: a URL or path string (the usual case), or a JSON object.
 */
export type Link = string | Record<string, unknown>;
/**
 * Hypermedia links of a resource (`_links`): e.g. `self`, `base`, `context`, `next`, `webui`.
 */
export type Links = Record<string, Link>;"#;

impl Links {
    /// The link named `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Link> {
        self.0.get(name)
    }

    /// The link named `name` when it is a string.
    pub fn url(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Link::as_str)
    }

    /// `next`: the path of the next page, relative to [`base`](Self::base); absent on the last page.
    pub fn next(&self) -> Option<&str> {
        self.url("next")
    }

    /// `base`: the site's base URL, e.g. `https://your-domain.atlassian.net/wiki`.
    pub fn base(&self) -> Option<&str> {
        self.url("base")
    }

    /// `context`: the context path, e.g. `/wiki`.
    pub fn context(&self) -> Option<&str> {
        self.url("context")
    }

    /// `self`: the canonical URL of this resource.
    pub fn self_url(&self) -> Option<&str> {
        self.url("self")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::test_support::{assert_round_trip, decode_err, decode_ok};

    #[test]
    fn links_keep_strings_and_objects() {
        let links: Links = decode_ok(
            r#"{"base": "https://your-domain.atlassian.net/wiki", "context": "/wiki",
                "next": "/rest/api/user/memberof?accountId=5b10ac8d82e05b22cc7d4ef5&start=2&limit=2",
                "collection": {"href": "/rest/api/group", "rel": ["up"]}}"#,
        );
        assert_eq!(links.base(), Some("https://your-domain.atlassian.net/wiki"));
        assert_eq!(links.context(), Some("/wiki"));
        assert_eq!(
            links.next(),
            Some("/rest/api/user/memberof?accountId=5b10ac8d82e05b22cc7d4ef5&start=2&limit=2")
        );
        assert_eq!(links.self_url(), None);
        let collection = links.get("collection").expect("collection link");
        assert_eq!(collection.as_str(), None);
        assert_eq!(
            collection.as_object().unwrap()["rel"],
            serde_json::json!(["up"])
        );
        // An object link is not a `next` URL even under that name.
        let odd: Links = decode_ok(r#"{"next": {"href": "/x"}}"#);
        assert_eq!(odd.next(), None);
        assert_round_trip(&links);
    }

    #[test]
    fn link_values_of_other_types_fail_with_their_key() {
        for (value, found) in [
            ("3", "integer `3`"),
            ("null", "null"),
            ("true", "boolean `true`"),
            ("[\"/a\"]", "sequence"),
        ] {
            let (path, msg) = decode_err::<Links>(&format!(r#"{{"base": "/", "next": {value}}}"#));
            assert_eq!(path, "next");
            assert!(
                msg.starts_with(&format!(
                    "invalid type: {found}, expected a link: a string or a JSON object"
                )),
                "{msg}"
            );
        }
        let (_, msg) = decode_err::<Links>(r#"["/wiki"]"#);
        assert!(
            msg.starts_with("invalid type: sequence, expected a map"),
            "{msg}"
        );
    }

    #[test]
    fn icon_rejects_floats_and_nulls_in_integer_fields() {
        let (path, msg) = decode_err::<Icon>(
            r#"{"path": "/wiki/aa-avatar/5b10ac8d82e05b22cc7d4ef5", "width": 1.5, "height": 48, "isDefault": false}"#,
        );
        assert_eq!(path, "width");
        assert!(
            msg.starts_with("invalid type: floating point `1.5`, expected i32"),
            "{msg}"
        );
        let (path, _) = decode_err::<Icon>(
            r#"{"path": "/a", "width": 48, "height": 4294967296, "isDefault": false}"#,
        );
        assert_eq!(path, "height");
    }

    #[test]
    fn unknown_operation_is_kept() {
        let op: OperationCheckResult =
            decode_ok(r#"{"operation": "teleport", "targetType": "space"}"#);
        assert_eq!(op.operation, OperationName::Other("teleport".to_owned()));
        assert_eq!(op.operation.as_str(), "teleport");
        assert_eq!(
            serde_json::to_string(&op).unwrap(),
            r#"{"operation":"teleport","targetType":"space"}"#
        );
        let known: OperationCheckResult =
            decode_ok(r#"{"operation": "purge_version", "targetType": "page"}"#);
        assert_eq!(known.operation, OperationName::PurgeVersion);
    }
}
