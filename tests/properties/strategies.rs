//! Generators for the properties: JSON trees shaped like the models (with every JSON type,
//! out-of-range numbers and deep nesting mixed in), fixture mutations, status codes, content
//! types, and hostile parameter strings.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{Map, Value};

use confluence_users::schema::{Field, Object, Shape};
use confluence_users::{
    Endpoint, GetAnonymousUserParams, GetBulkUserLookupParams, GetBulkUserMigrationParams,
    GetCurrentUserParams, GetGroupMembershipsForUserParams, GetPrivacyUnsafeUserEmailBulkParams,
    GetPrivacyUnsafeUserEmailParams, GetUserParams,
};

// ---------------------------------------------------------------------------------------------
// Leaves
// ---------------------------------------------------------------------------------------------

/// Field names of the models (walked from their schema) and of Atlassian's error bodies, and
/// the usual `_links` names.
pub fn field_names() -> Vec<&'static str> {
    fn walk(shape: &'static Shape, out: &mut Vec<&'static str>) {
        match shape {
            Shape::Nullable(inner) | Shape::Array(inner) => walk(inner, out),
            Shape::Object(object) => {
                for field in object.fields {
                    if !out.contains(&field.name) {
                        out.push(field.name);
                    }
                    walk(&field.shape, out);
                }
            }
            _ => {}
        }
    }
    let mut out = vec!["self", "base", "context", "next", "webui"];
    for shape in BODIES.into_iter().chain([&ERROR_BODY]) {
        walk(shape, &mut out);
    }
    out
}

/// Enumeration values the models know, plus near misses.
const WORDS: &[&str] = &[
    "known",
    "unknown",
    "anonymous",
    "user",
    "atlassian",
    "app",
    "",
    "group",
    "plain",
    "view",
    "administer",
    "create",
    "read",
    "use",
    "purge_version",
    "personal",
    "global",
    "current",
    "application",
    "page",
    "Known",
    " known",
    "null",
    "5b10ac8d82e05b22cc7d4ef5",
    "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
    "com.atlassian.confluence.api.service.exceptions.NotFoundException: No user found",
    "a.b.Error: ",
];

/// Characters that stress escaping and whitespace handling.
pub const SPECIAL_CHARS: &[char] = &[
    '&',
    '=',
    '#',
    '+',
    '%',
    ',',
    '/',
    ' ',
    '?',
    ':',
    ';',
    '@',
    '\\',
    '"',
    '\'',
    '<',
    '>',
    '\0',
    '\r',
    '\n',
    '\t',
    '\u{7}',
    '\u{1b}',
    '\u{7f}',
    '\u{85}',
    '\u{a0}',
    '\u{2028}',
    '\u{200b}',
    '\u{feff}',
    'é',
    '€',
    '😀',
    '\u{10ffff}',
    '~',
    '-',
    '.',
    '_',
    'A',
    'z',
    '0',
    '2',
    'C',
];

/// Numbers JSON can spell but `serde_json::Value` cannot hold, written into the body verbatim.
pub const RAW_NUMBERS: &[&str] = &[
    "1e400",
    "-1e400",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "18446744073709551616",
    "-9223372036854775809",
    "1.0",
    "-0",
    "0e0",
    "1E2",
    "4.9e-325",
    "9007199254740993.0",
    "1e-400",
    "-0.0e-0",
    "1.7976931348623157e309",
    "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
    "1E+2",
    "2147483647.0",
    // Not JSON: every parser must refuse these, wherever they are.
    "01",
    "-01",
    "00",
    "1.",
    ".5",
    "+1",
    "1e",
    "-",
    "0x10",
    "NaN",
    "-Infinity",
];

/// Integers on either side of the limits the models check (i32, JS safe integers, i64, u64).
const EDGE_INTS: &[i128] = &[
    0,
    -1,
    1,
    200,
    201,
    i32::MAX as i128,
    i32::MAX as i128 + 1,
    i32::MIN as i128,
    i32::MIN as i128 - 1,
    (1 << 53) - 1,
    1 << 53,
    (1 << 53) + 1,
    -(1 << 53) + 1,
    -(1 << 53),
    -(1 << 53) - 1,
    i64::MAX as i128,
    i64::MIN as i128,
    u64::MAX as i128,
];

