//! The native client (`--features client`) against the project's fake Confluence on 127.0.0.1:
//! the scenario list the JS package passes (js-tests/errors, faults, features, migration),
//! case by case, with the same error kinds. Timings are checked only where the wait is the
//! behaviour (Retry-After, timeouts); the driver's own tests pin every wait with a virtual clock.
#![cfg(not(target_arch = "wasm32"))]

mod fake;

use std::time::{Duration, Instant};

use confluence_users::{
    AbortHandle, Auth, CallError, Client, ClientBuilder, Error, ErrorKind, GetAnonymousUserParams,
    GetBulkUserLookupParams, GetBulkUserMigrationParams, GetCurrentUserParams,
    GetGroupMembershipsForUserParams, GetPrivacyUnsafeUserEmailBulkParams,
    GetPrivacyUnsafeUserEmailParams, GetUserParams, HttpResponse, HttpTransport, RetryPolicy,
    TransportError, UserExpand,
};
use fake::{error_body, status, Fake, TlsSite};
use serde_json::{json, Value};

/// The JS fault suite's `FAST` retry policy.
const FAST: RetryPolicy = RetryPolicy {
    max_retries: 3,
    base_delay_ms: 20,
    max_delay_ms: 200,
};

fn bearer(fake: &Fake) -> Auth {
    Auth::Bearer {
        token: fake.credential("oauthToken"),
    }
}

fn basic(fake: &Fake) -> Auth {
    Auth::Basic {
        email: fake.credential("email"),
        api_token: fake.credential("apiToken"),
    }
}

fn builder(fake: &Fake) -> ClientBuilder {
    Client::builder(&fake.url, bearer(fake)).retry(FAST)
}

fn client(fake: &Fake) -> Client {
    builder(fake).build().expect("client")
}

fn user(id: &str) -> GetUserParams {
    GetUserParams {
        account_id: id.into(),
        expand: vec![],
    }
}

fn current() -> GetCurrentUserParams {
    GetCurrentUserParams::default()
}

/// Asserts the error's kind, status and attempts, and that it shows no credential.
fn expect(fake: &Fake, err: &CallError, kind: ErrorKind, status: u16, attempts: u32) {
    assert_eq!(
        (err.kind(), err.status(), err.attempts()),
        (kind, status, attempts),
        "{err}"
    );
    assert_no_secret(fake, err);
}

fn assert_no_secret(fake: &Fake, err: &CallError) {
    let shown = format!("{err} {err:?}");
    for key in ["apiToken", "oauthToken"] {
        let secret = fake.credential(key);
        assert!(!shown.contains(&secret), "{key} in {shown}");
    }
}

/// The real body of `path` from the fake (for faults that cut or drip it); the request is
/// forgotten, so the fake's record holds only the client's.
fn real_body(fake: &mut Fake, path: &str) -> String {
    let auth = format!("Bearer {}", fake.credential("oauthToken"));
    let mut stream = std::net::TcpStream::connect(fake.url.trim_start_matches("http://"))
        .expect("connect to the fake");
    use std::io::{Read, Write};
    write!(
        stream,
        "GET /wiki/rest/api{path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    fake.reset();
    raw.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .expect("a body")
}

// ---- the eight operations ----

#[test]
fn the_eight_operations_answer_with_their_models() {
    let mut fake = Fake::new();
    let c = Client::new(&fake.url, basic(&fake)).unwrap();
    let me = fake.special("currentUser");

    let u = c
        .get_user(&GetUserParams {
            account_id: me.as_str().into(),
            expand: vec![UserExpand::Operations, UserExpand::PersonalSpace],
        })
        .unwrap();
    assert_eq!(u.account_id.as_ref().map(|a| a.as_str()), Some(me.as_str()));
    assert!(u.operations.is_some_and(|o| !o.is_empty()));
    assert!(u.personal_space.is_some());

    let anon = c
        .get_anonymous_user(&GetAnonymousUserParams::default())
        .unwrap();
    assert!(!anon.display_name.is_empty());

    let cur = c.get_current_user(&current()).unwrap();
    assert_eq!(
        cur.account_id.as_ref().map(|a| a.as_str()),
        Some(me.as_str())
    );

    let groups = c
        .get_group_memberships_for_user(&GetGroupMembershipsForUserParams {
            account_id: me.as_str().into(),
            start: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(groups.size, 6);

    let hidden = fake.special("hiddenProfile");
    let bulk = c
        .get_bulk_user_lookup(&GetBulkUserLookupParams {
            account_ids: vec![hidden.as_str().into(), me.as_str().into()],
            expand: vec![],
            limit: None,
        })
        .unwrap();
    let ids: Vec<_> = bulk
        .results
        .iter()
        .map(|u| u.account_id.as_ref().unwrap().as_str().to_owned())
        .collect();
    assert_eq!(ids, [hidden.clone(), me.clone()]);

    let email = c
        .get_privacy_unsafe_user_email(&GetPrivacyUnsafeUserEmailParams {
            account_id: hidden.as_str().into(),
        })
        .unwrap();
    assert_eq!(email.email, fake.special("hiddenProfileEmail"));

    let emails = c
        .get_privacy_unsafe_user_email_bulk(&GetPrivacyUnsafeUserEmailBulkParams {
            account_ids: vec![me.as_str().into(), fake.special("unknownAccountId").into()],
        })
        .unwrap();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].account_id.as_str(), me);

    let migrated = c
        .get_bulk_user_migration(&GetBulkUserMigrationParams {
            usernames: Some(vec![
                fake.special("oddUsername"),
                "admin".into(),
                "nosuchuser".into(),
            ]),
            ..Default::default()
        })
        .unwrap();
    let accounts: Vec<Option<&str>> = migrated
        .results
        .iter()
        .map(|m| m.account_id.as_ref().map(|a| a.as_str()))
        .collect();
    let odd = fake.special("oddAccountId");
    assert_eq!(accounts, [Some(odd.as_str()), Some(me.as_str()), None]);
    assert_eq!(migrated.not_found, ["nosuchuser"]);
    assert_eq!(fake.requests().len(), 8);
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.auth == "basic" || r.path.ends_with("/anonymous")));
}

#[test]
fn an_id_that_needs_percent_encoding_reaches_the_server_intact() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let odd = fake.special("oddAccountId");
    let u = c.get_user(&user(&odd)).unwrap();
    assert_eq!(
        u.account_id.as_ref().map(|a| a.as_str()),
        Some(odd.as_str())
    );
    assert_eq!(fake.requests()[0].values("accountId"), [odd]);
}

#[test]
fn bearer_and_basic_auth_are_both_accepted() {
    let mut fake = Fake::new();
    client(&fake).get_current_user(&current()).unwrap();
    Client::new(&fake.url, basic(&fake))
        .unwrap()
        .get_current_user(&current())
        .unwrap();
    let auths: Vec<_> = fake.requests().into_iter().map(|r| r.auth).collect();
    assert_eq!(auths, ["bearer", "basic"]);
}

// ---- errors by kind ----

