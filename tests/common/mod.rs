//! Tests of the wasm skin shared by `node.rs` and `browser.rs`: the fetch transport and the
//! conversions between JS values and the core, through the public `ConfluenceClient`.
//!
//! The transport under test is a JS function standing in for `fetch` that answers with real
//! `Response` objects (or a bare response-like object), so these run the same in Node and in
//! Chromium with no server; the JS suites cover real HTTP against the fake server.

use confluence_users::{is_confluence_error, ConfluenceClient};
use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub const TOKEN: &str = "SECRET-TOKEN-0123456789";

pub fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap()
}

pub fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

/// A stand-in fetch that records its calls into `calls` and answers with `respond(url, init)`.
pub fn recording_fetch(calls: &Array, respond_body: &str) -> Function {
    let make = Function::new_with_args(
        "calls",
        &format!("return async (url, init) => {{ calls.push([url, init]); {respond_body} }};"),
    );
    make.call1(&JsValue::NULL, calls).unwrap().unchecked_into()
}

pub fn client(fetch: &Function) -> ConfluenceClient {
    let options = json(&format!(
        r#"{{"baseUrl":"https://example.atlassian.net","retry":false,"auth":{{"type":"basic","email":"me@example.com","apiToken":"{TOKEN}"}}}}"#
    ));
    Reflect::set(&options, &"fetch".into(), fetch).unwrap();
    ConfluenceClient::new(options).unwrap_or_else(|e| panic!("constructor threw {e:?}"))
}

pub async fn settle(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

/// Asserts `err` is a ConfluenceError of `kind` with `status`, that no surface of it holds the
/// token, and returns its message.
pub fn check_error(err: &JsValue, kind: &str, status: u32) -> String {
    assert!(is_confluence_error(err), "not a ConfluenceError: {err:?}");
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(err, "name").as_string().unwrap(), "ConfluenceError");
    assert_eq!(get(err, "kind").as_string().unwrap(), kind);
    assert_eq!(get(err, "status").as_f64().unwrap() as u32, status);
    let surfaces = [
        get(err, "message").as_string().unwrap(),
        get(err, "stack").as_string().unwrap_or_default(),
        JSON::stringify(err).unwrap().as_string().unwrap(),
        js_sys::Error::from(err.clone())
            .to_string()
            .as_string()
            .unwrap(),
    ];
    for text in &surfaces {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
        assert!(
            !text.contains("bWVAZXhhbXBsZS5jb20"),
            "basic credential leaked: {text}"
        );
    }
    surfaces[0].clone()
}

const USER: &str = r#"{"type":"known","accountId":"5b10ac8d82e05b22cc7d4ef5","accountType":"atlassian","email":"","publicName":"Mia","displayName":null,"profilePicture":{"path":"/wiki/aa-avatar/x","width":48,"height":48,"isDefault":false},"_links":{"self":"https://example.atlassian.net/wiki/rest/api/user?accountId=5b10ac8d82e05b22cc7d4ef5"},"futureField":{"kept":true}}"#;

