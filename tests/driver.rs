//! The call driver on a virtual clock: every retry, timeout, Retry-After, abort, bulk and paging
//! path, with no socket and no real waiting. Time passes only when a script says so: a wait
//! takes its `ms`, a timed-out attempt takes its timeout, a response takes 5 ms.

use confluence_users::driver::{
    BulkCall, Call, CallSettings, Done, End, FanOut, GroupWalk, Input, Migration, PageInfo,
    RecordAt, Report, Response, RetryReason, Step,
};
use confluence_users::ratelimit::{Held, LongPause};
use confluence_users::{
    Auth, ClientConfig, Endpoint, Error, GetBulkUserLookupParams, GetBulkUserMigrationParams,
    GetGroupMembershipsForUserParams, GetPrivacyUnsafeUserEmailBulkParams, GetUserParams,
    RetryPolicy,
};

/// Wed, 21 Oct 2015 07:28:00 GMT, the virtual clock's start.
const T0: u64 = 1_445_412_480_000;
const USER: &[u8] =
    br#"{"type":"known","accountId":"5b10ac8d82e05b22cc7d4ef5","publicName":"Mia"}"#;
/// What the transport takes to get a response.
const RTT: u64 = 5;

/// What the fake answers to one `Step::Send` (or `Step::Token`).
#[derive(Clone)]
enum Answer {
    /// A status with a `Retry-After` value and a body.
    Status(u16, Option<&'static str>, &'static [u8]),
    /// 200 with a JSON body.
    Ok(&'static [u8]),
    /// A 2xx with a content type and a body.
    Body(u16, Option<&'static str>, &'static [u8]),
    /// The transport failed with this message.
    Net(&'static str),
    /// No answer: the attempt's timeout runs out.
    Hang,
    /// The caller aborts `ms` into the attempt.
    AbortAfter(u64),
    /// A token source's token.
    Token(&'static str),
    /// A token source's failure.
    TokenInvalid(&'static str),
}

/// What a scripted call did.
#[derive(Debug)]
struct Trace {
    /// Each request sent: its attempt, when (virtual ms from the start) and its Authorization.
    sends: Vec<(u32, u64, Option<String>)>,
    /// Each wait asked for.
    waits: Vec<(u64, RetryReason)>,
    reports: Vec<Report>,
    done: Done,
    /// Virtual ms from the start to the end.
    elapsed: u64,
}

fn settings(max_retries: u32, base: u64, max: u64, timeout_ms: Option<u32>) -> CallSettings {
    CallSettings {
        retry: RetryPolicy {
            max_retries,
            base_delay_ms: base,
            max_delay_ms: max,
        },
        timeout_ms,
        token_per_attempt: false,
    }
}

fn config() -> ClientConfig {
    ClientConfig::new(
        Some("https://your-domain.atlassian.net"),
        Auth::Basic {
            email: "me@example.com".into(),
            api_token: "sekrit-api-token".into(),
        },
    )
    .unwrap()
}

fn get_user_call(settings: CallSettings) -> Call {
    let params = GetUserParams {
        account_id: "5b10ac8d82e05b22cc7d4ef5".into(),
        expand: vec![],
    };
    Call::new(
        config().request(&params).unwrap(),
        GetUserParams::SHAPE,
        settings,
    )
}

/// Runs `call` against `answers` (one per send or token step) with a fixed `random`; an abort
/// during a wait is `abort_in_wait` (the index of the wait it interrupts).
fn run_with(
    mut call: Call,
    answers: &[Answer],
    random: f64,
    abort_in_wait: Option<usize>,
) -> Trace {
    let redact = |s: &str| s.to_owned();
    let mut now = T0;
    let mut answers = answers.iter().cloned();
    let mut trace = Trace {
        sends: vec![],
        waits: vec![],
        reports: vec![],
        done: Done {
            end: End::Success,
            attempts: 0,
            retry_after_ms: None,
        },
        elapsed: 0,
    };
    let mut step = call.start();
    for _ in 0..1000 {
        while let Some(report) = call.poll_report() {
            trace.reports.push(report);
        }
        step = match step {
            Step::Over => panic!("Over before Done"),
            Step::Done(done) => {
                trace.done = done;
                trace.elapsed = now - T0;
                return trace;
            }
            Step::Wait { ms, reason } => {
                trace.waits.push((ms, reason));
                if abort_in_wait == Some(trace.waits.len() - 1) {
                    now += ms / 2;
                    call.handle(Input::Aborted, now, random, &redact)
                } else {
                    now += ms;
                    call.handle(Input::Waited, now, random, &redact)
                }
            }
            Step::Token { timeout_ms, .. } => match answers.next().expect("a token answer") {
                Answer::Token(t) => call.handle(Input::Token(t), now, random, &redact),
                Answer::TokenInvalid(why) => {
                    call.handle(Input::TokenInvalid(why), now, random, &redact)
                }
                Answer::Hang => {
                    now += u64::from(timeout_ms.expect("a timeout"));
                    call.handle(Input::TimedOut, now, random, &redact)
                }
                Answer::AbortAfter(ms) => {
                    now += ms;
                    call.handle(Input::Aborted, now, random, &redact)
                }
                _ => panic!("not a token answer"),
            },
            Step::Send {
                attempt,
                timeout_ms,
            } => {
                let auth = call
                    .request()
                    .headers
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == "Authorization")
                    .map(|(_, v)| v.clone());
                trace.sends.push((attempt, now - T0, auth));
                let answer = answers.next().expect("an answer for every request");
                let response = |status, content_type, retry_after, body| Response {
                    status,
                    content_type,
                    retry_after,
                    body,
                    elapsed_ms: RTT as f64,
                };
                match answer {
                    Answer::Status(status, retry_after, body) => {
                        now += RTT;
                        let r = response(status, Some("application/json"), retry_after, body);
                        call.handle(Input::Response(r), now, random, &redact)
                    }
                    Answer::Ok(body) => {
                        now += RTT;
                        let r = response(200, Some("application/json"), None, body);
                        call.handle(Input::Response(r), now, random, &redact)
                    }
                    Answer::Body(status, content_type, body) => {
                        now += RTT;
                        let r = response(status, content_type, None, body);
                        call.handle(Input::Response(r), now, random, &redact)
                    }
                    Answer::Net(message) => {
                        now += 1;
                        call.handle(Input::NetworkFailure(message), now, random, &redact)
                    }
                    Answer::Hang => {
                        now += u64::from(timeout_ms.expect("a hang needs a timeout to end"));
                        call.handle(Input::TimedOut, now, random, &redact)
                    }
                    Answer::AbortAfter(ms) => {
                        now += ms;
                        call.handle(Input::Aborted, now, random, &redact)
                    }
                    Answer::Token(_) | Answer::TokenInvalid(_) => panic!("not a send answer"),
                }
            }
        };
    }
    panic!("the call did not end in 1000 steps")
}

fn run(call: Call, answers: &[Answer]) -> Trace {
    run_with(call, answers, 0.5, None)
}

fn status(s: u16) -> Answer {
    Answer::Status(s, None, b"{}")
}

fn storm(n: usize, s: u16) -> Vec<Answer> {
    vec![status(s); n]
}

fn waits(trace: &Trace) -> Vec<u64> {
    trace.waits.iter().map(|(ms, _)| *ms).collect()
}

#[test]
fn retry_after_seconds_is_the_floor_of_the_wait() {
    // faults: 'Retry-After: "1" (seconds) is the floor of the wait'
    let call = get_user_call(settings(3, 20, 2000, Some(30_000)));
    let t = run(
        call,
        &[Answer::Status(429, Some("1"), b"{}"), Answer::Ok(USER)],
    );
    assert_eq!(t.done.end, End::Success);
    assert_eq!(t.done.attempts, 2);
    assert_eq!(waits(&t), [1000]);
    assert_eq!(
        t.sends[1].1,
        RTT + 1000,
        "the retry is sent 1000 ms after the 429"
    );
}

#[test]
fn retry_after_as_an_http_date_is_waited_for_until_that_date() {
    // faults: "Retry-After as an HTTP date ~1 s ahead"; the 429 arrives at T0 + 5 ms.
    let call = get_user_call(settings(3, 20, 3000, Some(30_000)));
    let t = run(
        call,
        &[
            Answer::Status(429, Some("Wed, 21 Oct 2015 07:28:01 GMT"), b"{}"),
            Answer::Ok(USER),
        ],
    );
    assert_eq!(t.done.end, End::Success);
    assert_eq!(waits(&t), [995]);
    assert_eq!(t.sends[1].1, 1000, "the retry goes out exactly at the date");
}

#[test]
fn retry_after_in_the_past_leaves_plain_backoff() {
    // faults: "Retry-After as an HTTP date in the past: retried without waiting for it"
    let past = Answer::Status(429, Some("Wed, 21 Oct 2015 07:00:00 GMT"), b"{}");
    let t = run(
        get_user_call(settings(3, 20, 200, Some(30_000))),
        &vec![past; 4],
    );
    assert_eq!(t.done.end, End::Http { status: 429 });
    assert_eq!(t.done.attempts, 4);
    assert_eq!(waits(&t), [10, 20, 40], "half of 20, 40, 80 (random 0.5)");
    assert_eq!(t.done.retry_after_ms, Some(0));
}

#[test]
fn retry_after_beyond_max_delay_fails_at_once_with_retry_after_ms() {
    // faults: "Retry-After beyond maxDelayMs (1 s vs 200 ms)", "503 with Retry-After beyond
    // maxDelayMs", 'Retry-After: "9223372036854775807" fails at once'
    for (s, value, ms) in [
        (429, "1", 1000),
        (503, "5", 5000),
        (429, "9223372036854775807", u64::MAX),
    ] {
        let t = run(
            get_user_call(settings(3, 20, 200, Some(30_000))),
            &[Answer::Status(s, Some(value), b"{}")],
        );
        assert_eq!(t.done.end, End::Http { status: s }, "{value}");
        assert_eq!(t.done.attempts, 1);
        assert_eq!(t.done.retry_after_ms, Some(ms));
        assert!(t.waits.is_empty(), "no sleep");
        assert_eq!(t.elapsed, RTT);
    }
}

#[test]
fn status_429_without_retry_after_backs_off_then_gives_up() {
    // faults: "429 without Retry-After: backoff retries, then http 429 with attempts maxRetries+1"
    let t = run_with(
        get_user_call(settings(3, 20, 200, Some(30_000))),
        &storm(4, 429),
        0.999,
        None,
    );
    assert_eq!(t.done.end, End::Http { status: 429 });
    assert_eq!(t.done.attempts, 4);
    assert_eq!(t.done.retry_after_ms, None, "the server asked for no delay");
    assert_eq!(waits(&t), [19, 39, 79], "just under 20, 40, 80 ms");
    // Retry-After: 0 on every attempt: retried, the final retryAfterMs is 0.
    let zero = Answer::Status(429, Some("0"), b"{}");
    let t = run(get_user_call(settings(3, 20, 200, None)), &vec![zero; 4]);
    assert_eq!(
        (t.done.attempts, t.done.retry_after_ms),
        (4, Some(0)),
        "{t:?}"
    );
}

#[test]
fn each_backoff_wait_is_capped_at_max_delay() {
    // faults: "each backoff wait is capped at maxDelayMs (base 150, max 160)"
    let t = run_with(
        get_user_call(settings(3, 150, 160, None)),
        &storm(4, 503),
        0.999_999,
        None,
    );
    assert_eq!(waits(&t), [149, 159, 159], "never above 160");
    assert_eq!(t.done.end, End::Http { status: 503 });
}

#[test]
fn the_default_policy_waits_within_500_1000_2000_and_honours_retry_after_up_to_30_s() {
    // faults: "the default retry policy: 3 retries, waits within 500, 1000, 2000 ms",
    // "the default maxDelayMs is 30000: Retry-After 30 is waited for, 31 fails at once",
    // "Retry-After is the floor: with Retry-After 2 and tiny backoff, the wait is exactly 2000 ms"
    let defaults = CallSettings {
        retry: RetryPolicy::default(),
        timeout_ms: Some(30_000),
        token_per_attempt: false,
    };
    let t = run_with(get_user_call(defaults), &storm(4, 503), 0.999_999, None);
    assert_eq!(waits(&t), [499, 999, 1999]);
    assert_eq!(t.done.attempts, 4);
    let t = run(
        get_user_call(defaults),
        &[Answer::Status(429, Some("30"), b"{}"), Answer::Ok(USER)],
    );
    assert_eq!(waits(&t), [30_000]);
    assert_eq!(t.done.end, End::Success);
    let t = run(
        get_user_call(defaults),
        &[Answer::Status(429, Some("31"), b"{}")],
    );
    assert_eq!((t.done.attempts, t.done.retry_after_ms), (1, Some(31_000)));
    let t = run(
        get_user_call(settings(3, 1, 30_000, None)),
        &[Answer::Status(429, Some("2"), b"{}"), Answer::Ok(USER)],
    );
    assert_eq!(waits(&t), [2000]);
}

#[test]
fn full_jitter_spreads_the_wait_over_zero_to_the_ceiling() {
    // faults: "full jitter: 40 first waits with base = max = 1000 ms spread over [0, 1000]",
    // "exponential growth: the n-th wait is within base * 2^(n-1)"
    let first: Vec<u64> = (0..40)
        .map(|i| {
            let random = f64::from(i) / 40.0;
            let t = run_with(
                get_user_call(settings(1, 1000, 1000, None)),
                &[status(503), Answer::Ok(USER)],
                random,
                None,
            );
            waits(&t)[0]
        })
        .collect();
    assert_eq!(first[0], 0);
    assert_eq!(first[39], 975);
    assert!(first.windows(2).all(|w| w[0] < w[1]), "{first:?}");
    let t = run_with(
        get_user_call(settings(6, 100, 30_000, None)),
        &storm(7, 503),
        0.999_999,
        None,
    );
    assert_eq!(waits(&t), [99, 199, 399, 799, 1599, 3199]);
}

#[test]
fn gateway_storms_are_retried_up_to_max_retries() {
    // faults: "a 503 storm of maxRetries (3) then 200", "a 503 storm longer than maxRetries",
    // "maxRetries 5: a storm of 5 503s still resolves", "502 and 504 are retried",
    // "retry: false sends one request on 503; maxRetries 0 likewise"
    let mut answers = storm(3, 503);
    answers.push(Answer::Ok(USER));
    let t = run(get_user_call(settings(3, 10, 100, None)), &answers);
    assert_eq!((t.done.end, t.done.attempts), (End::Success, 4));
    let t = run(get_user_call(settings(3, 10, 100, None)), &storm(4, 503));
    assert_eq!(
        (t.done.end, t.done.attempts),
        (End::Http { status: 503 }, 4)
    );
    let mut answers = storm(5, 503);
    answers.push(Answer::Ok(USER));
    let t = run(get_user_call(settings(5, 10, 100, None)), &answers);
    assert_eq!((t.done.end, t.done.attempts), (End::Success, 6));
    for s in [502, 504, 429] {
        let t = run(
            get_user_call(settings(3, 10, 100, None)),
            &[status(s), Answer::Ok(USER)],
        );
        assert_eq!((t.done.end, t.done.attempts), (End::Success, 2), "{s}");
        assert_eq!(t.waits[0].1, RetryReason::Status);
    }
    let none = CallSettings {
        retry: RetryPolicy::NONE,
        timeout_ms: None,
        token_per_attempt: false,
    };
    let t = run(get_user_call(none), &[status(503)]);
    assert_eq!(
        (t.done.end, t.done.attempts),
        (End::Http { status: 503 }, 1)
    );
}

#[test]
fn other_statuses_end_the_call_at_once() {
    // faults: "401 ... is not retried", "404 ... is not retried"
    for s in [400, 401, 403, 404, 500, 501] {
        let t = run(get_user_call(settings(3, 10, 100, None)), &[status(s)]);
        assert_eq!(t.done.end, End::Http { status: s });
        assert_eq!(t.done.attempts, 1);
        assert!(t.waits.is_empty());
    }
}

#[test]
fn network_failures_are_retried_then_reported_with_their_cause() {
    // faults: "connection reset before any byte", "connection refused: retried as network,
    // attempts maxRetries+1", "a custom fetch that throws: retried, attempts = calls",
    // "reset in the middle of the body"
    let reset = Answer::Net("fetch failed (other side closed)");
    let t = run(
        get_user_call(settings(3, 10, 100, None)),
        &[reset.clone(), Answer::Ok(USER)],
    );
    assert_eq!((t.done.end, t.done.attempts), (End::Success, 2));
    assert_eq!(t.waits[0].1, RetryReason::Network);
    let t = run(get_user_call(settings(3, 10, 100, None)), &vec![reset; 4]);
    assert_eq!(t.done.attempts, 4);
    assert_eq!(
        t.done.end,
        End::Failed {
            error: Error::Network {
                message: "fetch failed (other side closed)".into()
            },
            caused_by_input: true,
        }
    );
    assert!(t.reports.iter().any(|r| matches!(
        r,
        Report::Retry {
            status: 0,
            reason: RetryReason::Network,
            ..
        }
    )));
}

#[test]
fn a_request_the_runtime_refuses_is_not_retried() {
    let t = run(
        get_user_call(settings(3, 10, 100, None)),
        &[Answer::Net(
            "Failed to parse URL from /wiki/rest/api/user (Invalid URL)",
        )],
    );
    assert_eq!(t.done.attempts, 1);
    assert!(matches!(
        t.done.end,
        End::Failed {
            error: Error::Network { .. },
            caused_by_input: true
        }
    ));
}

#[test]
fn timed_out_attempts_are_retried_and_the_last_one_is_a_timeout() {
    // faults: "a hang with timeout 200: every attempt times out, final kind timeout, bounded
    // time", "one hang then a good answer", "the timeout option really bounds an attempt",
    // "a slow drip ... longer than the timeout: timeout, retried"
    let t = run(
        get_user_call(settings(3, 10, 100, Some(200))),
        &[Answer::Hang, Answer::Hang, Answer::Hang, Answer::Hang],
    );
    assert_eq!(
        t.done.end,
        End::Failed {
            error: Error::Timeout { timeout_ms: 200 },
            caused_by_input: false
        }
    );
    assert_eq!(t.done.attempts, 4);
    assert!(t.waits.iter().all(|(_, r)| *r == RetryReason::Timeout));
    assert_eq!(
        t.elapsed,
        4 * 200 + 5 + 10 + 20,
        "four timeouts and three waits"
    );
    let t = run(
        get_user_call(settings(3, 10, 100, Some(150))),
        &[Answer::Hang, Answer::Ok(USER)],
    );
    assert_eq!((t.done.end, t.done.attempts), (End::Success, 2));
    assert_eq!(t.sends[1].1, 150 + 5);
    // Every send carries the attempt's timeout; none without one.
    let mut call = get_user_call(settings(3, 10, 100, None));
    assert!(matches!(
        call.start(),
        Step::Send {
            timeout_ms: None,
            ..
        }
    ));
}

#[test]
fn an_abort_ends_the_call_wherever_it_comes() {
    // faults: "abort during a hang: rejects ..., kind aborted", "abort while the body drips in",
    // "abort during a backoff sleep (503, Retry-After 1): rejects at once, attempts 1, no retry
    // is sent later", "an already-aborted signal sends nothing (attempts 0)"
    let aborted = End::Failed {
        error: Error::Aborted,
        caused_by_input: false,
    };
    let t = run(
        get_user_call(settings(3, 10, 100, Some(30_000))),
        &[Answer::AbortAfter(50)],
    );
    assert_eq!((&t.done.end, t.done.attempts, t.elapsed), (&aborted, 1, 50));
    let t = run_with(
        get_user_call(settings(3, 10, 2000, None)),
        &[Answer::Status(503, Some("1"), b"{}")],
        0.5,
        Some(0),
    );
    assert_eq!((&t.done.end, t.done.attempts), (&aborted, 1));
    assert_eq!(t.sends.len(), 1, "no retry after the abort");
    assert_eq!(
        t.elapsed,
        RTT + 500,
        "the abort came half-way through the wait"
    );
    // Aborted before the first step: nothing is ever sent.
    let mut call = get_user_call(settings(3, 10, 100, None));
    let redact = |s: &str| s.to_owned();
    let Step::Done(done) = call.handle(Input::Aborted, T0, 0.5, &redact) else {
        panic!("not done")
    };
    assert_eq!((done.end, done.attempts), (aborted.clone(), 0));
    // Whatever comes after the end changes nothing.
    let late = Response {
        status: 200,
        content_type: None,
        retry_after: None,
        body: USER,
        elapsed_ms: 1.0,
    };
    assert_eq!(
        call.handle(Input::Response(late), T0, 0.5, &redact),
        Step::Over
    );
    assert_eq!(call.attempts(), 0);
    assert_eq!(call.poll_report(), None);
}

#[test]
fn a_request_the_gate_holds_back_is_neither_sent_nor_reported() {
    let redact = |s: &str| s.to_owned();
    let pause = LongPause {
        remaining_ms: 60_000,
        status: 503,
    };
    // Held before the first send (the client is paused for longer than retry.maxDelayMs):
    // the error of the response behind the pause, with retryAfterMs, and 0 attempts.
    let mut call = get_user_call(settings(3, 10, 30_000, None));
    assert!(matches!(call.start(), Step::Send { attempt: 1, .. }));
    let Step::Done(done) = call.handle(Input::Held(Held::TooLong(pause)), T0, 0.5, &redact) else {
        panic!("not done")
    };
    assert_eq!(done.attempts, 0);
    assert_eq!(done.retry_after_ms, Some(60_000));
    let End::Failed {
        error,
        caused_by_input: false,
    } = &done.end
    else {
        panic!("not a failure: {:?}", done.end)
    };
    assert_eq!(error.status(), 503);
    assert!(
        error.to_string().contains("another 60000 ms")
            && error.to_string().contains("nothing was sent"),
        "{error}"
    );
    assert_eq!(
        call.poll_report(),
        None,
        "the unsent request is not reported"
    );
    // Aborted while queued before the first send: 0 attempts, nothing reported.
    let mut call = get_user_call(settings(3, 10, 30_000, None));
    call.start();
    let Step::Done(done) = call.handle(Input::Held(Held::Aborted), T0, 0.5, &redact) else {
        panic!("not done")
    };
    assert_eq!(
        (done.end, done.attempts, done.retry_after_ms),
        (
            End::Failed {
                error: Error::Aborted,
                caused_by_input: false
            },
            0,
            None
        )
    );
    assert_eq!(call.poll_report(), None);
    // Held during a retry's backoff wait: the attempts already sent count, their reports stay.
    let mut call = get_user_call(settings(3, 10, 30_000, None));
    call.start();
    let busy = Response {
        status: 503,
        content_type: None,
        retry_after: None,
        body: b"",
        elapsed_ms: 1.0,
    };
    assert!(matches!(
        call.handle(Input::Response(busy), T0, 0.5, &redact),
        Step::Wait { .. }
    ));
    let Step::Done(done) = call.handle(Input::Held(Held::TooLong(pause)), T0 + 5, 0.5, &redact)
    else {
        panic!("not done")
    };
    assert_eq!((done.attempts, done.retry_after_ms), (1, Some(60_000)));
    let mut reports = Vec::new();
    while let Some(r) = call.poll_report() {
        reports.push(r);
    }
    assert!(
        matches!(
            reports[..],
            [
                Report::Request { attempt: 1 },
                Report::Response {
                    attempt: 1,
                    status: 503,
                    ..
                },
                Report::Retry { attempt: 1, .. }
            ]
        ),
        "{reports:?}"
    );
    // Held at a token step (a token client): nothing was counted yet, nothing is undone.
    let mut call = token_call(None);
    assert!(matches!(call.start(), Step::Token { attempt: 1, .. }));
    let Step::Done(done) = call.handle(Input::Held(Held::Aborted), T0, 0.5, &redact) else {
        panic!("not done")
    };
    assert_eq!(done.attempts, 0);
}

#[test]
fn the_hooks_hear_every_request_response_and_retry_in_order() {
    let t = run(
        get_user_call(settings(3, 100, 1000, None)),
        &[Answer::Status(503, Some("1"), b"{}"), Answer::Ok(USER)],
    );
    assert_eq!(
        t.reports,
        [
            Report::Request { attempt: 1 },
            Report::Response {
                attempt: 1,
                status: 503,
                elapsed_ms: 5.0
            },
            Report::Retry {
                attempt: 1,
                status: 503,
                reason: RetryReason::Status,
                delay_ms: 1000
            },
            Report::Request { attempt: 2 },
            Report::Response {
                attempt: 2,
                status: 200,
                elapsed_ms: 5.0
            },
        ]
    );
    // A timeout is reported as a retry with status 0 and no response.
    let t = run(
        get_user_call(settings(1, 100, 1000, Some(50))),
        &[Answer::Hang, Answer::Ok(USER)],
    );
    assert_eq!(
        t.reports[1],
        Report::Retry {
            attempt: 1,
            status: 0,
            reason: RetryReason::Timeout,
            delay_ms: 50
        }
    );
}

#[test]
fn a_2xx_body_is_validated_against_the_model() {
    // faults: "a cut body delimited by the connection close looks complete to the transport:
    // decode, not retried"; hostile 2xx bodies
    for (content_type, body) in [
        (
            Some("application/json"),
            &br#"{"type":"known","accountId":"5b10"#[..],
        ),
        (Some("application/json"), b"[]"),
        (Some("text/html"), b"<html></html>"),
        (Some("application/json"), b"  "),
    ] {
        let t = run(
            get_user_call(settings(3, 10, 100, None)),
            &[Answer::Body(200, content_type, body)],
        );
        assert!(
            matches!(t.done.end, End::Decode(Error::Decode { status: 200, .. })),
            "{:?}",
            t.done
        );
        assert_eq!(t.done.attempts, 1, "a bad body is not retried");
    }
    // A byte order mark and no content type are fine: a text decoder drops the former.
    let t = run(
        get_user_call(settings(3, 10, 100, None)),
        &[Answer::Body(
            200,
            None,
            b"\xEF\xBB\xBF{\"type\":\"known\",\"accountId\":\"a\"}",
        )],
    );
    assert_eq!(t.done.end, End::Success);
}

#[test]
fn a_validation_error_passes_through_redaction() {
    let mut call = get_user_call(settings(0, 0, 0, None));
    let Step::Send { .. } = call.start() else {
        panic!()
    };
    let body = br#"{"type":"known","accountId":"sekrit-api-token","publicName":7}"#;
    let r = Response {
        status: 200,
        content_type: Some("application/json"),
        retry_after: None,
        body,
        elapsed_ms: 1.0,
    };
    let redact = |s: &str| s.replace("sekrit", "[redacted]");
    let Step::Done(Done {
        end: End::Decode(err),
        ..
    }) = call.handle(Input::Response(r), T0, 0.5, &redact)
    else {
        panic!("not a decode error")
    };
    assert!(!format!("{err:?}").contains("sekrit"), "{err:?}");
}

fn token_call(timeout_ms: Option<u32>) -> Call {
    let config = ClientConfig::new(Some("https://your-domain.atlassian.net"), Auth::None).unwrap();
    let params = GetUserParams {
        account_id: "5b10ac8d82e05b22cc7d4ef5".into(),
        expand: vec![],
    };
    Call::new(
        config.request(&params).unwrap(),
        GetUserParams::SHAPE,
        CallSettings {
            token_per_attempt: true,
            ..settings(3, 10, 100, timeout_ms)
        },
    )
}

#[test]
fn each_attempt_asks_for_the_current_token() {
    let t = run(
        token_call(None),
        &[
            Answer::Token("first-token"),
            status(503),
            Answer::Token("refreshed-token"),
            Answer::Ok(USER),
        ],
    );
    assert_eq!(t.done.end, End::Success);
    let auth: Vec<_> = t.sends.iter().map(|s| s.2.clone().unwrap()).collect();
    assert_eq!(auth, ["Bearer first-token", "Bearer refreshed-token"]);
    // A client without a token source sends its own header, once.
    let t = run(get_user_call(settings(0, 0, 0, None)), &[Answer::Ok(USER)]);
    assert!(t.sends[0].2.as_deref().unwrap().starts_with("Basic "));
}

#[test]
fn a_token_source_failure_ends_the_call_unsent() {
    // Threw or rejected: invalidArgument, with what it threw as the cause.
    let t = run(
        token_call(None),
        &[Answer::TokenInvalid("auth.token threw: boom")],
    );
    assert_eq!(
        t.done.end,
        End::Failed {
            error: Error::InvalidArgument {
                message: "auth.token threw: boom".into()
            },
            caused_by_input: true
        }
    );
    assert_eq!(t.done.attempts, 0);
    // A token that could forge a header is refused, never sent.
    let t = run(token_call(None), &[Answer::Token("a\r\nX-Evil: 1")]);
    assert!(matches!(
        t.done.end,
        End::Failed {
            error: Error::InvalidArgument { .. },
            caused_by_input: false
        }
    ));
    assert!(t.sends.is_empty());
    // A token promise that never settles times out, without a retry.
    let t = run(token_call(Some(100)), &[Answer::Hang]);
    assert_eq!(
        (t.done.end, t.done.attempts, t.elapsed),
        (
            End::Failed {
                error: Error::Timeout { timeout_ms: 100 },
                caused_by_input: false
            },
            0,
            100
        )
    );
    // The second attempt's token wait times out: the call ends after one request.
    let t = run(
        token_call(Some(100)),
        &[Answer::Token("t1-token"), status(503), Answer::Hang],
    );
    assert_eq!(t.done.attempts, 1);
    assert!(matches!(
        t.done.end,
        End::Failed {
            error: Error::Timeout { .. },
            ..
        }
    ));
    let t = run(token_call(None), &[Answer::AbortAfter(3)]);
    assert_eq!(t.done.attempts, 0);
}

fn ids(n: usize) -> Vec<confluence_users::models::AccountId> {
    (0..n).map(|i| format!("id-{i:04}").into()).collect()
}

#[test]
fn a_bulk_call_is_cut_into_requests_of_at_most_200_ids() {
    let params = GetBulkUserLookupParams {
        account_ids: ids(450),
        expand: vec![],
        limit: None,
    };
    let bulk = BulkCall::new(&config(), &params, 2).unwrap();
    assert!(!bulk.is_single());
    let counts: Vec<usize> = (0..3)
        .map(|i| {
            let url = &bulk.request(i).unwrap().url;
            url.split("accountId=").nth(1).unwrap().split(',').count()
        })
        .collect();
    assert_eq!(counts, [200, 200, 50]);
    // Each request asks for the next run of ids, in the caller's order.
    let sent: Vec<String> = (0..3)
        .flat_map(|i| {
            let url = &bulk.request(i).unwrap().url;
            let list = url.split("accountId=").nth(1).unwrap();
            let list = list.split('&').next().unwrap().to_owned();
            list.split(',').map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    let asked: Vec<String> = ids(450).into_iter().map(|id| id.0).collect();
    assert_eq!(sent, asked);
    assert!(bulk.request(3).is_none());
    assert_eq!(bulk.fan_out.workers(), 2);
    assert_eq!(bulk.limit(), 450);
    // Every request carries the client's credentials.
    assert!(bulk
        .request(2)
        .unwrap()
        .headers
        .iter()
        .any(|(n, _)| *n == "Authorization"));
    let single = BulkCall::new(
        &config(),
        &GetPrivacyUnsafeUserEmailBulkParams {
            account_ids: ids(3),
        },
        5,
    )
    .unwrap();
    assert!(single.is_single());
    assert!(
        single
            .request(0)
            .unwrap()
            .url
            .ends_with("?accountId=id-0000,id-0001,id-0002"),
        "{}",
        single.request(0).unwrap().url
    );
    assert_eq!(single.fan_out.workers(), 1);
    let url = single.request(0).unwrap().url.clone();
    let mut single = single;
    assert_eq!(single.take_single().map(|r| r.url), Some(url));
    assert!(single.request(0).is_none(), "the request moved out");
    let mut bulk = bulk;
    assert!(bulk.take_single().is_none(), "three requests are not one");
    assert!(bulk.request(2).is_some(), "and stay");
    // Bad ids are refused before anything is sent.
    let bad = GetBulkUserLookupParams {
        account_ids: vec!["a".into(), "b,c".into()],
        expand: vec![],
        limit: None,
    };
    let err = BulkCall::new(&config(), &bad, 2).unwrap_err();
    assert!(
        err.to_string().contains("accountIds[1] contains a comma"),
        "{err}"
    );
}

#[test]
fn the_fan_out_stops_at_the_first_failure_and_says_how_far_it_got() {
    // 5 chunks of 10, 2 workers: chunks 0 and 1 start; 1 finishes, 2 starts; 0 fails; 2
    // finishes; nothing else starts.
    let chunks = (0..5).map(|i| i * 10..i * 10 + 10).collect();
    let mut fan = FanOut::new(chunks, 50, 2);
    assert_eq!(fan.workers(), 2);
    assert_eq!((fan.next_chunk(), fan.next_chunk()), (Some(0), Some(1)));
    fan.finished(1);
    assert_eq!(fan.next_chunk(), Some(2));
    fan.failed();
    fan.finished(2);
    assert_eq!(fan.next_chunk(), None);
    assert_eq!(
        (fan.values_done(), fan.total(), fan.chunk_count()),
        (20, 50, 5)
    );
    assert_eq!(
        fan.failure_message("getBulkUserLookup: 500 Internal Server Error", "ids"),
        "getBulkUserLookup: 500 Internal Server Error (20 of 50 ids were looked up before this failure)"
    );
    // One request: the message is the request's own.
    let one = FanOut::new(std::iter::once(0..3).collect(), 3, 4);
    assert_eq!(one.failure_message("m", "ids"), "m");
    assert_eq!(one.workers(), 1);
    // All succeed: each chunk once, in order, with concurrency 1.
    let mut fan = FanOut::new(vec![0..1, 1..2, 2..3], 3, 1);
    let mut order = vec![];
    while let Some(c) = fan.next_chunk() {
        order.push(c);
        fan.finished(c);
    }
    assert_eq!(order, [0, 1, 2]);
    assert_eq!(FanOut::new(vec![], 0, 0).workers(), 1);
}

/// The merge of responses whose records have these account ids, chunk by chunk.
fn merge_of(bulk: &BulkCall, chunks: &[&[Option<&str>]]) -> Vec<RecordAt> {
    let mut merge = bulk.merge();
    for (chunk, ids) in chunks.iter().enumerate() {
        for (index, id) in ids.iter().enumerate() {
            merge.record(chunk, index, *id);
        }
    }
    merge.finish()
}

#[test]
fn bulk_records_merge_in_input_order_once_each_up_to_the_limit() {
    let list: Vec<confluence_users::models::AccountId> = ["c", "a", "b", "a", "d"]
        .into_iter()
        .map(Into::into)
        .collect();
    let mut params = GetBulkUserLookupParams {
        account_ids: list,
        expand: vec![],
        limit: None,
    };
    let bulk = BulkCall::new(&config(), &params, 2).unwrap();
    // Responses answer in their own order, repeat a record, add one nobody asked for and omit
    // an unknown id ("d").
    let chunk0 = [
        Some("b"),
        Some("stranger"),
        Some("c"),
        None,
        Some("a"),
        Some("c"),
    ];
    let merged = merge_of(&bulk, &[&chunk0]);
    assert_eq!(
        merged,
        [
            RecordAt { chunk: 0, index: 2 },
            RecordAt { chunk: 0, index: 4 },
            RecordAt { chunk: 0, index: 0 },
        ]
    );
    // Across chunks, with a limit for the whole call.
    params.limit = Some(2);
    let bulk = BulkCall::new(&config(), &params, 2).unwrap();
    assert_eq!(bulk.limit(), 2);
    let merged = merge_of(&bulk, &[&[Some("a")][..], &[Some("c"), Some("b")][..]]);
    assert_eq!(
        merged,
        [
            RecordAt { chunk: 1, index: 0 },
            RecordAt { chunk: 0, index: 0 }
        ]
    );
}

#[test]
fn a_group_walk_follows_start_plus_size_while_a_next_link_exists() {
    // faults: "paginateGroupMembershipsForUser: ... all 250 groups arrive" (its retry is the
    // call driver's, tested above)
    let config = config();
    let params = GetGroupMembershipsForUserParams {
        account_id: "abc".into(),
        start: None,
        limit: Some(100),
    };
    let mut walk = GroupWalk::new(&config, params).unwrap();
    let mut urls = vec![];
    for page in [(0, 100, true), (100, 100, true), (200, 50, false)] {
        urls.push(walk.next_request(&config).unwrap().unwrap().url);
        walk.page(PageInfo {
            start: page.0,
            size: page.1,
            has_next: page.2,
        });
    }
    assert!(walk.next_request(&config).is_none());
    assert!(
        urls[0].ends_with("memberof?accountId=abc&limit=100"),
        "{}",
        urls[0]
    );
    assert!(urls[2].contains("start=200"), "{}", urls[2]);
    // A page that does not move forward ends the walk; so does `stop`.
    let params = GetGroupMembershipsForUserParams {
        account_id: "abc".into(),
        start: Some(5),
        limit: None,
    };
    let mut walk = GroupWalk::new(&config, params.clone()).unwrap();
    walk.page(PageInfo {
        start: 0,
        size: 10,
        has_next: true,
    });
    assert!(walk.next_request(&config).is_none());
    let mut walk = GroupWalk::new(&config, params).unwrap();
    walk.stop();
    assert!(walk.next_request(&config).is_none());
    // Invalid params are refused before the walk exists.
    let bad = GetGroupMembershipsForUserParams {
        account_id: "abc".into(),
        start: Some(-1),
        limit: None,
    };
    assert!(GroupWalk::new(&config, bad).is_err());
}

/// Gives `m` each answer of a page.
fn answer_all<'a>(m: &'a mut Migration, answers: &[(Option<&str>, bool)]) -> &'a mut Migration {
    for (echoed, has_account_id) in answers {
        m.answer(
            *echoed,
            has_account_id.then_some("5b10ac8d82e05b22cc7d4ef5"),
        );
    }
    // Answers that count for no value: an empty account id, and an echo nobody asked for.
    m.answer(Some("stranger"), Some(""));
    m
}

fn usernames(list: &[&str]) -> GetBulkUserMigrationParams {
    GetBulkUserMigrationParams {
        usernames: Some(list.iter().map(|s| (*s).to_owned()).collect()),
        ..Default::default()
    }
}

#[test]
fn a_migration_walk_follows_each_chunk_and_reports_every_value_once() {
    let config = config();
    let names: Vec<String> = (0..250).map(|i| format!("user{i}")).collect();
    let list: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut m = Migration::new(&config, &usernames(&list), true, 2).unwrap();
    assert_eq!((m.field(), m.noun()), ("username", "usernames"));
    // Chunk 0 (200 values) comes in two pages; the server answers 199 of them.
    let first = m.first_page(&config, 0).unwrap().unwrap();
    assert_eq!(first.chunk, 0);
    let answers: Vec<(Option<&str>, bool)> = list[..100].iter().map(|n| (Some(*n), true)).collect();
    let end = answer_all(&mut m, &answers)
        .page_fetched(
            &config,
            &first,
            PageInfo {
                start: 0,
                size: 100,
                has_next: true,
            },
        )
        .unwrap();
    assert!(end.unanswered.is_empty());
    let second = end.next.clone().unwrap();
    assert!(
        second.request.url.contains("start=100"),
        "{}",
        second.request.url
    );
    let mut answers: Vec<(Option<&str>, bool)> =
        list[100..199].iter().map(|n| (Some(*n), true)).collect();
    answers[0].1 = false; // user100 has no account id
    let end = answer_all(&mut m, &answers)
        .page_fetched(
            &config,
            &second,
            PageInfo {
                start: 100,
                size: 99,
                has_next: false,
            },
        )
        .unwrap();
    assert_eq!(end.next, None);
    assert_eq!(end.unanswered, [199], "user199 was not answered");
    assert_eq!(m.value(199), "user199");
    // The walk goes on with chunk 1's first page, then ends.
    let third = m.walk_next(&config, &second, end.next).unwrap().unwrap();
    assert_eq!(third.chunk, 1);
    let answers: Vec<(Option<&str>, bool)> = list[200..].iter().map(|n| (Some(*n), true)).collect();
    let end = answer_all(&mut m, &answers)
        .page_fetched(
            &config,
            &third,
            PageInfo {
                start: 0,
                size: 50,
                has_next: false,
            },
        )
        .unwrap();
    assert!(m.walk_next(&config, &third, end.next).is_none());
    assert_eq!(m.not_found(), [100, 199]);
    assert_eq!((m.start(), m.limit()), (0, 250));
    assert_eq!(m.fan_out.workers(), 2);
}

#[test]
fn a_migration_window_and_refusals() {
    let config = config();
    let mut params = usernames(&["a", "b", "a", "c", "d"]);
    params.start = Some(1);
    params.limit = Some(2);
    let m = Migration::new(&config, &params, false, 4).unwrap();
    assert_eq!((m.value(0), m.value(1), m.value(2)), ("b", "c", ""));
    assert_eq!((m.start(), m.limit()), (1, 2));
    // An empty account id is no account id.
    let mut m = Migration::new(&config, &usernames(&["a", "b", "c"]), false, 4).unwrap();
    m.answer(Some("a"), Some(""));
    m.answer(Some("b"), Some("5b10ac8d82e05b22cc7d4ef5"));
    assert_eq!(m.not_found(), [0, 2], "a: empty id; c: never answered");
    let err =
        Migration::new(&config, &GetBulkUserMigrationParams::default(), false, 4).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid argument: give one of keys or usernames"
    );
}
