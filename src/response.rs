//! Turning a response (status, content type, body bytes) into a model or an [`Error`].

use serde_json::Value;

use crate::endpoints::Endpoint;
use crate::error::Error;
use crate::schema::Shape;

/// The longest human message taken from a non-JSON error body, in characters.
const MAX_TEXT_MESSAGE: usize = 300;

/// Decodes the response to a call of `E`: a 2xx JSON body becomes `E::Output`; anything else
/// becomes an [`Error`] (see [`parse_error`]). `content_type` is the `Content-Type` header when
/// the transport exposes one; a 2xx that declares a non-JSON type is refused.
pub fn decode_response<E: Endpoint>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<E::Output, Error> {
    validate_response::<E>(status, content_type, body, &|s| s.to_owned())?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: E::Output = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = match e.path().to_string() {
            // serde_path_to_error says "?" when the failure is at the root.
            p if p == "?" => ".".to_owned(),
            p => p,
        };
        Error::Decode {
            status,
            path,
            message: e.into_inner().to_string(),
        }
    })?;
    Ok(value)
}

/// Checks the response to a call of `E` without building the model: `Ok` for a 2xx body that
/// [`decode_response`] would decode (the same shape rules, see [`crate::validate`]), else the
/// error it would give. `redact` is applied to an error's message before it is cut to length,
/// so a credential the server echoed cannot survive in part. The wasm build uses this, then
/// lets JavaScript's `JSON.parse` build the objects.
pub fn validate_response<E: Endpoint>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    redact: &dyn Fn(&str) -> String,
) -> Result<(), Error> {
    validate_body(status, content_type, body, E::SHAPE, redact)
}

/// [`validate_response`] for a body of `shape`, whatever the operation.
pub(crate) fn validate_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    shape: &Shape,
    redact: &dyn Fn(&str) -> String,
) -> Result<(), Error> {
    if !(200..300).contains(&status) {
        return Err(parse_error_redacted(status, content_type, body, redact));
    }
    check_success_body(status, content_type, body, shape, true, redact)
}

/// The checks of [`validate_body`] for a 2xx body (`status` is only reported in errors) that
/// a UTF-8 decoder turns into text before it is parsed, as `fetch`'s `text()` and
/// `TextDecoder` do: a leading byte order mark is skipped and invalid UTF-8 is left for the
/// decoder to replace with U+FFFD, so only the JSON is checked. The wasm skin handles other
/// statuses itself (see [`error_message`]).
pub(crate) fn validate_decoded_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    shape: &Shape,
    redact: &dyn Fn(&str) -> String,
) -> Result<(), Error> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    check_success_body(status, content_type, body, shape, false, redact)
}

fn check_success_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    shape: &Shape,
    require_utf8: bool,
    redact: &dyn Fn(&str) -> String,
) -> Result<(), Error> {
    let whole = |message: String| Error::Decode {
        status,
        path: ".".to_owned(),
        message,
    };
    if let Some(ct) = content_type {
        if !is_json_content_type(ct) {
            return Err(whole(format!(
                "expected a JSON body but the response is {}",
                // As sent (not lowercased, which would hide an echoed credential from
                // redaction), redacted before it is cut.
                crate::validate::shown(&redact(ct.split(';').next().unwrap_or("").trim()))
            )));
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(whole("the body is empty".to_owned()));
    }
    if require_utf8 && std::str::from_utf8(body).is_err() {
        return Err(whole("the body is not valid UTF-8".to_owned()));
    }
    crate::validate::validate_bytes_redacted(body, shape, redact).map_err(|invalid| Error::Decode {
        status,
        path: invalid.path,
        message: invalid.message,
    })
}

/// The media type without parameters, lowercased, e.g. `text/html`.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn is_json_content_type(content_type: &str) -> bool {
    let media = media_type(content_type);
    media == "application/json" || media.ends_with("+json")
}

/// Builds the error for a non-2xx response, reading the human message from whichever body
/// Confluence or its gateway sent: the v1 error body
/// (`{statusCode, message, data: {errors: [{message: {translation}}]}}`), the `{code, message}`
/// body of OAuth scope failures, a Jira-style `{errorMessages: [...]}`, or plain text / HTML
/// (cut to a sane length).
pub fn parse_error(status: u16, content_type: Option<&str>, body: &[u8]) -> Error {
    parse_error_redacted(status, content_type, body, &|s| s.to_owned())
}

/// [`parse_error`], applying `redact` to the message before it is cut to length.
pub fn parse_error_redacted(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    redact: &dyn Fn(&str) -> String,
) -> Error {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    Error::Http {
        status,
        message: error_message(json.as_ref(), content_type, body, redact),
        body: json,
    }
}