#[test]
fn invalid_params_are_refused_before_anything_is_sent() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let err = c.get_user(&user("")).unwrap_err();
    expect(&fake, &err, ErrorKind::InvalidArgument, 0, 0);
    assert!(
        err.to_string()
            .starts_with("getUser: invalid argument: accountId"),
        "{err}"
    );
    let err = c
        .get_bulk_user_lookup(&GetBulkUserLookupParams {
            account_ids: vec!["a".into(), "b,c".into()],
            expand: vec![],
            limit: None,
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        err.to_string().contains("accountIds[1] contains a comma"),
        "{err}"
    );
    let err = c
        .get_group_memberships_for_user(&GetGroupMembershipsForUserParams {
            account_id: "x".into(),
            start: Some(-1),
            limit: None,
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = c
        .get_bulk_user_migration(&GetBulkUserMigrationParams::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let mut pages = c.paginate_group_memberships_for_user(&GetGroupMembershipsForUserParams {
        account_id: "".into(),
        start: None,
        limit: None,
    });
    assert_eq!(
        pages.next().unwrap().unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert!(pages.next().is_none());
    assert_eq!(fake.requests().len(), 0);
}

#[test]
fn bad_client_settings_are_refused_by_the_builder() {
    let fake = Fake::new();
    for (b, fragment) in [
        (builder(&fake).concurrency(0), "concurrency"),
        (builder(&fake).concurrency(33), "concurrency"),
        (
            builder(&fake).retry(RetryPolicy {
                max_retries: 101,
                ..FAST
            }),
            "maxRetries",
        ),
        (builder(&fake).timeout(Some(Duration::ZERO)), "timeout"),
        (
            Client::builder("http://10.0.0.1", Auth::None),
            "http: is allowed only for localhost",
        ),
    ] {
        let err = b.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains(fragment), "{err}");
    }
}

#[test]
fn a_wrong_token_is_a_401_with_the_parsed_atlassian_body_and_no_retry() {
    let mut fake = Fake::new();
    let c = Client::builder(
        &fake.url,
        Auth::Bearer {
            token: "wrong-token".into(),
        },
    )
    .retry(FAST)
    .build()
    .unwrap();
    let err = c.get_current_user(&current()).unwrap_err();
    expect(&fake, &err, ErrorKind::Http, 401, 1);
    assert_eq!(
        err.to_string(),
        "getCurrentUser: 401 Unauthorized: Client must be authenticated to access this resource."
    );
    match err.error() {
        Error::Http { body: Some(b), .. } => assert_eq!(b["statusCode"], 401),
        other => panic!("{other:?}"),
    }
    assert!(err.request_id().is_some_and(|id| id.len() == 16));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn an_unknown_user_is_a_404_naming_it() {
    let mut fake = Fake::new();
    let unknown = fake.special("unknownAccountId");
    let err = client(&fake).get_user(&user(&unknown)).unwrap_err();
    expect(&fake, &err, ErrorKind::Http, 404, 1);
    assert_eq!(
        err.to_string(),
        format!("getUser: 404 Not Found: No user found with accountId: {unknown}")
    );
    assert!(err
        .url()
        .ends_with(&format!("/wiki/rest/api/user?accountId={unknown}")));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn error_bodies_of_every_shape_give_their_message() {
    let mut fake = Fake::new();
    let c = builder(&fake).retry(RetryPolicy::NONE).build().unwrap();
    fake.enqueue(vec![
        json!({ "status": 400, "body": error_body(400, "limit must be between 1 and 200") }),
        json!({ "status": 403, "body": { "code": 403, "message": "Unauthorized; scope does not match" } }),
        json!({ "status": 500, "headers": { "Content-Type": "text/plain" }, "body": "  Internal\n  failure " }),
        json!({ "status": 502, "headers": { "Content-Type": "text/html" }, "body": "<html><head><title>502 Bad Gateway</title></head></html>" }),
    ]);
    let messages: Vec<String> = (0..4)
        .map(|_| c.get_current_user(&current()).unwrap_err().to_string())
        .collect();
    assert_eq!(
        messages,
        [
            "getCurrentUser: 400 Bad Request: limit must be between 1 and 200",
            "getCurrentUser: 403 Forbidden: Unauthorized; scope does not match",
            "getCurrentUser: 500 Internal Server Error: Internal failure",
            "getCurrentUser: 502 Bad Gateway: HTML page: 502 Bad Gateway",
        ]
    );
}

#[test]
fn broken_two_hundreds_are_decode_errors_naming_the_path_and_not_retried() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({ "status": 200, "body": "{\"type\":" }),
            "found the end of the body",
        ),
        (
            json!({ "status": 200, "headers": { "Content-Type": "text/html" }, "body": "<html>login</html>" }),
            "expected a JSON body but the response is text/html",
        ),
        (json!({ "status": 200, "body": "" }), "the body is empty"),
        (
            json!({ "status": 200, "body": "null" }),
            "expected an object, found null",
        ),
        (json!({ "status": 200, "body": { "type": 5 } }), "at type:"),
    ];
    for (canned, fragment) in cases {
        fake.enqueue(vec![canned]);
        let err = c.get_current_user(&current()).unwrap_err();
        expect(&fake, &err, ErrorKind::Decode, 200, 1);
        assert!(
            err.to_string().contains(fragment),
            "{err} lacks {fragment:?}"
        );
    }
    assert_eq!(fake.requests().len(), 5, "decode errors are not retried");
    c.get_current_user(&current()).unwrap();
}

// ---- retries ----

#[test]
fn a_503_storm_of_max_retries_then_200_resolves() {
    let mut fake = Fake::new();
    let c = client(&fake);
    fake.enqueue((0..3).map(|_| status(503, json!({}))).collect());
    c.get_current_user(&current()).unwrap();
    assert_eq!(fake.requests().len(), 4);
}

#[test]
fn a_503_storm_longer_than_max_retries_fails_with_attempts_max_retries_plus_one() {
    let mut fake = Fake::new();
    let c = client(&fake);
    fake.enqueue((0..4).map(|_| status(503, json!({}))).collect());
    let err = c.get_current_user(&current()).unwrap_err();
    expect(&fake, &err, ErrorKind::Http, 503, 4);
    match err.error() {
        Error::Http { body: Some(b), .. } => assert_eq!(b["statusCode"], 503),
        other => panic!("{other:?}"),
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests
        .iter()
        .all(|r| r.raw_query == requests[0].raw_query));
    c.get_current_user(&current()).unwrap();
}

#[test]
fn retryable_and_non_retryable_statuses() {
    let mut fake = Fake::new();
    let c = client(&fake);
    fake.enqueue(vec![status(502, json!({})), status(504, json!({}))]);
    c.get_current_user(&current()).unwrap();
    assert_eq!(fake.requests().len(), 3);
    for code in [400, 403, 405, 408, 409, 422, 500, 501] {
        fake.reset();
        fake.enqueue(vec![status(code, json!({}))]);
        let err = c.get_current_user(&current()).unwrap_err();
        expect(&fake, &err, ErrorKind::Http, code, 1);
        assert_eq!(fake.requests().len(), 1, "{code} is not retried");
    }
    let off = builder(&fake).retry(RetryPolicy::NONE).build().unwrap();
    fake.reset();
    fake.enqueue(vec![status(503, json!({}))]);
    expect(
        &fake,
        &off.get_current_user(&current()).unwrap_err(),
        ErrorKind::Http,
        503,
        1,
    );
}

#[test]
fn retry_after_seconds_is_the_floor_of_the_wait() {
    let mut fake = Fake::new();
    let c = builder(&fake)
        .retry(RetryPolicy {
            max_retries: 3,
            base_delay_ms: 20,
            max_delay_ms: 2000,
        })
        .build()
        .unwrap();
    fake.enqueue(vec![json!({ "status": 429, "headers": { "Retry-After": "1" }, "body": error_body(429, "Rate limit exceeded") })]);
    let started = Instant::now();
    c.get_current_user(&current()).unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(995), "{took:?}");
    assert!(took < Duration::from_millis(1000 + 20 + 1000), "{took:?}");
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn retry_after_beyond_the_longest_wait_fails_at_once_with_retry_after_ms() {
    let mut fake = Fake::new();
    let c = client(&fake);
    for (code, value, ms) in [(429, "1", 1000), (503, "5", 5000)] {
        fake.reset();
        fake.enqueue(vec![status(code, json!({ "Retry-After": value }))]);
        let started = Instant::now();
        let err = c.get_current_user(&current()).unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(500));
        expect(&fake, &err, ErrorKind::Http, code, 1);
        assert_eq!(err.retry_after_ms(), Some(ms));
    }
    fake.reset();
    fake.enqueue(vec![status(
        429,
        json!({ "Retry-After": "9223372036854775807" }),
    )]);
    let err = c.get_current_user(&current()).unwrap_err();
    assert!(err
        .retry_after_ms()
        .is_some_and(|ms| ms > 1_000_000_000_000));
    assert_eq!(err.attempts(), 1);
}

#[test]
fn a_429_without_retry_after_backs_off_then_fails_with_the_last_response() {
    let mut fake = Fake::new();
    let c = client(&fake);
    fake.enqueue(
        (0..4)
            .map(|_| json!({ "status": 429, "body": error_body(429, "Rate limit exceeded") }))
            .collect(),
    );
    let started = Instant::now();
    let err = c.get_current_user(&current()).unwrap_err();
    // Waits of at most 20, 40 and 80 ms.
    assert!(started.elapsed() < Duration::from_millis(140 + 400));
    expect(&fake, &err, ErrorKind::Http, 429, 4);
    assert_eq!(err.retry_after_ms(), None);
}

// ---- network failures and timeouts ----

#[test]
fn a_closed_port_is_a_network_error_after_every_retry() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let fake = Fake::new();
    let c = Client::builder(&format!("http://127.0.0.1:{port}"), bearer(&fake))
        .retry(FAST)
        .timeout(Some(Duration::from_secs(2)))
        .build()
        .unwrap();
    let err = c.get_current_user(&current()).unwrap_err();
    expect(&fake, &err, ErrorKind::Network, 0, 4);
    assert!(
        err.to_string()
            .starts_with("getCurrentUser: network error: "),
        "{err}"
    );
    assert_eq!(err.request_id(), None);
}

