//! The client's options, decided here for both front ends: which keys each options object may
//! have, the defaults, the ranges and the messages for values out of them. The wasm skin reads
//! a JS options object into the `Given` values below (a number, `false`, absent, anything
//! else) and asks these functions what the setting is; the native `Client`'s builder checks
//! its typed values with the `check_*` functions those apply, so a default, a range or a
//! message cannot differ between the two. What only a JS options object has (its keys, the
//! `Given` readers, the settings only the JS client has) is compiled for wasm32 and the tests.

use crate::retry::RetryPolicy;
#[cfg(any(target_arch = "wasm32", test))]
use crate::validate::shown;

/// The longest `setTimeout` delay JS engines honour (2^31 - 1 ms); larger ones fire at once.
pub const MAX_TIMER_MS: u64 = 2_147_483_647;
/// The time one attempt may take when `timeout` is not given, in ms.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// How many requests a bulk lookup sends at once when `concurrency` is not given.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The most requests a bulk lookup may send at once.
pub const MAX_CONCURRENCY: usize = 32;
/// The most retries after the first attempt.
pub const MAX_RETRIES: u32 = 100;

#[cfg(target_arch = "wasm32")]
/// The keys of `new ConfluenceClient(options)`.
pub(crate) const CLIENT_FIELDS: &[&str] = &[
    "baseUrl",
    "auth",
    "retry",
    "timeout",
    "concurrency",
    "hooks",
    "fetch",
    "maxConcurrentRequests",
    "coalesce",
    "cache",
];
#[cfg(target_arch = "wasm32")]
/// The keys of `options.hooks`.
pub(crate) const HOOK_FIELDS: &[&str] = &["onRequest", "onResponse", "onRetry", "onRateLimit"];
#[cfg(target_arch = "wasm32")]
/// The keys of `options.retry`.
pub(crate) const RETRY_FIELDS: &[&str] = &["maxRetries", "baseDelayMs", "maxDelayMs"];
#[cfg(any(target_arch = "wasm32", test))]
/// Every key of `options.auth`, whatever its type.
pub(crate) const AUTH_FIELDS: &[&str] = &["type", "email", "apiToken", "token"];
#[cfg(target_arch = "wasm32")]
/// The keys of each call's options.
pub(crate) const CALL_FIELDS: &[&str] = &["signal"];

#[cfg(any(target_arch = "wasm32", test))]
/// What an option's value is, as far as these rules care.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Given {
    /// `undefined` or `null`.
    Absent,
    /// `false`.
    False,
    /// A number (any, `NaN` included).
    Number(f64),
    /// Anything else.
    Other,
}

#[cfg(any(target_arch = "wasm32", test))]
/// `options.concurrency`: a whole number from 1 to [`MAX_CONCURRENCY`], default
/// [`DEFAULT_CONCURRENCY`].
pub(crate) fn concurrency(given: Given) -> Result<usize, String> {
    match given {
        Given::Absent => Ok(DEFAULT_CONCURRENCY),
        Given::Number(n) => check_concurrency(n),
        Given::False | Given::Other => Err(bad_concurrency()),
    }
}

/// A concurrency: a whole number from 1 to [`MAX_CONCURRENCY`].
pub(crate) fn check_concurrency(n: f64) -> Result<usize, String> {
    match is_whole_in(n, 1, MAX_CONCURRENCY as i64) {
        true => Ok(n as usize),
        false => Err(bad_concurrency()),
    }
}

fn bad_concurrency() -> String {
    format!("options.concurrency must be a whole number from 1 to {MAX_CONCURRENCY}")
}

/// Whether `n` is a whole number within `min..=max`: the one rule for every whole-number
/// setting (and, through `input::whole`, for params).
pub(crate) fn is_whole_in(n: f64, min: i64, max: i64) -> bool {
    n.is_finite() && n.fract() == 0.0 && n >= min as f64 && n <= max as f64
}

/// A timeout in ms: a whole number from 1 to [`MAX_TIMER_MS`].
pub(crate) fn check_timeout_ms(ms: f64) -> Result<u32, String> {
    match is_whole_in(ms, 1, MAX_TIMER_MS as i64) {
        true => Ok(ms as u32),
        false => Err(format!(
            "options.timeout must be a whole number of ms from 1 to {MAX_TIMER_MS}, or false"
        )),
    }
}

