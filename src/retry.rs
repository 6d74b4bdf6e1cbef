//! The retry policy: a pure function from (attempt, outcome, Retry-After, now, a random number)
//! to "wait N ms" or "give up". The skin supplies the clock and the randomness.

/// How failed attempts are retried. Every user operation is an idempotent GET, so all of them
/// may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 turns retrying off).
    pub max_retries: u32,
    /// The backoff before the first retry; it doubles with each retry.
    pub base_delay_ms: u64,
    /// The longest single wait. A `Retry-After` asking for more makes the call fail at once.
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay_ms: 500,
            max_delay_ms: 30_000,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        base_delay_ms: 0,
        max_delay_ms: 0,
    };
}

/// What one attempt came to, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome<'a> {
    /// An HTTP response with this status and `Retry-After` header value.
    Status {
        /// The HTTP status.
        status: u16,
        /// The raw `Retry-After` header, if the response had one.
        retry_after: Option<&'a str>,
    },
    /// No HTTP response: a network failure or a timed-out attempt.
    NoResponse,
    /// No HTTP response because the runtime refused the request itself (see
    /// [`is_unsendable`]): sending it again cannot change that, so it is never retried.
    Unsendable,
}

/// Whether a transport failure (the message of what `fetch` threw, with its cause) says the
/// request itself cannot be sent: an unparsable or relative URL, a URL holding credentials, a
/// header value the runtime refuses. Every runtime throws a `TypeError` for those and for
/// network failures alike, so the message is what tells them apart; these are the wordings of
/// Node (undici), Chromium, Firefox, WebKit, Deno, Bun and node-fetch. Anything else counts as
/// a network failure, which may pass.
pub(crate) fn is_unsendable(message: &str) -> bool {
    const PERMANENT: &[&str] = &[
        "failed to parse url",
        "invalid url",
        "not a valid url",
        "url is invalid",
        "url is not valid",
        "only absolute urls are supported",
        "includes credentials",
        "invalid header",
        "not a valid http header",
    ];
    // ASCII folding is exact here (every phrase is ASCII), and keeps core's Unicode case tables
    // out of the wasm (js-tests/bench/SIZE.md).
    let lower = message.to_ascii_lowercase();
    PERMANENT.iter().any(|p| lower.contains(p))
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Wait this long, then send the request again.
    RetryAfter {
        /// The wait in milliseconds.
        delay_ms: u64,
    },
    /// Stop and report the failure.
    GiveUp,
}

/// Statuses worth another attempt: rate limiting and gateway failures ([`decide`] is the one
/// place that asks).
fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Decides what follows failed attempt number `attempt` (1 for the first request).
///
/// Backoff is exponential with full jitter: `random` (in `[0, 1)`) times
/// `min(max_delay, base_delay * 2^(attempt-1))`. A parseable `Retry-After` is the floor of the
/// wait; one asking for more than `max_delay_ms` gives up at once rather than sleep for it.
/// `now_ms` (milliseconds since the Unix epoch) resolves `Retry-After` HTTP dates.
pub(crate) fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    outcome: Outcome<'_>,
    now_ms: u64,
    random: f64,
) -> Decision {
    let retry_after = match outcome {
        Outcome::Status { status, .. } if !is_retryable_status(status) => return Decision::GiveUp,
        Outcome::Status { retry_after, .. } => {
            retry_after.and_then(|v| parse_retry_after(v, now_ms))
        }
        Outcome::NoResponse => None,
        Outcome::Unsendable => return Decision::GiveUp,
    };
    if attempt > policy.max_retries {
        return Decision::GiveUp;
    }
    if retry_after.is_some_and(|ms| ms > policy.max_delay_ms) {
        return Decision::GiveUp;
    }
    let exponent = attempt.saturating_sub(1).min(63);
    let ceiling = policy
        .base_delay_ms
        .saturating_mul(1u64 << exponent)
        .min(policy.max_delay_ms);
    let random = if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let jittered = (ceiling as f64 * random) as u64;
    Decision::RetryAfter {
        delay_ms: jittered
            .max(retry_after.unwrap_or(0))
            .min(policy.max_delay_ms),
    }
}

/// Parses a `Retry-After` value into milliseconds from `now_ms`: delta-seconds (`120`) or an
/// HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`; a date in the past means 0). Huge values
/// saturate; negative, fractional or unparseable values are `None` (ignored).
pub(crate) fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(seconds.saturating_mul(1000));
    }
    let at_ms = parse_http_date(value)?;
    Some(at_ms.saturating_sub(now_ms))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110 requires senders