#[test]
fn a_connection_reset_is_retried_as_a_network_failure() {
    let mut fake = Fake::new();
    let c = client(&fake);
    fake.enqueue(vec![json!({ "fault": "reset" })]);
    c.get_current_user(&current()).unwrap();
    assert_eq!(fake.requests().len(), 2);
    fake.reset();
    fake.enqueue((0..4).map(|_| json!({ "fault": "reset" })).collect());
    let err = c.get_current_user(&current()).unwrap_err();
    expect(&fake, &err, ErrorKind::Network, 0, 4);
    c.get_current_user(&current()).unwrap();
}

#[test]
fn a_reset_in_the_middle_of_the_body_is_a_network_failure() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let body = real_body(&mut fake, "/user/current");
    fake.enqueue(vec![json!({ "fault": "resetMidBody", "body": body })]);
    c.get_current_user(&current()).unwrap();
    assert_eq!(fake.requests().len(), 2);
    fake.reset();
    fake.enqueue(
        (0..4)
            .map(|_| json!({ "fault": "resetMidBody", "body": body }))
            .collect(),
    );
    expect(
        &fake,
        &c.get_current_user(&current()).unwrap_err(),
        ErrorKind::Network,
        0,
        4,
    );
    fake.reset();
    fake.enqueue(vec![
        json!({ "fault": "resetMidBody", "body": body, "chunked": true }),
    ]);
    let off = builder(&fake).retry(RetryPolicy::NONE).build().unwrap();
    expect(
        &fake,
        &off.get_current_user(&current()).unwrap_err(),
        ErrorKind::Network,
        0,
        1,
    );
}

#[test]
fn a_body_cut_by_the_connection_close_is_a_decode_error() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let body = real_body(&mut fake, "/user/current");
    let half = &body[..body.len() / 2];
    fake.enqueue(vec![
        json!({ "fault": "closeDelimited", "status": 200, "body": half }),
    ]);
    let err = c.get_current_user(&current()).unwrap_err();
    expect(&fake, &err, ErrorKind::Decode, 200, 1);
    assert!(err.request_id().is_some());
}

#[test]
fn every_attempt_of_a_hang_times_out_in_bounded_time() {
    let mut fake = Fake::new();
    let c = builder(&fake)
        .timeout(Some(Duration::from_millis(200)))
        .retry(RetryPolicy {
            max_retries: 2,
            base_delay_ms: 20,
            max_delay_ms: 200,
        })
        .build()
        .unwrap();
    fake.enqueue((0..3).map(|_| json!({ "fault": "hang" })).collect());
    let started = Instant::now();
    let err = c.get_current_user(&current()).unwrap_err();
    let took = started.elapsed();
    expect(&fake, &err, ErrorKind::Timeout, 0, 3);
    assert!(matches!(err.error(), Error::Timeout { timeout_ms: 200 }));
    assert_eq!(err.to_string(), "getCurrentUser: timed out after 200 ms");
    assert!(took >= Duration::from_millis(590), "{took:?}");
    // Slack for a loaded CI machine: the timers are what is checked, not the scheduler.
    assert!(took < Duration::from_millis(600 + 60 + 1000), "{took:?}");
    assert_eq!(fake.requests().len(), 3);
    c.get_current_user(&current()).unwrap();
}

#[test]
fn a_timed_out_attempt_gives_its_connection_up() {
    let mut fake = Fake::new();
    let c = builder(&fake)
        .timeout(Some(Duration::from_millis(200)))
        .retry(RetryPolicy::NONE)
        .build()
        .unwrap();
    fake.enqueue(vec![json!({ "fault": "hang" })]);
    expect(
        &fake,
        &c.get_current_user(&current()).unwrap_err(),
        ErrorKind::Timeout,
        0,
        1,
    );
    let deadline = Instant::now() + Duration::from_secs(1);
    while fake.hits() != [vec![true]] {
        assert!(
            Instant::now() < deadline,
            "the server still holds the timed-out connection 1 s later: {:?}",
            fake.hits()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn one_hang_then_an_answer_resolves_on_the_retry() {
    let mut fake = Fake::new();
    // Long enough for the retry's answer on a loaded machine.
    let c = builder(&fake)
        .timeout(Some(Duration::from_millis(1000)))
        .build()
        .unwrap();
    fake.enqueue(vec![json!({ "fault": "hang" })]);
    c.get_current_user(&current()).unwrap();
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn the_timeout_covers_the_whole_body() {
    let mut fake = Fake::new();
    let c = builder(&fake)
        .timeout(Some(Duration::from_millis(300)))
        .retry(RetryPolicy::NONE)
        .build()
        .unwrap();
    let body = real_body(&mut fake, "/user/current");
    fake.enqueue(vec![json!({ "fault": "drip", "body": body, "ms": 50 })]);
    let started = Instant::now();
    let err = c.get_current_user(&current()).unwrap_err();
    let took = started.elapsed();
    expect(&fake, &err, ErrorKind::Timeout, 0, 1);
    assert!(
        took >= Duration::from_millis(295) && took < Duration::from_millis(1300),
        "{took:?}"
    );
    client(&fake).get_current_user(&current()).unwrap();
}

// ---- bulk ----

fn ids(fake: &Fake) -> Vec<String> {
    fake.users("accountIds")
}

/// `n` account ids the fake does not know.
fn unknown_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{i:024x}ff")).collect()
}

#[test]
fn a_bulk_lookup_of_450_ids_is_three_requests_merged_in_input_order() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let mut input = ids(&fake);
    input.truncate(300);
    input.extend(unknown_ids(150));
    // A deterministic shuffle: known and unknown ids interleaved.
    input.sort_by_key(|id| {
        id.bytes()
            .rev()
            .fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b))
    });
    let r = c
        .get_bulk_user_lookup(&GetBulkUserLookupParams {
            account_ids: input.iter().map(|s| s.as_str().into()).collect(),
            expand: vec![],
            limit: None,
        })
        .unwrap();
    let known: Vec<&String> = input.iter().filter(|id| !id.ends_with("ff")).collect();
    let got: Vec<&str> = r
        .results
        .iter()
        .map(|u| u.account_id.as_ref().unwrap().as_str())
        .collect();
    assert_eq!(got, known.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert_eq!(r.size, 300);
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    let mut asked: Vec<String> = requests
        .iter()
        .flat_map(|r| r.comma_values("accountId"))
        .collect();
    assert!(requests
        .iter()
        .all(|r| r.comma_values("accountId").len() <= 200));
    asked.sort();
    let mut expected = input.clone();
    expected.sort();
    assert_eq!(asked, expected, "each id asked exactly once");
}

#[test]
fn duplicates_are_asked_once_and_a_limit_counts_for_the_whole_call() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let all = ids(&fake);
    let mut input: Vec<String> = all[..250].to_vec();
    input.extend(all[..50].iter().cloned());
    let r = c
        .get_bulk_user_lookup(&GetBulkUserLookupParams {
            account_ids: input.iter().map(|s| s.as_str().into()).collect(),
            expand: vec![],
            limit: Some(120),
        })
        .unwrap();
    assert_eq!(r.results.len(), 120);
    assert_eq!(r.limit, 120);
    assert_eq!(r.results[0].account_id.as_ref().unwrap().as_str(), all[0]);
    let asked: usize = fake
        .requests()
        .iter()
        .map(|r| r.comma_values("accountId").len())
        .sum();
    assert_eq!(asked, 250);
}