/// A retry policy's limits: at most [`MAX_RETRIES`] retries, waits of at most
/// [`MAX_TIMER_MS`].
pub(crate) fn check_retry(policy: RetryPolicy) -> Result<RetryPolicy, String> {
    if policy.max_retries > MAX_RETRIES {
        return Err(format!(
            "options.retry.maxRetries must be at most {MAX_RETRIES}"
        ));
    }
    if policy.max_delay_ms > MAX_TIMER_MS {
        return Err(format!(
            "options.retry.maxDelayMs must be at most {MAX_TIMER_MS}"
        ));
    }
    Ok(policy)
}

#[cfg(any(target_arch = "wasm32", test))]
/// `options.timeout`: ms from 1 to [`MAX_TIMER_MS`], `false` for none, default
/// [`DEFAULT_TIMEOUT_MS`].
pub(crate) fn timeout_ms(given: Given) -> Result<Option<u32>, String> {
    match given {
        Given::Absent => Ok(Some(DEFAULT_TIMEOUT_MS)),
        Given::False => Ok(None),
        Given::Number(n) => check_timeout_ms(n).map(Some),
        Given::Other => Err("options.timeout must be a number of ms or false".to_owned()),
    }
}

#[cfg(any(target_arch = "wasm32", test))]
/// `options.retry` as given: absent, `false`, an object of these fields (each already read as
/// a whole `u32`), or anything else.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RetryGiven {
    /// `undefined` or `null`: the defaults.
    Absent,
    /// `false`: no retries.
    False,
    /// An object; omitted fields keep their defaults.
    Object {
        /// `maxRetries`.
        max_retries: Option<u32>,
        /// `baseDelayMs`.
        base_delay_ms: Option<u32>,
        /// `maxDelayMs`.
        max_delay_ms: Option<u32>,
    },
    /// Anything else.
    Other,
}

#[cfg(any(target_arch = "wasm32", test))]
/// The retry policy `options.retry` asks for.
pub(crate) fn retry_policy(given: RetryGiven) -> Result<RetryPolicy, String> {
    let defaults = RetryPolicy::default();
    let (max_retries, base_delay_ms, max_delay_ms) = match given {
        RetryGiven::Absent => return Ok(defaults),
        RetryGiven::False => return Ok(RetryPolicy::NONE),
        RetryGiven::Other => return Err("options.retry must be false or an object".to_owned()),
        RetryGiven::Object {
            max_retries,
            base_delay_ms,
            max_delay_ms,
        } => (max_retries, base_delay_ms, max_delay_ms),
    };
    let policy = RetryPolicy {
        max_retries: max_retries.unwrap_or(defaults.max_retries),
        base_delay_ms: base_delay_ms.map_or(defaults.base_delay_ms, u64::from),
        max_delay_ms: max_delay_ms.map_or(defaults.max_delay_ms, u64::from),
    };
    check_retry(policy)
}

#[cfg(any(target_arch = "wasm32", test))]
/// The kinds of `options.auth`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AuthKind {
    /// `basic`: `email` and `apiToken`.
    Basic,
    /// `bearer`: `token`.
    Bearer,
}

#[cfg(any(target_arch = "wasm32", test))]
impl AuthKind {
    /// The kind `options.auth.type` names.
    pub(crate) fn from_type(kind: &str) -> Result<AuthKind, String> {
        match kind {
            "basic" => Ok(AuthKind::Basic),
            "bearer" => Ok(AuthKind::Bearer),
            other => Err(format!(
                "options.auth.type: unknown value `{}`, expected `basic` or `bearer`",
                shown(other)
            )),
        }
    }

    /// The keys `options.auth` may have for this kind.
    pub(crate) fn fields(self) -> &'static [&'static str] {
        match self {
            AuthKind::Basic => &["type", "email", "apiToken"],
            AuthKind::Bearer => &["type", "token"],
        }
    }
}

