//! Users: `User` (`getUser`, `getCurrentUser`), `UserAnonymous` (`getAnonymousUser`) and
//! `BulkUserLookupArray` (`getBulkUserLookup`).

use serde::{Deserialize, Serialize};
use std::fmt;

use super::{Icon, Links, OperationCheckResult, Space};

/// An Atlassian account ID, which identifies a user across all Atlassian products, e.g.
/// `5b10ac8d82e05b22cc7d4ef5` or `557058:f58131cb-b67d-43c7-b30d-6b58d40bd077`.
///
/// In TypeScript it is a plain `string`. The Rust crate gives it a type of its own, so that
/// an account ID cannot be passed where a group ID or a space key is expected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(transparent)]
pub struct AccountId(pub String);

impl crate::schema::Shaped for AccountId {
    const SHAPE: crate::schema::Shape = crate::schema::Shape::String;
}

impl AccountId {
    /// The ID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for AccountId {
    fn from(id: &str) -> Self {
        AccountId(id.to_owned())
    }
}

impl From<String> for AccountId {
    fn from(id: String) -> Self {
        AccountId(id)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

open_enum! {
    /// The kind of user (`type`).
    pub enum UserType {
        /// `known`: a user with an Atlassian account.
        Known = "known",
        /// `unknown`
        Unknown = "unknown",
        /// `anonymous`: not logged in.
        Anonymous = "anonymous",
        /// `user`
        User = "user",
    }
}

open_enum! {
    /// The account type (`accountType`). Empty when Confluence cannot tell.
    pub enum AccountType {
        /// `atlassian`: a person's Atlassian account.
        Atlassian = "atlassian",
        /// `app`: a bot user created on behalf of an Atlassian app.
        App = "app",
        /// `""`: not available.
        Empty = "",
    }
}

model! {
    /// A user, as returned by `getUser` and `getCurrentUser` (`User`).
    ///
    /// Only `type` is required by the spec. Several fields depend on the user's privacy settings.
    pub struct User {
        /// The kind of user.
        required r#type: UserType = "type",
        /// Deprecated and no longer returned by Confluence Cloud; use `accountId`.
        optional_nullable username: String = "username",
        /// Deprecated and no longer returned by Confluence Cloud; use `accountId`.
        optional_nullable user_key: String = "userKey",
        /// The account ID.
        optional_nullable account_id: AccountId = "accountId",
        /// The account type; `app` for a bot user of an app.
        optional account_type: AccountType = "accountType",
        /// The email address. Depending on the user's privacy settings it may be empty.
        optional_nullable email: String = "email",
        /// The public name or nickname.
        optional public_name: String = "publicName",
        /// The profile picture; `null` depending on the user's privacy settings.
        optional_nullable profile_picture: Icon = "profilePicture",
        /// The display name. Depending on privacy settings it may equal `publicName`.
        optional_nullable display_name: String = "displayName",
        /// The user's time zone, e.g. `Europe/Prague`; `null` depending on privacy settings.
        optional_nullable time_zone: String = "timeZone",
        /// Whether the user is an external collaborator (guest).
        optional is_external_collaborator: bool = "isExternalCollaborator",
        /// Same as `isExternalCollaborator` (older name).
        optional external_collaborator: bool = "externalCollaborator",
        /// What the user may do. Only with `expand=operations`.
        optional_nullable operations: Vec<OperationCheckResult> = "operations",
        /// Deprecated business and personal details. Only when expanded.
        optional details: UserDetails = "details",
        /// The user's personal space. Only with `expand=personalSpace`; `null` if the user has none.
        optional_nullable personal_space: Space = "personalSpace",
        /// The expansions not applied to this response.
        optional expandable: UserExpandable = "_expandable",
        /// Links to this user.
        optional links: Links = "_links",
    }
}

model! {
    /// The expansions a `User` or `BulkUserLookup` response did not apply (`_expandable`): each
    /// present key names an expansion that can be requested; the value is usually an empty string or a
    /// REST path.
    #[derive(Default)]
    pub struct UserExpandable {
        /// Present when `operations` was not expanded.
        optional operations: String = "operations",
        /// Present when `details` was not expanded.
        optional details: String = "details",
        /// Present when `personalSpace` was not expanded.
        optional personal_space: String = "personalSpace",
    }
}

model! {
    /// Business and personal details of a user (`UserDetails`). Every field is deprecated for privacy
    /// reasons and is normally absent; there is no replacement.
    #[derive(Default)]
    pub struct UserDetails {
        /// Deprecated business details.
        optional business: UserBusinessDetails = "business",
        /// Deprecated personal details.
        optional personal: UserPersonalDetails = "personal",
    }
}

model! {
    /// Deprecated business details of a user (`UserDetails.business`).
    #[derive(Default)]
    pub struct UserBusinessDetails {
        /// Deprecated for privacy; no replacement.
        optional position: String = "position",
        /// Deprecated for privacy; no replacement.
        optional department: String = "department",
        /// Deprecated for privacy; no replacement.
        optional location: String = "location",
    }
}

model! {
    /// Deprecated personal details of a user (`UserDetails.personal`).
    #[derive(Default)]
    pub struct UserPersonalDetails {
        /// Deprecated for privacy; no replacement.
        optional phone: String = "phone",
        /// Deprecated for privacy; no replacement.
        optional im: String = "im",
        /// Deprecated for privacy; no replacement.
        optional website: String = "website",
        /// Deprecated for privacy; use the user's `email` instead.
        optional email: String = "email",
    }
}

model! {
    /// The anonymous user, as returned by `getAnonymousUser` (`UserAnonymous`).
    pub struct UserAnonymous {
        /// The kind of user, normally `anonymous`. A plain string in the spec; any value is kept.
        required r#type: UserType = "type",
        /// The anonymous user's picture. Required, but may be `null`.
        required_nullable profile_picture: Icon = "profilePicture",
        /// The name shown for anonymous users, e.g. `Anonymous`.
        required display_name: String = "displayName",
        /// What anonymous users may do. Only with `expand=operations`.
        optional operations: Vec<OperationCheckResult> = "operations",
        /// Whether the user is an external collaborator.
        optional is_external_collaborator: bool = "isExternalCollaborator",
        /// The expansions not applied to this response.
        optional expandable: UserAnonymousExpandable = "_expandable",
        /// Links: `self`, `base`, `context`.
        required links: Links = "_links",
    }
}

model! {
    /// The expansions a `UserAnonymous` response did not apply (`_expandable`).
    #[derive(Default)]
    pub struct UserAnonymousExpandable {
        /// Present when `operations` was not expanded.
        optional operations: String = "operations",
    }
}

model! {
    /// One user of a `getBulkUserLookup` page (`BulkUserLookup`).
    ///
    /// Stricter than `User`: the identity fields are required, and only `timeZone` (plus the
    /// deprecated `username`/`userKey`, `accountId`, `profilePicture` and `personalSpace`) may be `null`.
    pub struct BulkUserLookup {
        /// The kind of user.
        required r#type: UserType = "type",
        /// Deprecated and no longer returned by Confluence Cloud; use `accountId`.
        optional_nullable username: String = "username",
        /// Deprecated and no longer returned by Confluence Cloud; use `accountId`.
        optional_nullable user_key: String = "userKey",
        /// The account ID. Required, but may be `null`.
        required_nullable account_id: AccountId = "accountId",
        /// The account type; may be empty if unavailable. A plain string in the spec; any value is kept.
        required account_type: AccountType = "accountType",
        /// The email address. Depending on the user's privacy settings it may be empty.
        required email: String = "email",
        /// The public name or nickname.
        required public_name: String = "publicName",
        /// The profile picture. Required, but `null` depending on the user's privacy settings.
        required_nullable profile_picture: Icon = "profilePicture",
        /// The display name. Depending on privacy settings it may equal `publicName`.
        required display_name: String = "displayName",
        /// The user's time zone; `null` depending on privacy settings.
        optional_nullable time_zone: String = "timeZone",
        /// Whether the user is an external collaborator (guest).
        optional is_external_collaborator: bool = "isExternalCollaborator",
        /// What the user may do. Only with `expand=operations`.
        optional operations: Vec<OperationCheckResult> = "operations",
        /// Deprecated business and personal details. Only when expanded.
        optional details: UserDetails = "details",
        /// The user's personal space. Only with `expand=personalSpace`; `null` if the user has none.
        optional_nullable personal_space: Space = "personalSpace",
        /// The expansions not applied to this response.
        required expandable: UserExpandable = "_expandable",
        /// Links to this user.
        required links: Links = "_links",
    }
}

model! {
    /// A page of users from `getBulkUserLookup` (`BulkUserLookupArray`).
    pub struct BulkUserLookupArray {
        /// The users found.
        required results: Vec<BulkUserLookup> = "results",
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
    use crate::models::test_support::{
        assert_round_trip, decode, decode_err, decode_ok, set, value,
    };
    use crate::models::OperationName;

    const USER: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/user.json"
    ));
    const USER_MINIMAL: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/user_minimal.json"
    ));
    const USER_ANONYMOUS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/user_anonymous.json"
    ));
    const BULK_USERS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bulk_users.json"
    ));

    #[test]
    fn full_user_decodes() {
        let user: User = decode_ok(USER);
        assert_eq!(user.r#type, UserType::Known);
        assert_eq!(
            user.account_id,
            Some(AccountId::from("5b10ac8d82e05b22cc7d4ef5"))
        );
        assert_eq!(user.account_type, Some(AccountType::Atlassian));
        assert_eq!(user.email.as_deref(), Some("mia.krystof@example.com"));
        assert_eq!(user.public_name.as_deref(), Some("Mia Krystof"));
        assert_eq!(user.time_zone.as_deref(), Some("Europe/Prague"));
        assert_eq!(user.is_external_collaborator, Some(false));
        let picture = user.profile_picture.as_ref().expect("profile picture");
        assert_eq!(picture.path, "/wiki/aa-avatar/5b10ac8d82e05b22cc7d4ef5");
        assert_eq!(
            (picture.width, picture.height, picture.is_default),
            (48, 48, false)
        );

        let operations = user.operations.as_ref().expect("operations expanded");
        assert_eq!(operations.len(), 4);
        assert_eq!(operations[0].operation, OperationName::Administer);
        assert_eq!(operations[0].target_type, "application");
        assert_eq!(operations[2].operation, OperationName::Create);
        assert_eq!(operations[2].target_type, "page");

        let details = user.details.as_ref().expect("details expanded");
        assert_eq!(details.business, Some(UserBusinessDetails::default()));
        assert_eq!(
            details.personal.as_ref().and_then(|p| p.email.as_deref()),
            Some("mia.krystof@example.com")
        );

        let space = user
            .personal_space
            .as_ref()
            .expect("personal space expanded");
        assert_eq!(space.id, Some(2064386));
        assert_eq!(space.key, "~5b10ac8d82e05b22cc7d4ef5");
        assert_eq!(space.r#type, "personal");

        assert_eq!(user.expandable, Some(UserExpandable::default()));
        let links = user.links.as_ref().expect("links");
        assert_eq!(links.base(), Some("https://your-domain.atlassian.net/wiki"));
        assert_eq!(links.context(), Some("/wiki"));
        assert_eq!(
            links.self_url(),
            Some("https://your-domain.atlassian.net/wiki/rest/api/user?accountId=5b10ac8d82e05b22cc7d4ef5")
        );
        assert_round_trip(&user);
    }

    #[test]
    fn minimal_user_decodes() {
        let user: User = decode_ok(USER_MINIMAL);
        assert_eq!(user.r#type, UserType::Known);
        assert_eq!(
            user.account_id.as_ref().map(AccountId::as_str),
            Some("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077")
        );
        assert_eq!(user.account_type, Some(AccountType::App));
        // Privacy: the email is hidden as an empty string and the time zone is left out.
        assert_eq!(user.email.as_deref(), Some(""));
        assert_eq!(user.time_zone, None);
        assert_eq!(user.operations, None);
        assert_eq!(user.personal_space, None);
        assert_eq!(
            user.expandable,
            Some(UserExpandable {
                operations: Some(String::new()),
                details: None,
                personal_space: Some(String::new()),
            })
        );
        assert_round_trip(&user);

        // Only `type` is required.
        let bare: User = decode_ok(r#"{"type": "unknown"}"#);
        assert_eq!(bare.r#type, UserType::Unknown);
        assert_eq!(bare.links, None);
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"type":"unknown"}"#
        );
    }

    #[test]
    fn anonymous_user_decodes() {
        let user: UserAnonymous = decode_ok(USER_ANONYMOUS);
        assert_eq!(user.r#type, UserType::Anonymous);
        assert_eq!(user.display_name, "Anonymous");
        let picture = user.profile_picture.as_ref().expect("picture");
        assert!(picture.is_default);
        assert_eq!(
            picture.path,
            "/wiki/s/-1547106476/6452/_/images/icons/profilepics/anonymous.svg"
        );
        assert_eq!(
            user.expandable
                .as_ref()
                .and_then(|e| e.operations.as_deref()),
            Some("")
        );
        assert_eq!(
            user.links.self_url(),
            Some("https://your-domain.atlassian.net/wiki/rest/api/user/anonymous")
        );
        assert_round_trip(&user);

        let mut json = value(USER_ANONYMOUS);
        json["profilePicture"] = serde_json::Value::Null;
        let user: UserAnonymous = decode_ok(&json.to_string());
        assert_eq!(user.profile_picture, None);

        json.as_object_mut().unwrap().remove("profilePicture");
        let (path, msg) = decode_err::<UserAnonymous>(&json.to_string());
        assert_eq!(path, ".");
        assert!(msg.starts_with("missing field `profilePicture`"), "{msg}");
    }

    #[test]
    fn bulk_users_decode() {
        let page: BulkUserLookupArray = decode_ok(BULK_USERS);
        assert_eq!((page.start, page.limit, page.size), (0, 200, 3));
        assert_eq!(page.results.len(), 3);

        let mia = &page.results[0];
        assert_eq!(
            mia.account_id,
            Some(AccountId::from("5b10ac8d82e05b22cc7d4ef5"))
        );
        assert_eq!(mia.account_type, AccountType::Atlassian);
        assert_eq!(mia.display_name, "Mia Krystof");
        assert_eq!(mia.operations.as_ref().map(Vec::len), Some(2));
        assert_eq!(mia.expandable.personal_space.as_deref(), Some(""));

        let bot = &page.results[1];
        assert_eq!(bot.account_type, AccountType::App);
        assert_eq!(bot.email, "");
        assert_eq!(bot.time_zone, None);
        assert!(bot.profile_picture.as_ref().unwrap().is_default);

        let guest = &page.results[2];
        assert_eq!(guest.account_type, AccountType::Empty);
        assert_eq!(guest.public_name, "jsmith");
        assert_eq!(guest.is_external_collaborator, Some(true));

        assert_eq!(
            page.links.base(),
            Some("https://your-domain.atlassian.net/wiki")
        );
        assert_eq!(page.links.next(), None);
        assert_round_trip(&page);
    }

    #[test]
    fn bulk_user_nullable_fields_accept_null() {
        let mut json = value(BULK_USERS);
        json["results"][1]["profilePicture"] = serde_json::Value::Null;
        json["results"][1]["accountId"] = serde_json::Value::Null;
        json["results"][1]["username"] = serde_json::Value::Null;
        json["results"][1]["personalSpace"] = serde_json::Value::Null;
        let page: BulkUserLookupArray = decode_ok(&json.to_string());
        assert_eq!(page.results[1].profile_picture, None);
        assert_eq!(page.results[1].account_id, None);
        assert_eq!(page.results[1].personal_space, None);
        assert_round_trip(&page);
    }

    #[test]
    fn bulk_user_non_nullable_fields_reject_null_with_their_path() {
        for (edit, expected_path) in [
            (
                "/results/1/profilePicture/width",
                "results[1].profilePicture.width",
            ),
            ("/results/1/operations", "results[1].operations"),
            (
                "/results/0/operations/1/targetType",
                "results[0].operations[1].targetType",
            ),
            ("/results/1/email", "results[1].email"),
            (
                "/results/1/isExternalCollaborator",
                "results[1].isExternalCollaborator",
            ),
            ("/results/2/accountType", "results[2].accountType"),
            (
                "/results/0/_expandable/operations",
                "results[0]._expandable.operations",
            ),
            ("/_links/base", "_links.base"),
        ] {
            let mut json = value(BULK_USERS);
            set(&mut json, edit, serde_json::Value::Null);
            let (path, msg) = decode_err::<BulkUserLookupArray>(&json.to_string());
            assert_eq!(path, expected_path, "{msg}");
            assert!(msg.starts_with("invalid type: null"), "{msg}");
        }
    }

    #[test]
    fn user_optional_non_nullable_fields_reject_null() {
        for key in [
            "accountType",
            "publicName",
            "isExternalCollaborator",
            "details",
            "_expandable",
            "_links",
        ] {
            let mut json = value(USER);
            json[key] = serde_json::Value::Null;
            let (path, msg) = decode_err::<User>(&json.to_string());
            assert_eq!(path, key);
            assert!(msg.starts_with("invalid type: null"), "{key}: {msg}");
        }
        for key in [
            "username",
            "accountId",
            "email",
            "profilePicture",
            "displayName",
            "timeZone",
            "operations",
            "personalSpace",
        ] {
            let mut json = value(USER);
            json[key] = serde_json::Value::Null;
            let user: User = decode_ok(&json.to_string());
            assert_round_trip(&user);
        }
    }

    #[test]
    fn missing_required_fields_name_their_place() {
        let mut json = value(BULK_USERS);
        json["results"][2].as_object_mut().unwrap().remove("email");
        let (path, msg) = decode_err::<BulkUserLookupArray>(&json.to_string());
        assert_eq!(path, "results[2]");
        assert!(msg.starts_with("missing field `email`"), "{msg}");

        let mut json = value(BULK_USERS);
        json["results"][0]
            .as_object_mut()
            .unwrap()
            .remove("accountId");
        let (path, msg) = decode_err::<BulkUserLookupArray>(&json.to_string());
        assert_eq!(path, "results[0]");
        assert!(msg.starts_with("missing field `accountId`"), "{msg}");

        let mut json = value(USER);
        json.as_object_mut().unwrap().remove("type");
        let (path, msg) = decode_err::<User>(&json.to_string());
        assert_eq!(path, ".");
        assert!(msg.starts_with("missing field `type`"), "{msg}");

        let mut json = value(USER);
        json["personalSpace"].as_object_mut().unwrap().remove("key");
        let (path, msg) = decode_err::<User>(&json.to_string());
        assert_eq!(path, "personalSpace");
        assert!(msg.starts_with("missing field `key`"), "{msg}");
    }

    #[test]
    fn unknown_enum_values_are_kept() {
        let mut json = value(USER);
        json["accountType"] = "customer".into();
        json["type"] = "robot".into();
        json["operations"][0]["operation"] = "teleport".into();
        let user: User = decode_ok(&json.to_string());
        assert_eq!(
            user.account_type,
            Some(AccountType::Other("customer".to_owned()))
        );
        assert_eq!(user.r#type, UserType::Other("robot".to_owned()));
        assert_eq!(
            user.operations.as_ref().unwrap()[0].operation.as_str(),
            "teleport"
        );
        let out = serde_json::to_value(&user).unwrap();
        assert_eq!(out["accountType"], "customer");
        assert_eq!(out["type"], "robot");
        assert_eq!(out["operations"][0]["operation"], "teleport");

        let mut json = value(USER);
        json["accountType"] = serde_json::json!(1);
        let (path, msg) = decode_err::<User>(&json.to_string());
        assert_eq!(path, "accountType");
        assert!(
            msg.starts_with("invalid type: integer `1`, expected a AccountType string"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_fields_are_ignored_everywhere() {
        let mut json = value(BULK_USERS);
        json["isLastPage"] = true.into();
        json["results"][0]["isGuest"] = false.into();
        json["results"][0]["profilePicture"]["srcset"] = serde_json::json!(["a 1x", "b 2x"]);
        json["results"][0]["operations"][0]["since"] = serde_json::json!({"v": 1});
        json["results"][0]["_expandable"]["isGuest"] = "".into();
        let page: BulkUserLookupArray = decode_ok(&json.to_string());
        assert_eq!(page, decode_ok::<BulkUserLookupArray>(BULK_USERS));

        let mut json = value(USER);
        json["details"]["business"]["team"] = "Platform".into();
        json["details"]["social"] = serde_json::json!({"x": null});
        json["_expandable"]["isGuest"] = "".into();
        let user: User = decode_ok(&json.to_string());
        assert_eq!(user, decode_ok::<User>(USER));
    }

    #[test]
    fn wrong_types_fail() {
        for (edit, replacement, expected_path) in [
            (
                "/results/0/displayName",
                serde_json::json!(42),
                "results[0].displayName",
            ),
            (
                "/results/0/profilePicture",
                serde_json::json!("/wiki/aa-avatar/x"),
                "results[0].profilePicture",
            ),
            (
                "/results/0/isExternalCollaborator",
                serde_json::json!("false"),
                "results[0].isExternalCollaborator",
            ),
            (
                "/results/0/operations",
                serde_json::json!({}),
                "results[0].operations",
            ),
            (
                "/results/0/profilePicture/height",
                serde_json::json!(1.5),
                "results[0].profilePicture.height",
            ),
            ("/size", serde_json::json!(3.0), "size"),
            ("/start", serde_json::json!(-2147483649_i64), "start"),
            ("/_links/next", serde_json::json!(2), "_links.next"),
            ("/results", serde_json::json!(null), "results"),
        ] {
            let mut json = value(BULK_USERS);
            set(&mut json, edit, replacement);
            let (path, msg) = decode_err::<BulkUserLookupArray>(&json.to_string());
            assert_eq!(path, expected_path, "{edit}: {msg}");
        }
    }

    #[test]
    fn top_level_null_user_is_an_error() {
        let (_, msg) = decode_err::<User>("null");
        assert!(
            msg.starts_with("invalid type: null, expected struct User"),
            "{msg}"
        );
    }

    #[test]
    fn hostile_input_errors_without_panicking() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let mut json = value(USER);
        // Nesting in a kept-verbatim part (Space.extra) and in a link object.
        json["personalSpace"]["settings"] = "DEEP".into();
        let text = json.to_string().replacen("\"DEEP\"", &deep, 1);
        let (_, msg) = decode_err::<User>(&text);
        assert!(msg.starts_with("recursion limit exceeded"), "{msg}");
        let mut json = value(USER);
        json["_links"]["deep"] = serde_json::json!({"a": "DEEP"});
        let text = json.to_string().replacen("\"DEEP\"", &deep, 1);
        let (path, msg) = decode_err::<User>(&text);
        assert!(msg.starts_with("recursion limit exceeded"), "{msg}");
        assert!(path.starts_with("_links.deep"), "{path}");
        for junk in [
            "",
            "{",
            "{\"type\":",
            "\"known\"",
            "{\"type\":\"known\",}",
            "\u{0}",
            "{\"type\":\"\\ud800\"}",
        ] {
            assert!(decode::<User>(junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn account_id_is_a_plain_string_on_the_wire() {
        let id = AccountId::from(String::from("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"));
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#""557058:f58131cb-b67d-43c7-b30d-6b58d40bd077""#
        );
        assert_eq!(id.to_string(), id.as_str());
        assert!(decode_err::<AccountId>("5")
            .1
            .starts_with("invalid type: integer `5`, expected a string"));
    }
}