#[test]
fn at_most_concurrency_requests_are_in_flight() {
    let mut fake = Fake::start(json!({ "latencyMs": 100 }));
    let mut input = ids(&fake);
    input.extend(unknown_ids(1700)); // 2,000 ids: 10 requests
    let params = GetBulkUserLookupParams {
        account_ids: input.iter().map(|s| s.as_str().into()).collect(),
        expand: vec![],
        limit: None,
    };
    let r = client(&fake).get_bulk_user_lookup(&params).unwrap();
    assert_eq!(r.size, 300);
    assert_eq!(fake.requests().len(), 10);
    assert_eq!(fake.max_in_flight(), 4, "the default concurrency");
    fake.reset();
    fake.set_latency(30);
    builder(&fake)
        .concurrency(1)
        .build()
        .unwrap()
        .get_bulk_user_lookup(&params)
        .unwrap();
    assert_eq!(fake.max_in_flight(), 1);
}

#[test]
fn a_failing_chunk_fails_the_call_saying_how_far_it_got() {
    let mut fake = Fake::new();
    let c = builder(&fake)
        .retry(RetryPolicy::NONE)
        .concurrency(1)
        .build()
        .unwrap();
    let mut input = ids(&fake);
    input.extend(unknown_ids(150)); // 450 ids: 3 requests
    let params = GetPrivacyUnsafeUserEmailBulkParams {
        account_ids: input.iter().map(|s| s.as_str().into()).collect(),
    };
    let whole = c.get_privacy_unsafe_user_email_bulk(&params).unwrap();
    assert_eq!(whole.len(), 300);
    fake.reset();
    // The first chunk is answered by the fake's twin, the second fails.
    fake.enqueue(vec![json!({ "fault": "pass" }), status(500, json!({}))]);
    let err = c.get_privacy_unsafe_user_email_bulk(&params).unwrap_err();
    expect(&fake, &err, ErrorKind::Http, 500, 1);
    assert!(
        err.to_string()
            .ends_with("(200 of 450 ids were looked up before this failure)"),
        "{err}"
    );
    assert_eq!(
        fake.requests().len(),
        2,
        "no chunk starts after the failure"
    );
}

// ---- paging ----

#[test]
fn memberships_are_walked_page_by_page_to_the_end() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let many = fake.special("manyGroups");
    let groups: Vec<String> = c
        .paginate_group_memberships_for_user(&GetGroupMembershipsForUserParams {
            account_id: many.as_str().into(),
            start: None,
            limit: Some(100),
        })
        .map(|g| g.unwrap().name)
        .collect();
    assert_eq!(groups.len(), 250);
    let mut sorted = groups.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 250, "no group twice");
    let starts: Vec<Vec<String>> = fake.requests().iter().map(|r| r.values("start")).collect();
    assert_eq!(
        starts,
        [vec![], vec!["100".to_owned()], vec!["200".to_owned()]]
    );
}

#[test]
fn stopping_early_sends_no_further_request() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let many = fake.special("manyGroups");
    let params = GetGroupMembershipsForUserParams {
        account_id: many.as_str().into(),
        start: None,
        limit: Some(100),
    };
    let first = c.paginate_group_memberships_for_user(&params).next();
    assert!(first.is_some_and(|g| g.is_ok()));
    assert_eq!(fake.requests().len(), 1);
    fake.reset();
    assert_eq!(
        c.paginate_group_memberships_for_user(&params)
            .take(100)
            .count(),
        100
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "a page boundary asks for nothing more"
    );
}

#[test]
fn a_server_error_mid_walk_ends_it_after_the_items_before_it() {
    let mut fake = Fake::new();
    let c = builder(&fake).retry(RetryPolicy::NONE).build().unwrap();
    let many = fake.special("manyGroups");
    fake.enqueue(vec![json!({ "fault": "pass" }), status(500, json!({}))]);
    let mut pages = c.paginate_group_memberships_for_user(&GetGroupMembershipsForUserParams {
        account_id: many.as_str().into(),
        start: None,
        limit: Some(100),
    });
    for _ in 0..100 {
        pages.next().unwrap().unwrap();
    }
    let err = pages.next().unwrap().unwrap_err();
    expect(&fake, &err, ErrorKind::Http, 500, 1);
    assert!(pages.next().is_none());
}

// ---- migration ----