/// Read access to a parsed JSON value: what [`error_message`] needs, so the same rules read a
/// `serde_json::Value` here and a `JSON.parse` result in the wasm skin.
pub trait JsonView: Sized {
    /// The member `key` of an object.
    fn member(&self, key: &str) -> Option<Self>;
    /// The items of an array.
    fn items(&self) -> Option<Vec<Self>>;
    /// The value of a string.
    fn string(&self) -> Option<String>;
}

impl JsonView for &Value {
    fn member(&self, key: &str) -> Option<Self> {
        self.get(key)
    }
    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().map(|items| items.iter().collect())
    }
    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
}

/// The human message of an error response: from the parsed JSON body when there is one (see
/// [`parse_error`] for the shapes read), else from the text or the HTML page's title.
/// `redact` is applied before the message is cut to length.
pub fn error_message<V: JsonView>(
    json: Option<V>,
    content_type: Option<&str>,
    body: &[u8],
    redact: &dyn Fn(&str) -> String,
) -> Option<String> {
    match json {
        Some(value) => json_message(value, redact),
        None => text_message(content_type, body, redact),
    }
}

/// The trimmed string at `v`, if it is a non-empty string.
fn nonempty<V: JsonView>(v: Option<V>) -> Option<String> {
    let s = v?.string()?;
    let trimmed = s.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn json_message<V: JsonView>(body: V, redact: &dyn Fn(&str) -> String) -> Option<String> {
    let translations: Vec<String> = body
        .member("data")
        .and_then(|d| d.member("errors"))
        .and_then(|e| e.items())
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| nonempty(e.member("message").and_then(|m| m.member("translation"))))
                .collect()
        })
        .unwrap_or_default();
    let error_messages: Vec<String> = body
        .member("errorMessages")
        .and_then(|e| e.items())
        .map(|list| list.into_iter().filter_map(|v| nonempty(Some(v))).collect())
        .unwrap_or_default();

    let mut message =
        nonempty(body.member("message")).map(|m| strip_java_exception_prefix(&m).to_owned());
    for extra in translations.into_iter().chain(error_messages) {
        match &mut message {
            Some(m) if m.contains(extra.as_str()) => {}
            Some(m) => {
                m.push_str("; ");
                m.push_str(&extra);
            }
            None => message = Some(extra),
        }
    }
    message.map(|m| truncate(&redact(&m), MAX_TEXT_MESSAGE * 4))
}

/// Confluence often prefixes its messages with the Java exception's class name
/// (`com.atlassian.confluence.api.service.exceptions.NotFoundException: No user found`); the
/// class name tells a user nothing.
fn strip_java_exception_prefix(message: &str) -> &str {
    if let Some((head, rest)) = message.split_once(": ") {
        let looks_like_class = head.contains('.')
            && !head.contains(' ')
            && (head.ends_with("Exception") || head.ends_with("Error"));
        if looks_like_class && !rest.trim().is_empty() {
            return rest.trim();
        }
    }
    message
}

fn text_message(
    content_type: Option<&str>,
    body: &[u8],
    redact: &dyn Fn(&str) -> String,
) -> Option<String> {
    let text = redact(&String::from_utf8_lossy(body));
    let is_html = content_type.is_some_and(|ct| media_type(ct) == "text/html")
        || text.trim_start().starts_with('<');
    let text = if is_html {
        html_title(&text).map(|t| format!("HTML page: {t}"))?
    } else {
        text
    };
    // Redacted again after collapsing whitespace: a line break in an echoed credential that
    // holds a space becomes that space here.
    let cleaned = redact(&text.split_whitespace().collect::<Vec<_>>().join(" "));
    (!cleaned.is_empty()).then(|| truncate(&cleaned, MAX_TEXT_MESSAGE))
}

/// The text of an HTML page's `<title>`, if it has one.
fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = html[start..end].trim();
    (!title.is_empty()).then(|| title.to_owned())
}