/// A placeholder string that [`to_body`] replaces by `RAW_NUMBERS[i]`.
fn raw_number(i: usize) -> Value {
    Value::String(format!("\u{1}RAW{i}\u{1}"))
}

fn int_value(n: i128) -> Value {
    if let Ok(n) = i64::try_from(n) {
        Value::from(n)
    } else if let Ok(n) = u64::try_from(n) {
        Value::from(n)
    } else {
        raw_number(2)
    }
}

/// Serializes a generated tree, putting the raw number literals in place of their placeholders.
/// `pretty` indents it, unless it is large (indenting deep nesting is quadratic).
pub fn to_body(value: &Value, pretty: bool) -> Vec<u8> {
    let mut text = serde_json::to_string(value).expect("a Value always serializes");
    if pretty {
        let indented = serde_json::to_string_pretty(value).expect("a Value always serializes");
        if indented.len() <= 4 * text.len().max(1024) {
            text = indented;
        }
    }
    put_raw_numbers(text).into_bytes()
}

/// An unusual but valid (or almost valid) way to write a tree: a repeated object member,
/// `\u`-escaped keys, and odd whitespace between tokens.
#[derive(Clone, Debug)]
pub struct Spelling {
    /// The object (n-th node in pre-order, if it is one) whose first member is written twice.
    pub duplicate: Option<Index>,
    /// Write every character of every key as a `\u` escape.
    pub escape_keys: bool,
    /// Written after every `{`, `[`, `,` and `:` (`\u{c}`, NBSP and BOM are not JSON whitespace).
    pub whitespace: &'static str,
    /// Write control characters in strings raw, which JSON does not allow.
    pub raw_controls: bool,
}

pub fn spelling() -> BoxedStrategy<Spelling> {
    (
        proptest::option::of(any::<Index>()),
        any::<bool>(),
        select(&["", " ", "\n", "\t", "\r\n  ", "\u{c}", "\u{a0}", "\u{feff}"][..]),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(duplicate, escape_keys, whitespace, raw_controls)| Spelling {
                duplicate,
                escape_keys,
                whitespace,
                raw_controls,
            },
        )
        .boxed()
}

/// Writes `value` the way `spelling` says, putting in the raw number literals.
pub fn write_body(value: &Value, spelling: &Spelling) -> Vec<u8> {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(items) => items.iter().map(count).sum(),
            Value::Object(object) => object.values().map(count).sum(),
            _ => 0,
        }
    }
    fn key(out: &mut String, k: &str, escape: bool) {
        if !escape {
            out.push_str(&serde_json::to_string(k).expect("a string serializes"));
            return;
        }
        out.push('"');
        for unit in k.encode_utf16() {
            out.push_str(&format!("\\u{unit:04x}"));
        }
        out.push('"');
    }
    fn write(v: &Value, out: &mut String, n: &mut usize, dup: Option<usize>, sp: &Spelling) {
        let me = *n;
        *n += 1;
        match v {
            Value::Array(items) => {
                out.push('[');
                out.push_str(sp.whitespace);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                        out.push_str(sp.whitespace);
                    }
                    write(item, out, n, dup, sp);
                }
                out.push(']');
            }
            Value::Object(object) => {
                out.push('{');
                out.push_str(sp.whitespace);
                let mut entries: Vec<(&String, &Value)> = object.iter().collect();
                if dup == Some(me) {
                    if let Some(&first) = entries.first() {
                        entries.push(first);
                    }
                }
                for (i, (k, item)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                        out.push_str(sp.whitespace);
                    }
                    key(out, k, sp.escape_keys);
                    out.push(':');
                    out.push_str(sp.whitespace);
                    write(item, out, n, dup, sp);
                }
                out.push('}');
            }
            Value::String(text) if sp.raw_controls => {
                out.push('"');
                for c in text.chars() {
                    match c {
                        '"' | '\\' => {
                            out.push('\\');
                            out.push(c);
                        }
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            leaf => out.push_str(&serde_json::to_string(leaf).expect("a leaf serializes")),
        }
    }
    let dup = spelling.duplicate.as_ref().map(|i| i.index(count(value)));
    let mut out = String::new();
    write(value, &mut out, &mut 0, dup, spelling);
    put_raw_numbers(out).into_bytes()
}

