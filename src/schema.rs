//! The shape of every response body, as data for [`crate::validate`].
//!
//! These tables state the same rules as the serde models in [`crate::models`] (required
//! fields, nullability, integer ranges, open string enums), so the wasm build can check a body
//! with one small interpreter instead of a copy of serde's code per model. The property tests
//! in `tests/properties.rs` hold the two together: whatever the tables accept, the models
//! decode.

/// What a JSON value must be.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A string (also every open enum: any string is kept).
    String,
    /// `true` or `false`.
    Bool,
    /// An integer within `i32`.
    Int32,
    /// An integer within ±(2^53 − 1), which a JS number holds exactly.
    SafeInt,
    /// `null` or the inner shape.
    Nullable(&'static Shape),
    /// An array of the inner shape.
    Array(&'static Shape),
    /// An object with known fields.
    Object(&'static Object),
    /// `_links`: an object whose values are strings or objects of any content.
    Links,
    /// An object of any content.
    AnyObject,
}

/// An object's fields.
#[derive(Debug)]
pub struct Object {
    /// The model's name, for messages.
    pub name: &'static str,
    /// The known fields.
    pub fields: &'static [Field],
    /// Whether unknown fields are kept as JSON (`Space`'s `extra`) rather than skipped; kept
    /// ones are fully parsed, as the model parses them.
    pub keeps_unknown: bool,
}

/// One known field.
#[derive(Debug)]
pub struct Field {
    /// The wire name.
    pub name: &'static str,
    /// Its value's shape.
    pub shape: Shape,
    /// Whether the field must be present.
    pub required: bool,
}

const fn req(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        required: true,
    }
}

const fn opt(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        required: false,
    }
}

const fn object(name: &'static str, fields: &'static [Field]) -> Object {
    Object {
        name,
        fields,
        keeps_unknown: false,
    }
}

use Shape::{Array, Bool, Int32, Links, Nullable, SafeInt, String as Str};

const NULLABLE_STR: Shape = Nullable(&Str);

/// `Icon`.
pub static ICON: Object = object(
    "Icon",
    &[
        req("path", Str),
        req("width", Int32),
        req("height", Int32),
        req("isDefault", Bool),
    ],
);
const NULLABLE_ICON: Shape = Nullable(&Shape::Object(&ICON));

/// `OperationCheckResult`.
pub static OPERATION_CHECK_RESULT: Object = object(
    "OperationCheckResult",
    &[req("operation", Str), req("targetType", Str)],
);
const OPERATIONS: Shape = Array(&Shape::Object(&OPERATION_CHECK_RESULT));

static USER_EXPANDABLE: Object = object(
    "UserExpandable",
    &[
        opt("operations", Str),
        opt("details", Str),
        opt("personalSpace", Str),
    ],
);
static USER_BUSINESS: Object = object(
    "UserBusinessDetails",
    &[
        opt("position", Str),
        opt("department", Str),
        opt("location", Str),
    ],
);
static USER_PERSONAL: Object = object(
    "UserPersonalDetails",
    &[
        opt("phone", Str),
        opt("im", Str),
        opt("website", Str),
        opt("email", Str),
    ],
);
static USER_DETAILS: Object = object(
    "UserDetails",
    &[
        opt("business", Shape::Object(&USER_BUSINESS)),
        opt("personal", Shape::Object(&USER_PERSONAL)),
    ],
);

static SPACE_DESCRIPTION: Object = object(
    "SpaceDescription",
    &[
        req("value", Str),
        req("representation", Str),
        req("embeddedContent", Array(&Shape::AnyObject)),
    ],
);
static SPACE_DESCRIPTIONS_EXPANDABLE: Object = object(
    "SpaceDescriptionsExpandable",
    &[opt("view", Str), opt("plain", Str)],
);
static SPACE_DESCRIPTIONS: Object = object(
    "SpaceDescriptions",
    &[
        opt("plain", Shape::Object(&SPACE_DESCRIPTION)),
        opt("view", Shape::Object(&SPACE_DESCRIPTION)),
        opt("_expandable", Shape::Object(&SPACE_DESCRIPTIONS_EXPANDABLE)),
    ],
);
static SPACE_HOMEPAGE: Object = Object {
    name: "SpaceHomepage",
    fields: &[opt("id", Str), opt("title", Str)],
    keeps_unknown: true,
};
static SPACE_EXPANDABLE: Object = object(
    "SpaceExpandable",
    &[
        opt("settings", Str),
        opt("metadata", Str),
        opt("operations", Str),
        opt("lookAndFeel", Str),
        opt("permissions", Str),
        opt("icon", Str),
        opt("description", Str),
        opt("theme", Str),
        opt("history", Str),
        opt("homepage", Str),
        opt("identifiers", Str),
    ],
);
/// `Space` (a user's `personalSpace`).
pub static SPACE: Object = Object {
    name: "Space",
    fields: &[
        opt("id", SafeInt),
        req("key", Str),
        req("name", Str),
        opt("icon", NULLABLE_ICON),
        opt("description", Shape::Object(&SPACE_DESCRIPTIONS)),
        opt("homepage", Nullable(&Shape::Object(&SPACE_HOMEPAGE))),
        req("type", Str),
        req("status", Str),
        req("_expandable", Shape::Object(&SPACE_EXPANDABLE)),
        req("_links", Links),
    ],
    keeps_unknown: true,
};
const NULLABLE_SPACE: Shape = Nullable(&Shape::Object(&SPACE));