/// to use, into milliseconds since the Unix epoch.
fn parse_http_date(value: &str) -> Option<u64> {
    let (weekday, rest) = value.split_once(", ")?;
    if !["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&weekday) {
        return None;
    }
    let mut parts = rest.split(' ');
    let day: u64 = parse_digits(parts.next()?, 2)?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: u64 = parse_digits(parts.next()?, 4)?;
    let mut clock = parts.next()?.split(':');
    let hour: u64 = parse_digits(clock.next()?, 2)?;
    let minute: u64 = parse_digits(clock.next()?, 2)?;
    let second: u64 = parse_digits(clock.next()?, 2)?;
    if parts.next()? != "GMT" || parts.next().is_some() || clock.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((((days * 24 + hour) * 60 + minute) * 60 + second) * 1000)
}

fn parse_digits(s: &str, len: usize) -> Option<u64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// Days from 1970-01-01 to the given date (proleptic Gregorian; Howard Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_445_412_480_000; // Wed, 21 Oct 2015 07:28:00 GMT

    fn status(status: u16, retry_after: Option<&str>) -> Outcome<'_> {
        Outcome::Status {
            status,
            retry_after,
        }
    }

    fn delay(d: Decision) -> u64 {
        match d {
            Decision::RetryAfter { delay_ms } => delay_ms,
            Decision::GiveUp => panic!("gave up"),
        }
    }

    #[test]
    fn only_rate_limits_gateway_errors_and_network_failures_are_retried() {
        let p = RetryPolicy::default();
        for s in [429, 502, 503, 504] {
            assert!(
                matches!(
                    decide(&p, 1, status(s, None), NOW, 0.5),
                    Decision::RetryAfter { .. }
                ),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 405, 409, 413, 414, 422, 500, 501, 505] {
            assert_eq!(
                decide(&p, 1, status(s, None), NOW, 0.5),
                Decision::GiveUp,
                "{s}"
            );
        }
        assert!(matches!(
            decide(&p, 1, Outcome::NoResponse, NOW, 0.5),
            Decision::RetryAfter { .. }
        ));
    }

    #[test]
    fn attempts_stop_after_max_retries() {
        let p = RetryPolicy::default();
        for attempt in 1..=3 {
            assert!(matches!(
                decide(&p, attempt, Outcome::NoResponse, NOW, 0.0),
                Decision::RetryAfter { .. }
            ));
        }
        assert_eq!(
            decide(&p, 4, Outcome::NoResponse, NOW, 0.0),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&RetryPolicy::NONE, 1, status(503, None), NOW, 0.0),
            Decision::GiveUp
        );
    }

    #[test]
    fn full_jitter_stays_within_the_exponential_ceiling() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay_ms: 500,
            max_delay_ms: 30_000,
        };
        let expected_ceilings = [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
        for (i, ceiling) in expected_ceilings.iter().enumerate() {
            let attempt = i as u32 + 1;
            assert_eq!(delay(decide(&p, attempt, Outcome::NoResponse, NOW, 0.0)), 0);
            let top = delay(decide(&p, attempt, Outcome::NoResponse, NOW, 0.999_999));
            assert!(
                top <= *ceiling && top + 1 >= *ceiling,
                "attempt {attempt}: {top}"
            );
            assert_eq!(
                delay(decide(&p, attempt, Outcome::NoResponse, NOW, 0.5)),
                ceiling / 2
            );
        }
        // Out-of-range randomness cannot push the wait past its bounds.
        assert_eq!(delay(decide(&p, 1, Outcome::NoResponse, NOW, 7.0)), 500);
        assert_eq!(delay(decide(&p, 1, Outcome::NoResponse, NOW, -1.0)), 0);
        assert_eq!(delay(decide(&p, 1, Outcome::NoResponse, NOW, f64::NAN)), 0);
        // Huge attempt numbers and base delays saturate instead of overflowing.
        let p = RetryPolicy {
            max_retries: u32::MAX,
            base_delay_ms: u64::MAX,
            max_delay_ms: 30_000,
        };
        assert_eq!(
            delay(decide(&p, u32::MAX, Outcome::NoResponse, NOW, 0.5)),
            15_000
        );
    }

    #[test]
    fn retry_after_is_the_floor_of_the_wait() {
        let p = RetryPolicy::default();
        assert_eq!(delay(decide(&p, 1, status(429, Some("2")), NOW, 0.0)), 2000);
        assert_eq!(
            delay(decide(&p, 1, status(503, Some(" 1 ")), NOW, 0.0)),
            1000
        );
        // The jitter can still ask for more than the floor.
        let p2 = RetryPolicy {
            max_retries: 3,
            base_delay_ms: 10_000,
            max_delay_ms: 30_000,
        };
        assert_eq!(
            delay(decide(&p2, 1, status(429, Some("1")), NOW, 0.5)),
            5000
        );
        assert_eq!(
            delay(decide(
                &p,
                1,
                status(429, Some("Wed, 21 Oct 2015 07:28:05 GMT")),
                NOW,
                0.0
            )),
            5000
        );
        // A date in the past: no floor.
        assert_eq!(
            delay(decide(
                &p,
                1,
                status(429, Some("Wed, 21 Oct 2015 07:00:00 GMT")),
                NOW,
                0.0
            )),
            0
        );
        // Garbage is ignored, leaving plain backoff.
        for garbage in [
            "soon",
            "-5",
            "1.5",
            "",
            "0x10",
            "Wed, 21 Oct 2015 07:28:05 UTC",
        ] {
            assert_eq!(
                delay(decide(&p, 1, status(429, Some(garbage)), NOW, 0.0)),
                0,
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn retry_after_beyond_the_cap_gives_up_at_once() {
        let p = RetryPolicy::default();
        assert_eq!(
            decide(&p, 1, status(429, Some("31")), NOW, 0.0),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&p, 1, status(429, Some("9223372036854775807")), NOW, 0.0),
            Decision::GiveUp
        );
        assert_eq!(
            decide(
                &p,
                1,
                status(503, Some("99999999999999999999999999")),
                NOW,
                0.0
            ),
            Decision::GiveUp
        );
        assert_eq!(
            delay(decide(&p, 1, status(429, Some("30")), NOW, 0.0)),
            30_000
        );
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("0", NOW), Some(0));
        assert_eq!(parse_retry_after("120", NOW), Some(120_000));
        assert_eq!(
            parse_retry_after("9223372036854775807", NOW),
            Some(u64::MAX)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", NOW),
            Some(u64::MAX)
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 08:28:00 GMT", NOW),
            Some(3_600_000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 0),
            Some(784_111_777_000)
        );
        assert_eq!(
            parse_retry_after("Thu, 29 Feb 2024 00:00:00 GMT", 0),
            Some(1_709_164_800_000)
        );
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", 0),
            Some(253_402_300_799_000)
        );
        for bad in [
            "-1",
            "+1",
            "1e3",
            "Wed, 21 Oct 2015 07:28:00",
            "Wed, 21 Foo 2015 07:28:00 GMT",
            "Wed, 32 Oct 2015 07:28:00 GMT",
            "Wed, 21 Oct 2015 24:00:00 GMT",
            "Wed, 21 Oct 1969 07:28:00 GMT",
            "Wed, 1 Oct 2015 07:28:00 GMT",
            "Wed, 21 Oct 2015 07:28:00 GMT extra",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Ｗed, 21 Oct 2015 07:28:00 GMT",
            "١٢",
        ] {
            assert_eq!(parse_retry_after(bad, NOW), None, "{bad:?}");
        }
    }

    #[test]
    fn a_request_the_runtime_cannot_send_is_never_retried() {
        let p = RetryPolicy::default();
        assert_eq!(
            decide(&p, 1, Outcome::Unsendable, NOW, 0.5),
            Decision::GiveUp
        );
        for message in [
            // Node 18-26 (undici), with the cause the skin appends.
            "Failed to parse URL from /wiki/rest/api/user/current (Invalid URL)",
            "Failed to execute 'fetch' on 'Window': Failed to parse URL from /wiki/rest/api/user",
            "Window.fetch: /wiki/rest/api/user is not a valid URL.",
            "URL is not valid or contains user credentials.",
            "Invalid URL: '/wiki/rest/api/user'",
            "fetch() URL is invalid",
            "Only absolute URLs are supported",
            "Request cannot be constructed from a URL that includes credentials",
            "Headers.append: \"a\\nb\" is an invalid header value.",
        ] {
            assert!(is_unsendable(message), "{message}");
        }
        for message in [
            "fetch failed (connect ECONNREFUSED 127.0.0.1:9)",
            "Failed to fetch",
            "NetworkError when attempting to fetch resource.",
            "fetch failed (other side closed)",
            "Load failed",
            "the request failed",
        ] {
            assert!(!is_unsendable(message), "{message}");
        }
    }
}
