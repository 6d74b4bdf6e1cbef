//! Groups: the `getGroupMembershipsForUser` page (`GroupArrayWithLinks`).

use super::Links;

open_enum! {
    /// The kind of group (`Group.type`); Confluence only documents `group`.
    pub enum GroupType {
        /// `group`
        Group = "group",
    }
}

model! {
    /// A user group (`Group`).
    pub struct Group {
        /// The kind of group, `group`.
        required r#type: GroupType = "type",
        /// The group name, e.g. `confluence-users`.
        required name: String = "name",
        /// The group ID; may be `null` in this version of the API.
        optional_nullable id: String = "id",
        /// Links: `self`.
        optional links: Links = "_links",
    }
}

model! {
    /// A page of the groups a user belongs to, from `getGroupMembershipsForUser`
    /// (`GroupArrayWithLinks`).
    pub struct GroupArrayWithLinks {
        /// The groups on this page.
        required results: Vec<Group> = "results",
        /// Offset of the first result.
        required start: i32 = "start",
        /// The page size the server applied.
        required limit: i32 = "limit",
        /// Number of results on this page.
        required size: i32 = "size",
        /// Number of groups before paging. Only when the server was asked for it
        /// (`shouldReturnTotalSize=true`); the spec's default is 0.
        optional_safe_int total_size: i64 = "totalSize",
        /// Links: `self`, `base`, `context`, and `next` while more groups follow.
        required links: Links = "_links",
    }
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
