//! Property tests of the sans-IO core: the response decoders (`decode_response`,
//! `validate_response`, `parse_error`), the request builders (`path_and_query`, `plan_bulk`),
//! base-URL validation and credential redaction. 1,150,000 generated cases in all; none may
//! panic, and each case checks what the code promises beyond not panicking.
//!
//! Run them optimized: `cargo test --release --test properties` (add `-- --nocapture` for each
//! property's case count and time). An unoptimized `cargo test` runs 2% of the cases as a smoke
//! test. `PROPERTY_CASES_SCALE=<factor>` multiplies every count (`0.01` for a quick look, `10`
//! for a long hunt). Failing seeds are kept in `tests/fixtures/regressions/proptest-seeds.txt`
//! and replayed first; minimal failing inputs go to `tests/fixtures/regressions/`, each replayed
//! by a plain `#[test]` at the end of this file.
#![cfg(not(target_arch = "wasm32"))]

#[path = "properties/oracle.rs"]
mod oracle;
#[path = "properties/strategies.rs"]
mod strategies;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use confluence_users::models::AccountId;
use confluence_users::schema::Shape;
use confluence_users::{
    decode_response, parse_error, parse_error_redacted, plan_bulk, validate_response,
    AnonymousExpand, Auth, BulkExpand, ClientConfig, Endpoint, Error, ErrorKind,
    GetAnonymousUserParams, GetBulkUserLookupParams, GetBulkUserMigrationParams,
    GetCurrentUserParams, GetGroupMembershipsForUserParams, GetPrivacyUnsafeUserEmailBulkParams,
    GetPrivacyUnsafeUserEmailParams, GetUserParams, UserExpand, MAX_BULK_URL_LEN,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::ValueTree;
use proptest::test_runner::{FileFailurePersistence, TestCaseResult, TestRunner};
use serde::Serialize;
use serde_json::Value;

use oracle::Param;
use strategies::*;

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// Where proptest keeps the seeds of failing cases (replayed before new cases on every run).
const SEEDS: &str = "tests/fixtures/regressions/proptest-seeds.txt";

/// The number of cases to run for a property budgeted at `cases` in an optimized build.
fn scaled(cases: u32) -> u32 {
    let scale: f64 = std::env::var("PROPERTY_CASES_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 0.02 } else { 1.0 });
    ((f64::from(cases) * scale).round() as u32).max(1)
}

/// Runs `test` on `cases` generated inputs, panicking with the shrunk input on failure.
fn check<S>(name: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: Debug,
{
    let cases = scaled(cases);
    let config = ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(SEEDS))),
        // A failure is reported within about a minute even when its input shrinks slowly.
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    };
    let started = Instant::now();
    let result = TestRunner::new(config).run(&strategy, test);
    eprintln!("{name}: {cases} cases in {:.2?}", started.elapsed());
    if let Err(failure) = result {
        panic!("{name}: {failure}");
    }
}

fn fail(message: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(message.into())
}

// ---------------------------------------------------------------------------------------------
// Decoders
// ---------------------------------------------------------------------------------------------

/// The longest `Display` of any error, in characters.
const MAX_DISPLAY: usize = 2_000;

/// Checks one response against one endpoint's decoder; returns whether it decoded.
///
/// - it is deterministic (checked when `twice`);
/// - a non-2xx is never `Ok`, and is exactly `parse_error`'s `Http` error with the same status;
/// - a 2xx error is `Decode` with the same status; a declared non-JSON type is refused whole;
/// - `validate_response` (what the wasm build uses) gives exactly the same verdict;
/// - for a 2xx JSON body, the result agrees with plain `serde_json`, except that an array is
///   never taken for an object and the body must be UTF-8 (a refusal is compared when `twice`);
/// - an `Ok` value re-serializes to JSON that decodes to an equal value;
/// - every error displays, in under [`MAX_DISPLAY`] characters.
fn check_decode<P>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    twice: bool,
) -> Result<bool, TestCaseError>
where
    P: Endpoint,
    P::Output: Serialize + PartialEq + Debug,
{
    let op = P::OPERATION;
    let result = decode_response::<P>(status, content_type, body);
    if twice {
        prop_assert_eq!(
            &result,
            &decode_response::<P>(status, content_type, body),
            "{} is not deterministic",
            op
        );
    }
    let two_xx = (200..300).contains(&status);
    if two_xx || twice {
        let validated = validate_response::<P>(status, content_type, body, &|s| s.to_owned());
        prop_assert_eq!(
            &validated,
            &result.as_ref().map(drop).map_err(Clone::clone),
            "{}: validate_response and decode_response disagree",
            op
        );
    }
    let json_declared = match content_type {
        Some(ct) => oracle::is_json_content_type(ct),
        None => true,
    };
    match &result {
        Err(err) => {
            check_display(err)?;
            prop_assert_eq!(err.status(), status, "{}: {}", op, err);
            if two_xx {
                let Error::Decode { path, message, .. } = err else {
                    return Err(fail(format!(
                        "{op}: a 2xx gave {err:?}, not a Decode error"
                    )));
                };
                if !json_declared {
                    prop_assert_eq!(path, ".");
                    prop_assert!(message.starts_with("expected a JSON body"), "{}", message);
                }
            } else {
                prop_assert_eq!(err, &parse_error(status, content_type, body));
            }
        }
        Ok(value) => {
            prop_assert!(two_xx, "{}: status {} decoded as {:?}", op, status, value);
            prop_assert!(json_declared, "{}: {:?} decoded", op, content_type);
            let json = serde_json::to_value(value).map_err(|e| fail(format!("{op}: {e}")))?;
            let again = serde_json::to_vec(&json).expect("a Value serializes");
            let decoded = decode_response::<P>(status, Some("application/json"), &again);
            prop_assert_eq!(
                decoded.as_ref(),
                Ok(value),
                "{}: round trip through {}",
                op,
                String::from_utf8_lossy(&again)
            );
        }
    }
    // The reference parse costs as much as the decode: done for every success, and for
    // failures on the endpoint whose turn it is.
    if two_xx && json_declared && (twice || result.is_ok()) {
        let reference = serde_json::from_slice::<P::Output>(body);
        match (&result, reference) {
            (Ok(value), Ok(expected)) => prop_assert_eq!(value, &expected),
            (Ok(_), Err(e)) => {
                return Err(fail(format!(
                    "{op} accepted a body serde_json refuses: {e}"
                )))
            }
            (Err(err), Ok(_)) => {
                // The two documented ways the crate is stricter than serde: an array is never
                // taken for an object, and the whole body must be UTF-8 (serde skips the
                // strings of unknown fields unchecked).
                let stricter = match err {
                    Error::Decode { message, .. } => {
                        message == "expected an object, found an array"
                            || (message == "the body is not valid UTF-8"
                                && std::str::from_utf8(body).is_err())
                    }
                    _ => false,
                };
                prop_assert!(stricter, "{} refused a body serde_json takes: {}", op, err);
            }
            (Err(_), Err(_)) => {}
        }
    }
    Ok(result.is_ok())
}

