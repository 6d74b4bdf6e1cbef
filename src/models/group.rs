//! Groups: the `getGroupMembershipsForUser` page (`GroupArrayWithLinks`).

use serde::{Deserialize, Serialize};

use super::{js_safe_i64, non_null, nullable_is_none, Links};

open_enum! {
    /// The kind of group (`Group.type`); Confluence only documents `group`.
    pub enum GroupType {
        /// `group`
        Group = "group",
    }
}

/// A user group (`Group`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The kind of group, `group`.
    pub r#type: GroupType,
    /// The group name, e.g. `confluence-users`.
    pub name: String,
    /// The group ID; may be `null` in this version of the API.
    #[serde(default, skip_serializing_if = "nullable_is_none")]
    pub id: Option<String>,
    /// Links: `self`.
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_null"
    )]
    pub links: Option<Links>,
}

/// A page of the groups a user belongs to, from `getGroupMembershipsForUser`
/// (`GroupArrayWithLinks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct GroupArrayWithLinks {
    /// The groups on this page.
    pub results: Vec<Group>,
    /// Offset of the first result.
    pub start: i32,
    /// The page size the server applied.
    pub limit: i32,
    /// Number of results on this page.
    pub size: i32,
    /// Number of groups before paging. Only when the server was asked for it
    /// (`shouldReturnTotalSize=true`); the spec's default is 0.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "js_safe_i64"
    )]
    pub total_size: Option<i64>,
    /// Links: `self`, `base`, `context`, and `next` while more groups follow.
    #[serde(rename = "_links")]
    pub links: Links,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::test_support::{assert_round_trip, decode_err, decode_ok, value};

    const GROUPS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/groups.json"
    ));

    #[test]
    fn groups_page_decodes() {
        let page: GroupArrayWithLinks = decode_ok(GROUPS);
        assert_eq!((page.start, page.limit, page.size), (0, 2, 2));
        assert_eq!(page.total_size, Some(5));
        let names: Vec<&str> = page.results.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["confluence-users", "site-admins"]);
        assert_eq!(page.results[0].r#type, GroupType::Group);
        assert_eq!(
            page.results[0].id.as_deref(),
            Some("a1b2c3d4-3fd5-4d3e-9c1b-2f4e6a8b0c11")
        );
        assert_eq!(page.results[1].id, None, "null id");
        assert_eq!(
            page.results[0].links.as_ref().and_then(|l| l.self_url()),
            Some("https://your-domain.atlassian.net/wiki/rest/api/group/by-id?id=a1b2c3d4-3fd5-4d3e-9c1b-2f4e6a8b0c11")
        );
        assert_eq!(
            page.links.next(),
            Some("/rest/api/user/memberof?accountId=5b10ac8d82e05b22cc7d4ef5&limit=2&start=2")
        );
        assert_eq!(
            page.links.base(),
            Some("https://your-domain.atlassian.net/wiki")
        );
        assert_round_trip(&page);
    }

    #[test]
    fn total_size_is_optional_and_js_safe() {
        let mut json = value(GROUPS);
        json.as_object_mut().unwrap().remove("totalSize");
        let page: GroupArrayWithLinks = decode_ok(&json.to_string());
        assert_eq!(page.total_size, None);
        assert!(!serde_json::to_string(&page).unwrap().contains("totalSize"));

        json["totalSize"] = serde_json::json!(9007199254740993_u64);
        let (path, msg) = decode_err::<GroupArrayWithLinks>(&json.to_string());
        assert_eq!(path, "totalSize");
        assert!(
            msg.starts_with("integer 9007199254740993 is outside the range JavaScript numbers represent exactly"),
            "{msg}"
        );

        json["totalSize"] = serde_json::json!(5.5);
        assert_eq!(
            decode_err::<GroupArrayWithLinks>(&json.to_string()).0,
            "totalSize"
        );
        json["totalSize"] = serde_json::Value::Null;
        assert_eq!(
            decode_err::<GroupArrayWithLinks>(&json.to_string()).0,
            "totalSize"
        );
    }

    #[test]
    fn unknown_group_type_and_fields_are_kept_or_ignored() {
        let mut json = value(GROUPS);
        json["results"][0]["type"] = "team".into();
        let page: GroupArrayWithLinks = decode_ok(&json.to_string());
        assert_eq!(page.results[0].r#type, GroupType::Other("team".to_owned()));
        assert_eq!(page.results[0].r#type.to_string(), "team");
        // `usageType` and `managedBy` in the fixture are newer fields: ignored.
        assert_eq!(
            serde_json::to_value(&page).unwrap()["results"][0].get("usageType"),
            None
        );
    }

    #[test]
    fn group_errors_name_their_path() {
        let mut json = value(GROUPS);
        json["results"][1]["_links"]["self"] = serde_json::json!(7);
        assert_eq!(
            decode_err::<GroupArrayWithLinks>(&json.to_string()).0,
            "results[1]._links.self"
        );
        let mut json = value(GROUPS);
        json["results"][1].as_object_mut().unwrap().remove("name");
        let (path, msg) = decode_err::<GroupArrayWithLinks>(&json.to_string());
        assert_eq!(path, "results[1]");
        assert!(msg.starts_with("missing field `name`"), "{msg}");
        let mut json = value(GROUPS);
        json["results"][0]["type"] = serde_json::Value::Null;
        assert_eq!(
            decode_err::<GroupArrayWithLinks>(&json.to_string()).0,
            "results[0].type"
        );
    }
}