fn put_raw_numbers(mut text: String) -> String {
    if text.contains("\\u0001HUGE\\u0001") {
        // An integer literal longer than any error message may be.
        text = text.replace("\"\\u0001HUGE\\u0001\"", &"9".repeat(2_500));
    }
    if text.contains("\\u0001RAW") {
        for (i, raw) in RAW_NUMBERS.iter().enumerate() {
            text = text.replace(&format!("\"\\u0001RAW{i}\\u0001\""), raw);
        }
    }
    text
}

/// Strings of `len` characters drawn from `chars` (much cheaper than a regex strategy).
pub fn string_of(chars: &str, len: std::ops::Range<usize>) -> BoxedStrategy<String> {
    vec(select(chars.chars().collect::<Vec<_>>()), len)
        .prop_map(String::from_iter)
        .boxed()
}

const ALNUM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Any string: model vocabulary, arbitrary Unicode (controls included), or, one time in forty,
/// long (up to a few KB once escaped).
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        12 => select(WORDS).prop_map(str::to_owned),
        4 => select(field_names()).prop_map(str::to_owned),
        12 => vec(
            prop_oneof![2 => any::<char>(), 1 => select(SPECIAL_CHARS)],
            0..12
        )
        .prop_map(String::from_iter),
        8 => string_of(&format!("{ALNUM}:/._ -"), 0..25),
        1 => (select(SPECIAL_CHARS), 50usize..800).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
    .boxed()
}

/// Any JSON number, including ones beyond i64/u64/f64 and integers that are really floats.
pub fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        12 => (-300i64..300).prop_map(Value::from),
        8 => select(EDGE_INTS).prop_map(int_value),
        4 => any::<i64>().prop_map(Value::from),
        4 => any::<u64>().prop_map(Value::from),
        8 => prop::num::f64::ANY.prop_map(Value::from), // NaN and infinities become null
        4 => select(&[0.5, -0.0, 1.5, 48.0, 1e300, -2.2250738585072014e-308, 5e-324][..])
            .prop_map(Value::from),
        4 => (0..RAW_NUMBERS.len()).prop_map(raw_number),
        // Written as a 2,500-digit integer, longer than any error message may be.
        1 => Just(Value::String("\u{1}HUGE\u{1}".to_owned())),
    ]
    .boxed()
}

/// A leaf of every JSON type.
pub fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        2 => Just(Value::Null),
        2 => any::<bool>().prop_map(Value::Bool),
        4 => number(),
        5 => text().prop_map(Value::String),
    ]
    .boxed()
}

fn key() -> BoxedStrategy<String> {
    prop_oneof![
        120 => select(field_names()).prop_map(str::to_owned),
        30 => text(),
        // Longer than any error message may be.
        1 => (select(SPECIAL_CHARS), 2_000usize..2_600).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
    .boxed()
}

/// An arbitrary JSON tree biased towards the models' field names, sometimes nested past
/// serde_json's recursion limit of 128.
pub fn wild() -> BoxedStrategy<Value> {
    let tree = leaf().prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key(), inner), 0..6).prop_map(|entries| Value::Object(Map::from_iter(entries))),
        ]
    });
    prop_oneof![
        12 => tree,
        1 => (leaf(), 100usize..300, any::<bool>()).prop_map(|(v, depth, arrays)| nest(v, depth, arrays)),
        1 => near_depth_limit(),
    ]
    .boxed()
}

/// A leaf nested just short of, at, or just past serde_json's recursion limit of 128 (counting
/// the containers around it).
pub fn near_depth_limit() -> BoxedStrategy<Value> {
    (leaf(), 118usize..=132, any::<bool>())
        .prop_map(|(v, depth, arrays)| nest(v, depth, arrays))
        .boxed()
}

/// Wraps `value` in `depth` arrays or single-key objects.
pub fn nest(mut value: Value, depth: usize, arrays: bool) -> Value {
    for _ in 0..depth {
        value = if arrays {
            Value::Array(vec![value])
        } else {
            Value::Object(Map::from_iter([("a".to_owned(), value)]))
        };
    }
    value
}