#[test]
fn a_migration_of_5000_usernames_is_split_under_8000_characters_and_merged_in_order() {
    let mut fake = Fake::start(json!({ "legacyCount": 5000 }));
    let c = client(&fake);
    let legacy = fake.users("legacyUsernames");
    let mut input: Vec<String> = legacy.clone();
    input.extend([
        "ghost-1".to_owned(),
        legacy[0].clone(),
        "ghost-2".to_owned(),
    ]);
    let r = c
        .get_bulk_user_migration(&GetBulkUserMigrationParams {
            usernames: Some(input),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.results.len(), 5002);
    assert_eq!(r.not_found, ["ghost-1", "ghost-2"]);
    let echoed: Vec<&str> = r
        .results
        .iter()
        .map(|m| m.username.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(
        &echoed[..5000],
        legacy.iter().map(|s| s.as_str()).collect::<Vec<_>>()
    );
    assert!(r.links.get("next").is_none());
    let requests = fake.requests();
    assert!(requests.len() >= 25, "{} requests", requests.len());
    for req in &requests {
        let len = fake.url.len() + req.path.len() + 1 + req.raw_query.len();
        assert!(len < 8000, "a URL of {len} characters");
    }
}

#[test]
fn the_migration_iterator_walks_chunks_and_pages_in_order() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let names: Vec<String> = fake.users("usernames")[..250].to_vec();
    let mut input = names.clone();
    input.push("nosuchuser".into());
    let results: Vec<_> = c
        .paginate_bulk_user_migration(&GetBulkUserMigrationParams {
            usernames: Some(input),
            limit: Some(100),
            ..Default::default()
        })
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(results.len(), 251);
    let echoed: Vec<String> = results
        .iter()
        .map(|m| m.username.clone().unwrap())
        .collect();
    assert_eq!(&echoed[..250], names.as_slice());
    assert_eq!(echoed[250], "nosuchuser");
    assert!(results[250].account_id.is_none());
    // Chunks of 200 and 51 values, pages of 100: 2 + 1 requests.
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn a_failing_migration_chunk_says_how_far_it_got() {
    let mut fake = Fake::start(json!({ "legacyCount": 1000 }));
    let c = builder(&fake)
        .retry(RetryPolicy::NONE)
        .concurrency(1)
        .build()
        .unwrap();
    let legacy = fake.users("legacyUsernames");
    let params = GetBulkUserMigrationParams {
        usernames: Some(legacy.clone()),
        ..Default::default()
    };
    c.get_bulk_user_migration(&params).unwrap();
    let chunks = fake.requests().len();
    assert!(chunks >= 2);
    fake.reset();
    fake.enqueue(vec![status(503, json!({}))]);
    let err = c.get_bulk_user_migration(&params).unwrap_err();
    expect(&fake, &err, ErrorKind::Http, 503, 1);
    assert!(
        err.to_string()
            .ends_with("(0 of 1000 usernames were looked up before this failure)"),
        "{err}"
    );
}

// ---- secrets ----

#[test]
fn no_error_shows_a_credential_even_when_the_server_echoes_it() {
    let mut fake = Fake::new();
    let token = fake.credential("oauthToken");
    let c = builder(&fake).retry(RetryPolicy::NONE).build().unwrap();
    fake.enqueue(vec![
        json!({ "status": 400, "body": { "message": format!("bad token {token}"), "echo": { token.clone(): [format!("Bearer {token}")] } } }),
        json!({ "status": 500, "headers": { "Content-Type": "text/plain", "atl-traceid": token.clone() }, "body": format!("Authorization: Bearer {token}") }),
        json!({ "status": 200, "headers": { "Content-Type": format!("text/{token}") }, "body": "{}" }),
    ]);
    for _ in 0..3 {
        let err = c.get_current_user(&current()).unwrap_err();
        assert_no_secret(&fake, &err);
        assert!(format!("{err:?}").contains("[REDACTED]"), "{err:?}");
    }
    let shown = format!("{c:?}");
    assert!(!shown.contains(&token), "{shown}");
}

// ---- more of the JS fault suite ----

/// An IMF-fixdate at a whole second at least `ahead` from now, and its epoch ms.
fn http_date_ahead(ahead: Duration) -> (String, u128) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let at = (now + ahead.as_millis()).div_ceil(1000) * 1000;
    let secs = (at / 1000) as u64;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let value = format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        months[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    (value, at)
}

#[test]
fn retry_after_as_an_http_date_is_waited_for() {
    let mut fake = Fake::new();
    let c = builder(&fake)
        .retry(RetryPolicy {
            max_retries: 3,
            base_delay_ms: 20,
            max_delay_ms: 3000,
        })
        .build()
        .unwrap();
    let (date, at) = http_date_ahead(Duration::from_millis(600));
    fake.enqueue(vec![status(429, json!({ "Retry-After": date }))]);
    c.get_current_user(&current()).unwrap();
    let done = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    assert!(
        done + 5 >= at,
        "the retry came {} ms before the date",
        at - done
    );
    assert_eq!(fake.requests().len(), 2);
    // A date in the past is no floor: four quick attempts.
    fake.reset();
    let past = "Wed, 21 Oct 2015 07:28:00 GMT";
    fake.enqueue(
        (0..4)
            .map(|_| status(429, json!({ "Retry-After": past })))
            .collect(),
    );
    let started = Instant::now();
    let err = c.get_current_user(&current()).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(140 + 400));
    expect(&fake, &err, ErrorKind::Http, 429, 4);
    assert_eq!(err.retry_after_ms(), Some(0));
}

#[test]
fn retry_after_zero_on_every_attempt_and_waits_capped_at_the_longest() {
    let mut fake = Fake::new();
    let c = client(&fake);
    fake.enqueue(
        (0..4)
            .map(|_| status(429, json!({ "Retry-After": "0" })))
            .collect(),
    );
    let err = c.get_current_user(&current()).unwrap_err();
    expect(&fake, &err, ErrorKind::Http, 429, 4);
    assert_eq!(err.retry_after_ms(), Some(0));
    fake.reset();
    let capped = builder(&fake)
        .retry(RetryPolicy {
            max_retries: 3,
            base_delay_ms: 150,
            max_delay_ms: 160,
        })
        .build()
        .unwrap();
    fake.enqueue((0..4).map(|_| status(503, json!({}))).collect());
    let started = Instant::now();
    expect(
        &fake,
        &capped.get_current_user(&current()).unwrap_err(),
        ErrorKind::Http,
        503,
        4,
    );
    assert!(started.elapsed() < Duration::from_millis(150 + 160 + 160 + 400));
    fake.reset();
    let five = builder(&fake)
        .retry(RetryPolicy {
            max_retries: 5,
            base_delay_ms: 5,
            max_delay_ms: 50,
        })
        .build()
        .unwrap();
    fake.enqueue((0..5).map(|_| status(503, json!({}))).collect());
    five.get_current_user(&current()).unwrap();
    assert_eq!(fake.requests().len(), 6);
}

#[test]
fn a_status_line_dripped_byte_by_byte_times_out() {
    let mut fake = Fake::new();
    let c = builder(&fake)
        .timeout(Some(Duration::from_millis(300)))
        .retry(RetryPolicy::NONE)
        .build()
        .unwrap();
    let raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    fake.enqueue(vec![json!({ "fault": "dripRaw", "raw": raw, "ms": 50 })]);
    let started = Instant::now();
    let err = c.get_current_user(&current()).unwrap_err();
    let took = started.elapsed();
    expect(&fake, &err, ErrorKind::Timeout, 0, 1);
    // The attempt's deadline holds whatever the server does (as the JS client's timer): a
    // status line still arriving at 300 ms is cut then, not once the head is complete.
    assert!(
        took >= Duration::from_millis(295) && took < Duration::from_millis(300 + 700),
        "{took:?}"
    );
    // The thread that sent it gives the connection up too, at its first read past the deadline
    // (ureq alone could read on for the whole 3.6 s drip: see the transport's CutAtDeadline).
    let deadline = Instant::now() + Duration::from_millis(1500);
    while fake.hits() != [vec![true]] {
        assert!(
            Instant::now() < deadline,
            "the dripping connection is still open: {:?}",
            fake.hits()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    client(&fake).get_current_user(&current()).unwrap();
}

#[test]
fn bare_414_and_431_answers_read_as_sentences() {
    let fake = Fake::new();
    let c = builder(&fake).retry(RetryPolicy::NONE).build().unwrap();
    let e414 = c.get_user(&user(&"x".repeat(9000))).unwrap_err();
    expect(&fake, &e414, ErrorKind::Http, 414, 1);
    assert_eq!(e414.to_string(), "getUser: 414 URI Too Long");
    let e431 = c.get_user(&user(&"x".repeat(17000))).unwrap_err();
    expect(&fake, &e431, ErrorKind::Http, 431, 1);
    assert_eq!(
        e431.to_string(),
        "getUser: 431 Request Header Fields Too Large"
    );
}

#[test]
fn a_byte_order_mark_before_a_200_body_is_skipped_as_a_text_decoder_does() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let body = real_body(&mut fake, "/user/current");
    fake.enqueue(vec![
        json!({ "status": 200, "body": format!("\u{feff}{body}") }),
    ]);
    let me = c.get_current_user(&current()).unwrap();
    assert_eq!(me.public_name.as_deref(), Some("Mia Krystof"));
}

#[test]
fn a_huge_integer_where_an_int32_is_expected_is_a_decode_error() {
    let mut fake = Fake::new();
    let c = client(&fake);
    fake.enqueue(vec![json!({ "status": 200, "body": "{\"results\":[],\"start\":0,\"limit\":99999999999,\"size\":0,\"_links\":{}}" })]);
    let err = c
        .get_bulk_user_lookup(&GetBulkUserLookupParams {
            account_ids: vec!["a".into()],
            expand: vec![],
            limit: None,
        })
        .unwrap_err();
    expect(&fake, &err, ErrorKind::Decode, 200, 1);
    assert!(err.to_string().contains("limit"), "{err}");
}

#[test]
fn bulk_chunks_carry_the_expand_and_long_ids_are_split_by_url_length() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let known: Vec<String> = ids(&fake)[..40].to_vec();
    let long: Vec<String> = (0..400)
        .map(|i| format!("long{i:04}{}", "x".repeat(52)))
        .collect();
    let mut input = long.clone();
    input.extend(known.iter().cloned());
    let r = c
        .get_bulk_user_lookup(&GetBulkUserLookupParams {
            account_ids: input.iter().map(|s| s.as_str().into()).collect(),
            expand: vec![confluence_users::BulkExpand::Operations],
            limit: None,
        })
        .unwrap();
    assert_eq!(r.results.len(), 40);
    assert!(
        r.results.iter().all(|u| u.operations.is_some()),
        "expand on every user"
    );
    let requests = fake.requests();
    // ~26,000 characters of ids: at least 4 requests, though 3 would hold them by count.
    assert!(requests.len() >= 4, "{} requests", requests.len());
    for req in &requests {
        assert_eq!(req.values("expand"), ["operations"]);
        let len = fake.url.len() + req.path.len() + 1 + req.raw_query.len();
        assert!(len < 8000, "a URL of {len} characters");
    }
    let asked: usize = requests
        .iter()
        .map(|r| r.comma_values("accountId").len())
        .sum();
    assert_eq!(asked, 440, "each id once");
}

#[test]
fn ten_thousand_ids_are_fifty_requests_of_two_hundred() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let mut input = ids(&fake);
    input.extend(unknown_ids(10_000 - input.len()));
    let r = c
        .get_privacy_unsafe_user_email_bulk(&GetPrivacyUnsafeUserEmailBulkParams {
            account_ids: input.iter().map(|s| s.as_str().into()).collect(),
        })
        .unwrap();
    assert_eq!(r.len(), 300);
    let requests = fake.requests();
    assert_eq!(requests.len(), 50);
    assert!(requests
        .iter()
        .all(|r| r.comma_values("accountId").len() == 200));
}

