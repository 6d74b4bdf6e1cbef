//! Spaces, as they appear in a user's `personalSpace` (`Space`).
//!
//! `Space` is large and recursive in the spec (`history.createdBy` is a `User`, whose
//! `personalSpace` is a `Space` again). The fields a user of this crate reads are typed; everything
//! else the server sent is kept verbatim in [`Space::extra`], so nothing is dropped and nothing
//! recursive is modelled.

use serde::{Deserialize, Serialize};

use super::{js_safe_i64, non_null, nullable_is_none, Icon, Links};

/// A Confluence space (`Space`). The spec makes it nullable: a user's `personalSpace` is `null`
/// when the user has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Space {
    /// The numeric space ID (int64; decoding refuses values a JavaScript number cannot hold exactly).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "js_safe_i64"
    )]
    pub id: Option<i64>,
    /// The space key, e.g. `DOCS`, or `~5b10ac8d82e05b22cc7d4ef5` for a personal space.
    pub key: String,
    /// The space name.
    pub name: String,
    /// The space icon; may be `null`.
    #[serde(default, skip_serializing_if = "nullable_is_none")]
    pub icon: Option<Icon>,
    /// The description. Only with `expand=description.plain` or `description.view`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub description: Option<SpaceDescriptions>,
    /// The home page: its `id` and `title`, the rest kept verbatim. Only with `expand=homepage`.
    #[serde(default, skip_serializing_if = "nullable_is_none")]
    pub homepage: Option<SpaceHomepage>,
    /// The space type: `global` or `personal`.
    pub r#type: String,
    /// The space status, e.g. `current` or `archived`.
    pub status: String,
    /// The expansions not applied to this response.
    #[serde(rename = "_expandable")]
    pub expandable: SpaceExpandable,
    /// Links: `self`, `webui`.
    #[serde(rename = "_links")]
    pub links: Links,
    /// Every other field the server sent (`metadata`, `operations`, `permissions`, `settings`,
    /// `theme`, `lookAndFeel`, `history`, …), verbatim.
    // tsify would render the flattened `serde_json::Map` as `Map<string, Value>` (a JS Map and an
    // undeclared type); the wire is "any other key", which TypeScript spells as this intersection.
    #[serde(flatten)]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, unknown>"))]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A space's description in the representations that were expanded (`Space.description`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct SpaceDescriptions {
    /// Plain text. Only with `expand=description.plain`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub plain: Option<SpaceDescription>,
    /// Rendered HTML. Only with `expand=description.view`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub view: Option<SpaceDescription>,
    /// The representations not expanded.
    #[serde(
        rename = "_expandable",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub expandable: Option<SpaceDescriptionsExpandable>,
}

/// The description representations a response did not expand (`Space.description._expandable`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct SpaceDescriptionsExpandable {
    /// Present when `view` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub view: Option<String>,
    /// Present when `plain` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub plain: Option<String>,
}

/// A space description in one representation (`SpaceDescription`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct SpaceDescription {
    /// The description text, in `representation`.
    pub value: String,
    /// How `value` is written.
    pub representation: DescriptionRepresentation,
    /// Content embedded in the description (macros, attachments), as JSON objects.
    // Without the override tsify would name serde_json's `Map<String, Value>`, which TS lacks.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, unknown>[]"))]
    pub embedded_content: Vec<serde_json::Map<String, serde_json::Value>>,
}

open_enum! {
    /// How a space description is written (`SpaceDescription.representation`).
    pub enum DescriptionRepresentation {
        /// `plain`: plain text.
        Plain = "plain",
        /// `view`: rendered HTML.
        View = "view",
    }
}

/// A space's home page (`Space.homepage`, a `Content`): `id` and `title` typed, the rest verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct SpaceHomepage {
    /// The content ID of the page, e.g. `"2064389"` (a string on the wire).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub id: Option<String>,
    /// The page title.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub title: Option<String>,
    /// Every other field of the page (`type`, `status`, `_links`, …), verbatim.
    // Rendered by hand for the same reason as `Space::extra`.
    #[serde(flatten)]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, unknown>"))]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The expansions a `Space` response did not apply (`_expandable`); each value is usually an
