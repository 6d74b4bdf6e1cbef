//! The shape of every response body, as data for [`crate::validate`].
//!
//! The tables are not written here: each model in [`crate::models`] is declared once, and that
//! one declaration produces its serde struct, its TypeScript type and its [`Shaped::SHAPE`]
//! (required fields, nullability, integer ranges, open string enums). The wasm build checks a
//! body with one small interpreter over these tables instead of a copy of serde's code per
//! model. The native tests in `src/models/` drop and null every field of every model and check
//! that serde and the validator agree; the property tests generate bodies from these tables.

use crate::models::{
    AccountIdEmailRecord, BulkUserLookupArray, GroupArrayWithLinks, Icon, MigratedUserArray,
    OperationCheckResult, Space, User, UserAnonymous,
};

/// What a JSON value must be.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A string.
    String,
    /// A string of an open enumeration: any string is kept. The list holds the values the
    /// crate knows (what the property tests generate most) in native builds, and is empty in
    /// the wasm build, which never reads it. Behind a second reference so that a `Shape` stays
    /// one pointer wide: the tables are part of the wasm download.
    OpenEnum(&'static &'static [&'static str]),
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

/// A type whose JSON form the validator knows: every model, and the types their fields hold.
pub trait Shaped {
    /// The shape of this type's JSON, as the type's `Deserialize` accepts it.
    const SHAPE: Shape;
}

impl Shaped for String {
    const SHAPE: Shape = Shape::String;
}

impl Shaped for bool {
    const SHAPE: Shape = Shape::Bool;
}

impl Shaped for i32 {
    const SHAPE: Shape = Shape::Int32;
}

/// An `i64` of a model is decoded only within ±(2^53 − 1) (see `models::js_safe_i64`).
impl Shaped for i64 {
    const SHAPE: Shape = Shape::SafeInt;
}

impl<T: Shaped> Shaped for Vec<T> {
    const SHAPE: Shape = Shape::Array(&T::SHAPE);
}

/// Content kept verbatim (`SpaceDescription.embeddedContent`'s items).
impl Shaped for serde_json::Map<String, serde_json::Value> {
    const SHAPE: Shape = Shape::AnyObject;
}

/// The object of a model's shape; a model's shape is always one (checked at compile time).
const fn object_of(shape: Shape) -> &'static Object {
    match shape {
        Shape::Object(object) => object,
        _ => panic!("a model's shape is an object"),
    }
}

/// `Icon`.
pub const ICON: &Object = object_of(Icon::SHAPE);
/// `OperationCheckResult`.
pub const OPERATION_CHECK_RESULT: &Object = object_of(OperationCheckResult::SHAPE);
/// `Space` (a user's `personalSpace`).
pub const SPACE: &Object = object_of(Space::SHAPE);
/// `User` (`getUser`, `getCurrentUser`).
pub const USER: &Object = object_of(User::SHAPE);
/// `UserAnonymous` (`getAnonymousUser`).
pub const USER_ANONYMOUS: &Object = object_of(UserAnonymous::SHAPE);
/// `BulkUserLookupArray` (`getBulkUserLookup`).
pub const BULK_USER_LOOKUP_ARRAY: &Object = object_of(BulkUserLookupArray::SHAPE);
/// `GroupArrayWithLinks` (`getGroupMembershipsForUser`).
pub const GROUP_ARRAY_WITH_LINKS: &Object = object_of(GroupArrayWithLinks::SHAPE);
/// `AccountIdEmailRecord` (`getPrivacyUnsafeUserEmail`; an array of them for the bulk form).
pub const ACCOUNT_ID_EMAIL_RECORD: &Object = object_of(AccountIdEmailRecord::SHAPE);
/// `MigratedUserArray` (`getBulkUserMigration`).
pub const MIGRATED_USER_ARRAY: &Object = object_of(MigratedUserArray::SHAPE);