/// Checks that `err` displays in under [`MAX_DISPLAY`] characters, whatever the body's size,
/// and (for a `Decode` error, whose text comes from the crate) without control characters.
fn check_display(err: &Error) -> TestCaseResult {
    let shown = err.to_string();
    let chars = shown.chars().count();
    if let Error::Decode { .. } = err {
        prop_assert!(!shown.contains(char::is_control), "{:?}", shown);
    }
    prop_assert!(
        chars < MAX_DISPLAY,
        "{:?} error displays in {} characters: {}…",
        err.kind(),
        chars,
        shown.chars().take(200).collect::<String>()
    );
    Ok(())
}

/// Runs [`check_decode`] for every endpoint (decoding twice for one of them, in turn); returns
/// which decoded.
fn check_all_decoders(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<[bool; 8], TestCaseError> {
    let twice = body.len() % 8;
    let ct = content_type;
    Ok([
        check_decode::<GetUserParams>(status, ct, body, twice == 0)?,
        check_decode::<GetAnonymousUserParams>(status, ct, body, twice == 1)?,
        check_decode::<GetCurrentUserParams>(status, ct, body, twice == 2)?,
        check_decode::<GetGroupMembershipsForUserParams>(status, ct, body, twice == 3)?,
        check_decode::<GetBulkUserLookupParams>(status, ct, body, twice == 4)?,
        check_decode::<GetPrivacyUnsafeUserEmailParams>(status, ct, body, twice == 5)?,
        check_decode::<GetPrivacyUnsafeUserEmailBulkParams>(status, ct, body, twice == 6)?,
        check_decode::<GetBulkUserMigrationParams>(status, ct, body, twice == 7)?,
    ])
}

/// Counts successful decodes per endpoint, to check that a generator reaches every decoder's
/// success path (and with it the round trip) often.
#[derive(Default)]
struct Successes([AtomicU64; 8]);

impl Successes {
    fn add(&self, decoded: [bool; 8]) {
        for (count, ok) in self.0.iter().zip(decoded) {
            count.fetch_add(u64::from(ok), Ordering::Relaxed);
        }
    }

    /// Asserts that each endpoint decoded at least `min` bodies.
    fn assert_each_at_least(self, name: &str, min: u64) {
        let counts = self.0.map(AtomicU64::into_inner);
        eprintln!("{name}: successful decodes per endpoint {counts:?}");
        assert!(counts.iter().all(|&n| n >= min), "{counts:?} < {min}");
    }
}

#[test]
fn decoders_on_arbitrary_bytes() {
    check(
        "decoders_on_arbitrary_bytes",
        150_000,
        (arbitrary_body(), status(), content_type()),
        |(body, status, ct)| check_all_decoders(status, ct.as_deref(), &body).map(drop),
    );
}

/// Every field of every body's schema, as `results[].profilePicture.width`.
fn declared_fields(shape: &'static Shape, at: &str, out: &mut BTreeSet<String>) {
    match shape {
        Shape::Nullable(inner) => declared_fields(inner, at, out),
        Shape::Array(item) => declared_fields(item, &format!("{at}[]"), out),
        Shape::Object(object) => {
            for field in object.fields {
                let path = format!("{at}.{}", field.name);
                out.insert(path.clone());
                declared_fields(&field.shape, &path, out);
            }
        }
        _ => {}
    }
}

/// Removes from `missing` the declared fields `value` holds.
fn seen_fields(shape: &'static Shape, value: &Value, at: &str, missing: &mut BTreeSet<String>) {
    match (shape, value) {
        (Shape::Nullable(inner), _) => seen_fields(inner, value, at, missing),
        (Shape::Array(item), Value::Array(items)) => {
            for v in items {
                seen_fields(item, v, &format!("{at}[]"), missing);
            }
        }
        (Shape::Object(object), Value::Object(map)) => {
            for field in object.fields {
                if let Some(v) = map.get(field.name) {
                    let path = format!("{at}.{}", field.name);
                    missing.remove(&path);
                    seen_fields(&field.shape, v, &path, missing);
                }
            }
        }
        _ => {}
    }
}

/// The generator walks the models' schema, so every field a model declares, at any depth,
/// turns up in the bodies the decoders are given (seen without the unknown fields the other
/// noise levels add, which may borrow a declared name).
#[test]
fn generated_bodies_hold_every_declared_field() {
    let mut runner = TestRunner::deterministic();
    for shape in BODIES {
        let mut missing = BTreeSet::new();
        declared_fields(shape, "", &mut missing);
        assert!(missing.len() > 1, "{shape:?}");
        let strategy = shaped(shape, Noise::Bare);
        for _ in 0..2_000 {
            let body = strategy.new_tree(&mut runner).expect("a tree").current();
            seen_fields(shape, &body, "", &mut missing);
            if missing.is_empty() {
                break;
            }
        }
        assert!(missing.is_empty(), "never generated: {missing:?}");
    }
}

#[test]
fn decoders_on_model_shaped_json() {
    let decoded = Successes::default();
    check(
        "decoders_on_model_shaped_json",
        150_000,
        (
            plausible_body(),
            any::<bool>(),
            proptest::option::weighted(0.3, spelling()),
            status(),
            content_type(),
        ),
        |(value, pretty, spelling, status, ct)| {
            let body = match &spelling {
                Some(spelling) => write_body(&value, spelling),
                None => to_body(&value, pretty),
            };
            decoded.add(check_all_decoders(status, ct.as_deref(), &body)?);
            Ok(())
        },
    );
    decoded.assert_each_at_least(
        "decoders_on_model_shaped_json",
        u64::from(scaled(150_000)) / 200,
    );
}

/// A real response body; shown by name only when a case fails.
#[derive(Clone, Copy)]
struct Fixture(&'static str, &'static [u8]);

impl Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The real response bodies (the first eight in the order of the endpoints they answer).
const FIXTURES: &[Fixture] = &[
    Fixture("user.json", include_bytes!("fixtures/user.json")),
    Fixture(
        "user_minimal.json",
        include_bytes!("fixtures/user_minimal.json"),
    ),
    Fixture(
        "user_anonymous.json",
        include_bytes!("fixtures/user_anonymous.json"),
    ),
    Fixture(
        "bulk_users.json",
        include_bytes!("fixtures/bulk_users.json"),
    ),
    Fixture("groups.json", include_bytes!("fixtures/groups.json")),
    Fixture("email.json", include_bytes!("fixtures/email.json")),
    Fixture(
        "email_bulk.json",
        include_bytes!("fixtures/email_bulk.json"),
    ),
    Fixture("migration.json", include_bytes!("fixtures/migration.json")),
    Fixture("error_404.json", include_bytes!("fixtures/error_404.json")),
];

#[test]
fn fixtures_decode_with_their_endpoint() {
    // The starting points of the mutation property are valid, so mutations explore the edges.
    let ok = |op: &str, decoded: Result<bool, TestCaseError>| {
        assert!(decoded.expect(op), "{op} refused its fixture");
    };
    let json = Some("application/json");
    ok(
        "user",
        check_decode::<GetUserParams>(200, json, FIXTURES[0].1, true),
    );
    ok(
        "user_minimal",
        check_decode::<GetCurrentUserParams>(200, json, FIXTURES[1].1, true),
    );
    ok(
        "anonymous",
        check_decode::<GetAnonymousUserParams>(200, json, FIXTURES[2].1, true),
    );
    ok(
        "bulk",
        check_decode::<GetBulkUserLookupParams>(200, json, FIXTURES[3].1, true),
    );
    ok(
        "groups",
        check_decode::<GetGroupMembershipsForUserParams>(200, json, FIXTURES[4].1, true),
    );
    ok(
        "email",
        check_decode::<GetPrivacyUnsafeUserEmailParams>(200, json, FIXTURES[5].1, true),
    );
    ok(
        "email_bulk",
        check_decode::<GetPrivacyUnsafeUserEmailBulkParams>(200, json, FIXTURES[6].1, true),
    );
    ok(
        "migration",
        check_decode::<GetBulkUserMigrationParams>(200, json, FIXTURES[7].1, true),
    );
}

#[test]
fn decoders_on_mutated_fixtures() {
    let decoded = Successes::default();
    check(
        "decoders_on_mutated_fixtures",
        250_000,
        (
            select(FIXTURES),
            vec(value_edit(), 0..3),
            any::<bool>(),
            vec(byte_edit(), 0..3),
            status(),
            content_type(),
        ),
        |(Fixture(_, fixture), value_edits, pretty, byte_edits, status, ct)| {
            let mut body = if value_edits.is_empty() {
                fixture.to_vec()
            } else {
                let mut value: Value = serde_json::from_slice(fixture).expect("fixture is JSON");
                for edit in &value_edits {
                    apply_value_edit(&mut value, edit);
                }
                to_body(&value, pretty)
            };
            for edit in &byte_edits {
                apply_byte_edit(&mut body, edit);
            }
            decoded.add(check_all_decoders(status, ct.as_deref(), &body)?);
            Ok(())
        },
    );
    decoded.assert_each_at_least(
        "decoders_on_mutated_fixtures",
        u64::from(scaled(250_000)) / 200,
    );
}

// ---------------------------------------------------------------------------------------------
// parse_error
// ---------------------------------------------------------------------------------------------

/// Error bodies: arbitrary bytes, Atlassian's JSON error shapes, HTML pages and plain text.
fn error_body() -> BoxedStrategy<Vec<u8>> {
    let piece = select(
        &[
            "<title>",
            "</title>",
            "<TITLE lang=en>",
            "</TiTlE >",
            "<html>",
            "<",
            ">",
            " ",
            "  ",
            "\n",
            "\t",
            "\r\n",
            "\u{a0}",
            "\u{2028}",
            "\u{3000}",
            "\u{85}",
            "\u{1c}",
            "\u{b}",
            "\u{c}",
            "\0",
            "\u{1b}",
            "\u{feff}",
            "x",
            "é",
            "😀",
            "İ",
            "502 Bad Gateway",
            "Service unavailable",
            "{",
            "\"",
        ][..],
    );
    prop_oneof![
        3 => arbitrary_body(),
        3 => shaped(&ERROR_BODY, Noise::Noisy).prop_map(|v| to_body(&v, false)),
        3 => vec(piece.clone(), 0..60).prop_map(|p| p.concat().into_bytes()),
        1 => (vec(piece, 0..8), 1usize..400).prop_map(|(p, n)| p.concat().repeat(n).into_bytes()),
    ]
    .boxed()
}

/// The trimmed string at `v`, if it is a non-empty string (what `parse_error` takes a message from).
fn nonempty(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[test]
fn parse_error_on_any_body() {
    check(
        "parse_error_on_any_body",
        100_000,
        (
            error_body(),
            prop_oneof![4 => 100u16..=599, 1 => any::<u16>()],
            content_type(),
        ),
        |(body, status, ct)| {
            let err = parse_error(status, ct.as_deref(), &body);
            prop_assert_eq!(&err, &parse_error(status, ct.as_deref(), &body));
            check_display(&err)?;
            prop_assert!(err.to_string().starts_with(&status.to_string()));
            prop_assert_eq!(err.kind(), ErrorKind::Http);
            let Error::Http {
                status: got,
                message,
                body: kept,
            } = err
            else {
                return Err(fail("not an Http error"));
            };
            prop_assert_eq!(got, status);
            let json = serde_json::from_slice::<Value>(&body).ok();
            prop_assert_eq!(&kept, &json, "the JSON body is kept whole");
            match &json {
                Some(json) => check_json_message(json, message.as_deref()),
                None => check_text_message(ct.as_deref(), &body, message.as_deref()),
            }
        },
    );
}

/// A JSON body's message: present exactly when the body has one, at most 1,200 characters plus
/// an ellipsis, and (when not cut) containing every translation and `errorMessages` entry.
fn check_json_message(json: &Value, message: Option<&str>) -> TestCaseResult {
    let translations: Vec<&str> = json
        .pointer("/data/errors")
        .and_then(Value::as_array)
        .map(|e| {
            e.iter()
                .filter_map(|e| nonempty(e.pointer("/message/translation")))
                .collect()
        })
        .unwrap_or_default();
    let error_messages: Vec<&str> = json
        .get("errorMessages")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|v| nonempty(Some(v))).collect())
        .unwrap_or_default();
    let has_message = nonempty(json.get("message")).is_some();
    let expected_some = has_message || !translations.is_empty() || !error_messages.is_empty();
    prop_assert_eq!(message.is_some(), expected_some, "{:?}", message);
    if let Some(m) = message {
        let chars = m.chars().count();
        prop_assert!(chars <= 1_201, "{} characters", chars);
        prop_assert!(
            !m.is_empty() && !m.starts_with(char::is_whitespace),
            "{:?}",
            m
        );
        if chars == 1_201 {
            prop_assert!(m.ends_with('…'));
        } else {
            for extra in translations.iter().chain(&error_messages) {
                prop_assert!(m.contains(extra), "{:?} lost from {:?}", extra, m);
            }
        }
    }
    Ok(())
}

