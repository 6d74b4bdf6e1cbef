//! One params struct and request builder per operation, named after Confluence's operationIds.
//!
//! Each params struct implements [`Endpoint`]: validation, then the path and query,
//! percent-encoded. The wasm skin reads one from the JS object of the same name field by
//! field (`src/wasm/params.rs`, by the core's rules in `src/input.rs`: camelCase fields,
//! unknown fields refused so a typo is an error rather than a silently ignored option);
//! the serde `Deserialize` derives, with the same names and `deny_unknown_fields`, serve a
//! Rust caller reading params from JSON, and tsify declares the TypeScript types from them.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::encode::percent_encode_into;
use crate::error::Error;
use crate::models::{
    AccountId, AccountIdEmailRecord, BulkUserLookupArray, GroupArrayWithLinks, MigratedUserArray,
    User, UserAnonymous,
};
use crate::schema::{Shape, Shaped};

/// An operation of the user API: its params validate themselves and produce the request path.
pub trait Endpoint {
    /// Confluence's operationId, e.g. `getUser`.
    const OPERATION: &'static str;
    /// The model a 2xx response decodes into.
    type Output: DeserializeOwned + Shaped;
    /// The shape of a 2xx body, which [`crate::validate`] checks: `Output`'s, from the same
    /// declaration as its serde code.
    const SHAPE: &'static Shape = &<Self::Output as Shaped>::SHAPE;
    /// Checks every parameter; the error names the one that is wrong.
    fn validate(&self) -> Result<(), Error>;
    /// Validates, then returns the path below `/wiki/rest/api` with its query, e.g.
    /// `/user?accountId=5b10ac8d82e05b22cc7d4ef5`.
    fn path_and_query(&self) -> Result<String, Error>;
}

/// An operation whose ids can be split over several requests (see [`crate::plan_bulk`]).
pub trait BulkEndpoint: Endpoint + Clone {
    /// The account ids asked for.
    fn account_ids(&self) -> &[AccountId];
    /// The same call for other ids.
    fn with_account_ids(&self, ids: Vec<AccountId>) -> Self;
    /// The ids asked for, moved out of the call.
    fn into_account_ids(self) -> Vec<AccountId>;
    /// The most records the whole call returns, when the caller set one.
    fn result_limit(&self) -> Option<usize> {
        None
    }
}

/// An operation paged by `start` and `limit`.
pub trait PagedEndpoint: Endpoint + Clone {
    /// The requested start (0 when omitted).
    fn start(&self) -> i32;
    /// The same call from another start.
    fn with_start(&self, start: i32) -> Self;
}

/// Builds `path?name=value&...`, percent-encoding every name's value.
struct Query {
    out: String,
    has_params: bool,
}

impl Query {
    fn new(path: &str) -> Self {
        Query {
            out: path.to_owned(),
            has_params: false,
        }
    }

    fn start_param(&mut self, name: &str) {
        self.out.push(if self.has_params { '&' } else { '?' });
        self.has_params = true;
        self.out.push_str(name);
        self.out.push('=');
    }

    fn param(mut self, name: &str, value: &str) -> Self {
        self.start_param(name);
        percent_encode_into(&mut self.out, value);
        self
    }

    fn opt_int(self, name: &str, value: Option<i32>) -> Self {
        match value {
            Some(v) => self.param(name, &v.to_string()),
            None => self,
        }
    }

    /// One parameter whose values are joined by literal commas (OpenAPI form, explode=false).
    /// Omitted when `values` is empty.
    fn comma_list<'a>(mut self, name: &str, values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut first = true;
        for value in values {
            if first {
                self.start_param(name);
                first = false;
            } else {
                self.out.push(',');
            }
            percent_encode_into(&mut self.out, value);
        }
        self
    }

    /// The parameter repeated once per value (OpenAPI form, explode=true).
    fn repeated<'a>(mut self, name: &str, values: impl IntoIterator<Item = &'a str>) -> Self {
        for value in values {
            self = self.param(name, value);
        }
        self
    }

    fn finish(self) -> String {
        self.out
    }
}