#[test]
fn migration_pages_smaller_than_a_chunk_are_followed_and_a_window_is_honoured() {
    let mut fake = Fake::start(json!({ "migrationPageCap": 50 }));
    let c = client(&fake);
    let names: Vec<String> = fake.users("usernames");
    let r = c
        .get_bulk_user_migration(&GetBulkUserMigrationParams {
            usernames: Some(names.clone()),
            ..Default::default()
        })
        .unwrap();
    let echoed: Vec<String> = r
        .results
        .iter()
        .map(|m| m.username.clone().unwrap())
        .collect();
    assert_eq!(echoed, names);
    assert!(r.not_found.is_empty());
    let requests = fake.requests();
    let later: Vec<_> = requests
        .iter()
        .filter(|r| !r.values("start").is_empty())
        .collect();
    assert!(
        later.len() > requests.len() / 2,
        "{} of {}",
        later.len(),
        requests.len()
    );
    for r in later {
        assert_eq!(r.values("start")[0].parse::<u32>().unwrap() % 50, 0);
    }
    fake.reset();
    let window = c
        .get_bulk_user_migration(&GetBulkUserMigrationParams {
            usernames: Some(names.clone()),
            start: Some(100),
            limit: Some(30),
            ..Default::default()
        })
        .unwrap();
    let echoed: Vec<String> = window
        .results
        .iter()
        .map(|m| m.username.clone().unwrap())
        .collect();
    assert_eq!(echoed, names[100..130]);
    assert_eq!((window.start, window.limit, window.size), (100, 30, 30));
    let asked: Vec<String> = fake
        .requests()
        .iter()
        .flat_map(|r| r.values("username"))
        .collect();
    assert_eq!(asked, names[100..130], "only the window is asked for");
    fake.reset();
    let none = c
        .get_bulk_user_migration(&GetBulkUserMigrationParams {
            usernames: Some(vec!["a".into(), "b".into()]),
            start: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (none.results.len(), none.not_found.len(), none.size),
        (0, 0, 0)
    );
    assert!(fake.requests().is_empty(), "an empty window sends nothing");
}

#[test]
fn migration_by_keys() {
    let mut fake = Fake::new();
    let c = client(&fake);
    let keys = fake.users("userKeys");
    let mut input = keys.clone();
    input.push("nosuchkey".into());
    let r = c
        .get_bulk_user_migration(&GetBulkUserMigrationParams {
            keys: Some(input),
            ..Default::default()
        })
        .unwrap();
    let echoed: Vec<String> = r.results.iter().map(|m| m.key.clone().unwrap()).collect();
    assert_eq!(&echoed[..keys.len()], keys.as_slice());
    assert_eq!(r.not_found, ["nosuchkey"]);
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.values("username").is_empty()));
}

// ---- hooks ----

/// A client whose hook records every event as a line.
fn hooked(fake: &Fake, timeout_ms: u64) -> (Client, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use confluence_users::driver::Report;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&seen);
    let c = builder(fake)
        .timeout(Some(Duration::from_millis(timeout_ms)))
        .hook(move |e| {
            let line = match e.report {
                Report::Request { attempt } => {
                    format!("{} request {attempt} {}", e.operation, e.url)
                }
                Report::Response {
                    attempt, status, ..
                } => format!("{} response {attempt} {status}", e.operation),
                Report::Retry {
                    attempt,
                    status,
                    reason,
                    delay_ms,
                } => {
                    assert!(delay_ms <= 200, "{delay_ms}");
                    format!(
                        "{} retry {attempt} {status} {}",
                        e.operation,
                        reason.as_str()
                    )
                }
            };
            sink.lock().unwrap().push(line);
        })
        .build()
        .unwrap();
    (c, seen)
}

#[test]
fn hooks_see_requests_responses_and_retries_in_order() {
    let mut fake = Fake::new();
    let (c, seen) = hooked(&fake, 1000);
    fake.enqueue(vec![
        status(429, json!({ "Retry-After": "0" })),
        status(503, json!({})),
    ]);
    c.get_current_user(&current()).unwrap();
    let url = format!("{}/wiki/rest/api/user/current", fake.url);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            format!("getCurrentUser request 1 {url}"),
            "getCurrentUser response 1 429".to_owned(),
            "getCurrentUser retry 1 429 status".to_owned(),
            format!("getCurrentUser request 2 {url}"),
            "getCurrentUser response 2 503".to_owned(),
            "getCurrentUser retry 2 503 status".to_owned(),
            format!("getCurrentUser request 3 {url}"),
            "getCurrentUser response 3 200".to_owned(),
        ]
    );
    // A failure without a response: a retry with status 0, and no response event.
    seen.lock().unwrap().clear();
    fake.enqueue(vec![
        json!({ "fault": "reset" }),
        json!({ "fault": "hang" }),
    ]);
    c.get_current_user(&current()).unwrap();
    let lines = seen.lock().unwrap().clone();
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| l.split(' ').skip(1).take(1).next().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["request", "retry", "request", "retry", "request", "response"]
    );
    assert!(lines[1].ends_with("retry 1 0 network"), "{}", lines[1]);
    assert!(lines[3].ends_with("retry 2 0 timeout"), "{}", lines[3]);
}