// ---------------------------------------------------------------------------------------------
// Model-shaped trees
// ---------------------------------------------------------------------------------------------

// The models' shapes come from the crate's schema (`confluence_users::schema`), which the same
// declaration as each model's serde code produces: a field a model declares is generated here
// without anyone listing it again. Error bodies are not a model; their shape is written below
// in the same terms.

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

static TRANSLATION: Object = object(
    "Translation",
    &[opt(
        "message",
        Shape::Object(&object("Message", &[opt("translation", Shape::String)])),
    )],
);
static ERROR_DATA: Object = object(
    "ErrorData",
    &[
        opt("authorized", Shape::Bool),
        opt("valid", Shape::Bool),
        opt("errors", Shape::Array(&Shape::Object(&TRANSLATION))),
        opt("successful", Shape::Bool),
    ],
);
/// Atlassian's error bodies, in their several shapes at once.
pub static ERROR_BODY: Shape = Shape::Object(&object(
    "ErrorBody",
    &[
        opt("statusCode", Shape::Int32),
        opt("code", Shape::Int32),
        opt("message", Shape::String),
        opt("data", Shape::Object(&ERROR_DATA)),
        opt("errorMessages", Shape::Array(&Shape::String)),
    ],
));

/// How often a generated node is wrong: `Clean` bodies mostly decode, `Noisy` ones mostly fail
/// somewhere deep. `Bare` ones are never wrong and hold no unknown field, so that a test can
/// see which declared fields the walk itself produces.
#[derive(Clone, Copy, Debug)]
pub enum Noise {
    Clean,
    Noisy,
    Bare,
}

/// A tree of the given shape, each node replaced by `null` or a wild value now and then, each
/// field sometimes missing (a required one rarely), and unknown fields sometimes added (kept
/// ones, on an object that keeps them, of any depth).
pub fn shaped(shape: &'static Shape, noise: Noise) -> BoxedStrategy<Value> {
    let (right_weight, presence) = match noise {
        Noise::Clean | Noise::Bare => (400, 0.97),
        Noise::Noisy => (25, 0.85),
    };
    let right: BoxedStrategy<Value> = match shape {
        Shape::String => text().prop_map(Value::String).boxed(),
        Shape::OpenEnum(known) => prop_oneof![
            6 => select(**known).prop_map(Value::from),
            1 => text().prop_map(Value::String),
        ]
        .boxed(),
        Shape::Int32 => prop_oneof![
            16 => (0i32..300).prop_map(Value::from),
            2 => any::<i32>().prop_map(Value::from),
            1 => select(EDGE_INTS).prop_map(int_value),
        ]
        .boxed(),
        Shape::SafeInt => prop_oneof![
            16 => (0i64..10_000_000).prop_map(Value::from),
            2 => (-(1i64 << 53) + 1..1i64 << 53).prop_map(Value::from),
            1 => select(EDGE_INTS).prop_map(int_value),
        ]
        .boxed(),
        Shape::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Shape::Nullable(inner) => prop_oneof![
            1 => Just(Value::Null),
            4 => shaped(inner, noise),
        ]
        .boxed(),
        Shape::Object(object) => {
            let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = object
                .fields
                .iter()
                .map(|field| {
                    let presence = if field.required { presence } else { 0.7 };
                    let name = field.name;
                    prop::option::weighted(presence, shaped(&field.shape, noise))
                        .prop_map(move |v| v.map(|v| (name.to_owned(), v)))
                        .boxed()
                })
                .collect();
            let unknown_value = if object.keeps_unknown {
                prop_oneof![4 => leaf(), 1 => wild()].boxed()
            } else {
                leaf()
            };
            let extra = match noise {
                Noise::Bare => Just(Vec::new()).boxed(),
                _ => prop_oneof![
                    6 => Just(Vec::new()),
                    1 => vec((key(), unknown_value), 1..3),
                ]
                .boxed(),
            };
            (fields, extra)
                .prop_map(|(fields, extra)| {
                    let mut object = Map::from_iter(fields.into_iter().flatten());
                    for (k, v) in extra {
                        object.entry(k).or_insert(v);
                    }
                    Value::Object(object)
                })
                .boxed()
        }
        Shape::Array(item) => vec(shaped(item, noise), 0..4)
            .prop_map(Value::Array)
            .boxed(),
        Shape::Links => vec(
            (
                prop_oneof![
                    4 => select(&["self", "base", "context", "next", "webui", "collection"][..])
                        .prop_map(str::to_owned),
                    1 => text(),
                ],
                prop_oneof![
                    6 => text().prop_map(Value::String),
                    1 => vec((key(), prop_oneof![8 => leaf(), 1 => near_depth_limit()]), 0..3)
                        .prop_map(|e| Value::Object(Map::from_iter(e))),
                ],
            ),
            0..4,
        )
        .prop_map(|e| Value::Object(Map::from_iter(e)))
        .boxed(),
        Shape::AnyObject => vec(
            (key(), prop_oneof![12 => leaf(), 1 => near_depth_limit()]),
            0..3,
        )
        .prop_map(|e| Value::Object(Map::from_iter(e)))
        .boxed(),
    };
    if let Noise::Bare = noise {
        return right;
    }
    prop_oneof![
        right_weight => right,
        1 => Just(Value::Null),
        1 => wild(),
    ]
    .boxed()
}