macro_rules! expand_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant,)+
        }

        impl $name {
            /// Every value as sent in the `expand` parameter.
            pub const NAMES: &'static [&'static str] = &[$($wire,)+];

            /// The value as sent in the `expand` parameter.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// The variant sent as `wire`, if there is one.
            pub fn from_wire(wire: &str) -> Option<Self> {
                match wire {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

expand_enum! {
    /// What `getUser` and `getCurrentUser` can expand.
    UserExpand {
        /// The operations the user may perform.
        Operations = "operations",
        /// `details.personal` (deprecated by Atlassian's privacy changes; mostly empty).
        DetailsPersonal = "details.personal",
        /// `details.business` (deprecated by Atlassian's privacy changes; mostly empty).
        DetailsBusiness = "details.business",
        /// The user's personal space, if it exists.
        PersonalSpace = "personalSpace",
        /// Whether the user is an external collaborator.
        IsExternalCollaborator = "isExternalCollaborator",
    }
}

expand_enum! {
    /// What `getAnonymousUser` can expand.
    AnonymousExpand {
        /// The operations the anonymous user may perform.
        Operations = "operations",
    }
}

expand_enum! {
    /// What `getBulkUserLookup` can expand.
    BulkExpand {
        /// The operations each user may perform.
        Operations = "operations",
        /// `details.personal` (deprecated by Atlassian's privacy changes; mostly empty).
        DetailsPersonal = "details.personal",
        /// `details.business` (deprecated by Atlassian's privacy changes; mostly empty).
        DetailsBusiness = "details.business",
        /// Each user's personal space, if it exists.
        PersonalSpace = "personalSpace",
    }
}

/// The most ids `/user/bulk` answers for in one request.
pub const BULK_LOOKUP_MAX_IDS: usize = 200;

fn require_account_id(name: &str, id: &AccountId) -> Result<(), Error> {
    if id.as_str().is_empty() {
        return Err(Error::invalid(format!("{name} must not be empty")));
    }
    Ok(())
}

/// Checks a list that travels as one comma-separated parameter: non-empty, no empty id, and no
/// id holding a comma (the server would split it in two).
fn require_account_id_list(ids: &[AccountId]) -> Result<(), Error> {
    if ids.is_empty() {
        return Err(Error::invalid("accountIds must not be empty"));
    }
    for (i, id) in ids.iter().enumerate() {
        if id.as_str().is_empty() {
            return Err(Error::invalid(format!("accountIds[{i}] must not be empty")));
        }
        if id.as_str().contains(',') {
            return Err(Error::invalid(format!(
                "accountIds[{i}] contains a comma, which the comma-separated accountId parameter cannot carry"
            )));
        }
    }
    Ok(())
}

fn require_range(name: &str, value: Option<i32>, min: i32, max: i32) -> Result<(), Error> {
    match value {
        Some(v) if v < min || v > max => Err(Error::invalid(if max == i32::MAX {
            format!("{name} must be at least {min} (got {v})")
        } else {
            format!("{name} must be between {min} and {max} (got {v})")
        })),
        _ => Ok(()),
    }
}

fn expands<T: Copy>(
    values: &[T],
    as_str: fn(T) -> &'static str,
) -> impl Iterator<Item = &'static str> + '_ {
    values.iter().map(move |v| as_str(*v))
}

/// Parameters of `getUser` (`GET /wiki/rest/api/user`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetUserParams {
    /// The user's account id, e.g. `5b10ac8d82e05b22cc7d4ef5`.
    pub account_id: AccountId,
    /// Properties to expand.
    #[serde(default)]
    pub expand: Vec<UserExpand>,
}

impl Endpoint for GetUserParams {
    const OPERATION: &'static str = "getUser";
    type Output = User;

    fn validate(&self) -> Result<(), Error> {
        require_account_id("accountId", &self.account_id)
    }

    fn path_and_query(&self) -> Result<String, Error> {
        self.validate()?;
        Ok(Query::new("/user")
            .param("accountId", self.account_id.as_str())
            .comma_list("expand", expands(&self.expand, UserExpand::as_str))
            .finish())
    }
}

/// Parameters of `getAnonymousUser` (`GET /wiki/rest/api/user/anonymous`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetAnonymousUserParams {
    /// Properties to expand.
    #[serde(default)]
    pub expand: Vec<AnonymousExpand>,
}