/// Cuts `s` to at most `max` characters, marking the cut with an ellipsis.
fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        GetBulkUserLookupParams, GetPrivacyUnsafeUserEmailBulkParams,
        GetPrivacyUnsafeUserEmailParams, GetUserParams,
    };

    const JSON: Option<&str> = Some("application/json;charset=UTF-8");

    fn http_message(status: u16, ct: Option<&str>, body: &str) -> Option<String> {
        match parse_error(status, ct, body.as_bytes()) {
            Error::Http {
                message, status: s, ..
            } => {
                assert_eq!(s, status);
                message
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decoded_bodies_skip_the_bom_and_leave_bad_utf8_to_the_decoder() {
        let shape = GetUserParams::SHAPE;
        let same = |body: &[u8]| validate_decoded_body(200, JSON, body, shape, &|s| s.to_owned());
        let user = [
            br#"{"type":"known","displayName":"A"#.as_slice(),
            b"\xff",
            br#"B"}"#,
        ]
        .concat();
        assert!(
            same(&user).is_ok(),
            "a decoder makes U+FFFD of the bad byte"
        );
        assert!(validate_body(200, JSON, &user, shape, &|s| s.to_owned()).is_err());
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), br#"{"type":"known"}"#].concat();
        assert!(same(&with_bom).is_ok());
        assert!(same(br#"{"type":5}"#).is_err(), "the JSON is still checked");
        assert!(
            same(b"\xEF\xBB\xBF").is_err(),
            "a BOM alone is an empty body"
        );
    }

    #[test]
    fn atlassian_v1_error_body() {
        let body = include_str!("../tests/fixtures/error_404.json");
        let err = parse_error(404, JSON, body.as_bytes());
        assert_eq!(
            err.to_string(),
            "404 Not Found: No user found with accountId: 5b10ac8d82e05b22cc7d4ef5"
        );
        match err {
            Error::Http { body: Some(b), .. } => assert_eq!(b["statusCode"], 404),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn java_exception_prefix_is_dropped_and_translations_are_added() {
        let body = r#"{"statusCode":400,"message":"com.atlassian.confluence.api.service.exceptions.BadRequestException: Bad request","data":{"authorized":false,"valid":false,"errors":[{"message":{"translation":"limit must be between 1 and 200","args":[]}}],"successful":false}}"#;
        assert_eq!(
            http_message(400, JSON, body).as_deref(),
            Some("Bad request; limit must be between 1 and 200")
        );
        let only_translation = r#"{"statusCode":400,"data":{"errors":[{"message":{"translation":"a"}},{"message":{"translation":"b"}}]}}"#;
        assert_eq!(
            http_message(400, JSON, only_translation).as_deref(),
            Some("a; b")
        );
    }

    #[test]
    fn oauth_and_jira_style_bodies() {
        assert_eq!(
            http_message(
                401,
                JSON,
                r#"{"code":401,"message":"Unauthorized; scope does not match"}"#
            )
            .as_deref(),
            Some("Unauthorized; scope does not match")
        );
        assert_eq!(
            http_message(
                403,
                JSON,
                r#"{"errorMessages":["You do not have permission"],"errors":{}}"#
            )
            .as_deref(),
            Some("You do not have permission")
        );
        assert_eq!(http_message(500, JSON, r#"{"unexpected":true}"#), None);
        assert_eq!(http_message(500, JSON, "null"), None);
    }

    #[test]
    fn text_and_html_bodies_are_cut_to_a_sane_message() {
        assert_eq!(
            http_message(
                503,
                Some("text/plain"),
                "  Service\n temporarily   unavailable "
            )
            .as_deref(),
            Some("Service temporarily unavailable")
        );
        let long = "x".repeat(5000);
        let message = http_message(502, Some("text/plain"), &long).unwrap();
        assert_eq!(message.chars().count(), MAX_TEXT_MESSAGE + 1);
        assert!(message.ends_with('…'));
        let html = "<!DOCTYPE html><html><head><TITLE>502 Bad Gateway</TITLE></head><body><h1>oops</h1></body></html>";
        assert_eq!(
            http_message(502, Some("text/html"), html).as_deref(),
            Some("HTML page: 502 Bad Gateway")
        );
        assert_eq!(
            http_message(502, None, "<html><body>no title</body></html>"),
            None
        );
        assert_eq!(http_message(500, None, ""), None);
        let multibyte = "é".repeat(400);
        assert!(http_message(500, Some("text/plain"), &multibyte)
            .unwrap()
            .starts_with("éé"));
    }

    #[test]
    fn messages_are_redacted_before_they_are_cut() {
        let token = "SECRET-TOKEN-123";
        let redact = |s: &str| crate::redact(s, [token]);
        // The token straddles the 300-character cut of a text body.
        let text = format!("{}{token} tail", "x".repeat(MAX_TEXT_MESSAGE - 5));
        let err = parse_error_redacted(502, Some("text/plain"), text.as_bytes(), &redact);
        let shown = err.to_string();
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("xxx[REDA"), "{shown}");
        // In a JSON message the token may be escaped (`\/`) and only match once parsed.
        let body = format!(
            r#"{{"message":"{}SECRET\u002dTOKEN-123"}}"#,
            "y".repeat(MAX_TEXT_MESSAGE * 4 - 4)
        );
        let err = parse_error_redacted(400, JSON, body.as_bytes(), &redact);
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }

    #[test]
    fn two_hundreds_decode_to_the_model() {
        let records = decode_response::<GetPrivacyUnsafeUserEmailBulkParams>(
            200,
            JSON,
            br#"[{"accountId":"a","email":"a@example.com"},{"accountId":"b","email":""}]"#,
        )
        .unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].account_id.as_str(), "b");
        assert_eq!(records[1].email, "");
    }

    fn decode_error<T: std::fmt::Debug>(result: Result<T, Error>) -> (u16, String, String) {
        match result {
            Err(Error::Decode {
                status,
                path,
                message,
            }) => (status, path, message),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn broken_two_hundreds_are_decode_errors_naming_the_path() {
        let (status, path, message) =
            decode_error(decode_response::<GetPrivacyUnsafeUserEmailParams>(
                200,
                JSON,
                br#"{"accountId":"a","email":null}"#,
            ));
        assert_eq!((status, path.as_str()), (200, "email"));
        assert_eq!(message, "expected a string, found null");

        let (_, path, message) =
            decode_error(decode_response::<GetPrivacyUnsafeUserEmailBulkParams>(
                200,
                JSON,
                br#"[{"accountId":"a","email":"x"},{"accountId":"b"}]"#,
            ));
        assert_eq!(path, "[1]");
        assert!(message.starts_with("missing field `email`"), "{message}");

        let (_, path, message) = decode_error(decode_response::<GetUserParams>(200, JSON, b"null"));
        assert_eq!(path, ".");
        assert_eq!(message, "expected an object, found null");

        let (_, path, message) = decode_error(decode_response::<GetUserParams>(
            200,
            JSON,
            b"{\"type\":\"known\"",
        ));
        assert_eq!(path, ".");
        assert_eq!(message, "the body ends too early (truncated?)");

        let (_, _, message) = decode_error(decode_response::<GetUserParams>(200, JSON, b" \n "));
        assert_eq!(message, "the body is empty");

        let (_, _, message) = decode_error(decode_response::<GetUserParams>(
            200,
            Some("text/html; charset=utf-8"),
            b"<html>login</html>",
        ));
        assert_eq!(
            message,
            "expected a JSON body but the response is text/html"
        );

        let (_, _, message) = decode_error(decode_response::<GetUserParams>(
            200,
            None,
            b"<html>login</html>",
        ));
        assert_eq!(
            message,
            "expected an object, found something that is not JSON"
        );

        let (_, path, message) = decode_error(decode_response::<GetUserParams>(
            200,
            JSON,
            br#"{"type":"known"} trailing"#,
        ));
        assert_eq!(path, ".");
        assert!(message.contains("trailing characters"), "{message}");
    }

    #[test]
    fn the_body_root_must_be_the_right_kind_of_json_value() {
        // serde's derive would take `["known"]` as a User, field by field.
        let (_, path, message) = decode_error(decode_response::<GetUserParams>(
            200,
            JSON,
            br#" ["known"]"#,
        ));
        assert_eq!(
            (path.as_str(), message.as_str()),
            (".", "expected an object, found an array")
        );
        let (_, _, message) = decode_error(decode_response::<GetPrivacyUnsafeUserEmailBulkParams>(
            200,
            JSON,
            br#"{"accountId":"a","email":"b"}"#,
        ));
        assert_eq!(message, "expected an array, found an object");
        let (_, _, message) = decode_error(decode_response::<GetUserParams>(200, JSON, b"42"));
        assert_eq!(message, "expected an object, found a number");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let depth = 100_000;
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        // Inside a value the model keeps: serde_json's recursion limit stops it.
        let body = format!(r#"{{"type":"known","_links":{{"self":{{"a":{nested}}}}}}}"#);
        let (_, path, message) =
            decode_error(decode_response::<GetUserParams>(200, JSON, body.as_bytes()));
        assert!(message.contains("recursion limit"), "{message}");
        assert_eq!(path, "_links.self");
        // Inside an unknown field: skipped without recursion, so it decodes.
        let body = format!(r#"{{"type":"known","publicName":"p","x":{nested}}}"#);
        let user = decode_response::<GetUserParams>(200, JSON, body.as_bytes()).unwrap();
        assert_eq!(user.public_name.as_deref(), Some("p"));
    }

    #[test]
    fn application_json_variants_are_accepted() {
        let body = br#"{"results":[],"start":0,"limit":200,"size":0,"_links":{}}"#;
        for ct in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+json",
        ] {
            assert!(
                decode_response::<GetBulkUserLookupParams>(200, Some(ct), body).is_ok(),
                "{ct}"
            );
        }
    }

    #[test]
    fn non_two_hundreds_never_decode_as_success() {
        let body = br#"{"accountId":"a","email":"a@example.com"}"#;
        for status in [199, 300, 304, 400, 401, 404, 429, 500, 503] {
            let err =
                decode_response::<GetPrivacyUnsafeUserEmailParams>(status, JSON, body).unwrap_err();
            assert_eq!(err.status(), status);
            assert_eq!(err.kind(), crate::ErrorKind::Http);
        }
    }
}