/// A text or HTML body's message: the body (or `HTML page: ` and its title) with each run of
/// whitespace collapsed to one space and no whitespace at either end, cut to 300 characters plus
/// an ellipsis.
fn check_text_message(ct: Option<&str>, body: &[u8], message: Option<&str>) -> TestCaseResult {
    let text = String::from_utf8_lossy(body);
    let is_html = ct.is_some_and(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("text/html")
    }) || text.trim_start().starts_with('<');
    if let Some(m) = message {
        let chars = m.chars().count();
        prop_assert!(chars <= 301, "{} characters", chars);
        prop_assert!(!m.is_empty());
        prop_assert!(
            !m.starts_with(' ') && !m.ends_with(' ') && !m.contains("  "),
            "{:?}",
            m
        );
        prop_assert!(
            m.chars().all(|c| c == ' ' || !c.is_whitespace()),
            "whitespace left in {:?}",
            m
        );
        if chars == 301 {
            prop_assert!(m.ends_with('…'));
        }
        if is_html {
            prop_assert!(m.starts_with("HTML page: "), "{:?}", m);
        }
    }
    if !is_html {
        // Plain text: exactly the collapsed body, cut.
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let expected = match collapsed.char_indices().nth(300) {
            Some((cut, _)) => Some(format!("{}…", &collapsed[..cut])),
            None => Some(collapsed).filter(|c| !c.is_empty()),
        };
        prop_assert_eq!(message, expected.as_deref());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Request builders
// ---------------------------------------------------------------------------------------------

const BASE: &str = "https://x.atlassian.net";

const USER_EXPANDS: &[UserExpand] = &[
    UserExpand::Operations,
    UserExpand::DetailsPersonal,
    UserExpand::DetailsBusiness,
    UserExpand::PersonalSpace,
    UserExpand::IsExternalCollaborator,
];
const BULK_EXPANDS: &[BulkExpand] = &[
    BulkExpand::Operations,
    BulkExpand::DetailsPersonal,
    BulkExpand::DetailsBusiness,
    BulkExpand::PersonalSpace,
];

/// What a builder must do: refuse with a message starting with the given text, or build this
/// path and these parameters (in order).
#[derive(Debug)]
enum Expected {
    Refused(String),
    Built(&'static str, Vec<Param>),
}

fn param(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Param {
    (
        name.to_owned(),
        values.into_iter().map(Into::into).collect(),
    )
}

/// `name=value` for an optional integer.
fn int_param(name: &str, value: Option<i32>) -> Option<Param> {
    value.map(|v| param(name, [v.to_string()]))
}

/// The documented refusal of an id list sent as one comma-separated parameter.
fn id_list_refusal(ids: &[String]) -> Option<String> {
    if ids.is_empty() {
        return Some("accountIds must not be empty".to_owned());
    }
    ids.iter().enumerate().find_map(|(i, id)| {
        if id.is_empty() {
            Some(format!("accountIds[{i}] must not be empty"))
        } else if id.contains(',') {
            Some(format!("accountIds[{i}] contains a comma"))
        } else {
            None
        }
    })
}

fn range_refusal(name: &str, value: Option<i32>, min: i32, max: i32) -> Option<String> {
    match value {
        Some(v) if v < min || v > max => Some(format!("{name} must ")),
        _ => None,
    }
}

/// Checks one builder against what it must do: a refusal is `InvalidArgument` with the
/// documented message (from `path_and_query`, `validate` and `request` alike); a built request
/// is URL-safe ASCII that percent-decodes back to exactly the inputs, below the API root.
fn check_builder<E: Endpoint>(params: &E, expected: Expected) -> TestCaseResult {
    let op = E::OPERATION;
    let built = params.path_and_query();
    prop_assert_eq!(
        &built,
        &params.path_and_query(),
        "{} is not deterministic",
        op
    );
    let config = ClientConfig::new(Some(BASE), Auth::None).expect("valid config");
    let request = config.request(params);
    match (expected, built) {
        (Expected::Refused(reason), Err(err)) => {
            let Error::InvalidArgument { message } = &err else {
                return Err(fail(format!("{op}: {err:?} is not InvalidArgument")));
            };
            prop_assert!(
                message.starts_with(&reason),
                "{}: {:?} does not start with {:?}",
                op,
                message,
                reason
            );
            prop_assert_eq!(params.validate(), Err(err.clone()));
            prop_assert_eq!(request.err(), Some(err));
        }
        (Expected::Built(path, expected), Ok(built)) => {
            let (got_path, got) =
                oracle::parse_path_and_query(&built).map_err(|e| fail(format!("{op}: {e}")))?;
            prop_assert_eq!(got_path.as_str(), path, "{}: {}", op, built);
            prop_assert_eq!(&got, &expected, "{}: {}", op, built);
            prop_assert_eq!(params.validate(), Ok(()));
            let request = request.map_err(|e| fail(format!("{op}: request: {e}")))?;
            prop_assert_eq!(request.method, "GET");
            prop_assert_eq!(request.url, format!("{BASE}/wiki/rest/api{built}"));
            prop_assert_eq!(
                request.headers,
                vec![("Accept", "application/json".to_owned())]
            );
        }
        (expected, built) => {
            return Err(fail(format!("{op}: expected {expected:?}, got {built:?}")));
        }
    }
    Ok(())
}

#[test]
fn single_user_builders_encode_every_value() {
    check(
        "single_user_builders_encode_every_value",
        100_000,
        (
            param_text(),
            vec(select(USER_EXPANDS), 0..7),
            vec(Just(AnonymousExpand::Operations), 0..3),
            opt_int(),
            opt_int(),
        ),
        |(id, expand, anonymous_expand, start, limit)| {
            let expand_param =
                (!expand.is_empty()).then(|| param("expand", expand.iter().map(|e| e.as_str())));
            let id_param = param("accountId", [id.as_str()]);
            let id_refusal = id
                .is_empty()
                .then(|| "accountId must not be empty".to_owned());

            check_builder(
                &GetUserParams {
                    account_id: id.clone().into(),
                    expand: expand.clone(),
                },
                match &id_refusal {
                    Some(r) => Expected::Refused(r.clone()),
                    None => Expected::Built(
                        "/user",
                        [Some(id_param.clone()), expand_param.clone()]
                            .into_iter()
                            .flatten()
                            .collect(),
                    ),
                },
            )?;
            check_builder(
                &GetCurrentUserParams {
                    expand: expand.clone(),
                },
                Expected::Built("/user/current", expand_param.into_iter().collect()),
            )?;
            check_builder(
                &GetAnonymousUserParams {
                    expand: anonymous_expand.clone(),
                },
                Expected::Built(
                    "/user/anonymous",
                    (!anonymous_expand.is_empty())
                        .then(|| param("expand", anonymous_expand.iter().map(|e| e.as_str())))
                        .into_iter()
                        .collect(),
                ),
            )?;
            check_builder(
                &GetPrivacyUnsafeUserEmailParams {
                    account_id: id.clone().into(),
                },
                match &id_refusal {
                    Some(r) => Expected::Refused(r.clone()),
                    None => Expected::Built("/user/email", vec![id_param.clone()]),
                },
            )?;
            let refusal = id_refusal
                .clone()
                .or_else(|| range_refusal("start", start, 0, i32::MAX))
                .or_else(|| range_refusal("limit", limit, 0, i32::MAX));
            check_builder(
                &GetGroupMembershipsForUserParams {
                    account_id: id.clone().into(),
                    start,
                    limit,
                },
                match refusal {
                    Some(r) => Expected::Refused(r),
                    None => Expected::Built(
                        "/user/memberof",
                        [
                            Some(id_param),
                            int_param("start", start),
                            int_param("limit", limit),
                        ]
                        .into_iter()
                        .flatten()
                        .collect(),
                    ),
                },
            )
        },
    );
}

#[test]
fn bulk_builders_encode_every_id() {
    check(
        "bulk_builders_encode_every_id",
        100_000,
        (param_list(), vec(select(BULK_EXPANDS), 0..6), opt_int()),
        |(ids, expand, limit)| {
            let ids_param = param("accountId", ids.iter().map(String::as_str));
            let list_refusal = id_list_refusal(&ids);
            let refusal = list_refusal
                .clone()
                .or_else(|| {
                    (ids.len() > 200).then(|| format!("accountIds holds {} ids", ids.len()))
                })
                .or_else(|| range_refusal("limit", limit, 1, 200));
            check_builder(
                &GetBulkUserLookupParams {
                    account_ids: ids.iter().map(|s| s.as_str().into()).collect(),
                    expand: expand.clone(),
                    limit,
                },
                match refusal {
                    Some(r) => Expected::Refused(r),
                    None => Expected::Built(
                        "/user/bulk",
                        [
                            Some(ids_param.clone()),
                            (!expand.is_empty())
                                .then(|| param("expand", expand.iter().map(|e| e.as_str()))),
                            int_param("limit", limit),
                        ]
                        .into_iter()
                        .flatten()
                        .collect(),
                    ),
                },
            )?;
            check_builder(
                &GetPrivacyUnsafeUserEmailBulkParams {
                    account_ids: ids.iter().map(|s| s.as_str().into()).collect(),
                },
                match list_refusal {
                    Some(r) => Expected::Refused(r),
                    None => Expected::Built("/user/email/bulk", vec![ids_param]),
                },
            )
        },
    );
}

#[test]
fn migration_builder_repeats_every_key() {
    check(
        "migration_builder_repeats_every_key",
        50_000,
        (
            proptest::option::of(param_list()),
            proptest::option::of(param_list()),
            opt_int(),
            opt_int(),
        ),
        |(keys, usernames, start, limit)| {
            let lookup = match (&keys, &usernames) {
                (Some(_), Some(_)) => Err("give keys or usernames, not both".to_owned()),
                (None, None) => Err("give one of keys or usernames".to_owned()),
                (Some(keys), None) => Ok(("key", "keys", keys)),
                (None, Some(usernames)) => Ok(("username", "usernames", usernames)),
            };
            let refusal = match &lookup {
                Err(r) => Some(r.clone()),
                Ok((_, field, values)) if values.is_empty() => {
                    Some(format!("{field} must not be empty"))
                }
                Ok((_, field, values)) => values
                    .iter()
                    .position(String::is_empty)
                    .map(|i| format!("{field}[{i}] must not be empty")),
            }
            .or_else(|| range_refusal("start", start, 0, i32::MAX))
            .or_else(|| range_refusal("limit", limit, 0, i32::MAX));
            let expected = match (refusal, lookup) {
                (Some(r), _) => Expected::Refused(r),
                (None, Ok((name, _, values))) => Expected::Built(
                    "/user/bulk/migration",
                    values
                        .iter()
                        .map(|v| Some(param(name, [v.as_str()])))
                        .chain([int_param("start", start), int_param("limit", limit)])
                        .flatten()
                        .collect(),
                ),
                (None, Err(_)) => unreachable!(),
            };
            check_builder(
                &GetBulkUserMigrationParams {
                    keys,
                    usernames,
                    start,
                    limit,
                },
                expected,
            )
        },
    );
}

/// The length of `id` once percent-encoded.
fn encoded_len(id: &str) -> usize {
    id.bytes()
        .map(|b| if oracle::is_unreserved(b) { 1 } else { 3 })
        .sum()
}

#[test]
fn bulk_plans_cover_every_id_within_the_limits() {
    let pool = select(&["a", "b", "é", "a b", "5b10ac8d82e05b22cc7d4ef5", "%2C", "~"][..])
        .prop_map(str::to_owned);
    let ids = prop_oneof![
        6 => vec(prop_oneof![param_text(), pool.clone()], 0..30),
        1 => vec(prop_oneof![string_of("abcdefghijklmnopqrstuvwxyz0123456789", 1..40), pool], 190..450),
    ];
    check(
        "bulk_plans_cover_every_id_within_the_limits",
        50_000,
        (
            ids,
            prop_oneof![Just(200usize), 1usize..250],
            prop_oneof![Just(60usize), 0usize..200],
            prop_oneof![Just(MAX_BULK_URL_LEN), 0usize..400],
        ),
        |(ids, max_ids, fixed_len, max_url_len)| {
            let account_ids: Vec<AccountId> = ids.iter().map(|s| s.as_str().into()).collect();
            let result = plan_bulk(&account_ids, max_ids, fixed_len, max_url_len);
            // The URL must stay under (not at) `max_url_len`.
            let budget = max_url_len.saturating_sub(fixed_len).saturating_sub(1);
            let mut seen = std::collections::HashSet::new();
            let unique: Vec<&str> = ids
                .iter()
                .map(String::as_str)
                .filter(|id| seen.insert(*id))
                .collect();
            // The documented refusals, first one first.
            let refusal = id_list_refusal(&ids).or_else(|| {
                ids.iter()
                    .position(|id| encoded_len(id) > budget)
                    .map(|i| format!("accountIds[{i}] is too long"))
            });
            let plan = match (refusal, result) {
                (Some(reason), Err(Error::InvalidArgument { message })) => {
                    prop_assert!(
                        message.starts_with(&reason),
                        "{:?} is not {:?}",
                        message,
                        reason
                    );
                    return Ok(());
                }
                (None, Ok(plan)) => plan,
                (refusal, result) => {
                    return Err(fail(format!("expected {refusal:?}, got {result:?}")));
                }
            };
            let got: Vec<&str> = plan.unique.iter().map(AccountId::as_str).collect();
            prop_assert_eq!(&got, &unique, "distinct ids in order of first appearance");
            let len = |range: std::ops::Range<usize>| -> usize {
                unique[range.clone()]
                    .iter()
                    .map(|id| encoded_len(id))
                    .sum::<usize>()
                    + range.len()
                    - 1
            };
            let mut next = 0;
            for (n, chunk) in plan.chunks.iter().enumerate() {
                prop_assert_eq!(
                    chunk.start,
                    next,
                    "chunks are contiguous: {:?}",
                    plan.chunks
                );
                prop_assert!(chunk.end > chunk.start, "empty chunk in {:?}", plan.chunks);
                next = chunk.end;
                prop_assert!(chunk.len() <= max_ids, "{:?} > {}", chunk, max_ids);
                prop_assert!(len(chunk.clone()) <= budget, "{:?} over {}", chunk, budget);
                // Greedy: the next id would not have fitted.
                if n + 1 < plan.chunks.len() {
                    prop_assert!(
                        chunk.len() == max_ids || len(chunk.start..chunk.end + 1) > budget,
                        "{:?} could have taken one more id",
                        chunk
                    );
                }
            }
            prop_assert_eq!(next, unique.len(), "every id is asked for");
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Base URLs
// ---------------------------------------------------------------------------------------------

/// A credential that must never be echoed by a refusal or kept in a base URL.
const URL_SECRET: &str = "S3CRETPASS";

/// Base URLs: arbitrary strings, and URLs assembled from good and bad schemes, credentials,
/// hosts, ports and paths.
fn base_url() -> BoxedStrategy<String> {
    let chars = || {
        vec(
            prop_oneof![2 => any::<char>(), 1 => select(SPECIAL_CHARS)],
            0..8,
        )
    };
    let scheme = prop_oneof![
        6 => select(&["https://", "http://", "HTTPS://", "HtTp://"][..]).prop_map(str::to_owned),
        1 => select(&["ftp://", "https:/", "https:", "", "//", "javascript://", "https://://"][..])
            .prop_map(str::to_owned),
    ];
    let userinfo = prop_oneof![
        8 => Just(String::new()),
        1 => select(&["me:S3CRETPASS@", "@", "S3CRETPASS@", ":S3CRETPASS@"][..]).prop_map(str::to_owned),
    ];
    let host = prop_oneof![
        4 => select(&[
            "x.atlassian.net", "X.Atlassian.NET", "localhost", "LocalHost", "127.0.0.1",
            "127.255.255.255", "127.0.0.256", "127.1", "127.0.0.1.evil.com", "[::1]", "[::1",
            "[2001:db8::1]", "[zz]", "[]", "x..net", "x.net.", ".x.net", "exämple.net",
            "xn--exmple-cua.net", "10.0.0.1", "", "a-b.c", "api.atlassian.com", "0", "[::1]x",
        ][..])
        .prop_map(str::to_owned),
        2 => string_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", 0..21),
        1 => chars().prop_map(String::from_iter),
    ];
    let port = prop_oneof![
        4 => Just(String::new()),
        2 => select(&[":", ":0", ":443", ":8090", ":65535", ":65536", ":99999", ":00443", ":+1", ":-1", ":1a", "::"][..])
            .prop_map(str::to_owned),
        1 => ":[0-9]{1,6}",
    ];
    let segment = prop_oneof![
        4 => select(&[
            "wiki", "rest", "api", "", "a b", "%20", "%", "%zz", "?q=1", "#f", "@", "é", "ex",
            "confluence", "1324a887-45db", "~x", "!$&'()*+,;=:", "\\", "..", ".",
        ][..])
        .prop_map(str::to_owned),
        1 => chars().prop_map(String::from_iter),
    ];
    let path = (
        vec(segment.prop_map(|s| format!("/{s}")), 0..4),
        select(
            &[
                "",
                "/",
                "/wiki",
                "/wiki/",
                "/wiki/rest/api",
                "/wiki/rest/api/",
                "//",
            ][..],
        ),
    )
        .prop_map(|(segments, tail)| segments.concat() + tail);
    prop_oneof![
        1 => chars().prop_map(String::from_iter),
        6 => (scheme, userinfo, host, port, path).prop_map(|(s, u, h, p, path)| format!("{s}{u}{h}{p}{path}")),
    ]
    .boxed()
}

fn is_loopback(host: &str) -> bool {
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4 && octets[0] == "127" && octets.iter().all(|o| o.parse::<u8>().is_ok())
}

/// An accepted base URL is `https://` (or `http://` for a loopback host), lowercase up to its
/// path, free of credentials, query, fragment, whitespace and controls, without a trailing
/// slash, and request URLs are it plus `/wiki/rest/api` plus the path.
fn check_base_url(input: &str) -> TestCaseResult {
    let refused = |err: Error| -> TestCaseResult {
        let Error::InvalidArgument { message } = &err else {
            return Err(fail(format!("{err:?} is not InvalidArgument")));
        };
        prop_assert!(message.starts_with("baseUrl "), "{}", message);
        prop_assert!(!err.to_string().contains(URL_SECRET), "{}", err);
        Ok(())
    };
    let config = match ClientConfig::new(Some(input), Auth::None) {
        Ok(config) => config,
        Err(err) => return refused(err),
    };
    let base = config.base_url();
    prop_assert_eq!(
        ClientConfig::new(Some(input), Auth::None).map(|c| c.base_url().to_owned()),
        Ok(base.to_owned())
    );
    let (scheme, rest) = base
        .split_once("://")
        .ok_or_else(|| fail(format!("no scheme in {base:?}")))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !authority.ends_with(']') => {
            prop_assert!(
                !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()),
                "port of {:?}",
                base
            );
            prop_assert!(port.parse::<u32>().is_ok_and(|p| p <= 65_535), "{:?}", base);
            host
        }
        _ => authority,
    };
    prop_assert!(
        scheme == "https" || (scheme == "http" && is_loopback(host)),
        "{:?} from {:?}",
        base,
        input
    );
    prop_assert!(!host.is_empty(), "{:?}", base);
    prop_assert_eq!(authority.to_ascii_lowercase(), authority);
    prop_assert!(
        base.is_ascii()
            && !base
                .chars()
                .any(|c| c.is_ascii_control() || c.is_whitespace() || c == '?' || c == '#'),
        "{:?} from {:?}",
        base,
        input
    );
    prop_assert!(!authority.contains('@'), "{:?}", base);
    prop_assert!(!base.contains(URL_SECRET), "{:?}", base);
    prop_assert!(!base.ends_with('/'), "{:?}", base);
    prop_assert!(
        path.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@%/".contains(&b)),
        "path of {:?}",
        base
    );
    let escapes_ok = path
        .split('%')
        .skip(1)
        .all(|after| after.len() >= 2 && after.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit));
    prop_assert!(
        escapes_ok,
        "malformed %-escape in {:?} from {:?}",
        base,
        input
    );
    let params = GetUserParams {
        account_id: "a b".into(),
        expand: vec![],
    };
    let request = config
        .request(&params)
        .map_err(|e| fail(format!("request: {e}")))?;
    prop_assert_eq!(
        request.url,
        format!("{base}/wiki/rest/api/user?accountId=a%20b")
    );
    Ok(())
}

#[test]
fn base_urls_are_validated() {
    check("base_urls_are_validated", 100_000, base_url(), |input| {
        check_base_url(&input)
    });
}

#[test]
fn well_formed_base_urls_are_accepted() {
    let host = "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?){0,3}";
    let path = "(/[a-zA-Z0-9._~!$&'()*+,;=:@-]{1,8}){0,3}/?";
    check(
        "well_formed_base_urls_are_accepted",
        50_000,
        (
            prop_oneof![
                (Just("https://"), host.prop_map(|h| h.to_owned())),
                (
                    Just("http://"),
                    select(&["localhost", "127.0.0.1", "127.10.20.30", "[::1]"][..])
                        .prop_map(str::to_owned)
                ),
            ],
            proptest::option::of(0u32..=65_535),
            path,
        ),
        |((scheme, host), port, path)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let input = format!("{scheme}{host}{port}{path}");
            let config = ClientConfig::new(Some(&input), Auth::None)
                .map_err(|e| fail(format!("{input:?} refused: {e}")))?;
            let prefix = format!("{scheme}{host}{port}");
            prop_assert!(
                config.base_url().starts_with(&prefix),
                "{:?} from {:?}",
                config.base_url(),
                input
            );
            check_base_url(&input)
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Credentials {
    Basic { email: String, api_token: String },
    Bearer { token: String },
}

fn credentials() -> BoxedStrategy<Credentials> {
    let any_text = |min: usize| {
        vec(
            prop_oneof![3 => any::<char>(), 1 => select(SPECIAL_CHARS)],
            min..16,
        )
        .prop_map(String::from_iter)
    };
    let email = prop_oneof![
        "[a-z0-9._+-]{1,12}@[a-z]{1,8}\\.[a-z]{2,3}",
        any_text(1)
            .prop_map(|s| s
                .replace(':', "")
                .chars()
                .filter(|c| !c.is_control())
                .collect::<String>())
            .prop_filter("empty email", |s| !s.is_empty()),
    ];
    let api_token = prop_oneof!["[A-Za-z0-9_=-]{1,40}", any_text(1), "[A-Z]{1,3}"];
    prop_oneof![
        2 => (email, api_token).prop_map(|(email, api_token)| Credentials::Basic { email, api_token }),
        1 => prop_oneof!["[!-~]{1,40}", "[A-Z\\[\\]]{1,3}"].prop_map(|token| Credentials::Bearer { token }),
    ]
    .boxed()
}

#[test]
fn redaction_removes_every_credential() {
    check(
        "redaction_removes_every_credential",
        50_000,
        (
            credentials(),
            vec(text(), 0..5),
            vec((0usize..7, any::<Index>()), 0..5),
            prop_oneof![
                Just(None),
                Just(Some("text/plain")),
                Just(Some("text/html"))
            ],
        ),
        |(credentials, filler, insertions, ct)| {
            let (auth, secret, header) = match &credentials {
                Credentials::Basic { email, api_token } => {
                    let b64 = oracle::base64(format!("{email}:{api_token}").as_bytes());
                    (
                        Auth::Basic {
                            email: email.clone(),
                            api_token: api_token.clone(),
                        },
                        api_token.clone(),
                        format!("Basic {b64}"),
                    )
                }
                Credentials::Bearer { token } => (
                    Auth::Bearer {
                        token: token.clone(),
                    },
                    token.clone(),
                    format!("Bearer {token}"),
                ),
            };
            let credential = header.split_once(' ').unwrap().1.to_owned();
            let config = ClientConfig::new(Some(BASE), auth.clone())
                .map_err(|e| fail(format!("valid credentials refused: {e}")))?;
            let request = config
                .request(&GetCurrentUserParams::default())
                .map_err(|e| fail(e.to_string()))?;
            prop_assert_eq!(
                &request.headers[1],
                &("Authorization", header.clone()),
                "header"
            );

            // The text: filler with credentials inserted at arbitrary character boundaries.
            let mut text = filler.concat();
            for (which, at) in &insertions {
                let piece = match which {
                    0 | 1 => secret.clone(),
                    2 => credential.clone(),
                    3 => header.clone(),
                    4 => format!("Authorization: {header}\r\n"),
                    5 => format!("token={secret}&x"),
                    // The secret with its whitespace changed (not the secret itself).
                    _ => secret.split(' ').collect::<Vec<_>>().join("\n "),
                };
                let boundaries: Vec<usize> = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .collect();
                let i = boundaries[at.index(boundaries.len())];
                text.insert_str(i, &piece);
            }
            let redacted = config.redact(&text);
            for piece in redacted.split("[REDACTED]") {
                for s in [&secret, &credential, &header] {
                    prop_assert!(
                        !piece.contains(s.as_str()),
                        "{:?} left in {:?} (from {:?})",
                        s,
                        redacted,
                        text
                    );
                }
            }
            // Redaction also finds a credential split by whitespace, and any 8 characters of
            // one in a row.
            let squeezed = |s: &str| -> Vec<u8> {
                s.chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .into_bytes()
            };
            let in_text = squeezed(&text);
            let holds = |s: &String| {
                if text.contains(s.as_str()) {
                    return true;
                }
                let s = squeezed(s);
                let n = s.len().min(8);
                n > 0 && s.windows(n).any(|w| in_text.windows(n).any(|t| t == w))
            };
            if ![&secret, &credential, &header].iter().any(|s| holds(s)) {
                prop_assert_eq!(&redacted, &text, "text without credentials changed");
            }
            // Error messages built from a body echoing the text, redacted with the config.
            let redact = |s: &str| config.redact(s);
            let json_body = serde_json::json!({ "message": text, "errorMessages": [text] });
            let bodies = [
                text.clone().into_bytes(),
                format!("<html><title>{text}</title></html>").into_bytes(),
                json_body.to_string().into_bytes(),
            ];
            for body in &bodies {
                let Error::Http { message, .. } = parse_error_redacted(401, ct, body, &redact)
                else {
                    return Err(fail("not an Http error"));
                };
                // Only what came from the body: the crate's own words could hold a short secret.
                let message = message.unwrap_or_default();
                let mut from_body = message.strip_prefix("HTML page: ").unwrap_or(&message);
                // A cut may leave a part of a placeholder before the ellipsis.
                if let Some(cut) = from_body.strip_suffix('…') {
                    let partial = (1..10).rev().find(|&n| cut.ends_with(&"[REDACTED]"[..n]));
                    from_body = &cut[..cut.len() - partial.unwrap_or(0)];
                }
                for piece in from_body.split("[REDACTED]") {
                    for s in [&secret, &credential, &header] {
                        prop_assert!(
                            !piece.contains(s.as_str()),
                            "{:?} left in the message {:?} (from body {:?})",
                            s,
                            message,
                            String::from_utf8_lossy(body)
                        );
                    }
                }
            }
            // Debug output never shows them (checked for secrets too long to occur by chance).
            if secret.chars().count() >= 16 {
                let shown = format!("{config:?} {request:?} {auth:?}");
                for s in [&secret, &credential] {
                    prop_assert!(!shown.contains(s.as_str()), "{:?} in {}", s, shown);
                }
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions: inputs that made a property fail, kept in tests/fixtures/regressions/
//
// Each was a bug in src when a property found it, fixed since (4bc66fb, 7ed0269). The replays
// keep them fixed even if a property's generator changes.
// ---------------------------------------------------------------------------------------------

/// A regression fixture, as text.
fn regression(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/regressions/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Panics in a property are caught and reported with the input: the test build unwinds, even
/// though the release profile says `panic = "abort"` (Cargo ignores that for tests).
#[test]
fn a_panicking_case_is_reported_not_aborting() {
    let config = ProptestConfig {
        cases: 10,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let result = TestRunner::new(config).run(&any::<u8>(), |b| -> TestCaseResult {
        if b < 255 {
            panic!("deliberate panic for {b}");
        }
        Ok(())
    });
    match result {
        Err(proptest::test_runner::TestError::Fail(reason, input)) => {
            assert!(reason.message().contains("deliberate panic"), "{reason}");
            assert_eq!(input, 0, "shrunk to the smallest input");
        }
        other => panic!("expected a reported failure, got {other:?}"),
    }
}

/// Was: before the decoders validated bodies themselves, serde's message quoted a
/// 2,500-character string whole (found by `decoders_on_model_shaped_json`).
#[test]
fn decode_error_display_of_a_long_string_value_is_bounded() {
    let body = regression("decode-display-long-string.json");
    let err = decode_response::<GetPrivacyUnsafeUserEmailBulkParams>(
        200,
        Some("application/json"),
        body.as_bytes(),
    )
    .unwrap_err();
    let shown = err.to_string();
    assert!(shown.chars().count() < MAX_DISPLAY, "{shown}");
}

/// Was: a `Decode` error named the JSON path with map keys whole and quoted out-of-range number
/// literals whole, so its `Display` (and the JS error's `message`) grew with the body.
#[test]
fn decode_error_display_is_bounded_for_multi_megabyte_bodies() {
    let key = "k".repeat(2_000_000);
    let digits = "9".repeat(2_000_000);
    let bodies = [
        // A link of the wrong type under a 2 MB key: the path holds the key.
        format!(r#"{{"type":"known","_links":{{"{key}":5}}}}"#),
        // A 2 MB integer where an i32 goes: the message holds the literal.
        format!(
            r#"{{"type":"known","profilePicture":{{"path":"p","width":{digits},"height":1,"isDefault":true}}}}"#
        ),
        // An unknown space field with an unparsable number: the path holds the key.
        format!(
            r#"{{"type":"known","personalSpace":{{"key":"k","name":"n","type":"t","status":"s","_expandable":{{}},"_links":{{}},"{key}":1e400}}}}"#
        ),
    ];
    for body in bodies {
        let err = decode_response::<GetUserParams>(200, Some("application/json"), body.as_bytes())
            .unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.chars().count() < MAX_DISPLAY,
            "{} characters: {}…",
            shown.chars().count(),
            shown.chars().take(120).collect::<String>()
        );
    }
}

/// Was: map keys went into a `Decode` error's path verbatim, control characters included, so a
/// body could put line breaks and terminal escapes into the message.
#[test]
fn decode_error_display_has_no_control_characters() {
    let body = regression("decode-display-control-characters.json");
    let err = decode_response::<GetUserParams>(200, Some("application/json"), body.as_bytes())
        .unwrap_err();
    let shown = err.to_string();
    assert!(!shown.contains(char::is_control), "{shown:?}");
}

/// Was: serde_json was built without its `float_roundtrip` feature, so a float kept verbatim
/// (`Space.extra`, `SpaceHomepage.extra`, link objects) could come out one bit off: here
/// 2.1027650472852618e230 decoded as 2.1027650472852613e230 and failed the round trip.
#[test]
fn floats_kept_verbatim_are_parsed_exactly() {
    let body = regression("float-roundtrip-user.json");
    let user = decode_response::<GetUserParams>(200, Some("application/json"), body.as_bytes())
        .expect("decodes");
    let space = user.personal_space.as_ref().expect("personal space");
    let got = space.extra["metadata"]["type"].as_f64();
    assert_eq!(got, "2.1027650472852618e230".parse::<f64>().ok());
    let again = serde_json::to_vec(&user).unwrap();
    let back = decode_response::<GetUserParams>(200, Some("application/json"), &again).unwrap();
    assert_eq!(back, user, "round trip");
}

/// Was: a base URL's path could hold `%` not followed by two hex digits (not a valid URL).
#[test]
fn base_url_paths_with_malformed_percent_escapes_are_refused() {
    for url in regression("base-url-malformed-percent.txt").lines() {
        let result = ClientConfig::new(Some(url), Auth::None).map(|c| c.base_url().to_owned());
        assert!(result.is_err(), "{url:?} accepted as {result:?}");
    }
}

/// Was: `parse_error_redacted` redacted before collapsing whitespace, so an API token holding a
/// space came back whole when the body echoed it with a line break instead.
#[test]
fn redaction_survives_whitespace_collapsing() {
    let case: Value = serde_json::from_str(&regression("redaction-whitespace-token.json")).unwrap();
    let token = case["apiToken"].as_str().unwrap();
    let config = ClientConfig::new(
        Some(BASE),
        Auth::Basic {
            email: case["email"].as_str().unwrap().to_owned(),
            api_token: token.to_owned(),
        },
    )
    .unwrap();
    let body = case["body"].as_str().unwrap();
    let err = parse_error_redacted(401, Some("text/plain"), body.as_bytes(), &|s| {
        config.redact(s)
    });
    let shown = err.to_string();
    assert!(!shown.contains(token), "{shown:?}");
}

/// Was: `plan_bulk` numbered a too-long id by its place among the distinct ids, not in the list
/// the caller passed, so with a repeat before it the message pointed at the wrong id.
#[test]
fn a_too_long_bulk_id_is_named_by_its_own_index() {
    let case: Value = serde_json::from_str(&regression("bulk-too-long-id-index.json")).unwrap();
    let ids: Vec<AccountId> = case["accountIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().into())
        .collect();
    let arg = |name: &str| case[name].as_u64().unwrap() as usize;
    let err = plan_bulk(&ids, arg("maxIds"), arg("fixedLen"), arg("maxUrlLen")).unwrap_err();
    let expected = case["expected"].as_str().unwrap();
    assert!(err.to_string().contains(expected), "{err}");
}

/// Was: the refusal of a 2xx with a non-JSON `Content-Type` quoted the media type whole and raw,
/// so a server could put terminal escapes into the message or make it as long as its header
/// (browsers accept header values of many KB). Found by the decoder properties after 4bc66fb;
/// fixed in 7ed0269.
#[test]
fn a_non_json_content_type_is_quoted_short_and_printable() {
    let long = format!("text/{}", "x".repeat(5_000));
    let fixture = regression("decode-display-content-type.txt");
    for ct in fixture.lines().map(str::to_owned).chain([long]) {
        let err = decode_response::<GetUserParams>(200, Some(&ct), b"{}").unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.chars().count() < MAX_DISPLAY,
            "{} characters",
            shown.len()
        );
        assert!(!shown.contains(char::is_control), "{shown:?}");
    }
}