impl Endpoint for GetAnonymousUserParams {
    const OPERATION: &'static str = "getAnonymousUser";
    type Output = UserAnonymous;

    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }

    fn path_and_query(&self) -> Result<String, Error> {
        Ok(Query::new("/user/anonymous")
            .comma_list("expand", expands(&self.expand, AnonymousExpand::as_str))
            .finish())
    }
}

/// Parameters of `getCurrentUser` (`GET /wiki/rest/api/user/current`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetCurrentUserParams {
    /// Properties to expand.
    #[serde(default)]
    pub expand: Vec<UserExpand>,
}

impl Endpoint for GetCurrentUserParams {
    const OPERATION: &'static str = "getCurrentUser";
    type Output = User;

    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }

    fn path_and_query(&self) -> Result<String, Error> {
        Ok(Query::new("/user/current")
            .comma_list("expand", expands(&self.expand, UserExpand::as_str))
            .finish())
    }
}

/// Parameters of `getGroupMembershipsForUser` (`GET /wiki/rest/api/user/memberof`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetGroupMembershipsForUserParams {
    /// The user's account id.
    pub account_id: AccountId,
    /// The 0-based index of the first group to return (server default 0).
    #[serde(default)]
    pub start: Option<i32>,
    /// Groups per page (server default 200, capped by Confluence's own limits).
    #[serde(default)]
    pub limit: Option<i32>,
}

impl Endpoint for GetGroupMembershipsForUserParams {
    const OPERATION: &'static str = "getGroupMembershipsForUser";
    type Output = GroupArrayWithLinks;

    fn validate(&self) -> Result<(), Error> {
        require_account_id("accountId", &self.account_id)?;
        require_range("start", self.start, 0, i32::MAX)?;
        require_range("limit", self.limit, 0, i32::MAX)
    }

    fn path_and_query(&self) -> Result<String, Error> {
        self.validate()?;
        Ok(Query::new("/user/memberof")
            .param("accountId", self.account_id.as_str())
            .opt_int("start", self.start)
            .opt_int("limit", self.limit)
            .finish())
    }
}

/// Parameters of `getBulkUserLookup` (`GET /wiki/rest/api/user/bulk`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetBulkUserLookupParams {
    /// The account ids to look up, sent as one comma-separated `accountId`. One request takes
    /// at most 200; the JS client splits longer lists over several requests.
    pub account_ids: Vec<AccountId>,
    /// Properties to expand on every user.
    #[serde(default)]
    pub expand: Vec<BulkExpand>,
    /// The most users to return, 1 to 200.
    #[serde(default)]
    pub limit: Option<i32>,
}

impl Endpoint for GetBulkUserLookupParams {
    const OPERATION: &'static str = "getBulkUserLookup";
    type Output = BulkUserLookupArray;

    fn validate(&self) -> Result<(), Error> {
        require_account_id_list(&self.account_ids)?;
        if self.account_ids.len() > BULK_LOOKUP_MAX_IDS {
            // Confluence would silently answer for the first 200 only.
            return Err(Error::invalid(format!(
                "accountIds holds {} ids; one request takes at most {BULK_LOOKUP_MAX_IDS}",
                self.account_ids.len()
            )));
        }
        require_range("limit", self.limit, 1, 200)
    }

    fn path_and_query(&self) -> Result<String, Error> {
        self.validate()?;
        Ok(Query::new("/user/bulk")
            .comma_list("accountId", self.account_ids.iter().map(AccountId::as_str))
            .comma_list("expand", expands(&self.expand, BulkExpand::as_str))
            .opt_int("limit", self.limit)
            .finish())
    }
}