/// empty string or a REST path.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct SpaceExpandable {
    /// Present when `settings` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub settings: Option<String>,
    /// Present when `metadata` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub metadata: Option<String>,
    /// Present when `operations` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub operations: Option<String>,
    /// Present when `lookAndFeel` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub look_and_feel: Option<String>,
    /// Present when `permissions` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub permissions: Option<String>,
    /// Present when `icon` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub icon: Option<String>,
    /// Present when `description` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub description: Option<String>,
    /// Present when `theme` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub theme: Option<String>,
    /// Present when `history` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub history: Option<String>,
    /// Present when `homepage` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub homepage: Option<String>,
    /// Present when `identifiers` was not expanded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub identifiers: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::test_support::{assert_round_trip, decode_err, decode_ok, value};
    use crate::models::User;

    const USER: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/user.json"
    ));

    fn personal_space() -> serde_json::Value {
        value(USER)["personalSpace"].clone()
    }

    #[test]
    fn personal_space_decodes_and_keeps_unknown_fields() {
        let user: User = decode_ok(USER);
        let space = user.personal_space.expect("personal space");
        assert_eq!(space.id, Some(2064386));
        assert_eq!(space.name, "Mia Krystof");
        assert_eq!(space.status, "current");
        assert_eq!(
            space.icon.as_ref().map(|icon| icon.path.as_str()),
            Some("/wiki/aa-avatar/5b10ac8d82e05b22cc7d4ef5")
        );
        let plain = space
            .description
            .as_ref()
            .and_then(|d| d.plain.as_ref())
            .expect("plain description");
        assert_eq!(plain.value, "Notes and drafts.");
        assert_eq!(plain.representation, DescriptionRepresentation::Plain);
        assert!(plain.embedded_content.is_empty());
        assert_eq!(
            space
                .description
                .as_ref()
                .and_then(|d| d.expandable.as_ref())
                .and_then(|e| e.view.as_deref()),
            Some("")
        );
        let homepage = space.homepage.as_ref().expect("homepage");
        assert_eq!(homepage.id.as_deref(), Some("2064389"));
        assert_eq!(homepage.title.as_deref(), Some("Mia Krystof Home"));
        assert_eq!(homepage.extra["type"], "page");
        assert_eq!(
            homepage.extra["_links"]["webui"],
            "/spaces/~5b10ac8d82e05b22cc7d4ef5/overview"
        );
        assert_eq!(
            space.expandable.settings.as_deref(),
            Some("/rest/api/space/~5b10ac8d82e05b22cc7d4ef5/settings")
        );
        assert_eq!(
            space.links.url("webui"),
            Some("/spaces/~5b10ac8d82e05b22cc7d4ef5")
        );

        // The recursive part of Space survives untouched in `extra`.
        assert_eq!(
            space.extra["history"]["createdBy"]["accountId"],
            "5b10ac8d82e05b22cc7d4ef5"
        );
        assert_eq!(
            space.extra["history"]["createdDate"],
            "2018-06-01T09:15:42.118Z"
        );
        assert!(
            !space.extra.contains_key("key"),
            "typed fields are not duplicated in extra"
        );
        // And it is written back out.
        let out = serde_json::to_value(&space).unwrap();
        assert_eq!(out, personal_space());
        assert_round_trip(&space);
    }

    #[test]
    fn required_and_int64_checks_reach_through_the_flattened_struct() {
        let mut json = personal_space();
        json["id"] = serde_json::json!(9007199254740993_u64);
        let (path, msg) = decode_err::<Space>(&json.to_string());
        assert_eq!(path, "id");
        assert!(
            msg.starts_with("integer 9007199254740993 is outside the range JavaScript numbers represent exactly"),
            "{msg}"
        );

        let mut json = personal_space();
        json["id"] = serde_json::json!(1.5);
        assert_eq!(decode_err::<Space>(&json.to_string()).0, "id");

        let mut json = personal_space();
        json["id"] = serde_json::Value::Null;
        assert_eq!(decode_err::<Space>(&json.to_string()).0, "id");

        let mut json = personal_space();
        json.as_object_mut().unwrap().remove("_expandable");
        let (_, msg) = decode_err::<Space>(&json.to_string());
        assert!(msg.starts_with("missing field `_expandable`"), "{msg}");

        let mut json = personal_space();
        json["description"]["plain"]["representation"] = serde_json::json!(["plain"]);
        assert_eq!(
            decode_err::<Space>(&json.to_string()).0,
            "description.plain.representation"
        );

        let mut json = personal_space();
        json["description"]["plain"]["embeddedContent"] = serde_json::json!(["not an object"]);
        assert_eq!(
            decode_err::<Space>(&json.to_string()).0,
            "description.plain.embeddedContent[0]"
        );

        let mut json = personal_space();
        json["icon"] = serde_json::Value::Null;
        json["homepage"] = serde_json::Value::Null;
        let space: Space = decode_ok(&json.to_string());
        assert_eq!((space.icon, space.homepage), (None, None));
    }

    #[test]
    fn unknown_representation_is_kept() {
        let mut json = personal_space();
        json["description"]["plain"]["representation"] = "storage".into();
        let space: Space = decode_ok(&json.to_string());
        assert_eq!(
            space.description.unwrap().plain.unwrap().representation,
            DescriptionRepresentation::Other("storage".to_owned())
        );
    }
}