/// `User` (`getUser`, `getCurrentUser`).
pub static USER: Object = object(
    "User",
    &[
        req("type", Str),
        opt("username", NULLABLE_STR),
        opt("userKey", NULLABLE_STR),
        opt("accountId", NULLABLE_STR),
        opt("accountType", Str),
        opt("email", NULLABLE_STR),
        opt("publicName", Str),
        opt("profilePicture", NULLABLE_ICON),
        opt("displayName", NULLABLE_STR),
        opt("timeZone", NULLABLE_STR),
        opt("isExternalCollaborator", Bool),
        opt("externalCollaborator", Bool),
        opt("operations", Nullable(&OPERATIONS)),
        opt("details", Shape::Object(&USER_DETAILS)),
        opt("personalSpace", NULLABLE_SPACE),
        opt("_expandable", Shape::Object(&USER_EXPANDABLE)),
        opt("_links", Links),
    ],
);

static USER_ANONYMOUS_EXPANDABLE: Object =
    object("UserAnonymousExpandable", &[opt("operations", Str)]);
/// `UserAnonymous` (`getAnonymousUser`).
pub static USER_ANONYMOUS: Object = object(
    "UserAnonymous",
    &[
        req("type", Str),
        req("profilePicture", NULLABLE_ICON),
        req("displayName", Str),
        opt("operations", OPERATIONS),
        opt("isExternalCollaborator", Bool),
        opt("_expandable", Shape::Object(&USER_ANONYMOUS_EXPANDABLE)),
        req("_links", Links),
    ],
);

static BULK_USER_LOOKUP: Object = object(
    "BulkUserLookup",
    &[
        req("type", Str),
        opt("username", NULLABLE_STR),
        opt("userKey", NULLABLE_STR),
        req("accountId", NULLABLE_STR),
        req("accountType", Str),
        req("email", Str),
        req("publicName", Str),
        req("profilePicture", NULLABLE_ICON),
        req("displayName", Str),
        opt("timeZone", NULLABLE_STR),
        opt("isExternalCollaborator", Bool),
        opt("operations", OPERATIONS),
        opt("details", Shape::Object(&USER_DETAILS)),
        opt("personalSpace", NULLABLE_SPACE),
        req("_expandable", Shape::Object(&USER_EXPANDABLE)),
        req("_links", Links),
    ],
);
/// `BulkUserLookupArray` (`getBulkUserLookup`).
pub static BULK_USER_LOOKUP_ARRAY: Object = object(
    "BulkUserLookupArray",
    &[
        req("results", Array(&Shape::Object(&BULK_USER_LOOKUP))),
        req("start", Int32),
        req("limit", Int32),
        req("size", Int32),
        req("_links", Links),
    ],
);

static GROUP: Object = object(
    "Group",
    &[
        req("type", Str),
        req("name", Str),
        opt("id", NULLABLE_STR),
        opt("_links", Links),
    ],
);
/// `GroupArrayWithLinks` (`getGroupMembershipsForUser`).
pub static GROUP_ARRAY_WITH_LINKS: Object = object(
    "GroupArrayWithLinks",
    &[
        req("results", Array(&Shape::Object(&GROUP))),
        req("start", Int32),
        req("limit", Int32),
        req("size", Int32),
        opt("totalSize", SafeInt),
        req("_links", Links),
    ],
);

/// `AccountIdEmailRecord` (`getPrivacyUnsafeUserEmail`; an array of them for the bulk form).
pub static ACCOUNT_ID_EMAIL_RECORD: Object = object(
    "AccountIdEmailRecord",
    &[req("accountId", Str), req("email", Str)],
);

static MIGRATED_USER: Object = object(
    "MigratedUser",
    &[
        opt("username", NULLABLE_STR),
        opt("key", NULLABLE_STR),
        opt("accountId", NULLABLE_STR),
    ],
);
/// `MigratedUserArray` (`getBulkUserMigration`).
pub static MIGRATED_USER_ARRAY: Object = object(
    "MigratedUserArray",
    &[
        req("results", Array(&Shape::Object(&MIGRATED_USER))),
        req("start", Int32),
        req("limit", Int32),
        req("size", Int32),
        req("_links", Links),
    ],
);