impl BulkEndpoint for GetBulkUserLookupParams {
    fn account_ids(&self) -> &[AccountId] {
        &self.account_ids
    }
    fn with_account_ids(&self, account_ids: Vec<AccountId>) -> Self {
        // Not `..self.clone()`: that would copy every id only to drop them.
        GetBulkUserLookupParams {
            account_ids,
            expand: self.expand.clone(),
            limit: self.limit,
        }
    }
    fn into_account_ids(self) -> Vec<AccountId> {
        self.account_ids
    }
    fn result_limit(&self) -> Option<usize> {
        self.limit.and_then(|l| usize::try_from(l).ok())
    }
}

/// Parameters of `getPrivacyUnsafeUserEmail` (`GET /wiki/rest/api/user/email`). Only apps
/// approved by Atlassian may call it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetPrivacyUnsafeUserEmailParams {
    /// The user's account id.
    pub account_id: AccountId,
}

impl Endpoint for GetPrivacyUnsafeUserEmailParams {
    const OPERATION: &'static str = "getPrivacyUnsafeUserEmail";
    type Output = AccountIdEmailRecord;

    fn validate(&self) -> Result<(), Error> {
        require_account_id("accountId", &self.account_id)
    }

    fn path_and_query(&self) -> Result<String, Error> {
        self.validate()?;
        Ok(Query::new("/user/email")
            .param("accountId", self.account_id.as_str())
            .finish())
    }
}

/// Parameters of `getPrivacyUnsafeUserEmailBulk` (`GET /wiki/rest/api/user/email/bulk`). Only
/// apps approved by Atlassian may call it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetPrivacyUnsafeUserEmailBulkParams {
    /// The account ids, sent as one comma-separated `accountId`.
    pub account_ids: Vec<AccountId>,
}

impl Endpoint for GetPrivacyUnsafeUserEmailBulkParams {
    const OPERATION: &'static str = "getPrivacyUnsafeUserEmailBulk";
    type Output = Vec<AccountIdEmailRecord>;

    fn validate(&self) -> Result<(), Error> {
        require_account_id_list(&self.account_ids)
    }

    fn path_and_query(&self) -> Result<String, Error> {
        self.validate()?;
        Ok(Query::new("/user/email/bulk")
            .comma_list("accountId", self.account_ids.iter().map(AccountId::as_str))
            .finish())
    }
}

impl BulkEndpoint for GetPrivacyUnsafeUserEmailBulkParams {
    fn account_ids(&self) -> &[AccountId] {
        &self.account_ids
    }
    fn with_account_ids(&self, account_ids: Vec<AccountId>) -> Self {
        GetPrivacyUnsafeUserEmailBulkParams { account_ids }
    }
    fn into_account_ids(self) -> Vec<AccountId> {
        self.account_ids
    }
}

impl PagedEndpoint for GetGroupMembershipsForUserParams {
    fn start(&self) -> i32 {
        self.start.unwrap_or(0)
    }
    fn with_start(&self, start: i32) -> Self {
        GetGroupMembershipsForUserParams {
            start: Some(start),
            ..self.clone()
        }
    }
}

/// Parameters of `getBulkUserMigration` (`GET /wiki/rest/api/user/bulk/migration`, deprecated
/// by Atlassian): give exactly one of `keys` or `usernames`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetBulkUserMigrationParams {
    /// Legacy user keys, each sent as its own `key` parameter.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    /// Legacy usernames, each sent as its own `username` parameter.
    #[serde(default)]
    pub usernames: Option<Vec<String>>,
    /// The 0-based index of the first result (server default 0).
    #[serde(default)]
    pub start: Option<i32>,
    /// Results per page (server default 200).
    #[serde(default)]
    pub limit: Option<i32>,
}

// Hand-written TypeScript: tsify derives one object type per struct, and "exactly one of keys or
// usernames" needs a union whose other member is `never`, so `{}` and `{ keys, usernames }` fail
// to compile.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const MIGRATION_PARAMS_TS: &str = r#"/**
 * Parameters of `getBulkUserMigration` and `paginateBulkUserMigration`: exactly one of `keys`
 * or `usernames`, any number of values (they are split over as many requests as needed).
 */