#[test]
fn hooks_see_each_chunk_of_a_bulk_lookup() {
    let fake = Fake::new();
    let (c, seen) = hooked(&fake, 30_000);
    let mut input = ids(&fake);
    input.extend(unknown_ids(150));
    c.get_bulk_user_lookup(&GetBulkUserLookupParams {
        account_ids: input.iter().map(|s| s.as_str().into()).collect(),
        expand: vec![],
        limit: None,
    })
    .unwrap();
    let lines = seen.lock().unwrap().clone();
    let requests = lines.iter().filter(|l| l.contains(" request 1 ")).count();
    let responses = lines
        .iter()
        .filter(|l| l.ends_with(" response 1 200"))
        .count();
    assert_eq!((requests, responses), (3, 3), "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("getBulkUserLookup ")));
}

// ---- abort ----

/// Aborts `handle` from another thread after `ms`.
fn abort_after(handle: &AbortHandle, ms: u64) -> std::thread::JoinHandle<Instant> {
    let handle = handle.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        handle.abort();
        Instant::now()
    })
}

/// Asserts an aborted call's error, as the JS client's `AbortError` case reads.
fn expect_aborted(fake: &Fake, err: &CallError, operation: &str, attempts: u32) {
    expect(fake, err, ErrorKind::Aborted, 0, attempts);
    assert_eq!(err.error(), &Error::Aborted);
    assert!(
        err.to_string()
            .starts_with(&format!("{operation}: aborted")),
        "{err}"
    );
}

#[test]
fn abort_during_an_attempt_ends_the_call_at_once() {
    let mut fake = Fake::new();
    let handle = AbortHandle::new();
    let c = builder(&fake)
        .timeout(Some(Duration::from_secs(20)))
        .build()
        .unwrap()
        .with_abort(&handle);
    fake.enqueue(vec![json!({ "fault": "hang" })]);
    let aborter = abort_after(&handle, 150);
    let err = c.get_current_user(&current()).unwrap_err();
    let ended = Instant::now();
    let aborted_at = aborter.join().unwrap();
    expect_aborted(&fake, &err, "getCurrentUser", 1);
    assert_eq!(err.to_string(), "getCurrentUser: aborted");
    assert!(ended - aborted_at < Duration::from_millis(300));
    assert_eq!(fake.requests().len(), 1, "no retry after an abort");
    // The client it came from is not aborted.
    fake.reset();
    client(&fake).get_current_user(&current()).unwrap();
}

#[test]
fn abort_during_a_backoff_wait_ends_the_call_without_the_retry() {
    let mut fake = Fake::new();
    let handle = AbortHandle::new();
    let c = builder(&fake)
        .retry(RetryPolicy::default())
        .build()
        .unwrap()
        .with_abort(&handle);
    // Retry-After: 10 s is the floor of the wait (within the default 30 s cap).
    fake.enqueue(vec![status(503, json!({ "Retry-After": "10" }))]);
    let aborter = abort_after(&handle, 200);
    let started = Instant::now();
    let err = c.get_current_user(&current()).unwrap_err();
    aborter.join().unwrap();
    expect_aborted(&fake, &err, "getCurrentUser", 1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_call_aborted_before_it_starts_sends_nothing() {
    let mut fake = Fake::new();
    let handle = AbortHandle::new();
    handle.abort();
    let c = client(&fake).with_abort(&handle);
    expect_aborted(
        &fake,
        &c.get_current_user(&current()).unwrap_err(),
        "getCurrentUser",
        0,
    );
    let mut pages = c.paginate_group_memberships_for_user(&GetGroupMembershipsForUserParams {
        account_id: fake.special("currentUser").as_str().into(),
        start: None,
        limit: None,
    });
    let err = pages.next().unwrap().unwrap_err();
    expect_aborted(&fake, &err, "getGroupMembershipsForUser", 0);
    assert!(pages.next().is_none());
    assert!(fake.requests().is_empty());
}

#[test]
fn abort_during_a_bulk_fan_out_ends_every_chunk_and_starts_no_more() {
    let mut fake = Fake::new();
    let handle = AbortHandle::new();
    let c = builder(&fake)
        .concurrency(2)
        .timeout(Some(Duration::from_secs(20)))
        .build()
        .unwrap()
        .with_abort(&handle);
    let params = GetBulkUserLookupParams {
        account_ids: unknown_ids(1000)
            .iter()
            .map(|s| s.as_str().into())
            .collect(),
        expand: vec![],
        limit: None,
    };
    // Five chunks, two in flight, both hanging.
    fake.enqueue(vec![json!({ "fault": "hang" }), json!({ "fault": "hang" })]);
    let aborter = abort_after(&handle, 200);
    let err = c.get_bulk_user_lookup(&params).unwrap_err();
    let ended = Instant::now();
    let aborted_at = aborter.join().unwrap();
    expect_aborted(&fake, &err, "getBulkUserLookup", 1);
    assert!(
        err.to_string()
            .ends_with("(0 of 1000 ids were looked up before this failure)"),
        "{err}"
    );
    assert!(ended - aborted_at < Duration::from_millis(300));
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(fake.requests().len(), 2, "no chunk starts after the abort");
}

// ---- token function ----

/// A token function that gives `tokens` in turn (the last one again after them), counting
/// its calls.
fn tokens_in_turn(
    tokens: Vec<String>,
) -> (
    impl Fn() -> Result<String, String> + Send + Sync + 'static,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let source = move || {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        Ok(tokens[n.min(tokens.len() - 1)].clone())
    };
    (source, calls)
}

#[test]
fn the_token_function_is_asked_once_per_attempt_and_a_refreshed_token_is_the_retrys() {
    use std::sync::atomic::Ordering;
    let mut fake = Fake::new();
    let stale = "stale-token-Zq81xYv0".to_owned();
    let (source, calls) = tokens_in_turn(vec![stale.clone(), fake.credential("oauthToken")]);
    // A fixed credential given too is replaced by the function.
    let c = Client::builder(&fake.url, basic(&fake))
        .retry(FAST)
        .token_fn(source)
        .build()
        .unwrap();
    // The first attempt (with the stale token) gets a 503; the retry sends the fresh one.
    fake.enqueue(vec![status(503, json!({}))]);
    c.get_current_user(&current()).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].auth, "bearer",
        "the refreshed token is the retry's"
    );
    // Without a canned answer the stale token itself reaches the fake, which refuses it.
    fake.reset();
    let (source, calls) = tokens_in_turn(vec![stale]);
    let c = builder(&fake).token_fn(source).build().unwrap();
    let err = c.get_current_user(&current()).unwrap_err();
    expect(&fake, &err, ErrorKind::Http, 401, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(fake.requests()[0].auth, "invalid");
}

