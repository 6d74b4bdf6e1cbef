//! User migration: `getBulkUserMigration` (`MigratedUserArray`). The endpoint is deprecated and
//! was removed from Atlassian's spec after 2023-03.

use super::{AccountId, Links};

model! {
    /// The account ID a deprecated username or user key maps to (`MigratedUser`). Any field may be
    /// absent or `null`.
    #[derive(Default)]
    pub struct MigratedUser {
        /// The deprecated username that was looked up.
        optional_nullable username: String = "username",
        /// The deprecated user key that was looked up.
        optional_nullable key: String = "key",
        /// The account ID it belongs to.
        optional_nullable account_id: AccountId = "accountId",
    }
}

model! {
    /// A page of username/key → account ID mappings from the deprecated `getBulkUserMigration`
    /// (`MigratedUserArray`).
    pub struct MigratedUserArray {
        /// The mappings on this page.
        required results: Vec<MigratedUser> = "results",
        /// Offset of the first result.
        required start: i32 = "start",
        /// The page size the server applied.
        required limit: i32 = "limit",
        /// Number of results on this page.
        required size: i32 = "size",
        /// Links: `self`, `base`, `context`, and `next` while more results follow.
        required links: Links = "_links",
    }
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