export type GetBulkUserMigrationParams = (
  | {
      /** Legacy user keys, each sent as its own `key` parameter. */
      keys: string[];
      usernames?: never;
    }
  | {
      /** Legacy usernames, each sent as its own `username` parameter. */
      usernames: string[];
      keys?: never;
    }
) & {
  /** How many of the distinct values to skip, in input order (default 0). */
  start?: number;
  /**
   * `getBulkUserMigration`: the most results to return (default: all). `paginateBulkUserMigration`:
   * results per request (Confluence's default and cap: 200).
   */
  limit?: number;
};"#;

impl GetBulkUserMigrationParams {
    /// The query parameter (`"key"` or `"username"`) and the values to look up, checked: exactly
    /// one of `keys` or `usernames`, not empty, no empty value.
    pub fn lookup(&self) -> Result<(&'static str, &[String]), Error> {
        let (name, values) = match (&self.keys, &self.usernames) {
            (Some(keys), None) => ("key", keys),
            (None, Some(usernames)) => ("username", usernames),
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "give keys or usernames, not both (Confluence refuses the combination)",
                ))
            }
            (None, None) => return Err(Error::invalid("give one of keys or usernames")),
        };
        let field = if name == "key" { "keys" } else { "usernames" };
        if values.is_empty() {
            return Err(Error::invalid(format!("{field} must not be empty")));
        }
        if let Some(i) = values.iter().position(String::is_empty) {
            return Err(Error::invalid(format!("{field}[{i}] must not be empty")));
        }
        Ok((name, values))
    }
}

impl GetBulkUserMigrationParams {
    /// The same lookup for other values, from the first page: `field` is what
    /// [`lookup`](Self::lookup) returned, `limit` the page size to ask for.
    pub fn for_values(field: &str, values: Vec<String>, limit: Option<i32>) -> Self {
        let (keys, usernames) = if field == "key" {
            (Some(values), None)
        } else {
            (None, Some(values))
        };
        GetBulkUserMigrationParams {
            keys,
            usernames,
            start: None,
            limit,
        }
    }
}

impl PagedEndpoint for GetBulkUserMigrationParams {
    fn start(&self) -> i32 {
        self.start.unwrap_or(0)
    }
    fn with_start(&self, start: i32) -> Self {
        GetBulkUserMigrationParams {
            start: Some(start),
            ..self.clone()
        }
    }
}

impl Endpoint for GetBulkUserMigrationParams {
    const OPERATION: &'static str = "getBulkUserMigration";
    type Output = MigratedUserArray;

    fn validate(&self) -> Result<(), Error> {
        self.lookup()?;
        require_range("start", self.start, 0, i32::MAX)?;
        require_range("limit", self.limit, 0, i32::MAX)
    }