#[cfg(any(target_arch = "wasm32", test))]
/// The most requests in flight across a client's calls (`maxConcurrentRequests`).
pub const MAX_CONCURRENT_REQUESTS: usize = 256;
#[cfg(any(target_arch = "wasm32", test))]
/// `maxConcurrentRequests` when not given: 8, or the client's `concurrency` when higher (so
/// `concurrency: 32` is not silently capped).
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 8;
#[cfg(any(target_arch = "wasm32", test))]
/// The longest coalescing window (`coalesce.windowMs`).
pub const MAX_COALESCE_WINDOW_MS: u32 = 10_000;
#[cfg(any(target_arch = "wasm32", test))]
/// The user cache's defaults: five minutes, 10,000 users; at most 1,000,000 entries.
pub const DEFAULT_CACHE_TTL_MS: u64 = 300_000;
#[cfg(any(target_arch = "wasm32", test))]
/// See [`DEFAULT_CACHE_TTL_MS`].
pub const DEFAULT_CACHE_MAX_ENTRIES: usize = 10_000;
#[cfg(any(target_arch = "wasm32", test))]
/// See [`DEFAULT_CACHE_TTL_MS`].
pub const MAX_CACHE_ENTRIES: u32 = 1_000_000;

#[cfg(any(target_arch = "wasm32", test))]
/// `options.maxConcurrentRequests`: 1 to [`MAX_CONCURRENT_REQUESTS`]; default
/// [`DEFAULT_MAX_CONCURRENT_REQUESTS`] or `concurrency`, whichever is higher.
pub(crate) fn max_concurrent_requests(given: Given, concurrency: usize) -> Result<usize, String> {
    let bad = || {
        format!("options.maxConcurrentRequests must be a whole number from 1 to {MAX_CONCURRENT_REQUESTS}")
    };
    match given {
        Given::Absent => Ok(DEFAULT_MAX_CONCURRENT_REQUESTS.max(concurrency)),
        Given::Number(n) if is_whole_in(n, 1, MAX_CONCURRENT_REQUESTS as i64) => Ok(n as usize),
        Given::Number(_) | Given::False | Given::Other => Err(bad()),
    }
}

#[cfg(any(target_arch = "wasm32", test))]
/// `options.coalesce.windowMs`: 0 to [`MAX_COALESCE_WINDOW_MS`], default 0 (the same
/// macrotask).
pub(crate) fn coalesce_window_ms(given: Given) -> Result<u32, String> {
    let bad = || {
        format!("options.coalesce.windowMs must be a whole number of ms from 0 to {MAX_COALESCE_WINDOW_MS}")
    };
    match given {
        Given::Absent => Ok(0),
        Given::Number(n) if is_whole_in(n, 0, i64::from(MAX_COALESCE_WINDOW_MS)) => Ok(n as u32),
        Given::Number(_) | Given::False | Given::Other => Err(bad()),
    }
}