#[test]
fn a_failing_or_unusable_token_function_is_an_invalid_argument_and_nothing_is_sent() {
    let mut fake = Fake::new();
    let secret = fake.credential("oauthToken");
    let many = GetBulkUserLookupParams {
        account_ids: unknown_ids(450).iter().map(|s| s.as_str().into()).collect(),
        expand: vec![],
        limit: None,
    };
    let cases: Vec<(&str, Result<String, String>, &str)> = vec![
        (
            "err",
            Err("token store offline".into()),
            "auth.token threw: token store offline",
        ),
        ("empty", Ok(String::new()), "auth.token must not be empty"),
        (
            "CR/LF",
            Ok(format!("{secret}\r\nX-Injected: yes")),
            "auth.token must be visible ASCII without spaces or line breaks",
        ),
        (
            "LF",
            Ok(format!("{secret}\nX-Injected: yes")),
            "auth.token must be visible ASCII without spaces or line breaks",
        ),
        (
            "space",
            Ok(format!("{secret} more")),
            "auth.token must be visible ASCII without spaces or line breaks",
        ),
        (
            "too long",
            Ok("t".repeat(16 * 1024 + 1)),
            "auth.token is longer than",
        ),
    ];
    for (label, answer, message) in cases {
        let c = builder(&fake)
            .token_fn(move || answer.clone())
            .build()
            .unwrap();
        let errors = [
            c.get_current_user(&current()).unwrap_err(),
            c.get_bulk_user_lookup(&many).unwrap_err(),
            c.paginate_group_memberships_for_user(&GetGroupMembershipsForUserParams {
                account_id: fake.special("manyGroups").as_str().into(),
                start: None,
                limit: None,
            })
            .next()
            .unwrap()
            .unwrap_err(),
        ];
        for err in errors {
            assert_eq!(
                (err.kind(), err.status()),
                (ErrorKind::InvalidArgument, 0),
                "{label}: {err}"
            );
            assert!(err.to_string().contains(message), "{label}: {err}");
            let shown = format!("{err} {err:?}");
            assert!(
                !shown.contains(&secret) && !shown.contains("X-Injected"),
                "{label}: {shown}"
            );
        }
    }
    assert!(fake.requests().is_empty(), "nothing was sent");
}

#[test]
fn every_token_the_function_gave_is_redacted_from_errors() {
    let mut fake = Fake::new();
    let first = "first-T0KEN-a8f3k2m9q";
    let second = "second-T0KEN-z7x5c3v1b";
    let (source, _) = tokens_in_turn(vec![first.into(), second.into()]);
    let c = builder(&fake).token_fn(source).build().unwrap();
    // The retry's answer echoes both attempts' tokens, in its body and its trace id.
    fake.enqueue(vec![
        status(503, json!({})),
        json!({ "status": 400, "headers": { "atl-traceid": second },
                "body": { "message": format!("bad token {first}"), "echo": { second: [format!("Bearer {second}")] } } }),
    ]);
    let err = c.get_current_user(&current()).unwrap_err();
    assert_eq!(
        (err.kind(), err.status(), err.attempts()),
        (ErrorKind::Http, 400, 2)
    );
    let shown = format!("{err} {err:?}");
    for token in [first, second] {
        assert!(!shown.contains(token), "{token} in {shown}");
    }
    assert!(shown.contains("[REDACTED]"), "{shown}");
    // A later call's error still hides them (a server may echo an earlier call's token).
    fake.enqueue(vec![
        json!({ "status": 400, "body": { "message": format!("old {first}") } }),
    ]);
    let err = c.get_current_user(&current()).unwrap_err();
    assert!(!format!("{err} {err:?}").contains(first), "{err:?}");
}

#[test]
fn a_token_function_that_hangs_is_bounded_by_the_timeout_and_the_abort() {
    let fake = Fake::new();
    let hang = || -> Result<String, String> {
        std::thread::sleep(Duration::from_secs(5));
        Ok("late-token-value".into())
    };
    let c = builder(&fake)
        .timeout(Some(Duration::from_millis(200)))
        .token_fn(hang)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = c.get_current_user(&current()).unwrap_err();
    // A token wait that times out sent nothing: no attempt to retry.
    expect(&fake, &err, ErrorKind::Timeout, 0, 0);
    assert!(
        started.elapsed() < Duration::from_millis(200 + 700),
        "{:?}",
        started.elapsed()
    );
    let handle = AbortHandle::new();
    let c = builder(&fake)
        .token_fn(hang)
        .build()
        .unwrap()
        .with_abort(&handle);
    let aborter = abort_after(&handle, 100);
    let err = c.get_current_user(&current()).unwrap_err();
    let ended = Instant::now();
    expect_aborted(&fake, &err, "getCurrentUser", 0);
    assert!(ended - aborter.join().unwrap() < Duration::from_millis(300));
}

// ---- custom transport ----

/// The URL and headers of each request a [`Canned`] transport was given.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// An in-memory transport: answers from a list, records what it was asked. No socket.
struct Canned {
    answers: std::sync::Mutex<Vec<HttpResponse>>,
    seen: Seen,
}

impl HttpTransport for Canned {
    fn send(
        &self,
        request: &confluence_users::Request,
        _timeout: Option<Duration>,
    ) -> Result<HttpResponse, TransportError> {
        let headers = request
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect();
        self.seen
            .lock()
            .unwrap()
            .push((request.url.clone(), headers));
        let mut answers = self.answers.lock().unwrap();
        match answers.is_empty() {
            true => Err(TransportError::Network("no answer left".into())),
            false => Ok(answers.remove(0)),
        }
    }
}

#[test]
fn a_custom_transport_is_used_and_its_429_is_retried() {
    let seen = Seen::default();
    let json_type = || vec![("content-type".to_owned(), "application/json".to_owned())];
    let transport = Canned {
        answers: std::sync::Mutex::new(vec![
            HttpResponse {
                status: 429,
                headers: vec![("retry-after".to_owned(), "0".to_owned())],
                body: Vec::new(),
            },
            HttpResponse {
                status: 200,
                headers: json_type(),
                body:
                    br#"{"type":"known","accountId":"5b10ac8d82e05b22cc7d4ef5","publicName":"Mia"}"#
                        .to_vec(),
            },
        ]),
        seen: seen.clone(),
    };
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = events.clone();
    let c = Client::builder(
        "https://your-domain.atlassian.net",
        Auth::Bearer {
            token: "in-memory-token-Xy12".into(),
        },
    )
    .retry(FAST)
    .transport(transport)
    .hook(move |e| recorded.lock().unwrap().push(e.report))
    .build()
    .unwrap();
    let u = c.get_user(&user("5b10ac8d82e05b22cc7d4ef5")).unwrap();
    assert_eq!(u.public_name.as_deref(), Some("Mia"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "the 429 was retried");
    for (url, headers) in seen.iter() {
        assert_eq!(
            url,
            "https://your-domain.atlassian.net/wiki/rest/api/user?accountId=5b10ac8d82e05b22cc7d4ef5"
        );
        assert!(headers.contains(&("Authorization".into(), "Bearer in-memory-token-Xy12".into())));
    }
    let retries: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|r| match r {
            confluence_users::driver::Report::Retry { status, .. } => Some(*status),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [429]);
}

// ---- HTTPS ----

#[test]
fn https_works_with_the_sites_root_and_fails_as_a_network_error_without_it() {
    let site = TlsSite::start();
    let token = "tls-test-token-Qm3vX81k";
    let auth = || Auth::Bearer {
        token: token.into(),
    };
    let trusting = Client::builder(&site.url, auth())
        .root_certificates(vec![TlsSite::ca()])
        .build()
        .unwrap();
    let me = trusting.get_current_user(&current()).unwrap();
    assert_eq!(me.public_name.as_deref(), Some("Over TLS"));
    // The built-in Mozilla roots do not know the test CA.
    let default = Client::builder(&site.url, auth())
        .retry(RetryPolicy::NONE)
        .build()
        .unwrap();
    let err = default.get_current_user(&current()).unwrap_err();
    assert_eq!(
        (err.kind(), err.status(), err.attempts()),
        (ErrorKind::Network, 0, 1),
        "{err}"
    );
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("certificate"), "{shown}");
    assert!(!shown.contains(token), "{shown}");
}