/// The body shapes of the eight operations (two share `User`), from the crate's schema.
pub const BODIES: [&Shape; 8] = [
    GetUserParams::SHAPE,
    GetAnonymousUserParams::SHAPE,
    GetCurrentUserParams::SHAPE,
    GetGroupMembershipsForUserParams::SHAPE,
    GetBulkUserLookupParams::SHAPE,
    GetPrivacyUnsafeUserEmailParams::SHAPE,
    GetPrivacyUnsafeUserEmailBulkParams::SHAPE,
    GetBulkUserMigrationParams::SHAPE,
];

/// A body for any endpoint: model-shaped (clean or noisy), an error body, or a wild tree.
pub fn plausible_body() -> BoxedStrategy<Value> {
    let mut choices: Vec<(u32, BoxedStrategy<Value>)> = Vec::new();
    for shape in BODIES {
        choices.push((3, shaped(shape, Noise::Clean)));
        choices.push((2, shaped(shape, Noise::Noisy)));
    }
    choices.push((2, shaped(&ERROR_BODY, Noise::Noisy)));
    choices.push((3, wild()));
    prop::strategy::Union::new_weighted(choices).boxed()
}

// ---------------------------------------------------------------------------------------------
// Bytes, statuses, content types
// ---------------------------------------------------------------------------------------------

/// Arbitrary bytes, often made of JSON punctuation and keywords, short or up to 4 KB.
pub fn arbitrary_body() -> BoxedStrategy<Vec<u8>> {
    let json_byte = prop_oneof![
        2 => any::<u8>(),
        3 => select(&b"{}[]\":,0123456789-+.eE \n\\tru/fals\xc3\xa9"[..]),
    ];
    let fragment = prop_oneof![
        3 => json_byte.clone().prop_map(|b| vec![b]),
        1 => select(&[
            "null", "true", "\"type\":", "\"known\"", "\"accountId\":", "\"results\":[", "{", "[",
            "\"\\ud800\"", "\"\\u0000\"", "1e400", "-0", "\"_links\":{", "<title>", "</title>",
            "\"a\u{1}b\"", "\"\t\"", "\"\\ud83d\\ude00\"", "\"\\uDC00\\uD800\"", "01", "1.", "-",
        ][..])
        .prop_map(|s| s.as_bytes().to_vec()),
    ];
    prop_oneof![
        3 => vec(any::<u8>(), 0..64),
        3 => vec(json_byte, 0..64),
        2 => (select(&["{", "[", " {", ""][..]), vec(fragment, 0..400)).prop_map(
            |(start, parts)| {
                let mut out = start.as_bytes().to_vec();
                out.extend(parts.into_iter().flatten());
                out
            }
        ),
        1 => vec(any::<u8>(), 0..4096),
    ]
    .boxed()
}

