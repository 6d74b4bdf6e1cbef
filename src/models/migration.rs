//! User migration: `getBulkUserMigration` (`MigratedUserArray`). The endpoint is deprecated and
//! was removed from Atlassian's spec after 2023-03.

use serde::{Deserialize, Serialize};

use super::{nullable_is_none, AccountId, Links};

/// The account ID a deprecated username or user key maps to (`MigratedUser`). Any field may be
/// absent or `null`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct MigratedUser {
    /// The deprecated username that was looked up.
    #[serde(default, skip_serializing_if = "nullable_is_none")]
    pub username: Option<String>,
    /// The deprecated user key that was looked up.
    #[serde(default, skip_serializing_if = "nullable_is_none")]
    pub key: Option<String>,
    /// The account ID it belongs to.
    #[serde(default, skip_serializing_if = "nullable_is_none")]
    pub account_id: Option<AccountId>,
}

/// A page of username/key → account ID mappings from the deprecated `getBulkUserMigration`
/// (`MigratedUserArray`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct MigratedUserArray {
    /// The mappings on this page.
    pub results: Vec<MigratedUser>,
    /// Offset of the first result.
    pub start: i32,
    /// The page size the server applied.
    pub limit: i32,
    /// Number of results on this page.
    pub size: i32,
    /// Links: `self`, `base`, `context`, and `next` while more results follow.
    #[serde(rename = "_links")]
    pub links: Links,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::test_support::{assert_round_trip, decode_err, decode_ok, value};

    const MIGRATION: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/migration.json"
    ));

    #[test]
    fn migration_page_decodes() {
        let page: MigratedUserArray = decode_ok(MIGRATION);
        assert_eq!((page.start, page.limit, page.size), (0, 200, 2));
        assert_eq!(page.results[0].username.as_deref(), Some("mkrystof"));
        assert_eq!(
            page.results[0].key.as_deref(),
            Some("ff8080815a0f2e7c015a0f30b8a50000")
        );
        assert_eq!(
            page.results[0].account_id,
            Some(AccountId::from("5b10ac8d82e05b22cc7d4ef5"))
        );
        // A key with no matching user: null accountId.
        assert_eq!(
            page.results[1].key.as_deref(),
            Some("8a7f808a6c8a1d7a016c8a1f2b3c0001")
        );
        assert_eq!(page.results[1].account_id, None);
        assert_eq!(page.results[1].username, None);
        assert_eq!(page.links.context(), Some("/wiki"));
        assert_round_trip(&page);
    }

    #[test]
    fn empty_mapping_and_wrong_types() {
        let mut json = value(MIGRATION);
        json["results"][0] = serde_json::json!({});
        let page: MigratedUserArray = decode_ok(&json.to_string());
        assert_eq!(page.results[0], MigratedUser::default());

        json["results"][0] = serde_json::json!({"key": ["a"]});
        assert_eq!(
            decode_err::<MigratedUserArray>(&json.to_string()).0,
            "results[0].key"
        );

        let mut json = value(MIGRATION);
        json.as_object_mut().unwrap().remove("_links");
        let (path, msg) = decode_err::<MigratedUserArray>(&json.to_string());
        assert_eq!(path, ".");
        assert!(msg.starts_with("missing field `_links`"), "{msg}");
    }
}