pub async fn sends_the_built_request_and_resolves_the_parsed_body() {
    let calls = Array::new();
    let fetch = recording_fetch(
        &calls,
        &format!("return new Response({USER:?}, {{ status: 200, headers: {{ 'content-type': 'application/json' }} }});"),
    );
    let client = client(&fetch);
    let user = settle(client.get_user(
        json(r#"{"accountId":"a b&c","expand":["operations","personalSpace"]}"#),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(get(&user, "publicName").as_string().unwrap(), "Mia");
    assert!(get(&user, "displayName").is_null(), "null stays null");
    assert_eq!(
        get(&get(&user, "futureField"), "kept"),
        JsValue::TRUE,
        "unknown fields are kept"
    );
    assert_eq!(calls.length(), 1);
    let call = Array::from(&calls.get(0));
    assert_eq!(
        call.get(0).as_string().unwrap(),
        "https://example.atlassian.net/wiki/rest/api/user?accountId=a%20b%26c&expand=operations,personalSpace"
    );
    let init = call.get(1);
    assert_eq!(get(&init, "method").as_string().unwrap(), "GET");
    let headers = get(&init, "headers");
    assert_eq!(
        get(&headers, "Accept").as_string().unwrap(),
        "application/json"
    );
    let expected = format!("Basic {}", base64_of(&format!("me@example.com:{TOKEN}")));
    assert_eq!(
        get(&headers, "Authorization").as_string().unwrap(),
        expected
    );
}

fn base64_of(text: &str) -> String {
    let btoa: Function = get(&js_sys::global(), "btoa").unchecked_into();
    btoa.call1(&JsValue::NULL, &text.into())
        .unwrap()
        .as_string()
        .unwrap()
}

pub async fn a_bare_response_like_object_is_enough() {
    let calls = Array::new();
    let fetch = recording_fetch(
        &calls,
        r#"return { status: 200, text: async () => '[{"accountId":"a","email":"a@example.com"}]' };"#,
    );
    let records = settle(client(&fetch).get_privacy_unsafe_user_email_bulk(
        json(r#"{"accountIds":["a","b"]}"#),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    let records = Array::from(&records);
    assert_eq!(records.length(), 1);
    assert_eq!(
        get(&records.get(0), "email").as_string().unwrap(),
        "a@example.com"
    );
    let url = Array::from(&calls.get(0)).get(0).as_string().unwrap();
    assert!(url.ends_with("/user/email/bulk?accountId=a,b"), "{url}");
}

pub async fn http_errors_carry_status_operation_url_and_body() {
    let calls = Array::new();
    let body = r#"{"statusCode":404,"data":{"authorized":true,"valid":true,"errors":[],"successful":false},"message":"No user found with accountId: nope"}"#;
    let fetch = recording_fetch(
        &calls,
        &format!("return new Response({body:?}, {{ status: 404, headers: {{ 'content-type': 'application/json' }} }});"),
    );
    let err = settle(client(&fetch).get_user(json(r#"{"accountId":"nope"}"#), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    let message = check_error(&err, "http", 404);
    assert_eq!(
        message,
        "getUser: 404 Not Found: No user found with accountId: nope"
    );
    assert_eq!(get(&err, "operation").as_string().unwrap(), "getUser");
    assert_eq!(get(&err, "method").as_string().unwrap(), "GET");
    assert_eq!(
        get(&err, "url").as_string().unwrap(),
        "https://example.atlassian.net/wiki/rest/api/user?accountId=nope"
    );
    assert_eq!(get(&get(&err, "body"), "statusCode").as_f64(), Some(404.0));
}

pub async fn a_malformed_body_is_a_decode_error_and_the_instance_survives() {
    let calls = Array::new();
    let fetch = recording_fetch(
        &calls,
        &format!(
            "const headers = {{ 'content-type': 'application/json' }}; return calls.length === 1 ? new Response('{{\"type\":', {{ status: 200, headers }}) : new Response({USER:?}, {{ status: 200, headers }});"
        ),
    );
    let client = client(&fetch);
    let err = settle(client.get_current_user(JsValue::UNDEFINED, JsValue::UNDEFINED))
        .await
        .unwrap_err();
    let message = check_error(&err, "decode", 200);
    assert!(
        message.starts_with("getCurrentUser: invalid response body at "),
        "{message}"
    );
    assert!(message.contains("found the end of the body"), "{message}");
    let user = settle(client.get_current_user(JsValue::UNDEFINED, JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(
        get(&user, "accountId").as_string().unwrap(),
        "5b10ac8d82e05b22cc7d4ef5"
    );
}

pub async fn transport_failures_are_network_errors_without_credentials() {
    let calls = Array::new();
    let fetch = recording_fetch(
        &calls,
        &format!("throw new TypeError('connect failed for Authorization: ' + init.headers.Authorization + ' token {TOKEN}');"),
    );
    let err = settle(client(&fetch).get_current_user(JsValue::UNDEFINED, JsValue::UNDEFINED))
        .await
        .unwrap_err();
    let message = check_error(&err, "network", 0);
    assert!(
        message.starts_with(
            "getCurrentUser: network error: connect failed for Authorization: [REDACTED]"
        ),
        "{message}"
    );

    let not_a_response = recording_fetch(&calls, "return 42;");
    let err =
        settle(client(&not_a_response).get_current_user(JsValue::UNDEFINED, JsValue::UNDEFINED))
            .await
            .unwrap_err();
    assert!(check_error(&err, "network", 0).contains("not a response"));
}

pub async fn invalid_params_are_refused_before_fetch_is_called() {
    let calls = Array::new();
    let fetch = recording_fetch(&calls, "throw new Error('must not be called');");
    let client = client(&fetch);
    let cases: [(&str, &str); 6] = [
        (r#"{"accountId":""}"#, "getUser: invalid argument: accountId must not be empty"),
        (r#"{"acountId":"x"}"#, "getUser: invalid argument: params: unknown field `acountId`, expected `accountId` or `expand`"),
        (r#"{"accountId":5}"#, "getUser: invalid argument: params.accountId: expected a string, found a number"),
        (r#"{"accountId":"x","expand":["personalspace"]}"#, "getUser: invalid argument: params.expand[0]: unknown value `personalspace`"),
        (r#"{}"#, "getUser: invalid argument: params: missing field `accountId`"),
        (r#"[]"#, "getUser: invalid argument: params must be an object"),
    ];
    for (params, expected) in cases {
        let err = settle(client.get_user(json(params), JsValue::UNDEFINED))
            .await
            .unwrap_err();
        let message = check_error(&err, "invalidArgument", 0);
        assert!(message.starts_with(expected), "{params}: {message}");
        assert_eq!(get(&err, "url").as_string().unwrap(), "");
    }
    let err = settle(client.get_user(json(r#"{"accountId":"x"}"#), json(r#"{"timeoutt":1}"#)))
        .await
        .unwrap_err();
    assert!(check_error(&err, "invalidArgument", 0).contains("options: unknown field `timeoutt`"));
    assert_eq!(calls.length(), 0, "nothing may be sent");
}

pub fn the_constructor_throws_confluence_errors() {
    let cases = [
        (
            r#"{"baseUrl":"http://example.com"}"#,
            "baseUrl must use https:",
        ),
        (
            r#"{"baseUrl":"https://u:p@example.com"}"#,
            "must not contain credentials",
        ),
        (
            r#"{"auth":{"type":"basic","email":"a","apiToken":""}}"#,
            "auth.apiToken must not be empty",
        ),
        (
            r#"{"auth":{"type":"oauth","token":"x"}}"#,
            "options.auth.type: unknown value `oauth`, expected `basic` or `bearer`",
        ),
        (
            r#"{"baseUrl":5}"#,
            "options.baseUrl: expected a string, found a number",
        ),
        (r#"{"fetch":"nope"}"#, "options.fetch: must be a function"),
    ];
    for (options, expected) in cases {
        let err = match ConfluenceClient::new(json(options)) {
            Ok(_) => panic!("{options} was accepted"),
            Err(e) => e,
        };
        let message = check_error(&err, "invalidArgument", 0);
        assert!(
            message.starts_with("ConfluenceClient: invalid argument: "),
            "{message}"
        );
        assert!(message.contains(expected), "{options}: {message}");
    }
    let err = match ConfluenceClient::new(json(&format!(
        r#"{{"auth":{{"type":"bearer","token":"{TOKEN}\r\nX: y"}}}}"#
    ))) {
        Ok(_) => panic!("a bearer token with CR/LF was accepted"),
        Err(e) => e,
    };
    check_error(&err, "invalidArgument", 0);
}

pub fn is_confluence_error_checks_the_shape() {
    assert!(!is_confluence_error(&JsValue::NULL));
    assert!(!is_confluence_error(&JsValue::from_str("ConfluenceError")));
    assert!(!is_confluence_error(&js_sys::Error::new("plain").into()));
    let lookalike = Object::new();
    Reflect::set(&lookalike, &"name".into(), &"ConfluenceError".into()).unwrap();
    assert!(
        !is_confluence_error(&lookalike),
        "a name alone is not enough"
    );
    Reflect::set(&lookalike, &"kind".into(), &"http".into()).unwrap();
    Reflect::set(&lookalike, &"status".into(), &JsValue::from(500)).unwrap();
    assert!(
        is_confluence_error(&lookalike),
        "another copy's error has this shape"
    );
}

/// The default transport is the global `fetch`, called with the global as `this`.
pub async fn the_global_fetch_is_used_by_default(expect_kind: &str) {
    // Relative mode: in a browser this goes to the test runner's own origin. Node has no page
    // location, so the constructor refuses relative mode with the global fetch; given a
    // location, the constructor lets it through and Node's fetch refuses the relative URL, an
    // error no retry can change. Either way the global fetch ran and its outcome became a
    // typed error after one attempt.
    let global = js_sys::global();
    let location = JsValue::from_str("location");
    let page = Reflect::get(&global, &location).unwrap().is_object();
    if !page {
        let err = match ConfluenceClient::new(JsValue::UNDEFINED) {
            Ok(_) => panic!("relative mode without a page location was accepted"),
            Err(e) => e,
        };
        let message = check_error(&err, "invalidArgument", 0);
        assert!(message.contains("pass baseUrl"), "{message}");
        Reflect::set(&global, &location, &Object::new()).unwrap();
    }
    let client = ConfluenceClient::new(JsValue::UNDEFINED);
    if !page {
        Reflect::delete_property(global.unchecked_ref::<Object>(), &location).unwrap();
    }
    let err = settle(
        client
            .unwrap()
            .get_current_user(JsValue::UNDEFINED, JsValue::UNDEFINED),
    )
    .await
    .unwrap_err();
    assert_eq!(get(&err, "attempts").as_f64(), Some(1.0), "{err:?}");
    assert_eq!(
        get(&err, "kind").as_string().unwrap(),
        expect_kind,
        "{err:?}"
    );
    assert_eq!(
        get(&err, "url").as_string().unwrap(),
        "/wiki/rest/api/user/current"
    );
    let message = get(&err, "message").as_string().unwrap();
    assert!(!message.contains("Illegal invocation"), "{message}");
}

pub async fn retryable_statuses_are_retried_and_counted() {
    let calls = Array::new();
    let fetch = recording_fetch(
        &calls,
        &format!(
            "const h = {{ 'content-type': 'application/json', 'atl-traceid': 'trace-' + calls.length }}; \
             return calls.length < 3 ? new Response('busy', {{ status: 503, headers: {{ 'retry-after': '0' }} }}) \
             : new Response({USER:?}, {{ status: 200, headers: h }});"
        ),
    );
    let options = json(
        r#"{"baseUrl":"https://example.atlassian.net","retry":{"baseDelayMs":1,"maxDelayMs":10}}"#,
    );
    Reflect::set(&options, &"fetch".into(), &fetch).unwrap();
    let client = ConfluenceClient::new(options).unwrap();
    let user = settle(client.get_current_user(JsValue::UNDEFINED, JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(get(&user, "publicName").as_string().unwrap(), "Mia");
    assert_eq!(calls.length(), 3);

    // Out of retries: the last 503 is the error, with how many requests went out.
    let calls = Array::new();
    let fetch = recording_fetch(
        &calls,
        "return new Response('busy', { status: 503, headers: { 'atl-traceid': 'abc123' } });",
    );
    let options = json(r#"{"retry":{"maxRetries":2,"baseDelayMs":1,"maxDelayMs":5}}"#);
    Reflect::set(&options, &"fetch".into(), &fetch).unwrap();
    let client = ConfluenceClient::new(options).unwrap();
    let err = settle(client.get_current_user(JsValue::UNDEFINED, JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(
        check_error(&err, "http", 503),
        "getCurrentUser: 503 Service Unavailable: busy"
    );
    assert_eq!(get(&err, "attempts").as_f64(), Some(3.0));
    assert_eq!(
        get(&err, "requestId").as_string().as_deref(),
        Some("abc123")
    );
    assert_eq!(calls.length(), 3);
}

pub async fn an_abort_signal_stops_a_hanging_request() {
    let calls = Array::new();
    // Never settles: only the abort can end this call.
    let fetch = recording_fetch(&calls, "return new Promise(() => {});");
    let client = client(&fetch);
    let controller = web_sys::AbortController::new().unwrap();
    let options = Object::new();
    Reflect::set(&options, &"signal".into(), &controller.signal()).unwrap();
    let pending = client.get_current_user(JsValue::UNDEFINED, options.into());
    // Let the call start and reach the (hanging) fetch before aborting it.
    for _ in 0..20 {
        if calls.length() > 0 {
            break;
        }
        JsFuture::from(Promise::resolve(&JsValue::NULL))
            .await
            .unwrap();
    }
    assert_eq!(calls.length(), 1, "the request went out");
    controller.abort();
    let err = settle(pending).await.unwrap_err();
    assert_eq!(check_error(&err, "aborted", 0), "getCurrentUser: aborted");
    assert_eq!(get(&err, "attempts").as_f64(), Some(1.0));
    let init = Array::from(&calls.get(0)).get(1);
    let fetch_signal: web_sys::AbortSignal = get(&init, "signal").unchecked_into();
    assert!(
        fetch_signal.aborted(),
        "the request in flight is aborted too"
    );
}

macro_rules! skin_tests {
    ($global_fetch_kind:literal) => {
        #[wasm_bindgen_test]
        async fn sends_the_built_request_and_resolves_the_parsed_body() {
            common::sends_the_built_request_and_resolves_the_parsed_body().await
        }
        #[wasm_bindgen_test]
        async fn a_bare_response_like_object_is_enough() {
            common::a_bare_response_like_object_is_enough().await
        }
        #[wasm_bindgen_test]
        async fn http_errors_carry_status_operation_url_and_body() {
            common::http_errors_carry_status_operation_url_and_body().await
        }
        #[wasm_bindgen_test]
        async fn a_malformed_body_is_a_decode_error_and_the_instance_survives() {
            common::a_malformed_body_is_a_decode_error_and_the_instance_survives().await
        }
        #[wasm_bindgen_test]
        async fn transport_failures_are_network_errors_without_credentials() {
            common::transport_failures_are_network_errors_without_credentials().await
        }
        #[wasm_bindgen_test]
        async fn invalid_params_are_refused_before_fetch_is_called() {
            common::invalid_params_are_refused_before_fetch_is_called().await
        }
        #[wasm_bindgen_test]
        fn the_constructor_throws_confluence_errors() {
            common::the_constructor_throws_confluence_errors()
        }
        #[wasm_bindgen_test]
        fn is_confluence_error_checks_the_shape() {
            common::is_confluence_error_checks_the_shape()
        }
        #[wasm_bindgen_test]
        async fn retryable_statuses_are_retried_and_counted() {
            common::retryable_statuses_are_retried_and_counted().await
        }
        #[wasm_bindgen_test]
        async fn an_abort_signal_stops_a_hanging_request() {
            common::an_abort_signal_stops_a_hanging_request().await
        }
        #[wasm_bindgen_test]
        async fn the_global_fetch_is_used_by_default() {
            common::the_global_fetch_is_used_by_default($global_fetch_kind).await
        }
    };
}
pub(crate) use skin_tests;