#[cfg(any(target_arch = "wasm32", test))]
/// `options.cache.ttlMs` and `options.cache.maxEntries`, with their defaults.
pub(crate) fn cache_config(
    ttl: Given,
    max_entries: Given,
) -> Result<crate::cache::CacheConfig, String> {
    let number = |given: Given, key: &str, max: i64| {
        match given {
            Given::Absent => Ok(None),
            Given::Number(n) if is_whole_in(n, 1, max) => Ok(Some(n as u64)),
            Given::Number(_) | Given::False | Given::Other => Err(()),
        }
        .map_err(|()| format!("options.cache.{key} must be a whole number from 1 to {max}"))
    };
    Ok(crate::cache::CacheConfig {
        ttl_ms: number(ttl, "ttlMs", MAX_TIMER_MS as i64)?.unwrap_or(DEFAULT_CACHE_TTL_MS),
        max_entries: number(max_entries, "maxEntries", i64::from(MAX_CACHE_ENTRIES))?
            .map_or(DEFAULT_CACHE_MAX_ENTRIES, |n| n as usize),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_default_and_range() {
        assert_eq!(concurrency(Given::Absent), Ok(4));
        assert_eq!(concurrency(Given::Number(1.0)), Ok(1));
        assert_eq!(concurrency(Given::Number(32.0)), Ok(32));
        let message = "options.concurrency must be a whole number from 1 to 32";
        for bad in [
            Given::Number(0.0),
            Given::Number(33.0),
            Given::Number(2.5),
            Given::Number(f64::NAN),
            Given::False,
            Given::Other,
        ] {
            assert_eq!(concurrency(bad).unwrap_err(), message, "{bad:?}");
        }
    }

    #[test]
    fn timeout_default_off_and_range() {
        assert_eq!(timeout_ms(Given::Absent), Ok(Some(30_000)));
        assert_eq!(timeout_ms(Given::False), Ok(None));
        assert_eq!(timeout_ms(Given::Number(1.0)), Ok(Some(1)));
        assert_eq!(
            timeout_ms(Given::Number(MAX_TIMER_MS as f64)),
            Ok(Some(2_147_483_647))
        );
        for bad in [
            Given::Number(0.0),
            Given::Number(MAX_TIMER_MS as f64 + 1.0),
            Given::Number(f64::INFINITY),
            Given::Number(0.5),
        ] {
            assert_eq!(
                timeout_ms(bad).unwrap_err(),
                "options.timeout must be a whole number of ms from 1 to 2147483647, or false"
            );
        }
        assert_eq!(
            timeout_ms(Given::Other).unwrap_err(),
            "options.timeout must be a number of ms or false"
        );
    }

    #[test]
    fn retry_defaults_off_and_limits() {
        assert_eq!(retry_policy(RetryGiven::Absent), Ok(RetryPolicy::default()));
        assert_eq!(retry_policy(RetryGiven::False), Ok(RetryPolicy::NONE));
        assert_eq!(
            retry_policy(RetryGiven::Other).unwrap_err(),
            "options.retry must be false or an object"
        );
        let object = |max_retries, max_delay_ms| RetryGiven::Object {
            max_retries,
            base_delay_ms: Some(10),
            max_delay_ms,
        };
        let policy = retry_policy(object(Some(100), None)).unwrap();
        assert_eq!(policy.max_retries, 100);
        assert_eq!(policy.base_delay_ms, 10);
        assert_eq!(policy.max_delay_ms, RetryPolicy::default().max_delay_ms);
        assert_eq!(
            retry_policy(object(Some(101), None)).unwrap_err(),
            "options.retry.maxRetries must be at most 100"
        );
        assert!(retry_policy(object(None, Some(u32::MAX >> 1))).is_ok());
        assert_eq!(
            retry_policy(object(None, Some(u32::MAX))).unwrap_err(),
            "options.retry.maxDelayMs must be at most 2147483647"
        );
    }

    #[test]
    fn auth_kinds() {
        assert_eq!(AuthKind::from_type("basic"), Ok(AuthKind::Basic));
        assert_eq!(AuthKind::Bearer.fields(), ["type", "token"]);
        assert_eq!(
            AuthKind::from_type("oauth\n").unwrap_err(),
            "options.auth.type: unknown value `oauth\\n`, expected `basic` or `bearer`"
        );
        for kind in [AuthKind::Basic, AuthKind::Bearer] {
            assert!(kind.fields().iter().all(|f| AUTH_FIELDS.contains(f)));
        }
    }

    #[test]
    fn rate_limit_options_defaults_and_ranges() {
        assert_eq!(max_concurrent_requests(Given::Absent, 4), Ok(8));
        assert_eq!(max_concurrent_requests(Given::Absent, 32), Ok(32));
        assert_eq!(max_concurrent_requests(Given::Number(3.0), 4), Ok(3));
        for bad in [
            Given::Number(0.0),
            Given::Number(257.0),
            Given::Number(1.5),
            Given::False,
            Given::Other,
        ] {
            assert_eq!(
                max_concurrent_requests(bad, 4),
                Err("options.maxConcurrentRequests must be a whole number from 1 to 256".into())
            );
        }
        assert_eq!(coalesce_window_ms(Given::Absent), Ok(0));
        assert_eq!(coalesce_window_ms(Given::Number(10_000.0)), Ok(10_000));
        assert!(coalesce_window_ms(Given::Number(10_001.0)).is_err());
        let defaults = cache_config(Given::Absent, Given::Absent).unwrap();
        assert_eq!((defaults.ttl_ms, defaults.max_entries), (300_000, 10_000));
        let set = cache_config(Given::Number(5.0), Given::Number(7.0)).unwrap();
        assert_eq!((set.ttl_ms, set.max_entries), (5, 7));
        assert_eq!(
            cache_config(Given::Absent, Given::Number(0.0)).err(),
            Some("options.cache.maxEntries must be a whole number from 1 to 1000000".into())
        );
    }
}