    fn path_and_query(&self) -> Result<String, Error> {
        self.validate()?;
        let (name, values) = self.lookup()?;
        Ok(Query::new("/user/bulk/migration")
            .repeated(name, values.iter().map(String::as_str))
            .opt_int("start", self.start)
            .opt_int("limit", self.limit)
            .finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<AccountId> {
        list.iter().map(|s| AccountId::from(*s)).collect()
    }

    fn refused<E: Endpoint>(params: &E) -> String {
        match params.path_and_query() {
            Err(Error::InvalidArgument { message }) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn get_user_builds_path_and_comma_separated_expand() {
        let p = GetUserParams {
            account_id: "5b10ac8d82e05b22cc7d4ef5".into(),
            expand: vec![UserExpand::Operations, UserExpand::PersonalSpace],
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user?accountId=5b10ac8d82e05b22cc7d4ef5&expand=operations,personalSpace"
        );
        let p = GetUserParams {
            account_id: "a".into(),
            expand: vec![
                UserExpand::DetailsPersonal,
                UserExpand::DetailsBusiness,
                UserExpand::IsExternalCollaborator,
            ],
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user?accountId=a&expand=details.personal,details.business,isExternalCollaborator"
        );
    }

    #[test]
    fn every_value_is_percent_encoded() {
        let p = GetUserParams {
            account_id: "557058:odd &=#+%/ é?ü".into(),
            expand: vec![],
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user?accountId=557058%3Aodd%20%26%3D%23%2B%25%2F%20%C3%A9%3F%C3%BC"
        );
        let p = GetBulkUserMigrationParams {
            usernames: Some(vec!["a&b".into(), "c=d".into(), "e f".into()]),
            ..Default::default()
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user/bulk/migration?username=a%26b&username=c%3Dd&username=e%20f"
        );
    }

    #[test]
    fn anonymous_and_current_take_optional_expand() {
        assert_eq!(
            GetAnonymousUserParams::default().path_and_query().unwrap(),
            "/user/anonymous"
        );
        let p = GetAnonymousUserParams {
            expand: vec![AnonymousExpand::Operations],
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user/anonymous?expand=operations"
        );
        assert_eq!(
            GetCurrentUserParams::default().path_and_query().unwrap(),
            "/user/current"
        );
        let p = GetCurrentUserParams {
            expand: vec![UserExpand::IsExternalCollaborator],
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user/current?expand=isExternalCollaborator"
        );
    }

    #[test]
    fn memberof_pages_with_start_and_limit() {
        let p = GetGroupMembershipsForUserParams {
            account_id: "x".into(),
            start: Some(200),
            limit: Some(0),
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user/memberof?accountId=x&start=200&limit=0"
        );
        let p = GetGroupMembershipsForUserParams {
            account_id: "x".into(),
            start: None,
            limit: None,
        };
        assert_eq!(p.path_and_query().unwrap(), "/user/memberof?accountId=x");
        let p = GetGroupMembershipsForUserParams {
            account_id: "x".into(),
            start: Some(-1),
            limit: None,
        };
        assert_eq!(refused(&p), "start must be at least 0 (got -1)");
        let p = GetGroupMembershipsForUserParams {
            account_id: "x".into(),
            start: None,
            limit: Some(-5),
        };
        assert_eq!(refused(&p), "limit must be at least 0 (got -5)");
    }

    #[test]
    fn bulk_lookup_joins_ids_with_literal_commas() {
        let p = GetBulkUserLookupParams {
            account_ids: ids(&["a1", "b/2", "c+3"]),
            expand: vec![BulkExpand::Operations, BulkExpand::DetailsBusiness],
            limit: Some(200),
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user/bulk?accountId=a1,b%2F2,c%2B3&expand=operations,details.business&limit=200"
        );
    }

    #[test]
    fn bulk_lookup_validation() {
        let mut p = GetBulkUserLookupParams {
            account_ids: vec![],
            expand: vec![],
            limit: None,
        };
        assert_eq!(refused(&p), "accountIds must not be empty");
        p.account_ids = ids(&["a", ""]);
        assert_eq!(refused(&p), "accountIds[1] must not be empty");
        p.account_ids = ids(&["a", "b,c"]);
        assert!(refused(&p).starts_with("accountIds[1] contains a comma"));
        p.account_ids = ids(&["a"]);
        for bad in [0, 201, -1] {
            p.limit = Some(bad);
            assert_eq!(
                refused(&p),
                format!("limit must be between 1 and 200 (got {bad})")
            );
        }
        p.limit = Some(1);
        assert!(p.path_and_query().is_ok());
        p.limit = None;
        p.account_ids = (0..201)
            .map(|i| AccountId::from(format!("id{i}")))
            .collect();
        assert_eq!(
            refused(&p),
            "accountIds holds 201 ids; one request takes at most 200"
        );
        p.account_ids.pop();
        assert!(p.path_and_query().is_ok());
    }

    #[test]
    fn email_endpoints() {
        let p = GetPrivacyUnsafeUserEmailParams {
            account_id: "x y".into(),
        };
        assert_eq!(p.path_and_query().unwrap(), "/user/email?accountId=x%20y");
        let p = GetPrivacyUnsafeUserEmailParams {
            account_id: "".into(),
        };
        assert_eq!(refused(&p), "accountId must not be empty");
        let p = GetPrivacyUnsafeUserEmailBulkParams {
            account_ids: ids(&["a", "b"]),
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user/email/bulk?accountId=a,b"
        );
        let p = GetPrivacyUnsafeUserEmailBulkParams {
            account_ids: vec![],
        };
        assert_eq!(refused(&p), "accountIds must not be empty");
    }

    #[test]
    fn migration_repeats_key_and_takes_exactly_one_lookup() {
        let p = GetBulkUserMigrationParams {
            keys: Some(vec!["ff80".into(), "ff81".into()]),
            start: Some(0),
            limit: Some(50),
            ..Default::default()
        };
        assert_eq!(
            p.path_and_query().unwrap(),
            "/user/bulk/migration?key=ff80&key=ff81&start=0&limit=50"
        );
        assert_eq!(
            refused(&GetBulkUserMigrationParams::default()),
            "give one of keys or usernames"
        );
        let both = GetBulkUserMigrationParams {
            keys: Some(vec!["k".into()]),
            usernames: Some(vec!["u".into()]),
            ..Default::default()
        };
        assert!(refused(&both).starts_with("give keys or usernames, not both"));
        let empty = GetBulkUserMigrationParams {
            usernames: Some(vec![]),
            ..Default::default()
        };
        assert_eq!(refused(&empty), "usernames must not be empty");
        let blank = GetBulkUserMigrationParams {
            keys: Some(vec!["k".into(), "".into()]),
            ..Default::default()
        };
        assert_eq!(refused(&blank), "keys[1] must not be empty");
        let negative = GetBulkUserMigrationParams {
            keys: Some(vec!["k".into()]),
            start: Some(-3),
            ..Default::default()
        };
        assert_eq!(refused(&negative), "start must be at least 0 (got -3)");
    }

    #[test]
    fn get_user_requires_an_account_id() {
        let p = GetUserParams {
            account_id: "".into(),
            expand: vec![],
        };
        assert_eq!(refused(&p), "accountId must not be empty");
    }

    #[test]
    fn params_deserialize_from_the_js_shape_and_refuse_typos() {
        let p: GetUserParams =
            serde_json::from_str(r#"{"accountId":"x","expand":["operations","details.personal"]}"#)
                .unwrap();
        assert_eq!(
            p.expand,
            vec![UserExpand::Operations, UserExpand::DetailsPersonal]
        );
        let e = serde_json::from_str::<GetUserParams>(r#"{"acountId":"x"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `acountId`"), "{e}");
        let e = serde_json::from_str::<GetAnonymousUserParams>(r#"{"expand":["personalSpace"]}"#)
            .unwrap_err();
        assert!(
            e.to_string().contains("unknown variant `personalSpace`"),
            "{e}"
        );
        let e = serde_json::from_str::<GetBulkUserLookupParams>(
            r#"{"accountIds":["a"],"expand":["isExternalCollaborator"]}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown variant `isExternalCollaborator`"),
            "{e}"
        );
        let e = serde_json::from_str::<GetGroupMembershipsForUserParams>(
            r#"{"accountId":"a","start":1.5}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("expected i32"), "{e}");
        let p: GetBulkUserMigrationParams =
            serde_json::from_str(r#"{"keys":["a"],"limit":3}"#).unwrap();
        assert_eq!(p.keys, Some(vec!["a".to_owned()]));
    }

    #[test]
    fn expand_names_match_their_serde_names() {
        fn check<T: DeserializeOwned + PartialEq + std::fmt::Debug + Copy>(
            names: &[&str],
            from_wire: fn(&str) -> Option<T>,
            as_str: fn(T) -> &'static str,
        ) {
            for &name in names {
                let v = from_wire(name).unwrap();
                assert_eq!(as_str(v), name);
                let parsed: T = serde_json::from_value(serde_json::Value::from(name)).unwrap();
                assert_eq!(parsed, v);
            }
            assert_eq!(from_wire("groups"), None);
        }
        check(UserExpand::NAMES, UserExpand::from_wire, UserExpand::as_str);
        check(
            AnonymousExpand::NAMES,
            AnonymousExpand::from_wire,
            AnonymousExpand::as_str,
        );
        check(BulkExpand::NAMES, BulkExpand::from_wire, BulkExpand::as_str);
        assert_eq!(UserExpand::NAMES.len(), 5);
    }
}