/// Mostly 2xx, so that the decoders run, but every status from 100 to 599.
pub fn status() -> BoxedStrategy<u16> {
    prop_oneof![
        5 => Just(200u16),
        2 => 200u16..300,
        3 => 100u16..=599,
        1 => select(&[199u16, 204, 299, 300, 304, 400, 401, 403, 404, 429, 500, 502, 503][..]),
    ]
    .boxed()
}

/// `Content-Type` header values: absent, JSON in its spellings, other types, or garbage.
pub fn content_type() -> BoxedStrategy<Option<String>> {
    prop_oneof![
        4 => Just(Some("application/json".to_owned())),
        2 => Just(None),
        2 => select(&[
            "application/json;charset=UTF-8",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+json",
            " application/json ",
            "\u{a0}application/json",
            "text/html; charset=utf-8",
            "TEXT/HTML",
            "text/plain",
            "application/xml",
            "",
            ";",
            "application/json+",
            "application/jsonx",
            "+json",
        ][..])
        .prop_map(|s| Some(s.to_owned())),
        1 => vec(prop_oneof![any::<char>(), select(SPECIAL_CHARS)], 0..30)
            .prop_map(|c| Some(String::from_iter(c))),
        1 => (select(&["text/", "application/", "image/"][..]), 100usize..4000)
            .prop_map(|(top, n)| Some(format!("{top}{}", "x".repeat(n)))),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Fixture mutations
// ---------------------------------------------------------------------------------------------

/// An edit of a parsed fixture, at the n-th node in pre-order.
#[derive(Clone, Debug)]
pub enum ValueEdit {
    /// Set the node to `null`.
    Null(Index),
    /// Replace the node by a value of another JSON type.
    SwapType(Index),
    /// Replace the node by an arbitrary value.
    Replace(Index, Value),
    /// Remove the node from its parent object or array.
    Remove(Index),
    /// Replace the node by a number near a limit, or not quite JSON.
    Number(Index, Value),
    /// Wrap the node in containers up to around the recursion limit.
    Nest(Index, usize, bool),
}

/// An edit of the fixture's bytes.
#[derive(Clone, Debug)]
pub enum ByteEdit {
    Truncate(Index),
    Delete(Index),
    Insert(Index, u8),
    Replace(Index, u8),
    Splice(Index, &'static str),
}

pub fn value_edit() -> BoxedStrategy<ValueEdit> {
    prop_oneof![
        3 => any::<Index>().prop_map(ValueEdit::Null),
        3 => any::<Index>().prop_map(ValueEdit::SwapType),
        2 => (any::<Index>(), wild()).prop_map(|(i, v)| ValueEdit::Replace(i, v)),
        2 => any::<Index>().prop_map(ValueEdit::Remove),
        2 => (any::<Index>(), number()).prop_map(|(i, n)| ValueEdit::Number(i, n)),
        1 => (any::<Index>(), 118usize..=132, any::<bool>())
            .prop_map(|(i, depth, arrays)| ValueEdit::Nest(i, depth, arrays)),
    ]
    .boxed()
}

pub fn byte_edit() -> BoxedStrategy<ByteEdit> {
    let byte = prop_oneof![any::<u8>(), select(&b"{}[]\":,0-.e \\nu"[..])];
    prop_oneof![
        2 => any::<Index>().prop_map(ByteEdit::Truncate),
        2 => any::<Index>().prop_map(ByteEdit::Delete),
        2 => (any::<Index>(), byte.clone()).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        2 => (any::<Index>(), byte).prop_map(|(i, b)| ByteEdit::Replace(i, b)),
        2 => (
            any::<Index>(),
            select(&[
                "null", "\"x\"", ",", "{", "}", "[", "]", ":", "\"type\":\"known\",",
                "\"accountId\":null,", "1e400", "-1", "\\", "\"\\ud800\"", "\u{0}", "é",
                "\"_links\":7,", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
            ][..]),
        )
            .prop_map(|(i, s)| ByteEdit::Splice(i, s)),
    ]
    .boxed()
}

/// JSON pointers of every node of `value`, in pre-order (the root is `""`).
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, &format!("{at}/{i}"), out);
            }
        }
        Value::Object(object) => {
            for (k, item) in object {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(item, &format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

fn swapped(value: &Value) -> Value {
    match value {
        Value::Null => Value::Object(Map::new()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(s) => s
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::Bool(s.is_empty())),
        Value::Array(items) => Value::Object(Map::from_iter(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone())),
        )),
        Value::Object(object) => Value::Array(object.values().cloned().collect()),
    }
}

pub fn apply_value_edit(root: &mut Value, edit: &ValueEdit) {
    let mut all = Vec::new();
    pointers(root, "", &mut all);
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match edit {
        ValueEdit::Null(i) => *root.pointer_mut(&pick(i)).unwrap() = Value::Null,
        ValueEdit::SwapType(i) => {
            let node = root.pointer_mut(&pick(i)).unwrap();
            *node = swapped(node);
        }
        ValueEdit::Replace(i, v) | ValueEdit::Number(i, v) => {
            *root.pointer_mut(&pick(i)).unwrap() = v.clone()
        }
        ValueEdit::Nest(i, depth, arrays) => {
            let pointer = pick(i);
            // Count the containers already around the node.
            let around = pointer.matches('/').count();
            let node = root.pointer_mut(&pointer).unwrap();
            *node = nest(node.take(), depth.saturating_sub(around), *arrays);
        }
        ValueEdit::Remove(i) => {
            let pointer = pick(i);
            if let Some((parent, key)) = pointer.rsplit_once('/') {
                let key = key.replace("~1", "/").replace("~0", "~");
                match root.pointer_mut(parent) {
                    Some(Value::Object(object)) => {
                        object.remove(&key);
                    }
                    Some(Value::Array(items)) => {
                        items.remove(key.parse::<usize>().unwrap());
                    }
                    _ => unreachable!("a pointer's parent is a container"),
                }
            }
        }
    }
}

pub fn apply_byte_edit(body: &mut Vec<u8>, edit: &ByteEdit) {
    let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len) };
    match edit {
        ByteEdit::Truncate(i) => body.truncate(at(i, body.len())),
        ByteEdit::Delete(i) => {
            if !body.is_empty() {
                body.remove(at(i, body.len()));
            }
        }
        ByteEdit::Insert(i, b) => body.insert(at(i, body.len() + 1), *b),
        ByteEdit::Replace(i, b) => {
            if !body.is_empty() {
                let i = at(i, body.len());
                body[i] = *b;
            }
        }
        ByteEdit::Splice(i, s) => {
            let i = at(i, body.len() + 1);
            body.splice(i..i, s.bytes());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Request parameters
// ---------------------------------------------------------------------------------------------

/// A parameter value: arbitrary Unicode with controls and URL-structural characters, empty, or
/// a realistic account id.
pub fn param_text() -> BoxedStrategy<String> {
    prop_oneof![
        6 => vec(prop_oneof![3 => any::<char>(), 2 => select(SPECIAL_CHARS)], 0..12)
            .prop_map(String::from_iter),
        1 => Just(String::new()),
        1 => string_of("0123456789abcdef", 24..25),
        1 => string_of("0123456789abcdef-", 36..37).prop_map(|s| format!("557058:{s}")),
        1 => select(&["%2C", "%", "%%", "+", ",", ",,", "a,b", "&x=y", "#", "?", "/", " "][..])
            .prop_map(str::to_owned),
    ]
    .boxed()
}

/// A list of values: usually short, sometimes around the 200-id limit of `/user/bulk`.
pub fn param_list() -> BoxedStrategy<Vec<String>> {
    prop_oneof![
        12 => vec(param_text(), 0..6),
        1 => vec(string_of("abcdefghijklmnopqrstuvwxyz0123456789", 1..4), 195..=205),
    ]
    .boxed()
}

/// `start`/`limit`: absent, around the valid ranges' edges, or any i32.
pub fn opt_int() -> BoxedStrategy<Option<i32>> {
    prop_oneof![
        2 => Just(None),
        3 => select(&[i32::MIN, -1, 0, 1, 2, 199, 200, 201, i32::MAX][..]).prop_map(Some),
        2 => any::<i32>().prop_map(Some),
    ]
    .boxed()
}
