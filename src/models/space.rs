//! Spaces, as they appear in a user's `personalSpace` (`Space`).
//!
//! `Space` is large and recursive in the spec (`history.createdBy` is a `User`, whose
//! `personalSpace` is a `Space` again). The fields a user of this crate reads are typed; everything
//! else the server sent is kept verbatim in [`Space::extra`], so nothing is dropped and nothing
//! recursive is modelled.

use super::{Icon, Links};

model! {
    /// A Confluence space (`Space`). The spec makes it nullable: a user's `personalSpace` is `null`
    /// when the user has none.
    pub struct Space {
        /// The numeric space ID (int64; decoding refuses values a JavaScript number cannot hold exactly).
        optional_safe_int id: i64 = "id",
        /// The space key, e.g. `DOCS`, or `~5b10ac8d82e05b22cc7d4ef5` for a personal space.
        required key: String = "key",
        /// The space name.
        required name: String = "name",
        /// The space icon; may be `null`.
        optional_nullable icon: Icon = "icon",
        /// The description. Only with `expand=description.plain` or `description.view`.
        optional description: SpaceDescriptions = "description",
        /// The home page: its `id` and `title`, the rest kept verbatim. Only with `expand=homepage`.
        optional_nullable homepage: SpaceHomepage = "homepage",
        /// The space type: `global` or `personal`.
        required r#type: String = "type",
        /// The space status, e.g. `current` or `archived`.
        required status: String = "status",
        /// The expansions not applied to this response.
        required expandable: SpaceExpandable = "_expandable",
        /// Links: `self`, `webui`.
        required links: Links = "_links",
        /// Every other field the server sent (`metadata`, `operations`, `permissions`, `settings`,
        /// `theme`, `lookAndFeel`, `history`, …), verbatim.
        // tsify would render the flattened `serde_json::Map` as `Map<string, Value>` (a JS Map and an
        // undeclared type); the wire is "any other key", which TypeScript spells as this intersection.
        #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, unknown>"))]
        extra extra: serde_json::Map<String, serde_json::Value>,
    }
}

model! {
    /// A space's description in the representations that were expanded (`Space.description`).
    #[derive(Default)]
    pub struct SpaceDescriptions {
        /// Plain text. Only with `expand=description.plain`.
        optional plain: SpaceDescription = "plain",
        /// Rendered HTML. Only with `expand=description.view`.
        optional view: SpaceDescription = "view",
        /// The representations not expanded.
        optional expandable: SpaceDescriptionsExpandable = "_expandable",
    }
}

model! {
    /// The description representations a response did not expand (`Space.description._expandable`).
    #[derive(Default)]
    pub struct SpaceDescriptionsExpandable {
        /// Present when `view` was not expanded.
        optional view: String = "view",
        /// Present when `plain` was not expanded.
        optional plain: String = "plain",
    }
}

model! {
    /// A space description in one representation (`SpaceDescription`).
    pub struct SpaceDescription {
        /// The description text, in `representation`.
        required value: String = "value",
        /// How `value` is written.
        required representation: DescriptionRepresentation = "representation",
        /// Content embedded in the description (macros, attachments), as JSON objects.
        // Without the override tsify would name serde_json's `Map<String, Value>`, which TS lacks.
        #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, unknown>[]"))]
        required embedded_content: Vec<serde_json::Map<String, serde_json::Value>> = "embeddedContent",
    }
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

model! {
    /// A space's home page (`Space.homepage`, a `Content`): `id` and `title` typed, the rest verbatim.
    pub struct SpaceHomepage {
        /// The content ID of the page, e.g. `"2064389"` (a string on the wire).
        optional id: String = "id",
        /// The page title.
        optional title: String = "title",
        /// Every other field of the page (`type`, `status`, `_links`, …), verbatim.
        // Rendered by hand for the same reason as `Space::extra`.
        #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, unknown>"))]
        extra extra: serde_json::Map<String, serde_json::Value>,
    }
}

model! {
    /// The expansions a `Space` response did not apply (`_expandable`); each value is usually an
    /// empty string or a REST path.
    #[derive(Default)]
    pub struct SpaceExpandable {
        /// Present when `settings` was not expanded.
        optional settings: String = "settings",
        /// Present when `metadata` was not expanded.
        optional metadata: String = "metadata",
        /// Present when `operations` was not expanded.
        optional operations: String = "operations",
        /// Present when `lookAndFeel` was not expanded.
        optional look_and_feel: String = "lookAndFeel",
        /// Present when `permissions` was not expanded.
        optional permissions: String = "permissions",
        /// Present when `icon` was not expanded.
        optional icon: String = "icon",
        /// Present when `description` was not expanded.
        optional description: String = "description",
        /// Present when `theme` was not expanded.
        optional theme: String = "theme",
        /// Present when `history` was not expanded.
        optional history: String = "history",
        /// Present when `homepage` was not expanded.
        optional homepage: String = "homepage",
        /// Present when `identifiers` was not expanded.
        optional identifiers: String = "identifiers",
    }
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
