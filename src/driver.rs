//! The call driver: plain state machines for one call, one bulk call and one paging walk,
//! shaped like quinn-proto's `Connection` (`handle_*` what happened, `poll_*` what to do).
//!
//! A driver does no I/O and reads no clock. It is fed what happened (a response's status, the
//! headers it needs and its body bytes, a transport failure, a timeout, an abort, the time
//! now, a random number) and answers what to do next: ask for a token, send this request as
//! attempt N, wait N ms, or stop with this result; and the hook events to report on the way.
//! A transport (the wasm skin's `fetch`, or any Rust HTTP client) performs the steps.
//!
//! ```
//! use confluence_users::driver::{Call, CallSettings, Input, Response, Step, End};
//! use confluence_users::{Auth, ClientConfig, Endpoint, GetUserParams, RetryPolicy};
//!
//! let config = ClientConfig::new(Some("https://your-domain.atlassian.net"), Auth::None)?;
//! let params = GetUserParams { account_id: "5b10ac8d82e05b22cc7d4ef5".into(), expand: vec![] };
//! let settings = CallSettings { retry: RetryPolicy::default(), timeout_ms: Some(30_000), token_per_attempt: false };
//! let mut call = Call::new(config.request(&params)?, GetUserParams::SHAPE, settings);
//! let no_redaction = |s: &str| s.to_owned();
//!
//! // The first attempt; Confluence answers 503 with `Retry-After: 2`.
//! let Step::Send { attempt: 1, .. } = call.start() else { unreachable!() };
//! let busy = Response { status: 503, content_type: None, retry_after: Some("2"), body: b"", elapsed_ms: 5.0 };
//! let Step::Wait { ms: 2000, .. } = call.handle(Input::Response(busy), 0, 0.5, &no_redaction) else { unreachable!() };
//!
//! // The retry, after the wait, succeeds.
//! let Step::Send { attempt: 2, .. } = call.handle(Input::Waited, 2000, 0.5, &no_redaction) else { unreachable!() };
//! let body = br#"{"type":"known","accountId":"5b10ac8d82e05b22cc7d4ef5"}"#;
//! let ok = Response { status: 200, content_type: Some("application/json"), retry_after: None, body, elapsed_ms: 5.0 };
//! let Step::Done(done) = call.handle(Input::Response(ok), 2005, 0.5, &no_redaction) else { unreachable!() };
//! assert!(matches!(done.end, End::Success));
//! assert_eq!(done.attempts, 2);
//! # Ok::<(), confluence_users::Error>(())
//! ```
//!
//! Every send goes through one step, [`Step::Send`] (or [`Step::Token`] before it): a
//! client-wide gate ([`crate::ratelimit::Governor`]: a pause until a time, a cap on requests
//! in flight) sits between that step and the transport, and a request it holds back is fed
//! back as [`Input::Held`]. The driver keeps no client-wide state.

use std::ops::Range;

use crate::bulk::{
    plan_bulk, plan_migration, IdMap, MigrationPlan, MigrationTally, MAX_BULK_URL_LEN,
};
use crate::config::{bearer_authorization, ClientConfig, Request};
use crate::endpoints::{
    BulkEndpoint, GetBulkUserMigrationParams, PagedEndpoint, BULK_LOOKUP_MAX_IDS,
};
use crate::error::Error;
use crate::models::AccountId;
use crate::paging::next_start;
use crate::ratelimit::Held;
use crate::response::validate_decoded_body;
use crate::retry::{decide, is_unsendable, parse_retry_after, Decision, Outcome, RetryPolicy};
use crate::schema::Shape;

/// How a call's attempts run: the client's retry policy and timeout, and whether each attempt
/// asks a token source for its bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSettings {
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// The per-attempt timeout in milliseconds (it also bounds a token wait); `None` for none.
    pub timeout_ms: Option<u32>,
    /// Whether each attempt first asks for the current token ([`Step::Token`]): a token
    /// refreshed during a backoff wait is then the one the retry sends.
    pub token_per_attempt: bool,
}

/// Why an attempt is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    /// A retryable status (429, 502, 503, 504).
    Status,
    /// The transport failed.
    Network,
    /// The attempt timed out.
    Timeout,
}

impl RetryReason {
    /// `"status"`, `"network"` or `"timeout"`: the `reason` an `onRetry` hook receives.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryReason::Status => "status",
            RetryReason::Network => "network",
            RetryReason::Timeout => "timeout",
        }
    }
}

/// A hook event, in the order it happened (see [`Call::poll_report`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Report {
    /// Attempt `attempt` is about to be sent (`onRequest`).
    Request {
        /// 1 for the first request of the call, 2 for the first retry, ...
        attempt: u32,
    },
    /// Attempt `attempt` got a response (`onResponse`), retried or not.
    Response {
        /// Which attempt this answers.
        attempt: u32,
        /// The HTTP status.
        status: u16,
        /// Milliseconds from sending to the whole body having arrived.
        elapsed_ms: f64,
    },
    /// Attempt `attempt` failed and is retried after `delay_ms` (`onRetry`, before the wait).
    Retry {
        /// The attempt that failed.
        attempt: u32,
        /// Its status, or 0 for a network failure or timeout.
        status: u16,
        /// Why it is retried.
        reason: RetryReason,
        /// How long the client waits before the next attempt.
        delay_ms: u64,
    },
}

/// What the transport must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Ask the token source for the current bearer token, waiting at most `timeout_ms`; answer
    /// with [`Input::Token`], [`Input::TokenInvalid`], [`Input::TimedOut`] or [`Input::Aborted`].
    Token {
        /// The attempt the token is for.
        attempt: u32,
        /// How long the token source may take.
        timeout_ms: Option<u32>,
    },
    /// Send [`Call::request`], bounded by `timeout_ms`; answer with [`Input::Response`],
    /// [`Input::NetworkFailure`], [`Input::TimedOut`] or [`Input::Aborted`].
    Send {
        /// 1 for the first request, 2 for the first retry, ...
        attempt: u32,
        /// The attempt's timeout.
        timeout_ms: Option<u32>,
    },
    /// Wait `ms` before the next attempt; answer with [`Input::Waited`] or [`Input::Aborted`].
    Wait {
        /// The wait in milliseconds.
        ms: u64,
        /// Why the last attempt is retried.
        reason: RetryReason,
    },
    /// The call is over.
    Done(Done),
    /// The call was over before this input (its [`Step::Done`] came earlier): nothing to do.
    Over,
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    /// The result.
    pub end: End,
    /// How many requests were sent.
    pub attempts: u32,
    /// What the last response's `Retry-After` asked for, in ms (non-2xx endings only), or how
    /// long the client-wide pause that held the call back still lasts.
    pub retry_after_ms: Option<u64>,
}

/// The result of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// The last response is a 2xx whose body has the operation's shape: decode it.
    Success,
    /// The last response's non-2xx status ends the call: the error is built from its body
    /// (see [`crate::parse_error_redacted`] or [`crate::error_message`]).
    Http {
        /// The HTTP status.
        status: u16,
    },
    /// The last response is a 2xx whose body is not what the operation promises.
    Decode(Error),
    /// No usable response: the error. `caused_by_input`: it is the last input's failure (a
    /// transport failure or a token source's refusal), so what that threw is its cause.
    Failed {
        /// The error.
        error: Error,
        /// Whether the last input's thrown value caused it.
        caused_by_input: bool,
    },
}

/// A response as the transport received it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Response<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, when the transport exposes it.
    pub content_type: Option<&'a str>,
    /// The `Retry-After` header, when present.
    pub retry_after: Option<&'a str>,
    /// The body as UTF-8, as a text decoder gives it: a leading byte order mark and invalid
    /// sequences are tolerated (a decoder drops and replaces them), so decode it that way.
    pub body: &'a [u8],
    /// Milliseconds from sending to the whole body having arrived (for [`Report::Response`]).
    pub elapsed_ms: f64,
}

/// What happened, for [`Call::handle`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input<'a> {
    /// The token source gave this token.
    Token(&'a str),
    /// The token source threw, rejected or gave no string: why, naming `auth.token`.
    TokenInvalid(&'a str),
    /// The attempt (or the token wait) ran out of time.
    TimedOut,
    /// The attempt got a response.
    Response(Response<'a>),
    /// The transport failed, with its description (what `fetch` threw, with its cause).
    NetworkFailure(&'a str),
    /// A [`Step::Wait`] is over.
    Waited,
    /// The caller's signal fired (also before the first step: nothing is then sent).
    Aborted,
    /// The client-wide gate did not let the step's request go (the caller gave up while it
    /// waited, or the client is paused for longer than the call may wait): a
    /// [`Step::Send`] given just before was not performed and does not count as an attempt.
    Held(Held),
}

/// One call: attempts with timeouts and retries until a result.
#[derive(Debug, Clone)]
pub struct Call {
    request: Request,
    shape: &'static Shape,
    settings: CallSettings,
    attempts: u32,
    /// Whether the last step was [`Step::Token`].
    awaiting_token: bool,
    /// Whether `request` ends with a header made from a token source's token.
    token_header: bool,
    /// Whether [`Step::Done`] has been given.
    over: bool,
    /// Whether the last step was [`Step::Send`] (its attempt is counted and reported).
    sending: bool,
    /// Oldest first; at most three at a time (a response, its retry, the next request).
    reports: Vec<Report>,
}

impl Call {
    /// A call that sends `request` and validates a 2xx body against `shape`.
    pub fn new(request: Request, shape: &'static Shape, settings: CallSettings) -> Call {
        Call {
            request,
            shape,
            settings,
            attempts: 0,
            awaiting_token: false,
            token_header: false,
            over: false,
            sending: false,
            reports: Vec::new(),
        }
    }

    /// The request to send, with the current attempt's `Authorization` header.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// How many requests have been sent.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The first step.
    pub fn start(&mut self) -> Step {
        self.next_attempt()
    }

    /// The next hook event to report, oldest first; report them all before performing the
    /// step `handle` returned.
    pub fn poll_report(&mut self) -> Option<Report> {
        (!self.reports.is_empty()).then(|| self.reports.remove(0))
    }

    /// Feeds what happened; answers what to do next. `now_ms` (milliseconds since the Unix
    /// epoch) resolves a `Retry-After` date, `random` (in `[0, 1)`) jitters the backoff, and
    /// `redact` cleans what a body's validation error quotes.
    pub fn handle(
        &mut self,
        input: Input<'_>,
        now_ms: u64,
        random: f64,
        redact: &dyn Fn(&str) -> String,
    ) -> Step {
        if self.over {
            return Step::Over;
        }
        let unsent = std::mem::take(&mut self.sending);
        match input {
            Input::Held(held) => {
                if unsent {
                    // The request never left: it is neither an attempt nor reported.
                    self.attempts -= 1;
                    if let Some(at) = self
                        .reports
                        .iter()
                        .rposition(|r| matches!(r, Report::Request { .. }))
                    {
                        self.reports.remove(at);
                    }
                }
                match held {
                    Held::Aborted => self.fail(Error::Aborted, false),
                    Held::TooLong(pause) => self.finish(
                        End::Failed {
                            error: pause.error(),
                            caused_by_input: false,
                        },
                        Some(pause.remaining_ms),
                    ),
                }
            }
            Input::Aborted => self.fail(Error::Aborted, false),
            Input::Waited => self.next_attempt(),
            Input::Token(token) => match bearer_authorization(token) {
                Ok(header) => self.send(Some(header)),
                Err(error) => self.fail(error, false),
            },
            Input::TokenInvalid(why) => self.fail(Error::invalid(why), true),
            Input::TimedOut => {
                let error = Error::Timeout {
                    timeout_ms: self.settings.timeout_ms.map_or(0, u64::from),
                };
                self.failed_attempt(error, Outcome::NoResponse, now_ms, random)
            }
            Input::NetworkFailure(message) => {
                let outcome = if is_unsendable(message) {
                    Outcome::Unsendable
                } else {
                    Outcome::NoResponse
                };
                let error = Error::Network {
                    message: message.to_owned(),
                };
                self.failed_attempt(error, outcome, now_ms, random)
            }
            Input::Response(response) => self.response(response, now_ms, random, redact),
        }
    }

    fn next_attempt(&mut self) -> Step {
        if self.settings.token_per_attempt {
            self.awaiting_token = true;
            Step::Token {
                attempt: self.attempts + 1,
                timeout_ms: self.settings.timeout_ms,
            }
        } else {
            self.send(None)
        }
    }

    fn send(&mut self, authorization: Option<String>) -> Step {
        self.awaiting_token = false;
        self.sending = true;
        self.attempts += 1;
        self.reports.push(Report::Request {
            attempt: self.attempts,
        });
        if let Some(header) = authorization {
            // The previous attempt's token header, if any, is the last one: replace it.
            if self.token_header {
                self.request.headers.pop();
            }
            self.request.headers.push(("Authorization", header));
            self.token_header = true;
        }
        Step::Send {
            attempt: self.attempts,
            timeout_ms: self.settings.timeout_ms,
        }
    }

    fn finish(&mut self, end: End, retry_after_ms: Option<u64>) -> Step {
        self.over = true;
        Step::Done(Done {
            end,
            attempts: self.attempts,
            retry_after_ms,
        })
    }

    fn fail(&mut self, error: Error, caused_by_input: bool) -> Step {
        self.finish(
            End::Failed {
                error,
                caused_by_input,
            },
            None,
        )
    }

    /// Retries a failed attempt, or ends the call with `error`.
    fn failed_attempt(
        &mut self,
        error: Error,
        outcome: Outcome<'_>,
        now_ms: u64,
        random: f64,
    ) -> Step {
        // A token wait that timed out sent nothing: there is no attempt to retry.
        if self.awaiting_token {
            return self.fail(error, false);
        }
        let reason = match error {
            Error::Timeout { .. } => RetryReason::Timeout,
            _ => RetryReason::Network,
        };
        match decide(&self.settings.retry, self.attempts, outcome, now_ms, random) {
            Decision::GiveUp => {
                let caused_by_input = matches!(error, Error::Network { .. });
                self.fail(error, caused_by_input)
            }
            Decision::RetryAfter { delay_ms } => self.retry(0, reason, delay_ms),
        }
    }

    fn retry(&mut self, status: u16, reason: RetryReason, delay_ms: u64) -> Step {
        self.reports.push(Report::Retry {
            attempt: self.attempts,
            status,
            reason,
            delay_ms,
        });
        Step::Wait {
            ms: delay_ms,
            reason,
        }
    }

    fn response(
        &mut self,
        response: Response<'_>,
        now_ms: u64,
        random: f64,
        redact: &dyn Fn(&str) -> String,
    ) -> Step {
        self.reports.push(Report::Response {
            attempt: self.attempts,
            status: response.status,
            elapsed_ms: response.elapsed_ms,
        });
        let outcome = Outcome::Status {
            status: response.status,
            retry_after: response.retry_after,
        };
        if let Decision::RetryAfter { delay_ms } =
            decide(&self.settings.retry, self.attempts, outcome, now_ms, random)
        {
            return self.retry(response.status, RetryReason::Status, delay_ms);
        }
        if !(200..300).contains(&response.status) {
            let retry_after_ms = response
                .retry_after
                .and_then(|value| parse_retry_after(value, now_ms));
            return self.finish(
                End::Http {
                    status: response.status,
                },
                retry_after_ms,
            );
        }
        match validate_decoded_body(
            response.status,
            response.content_type,
            response.body,
            self.shape,
            redact,
        ) {
            Ok(()) => self.finish(End::Success, None),
            Err(error) => self.finish(End::Decode(error), None),
        }
    }
}

/// Which chunks of a fanned-out call (bulk or migration) to start, at most `concurrency` in
/// flight, in list order; after the first failure no further chunk starts.
///
/// The transport runs [`FanOut::workers`] workers; each takes [`FanOut::next_chunk`] until it
/// gets `None`, runs that chunk, and reports [`FanOut::finished`] or [`FanOut::failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanOut {
    chunks: Vec<Range<usize>>,
    total: usize,
    concurrency: usize,
    next: usize,
    finished: Vec<bool>,
    failed: bool,
}

impl FanOut {
    /// A fan-out over `chunks` (ranges of `total` values).
    pub fn new(chunks: Vec<Range<usize>>, total: usize, concurrency: usize) -> FanOut {
        FanOut {
            finished: vec![false; chunks.len()],
            chunks,
            total,
            concurrency,
            next: 0,
            failed: false,
        }
    }

    /// How many chunks there are.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// How many values the chunks hold in all (the distinct values of the call).
    pub fn total(&self) -> usize {
        self.total
    }

    /// How many workers to run: the concurrency, but at least one and at most one a chunk.
    pub fn workers(&self) -> usize {
        self.concurrency.clamp(1, self.chunks.len().max(1))
    }

    /// The chunk to run next, or `None` when all have started or one has failed.
    pub fn next_chunk(&mut self) -> Option<usize> {
        if self.failed || self.next >= self.chunks.len() {
            return None;
        }
        self.next += 1;
        Some(self.next - 1)
    }

    /// Chunk `index` finished.
    pub fn finished(&mut self, index: usize) {
        if let Some(f) = self.finished.get_mut(index) {
            *f = true;
        }
    }

    /// A chunk failed: no further chunk starts.
    pub fn failed(&mut self) {
        self.failed = true;
    }

    /// How many values the finished chunks hold.
    pub fn values_done(&self) -> usize {
        self.finished
            .iter()
            .zip(&self.chunks)
            .filter(|(f, _)| **f)
            .map(|(_, range)| range.len())
            .sum()
    }

    /// The failed call's message with how far it got (`noun`: "ids", "keys", "usernames"), so
    /// a caller knows what to retry; `message` alone when the call was one request.
    pub fn failure_message(&self, message: &str, noun: &str) -> String {
        if self.chunks.len() <= 1 {
            return message.to_owned();
        }
        format!(
            "{message} ({} of {} {noun} were looked up before this failure)",
            self.values_done(),
            self.total
        )
    }
}

/// A bulk lookup (`getBulkUserLookup`, `getPrivacyUnsafeUserEmailBulk`): any number of ids,
/// split into requests of at most 200 ids and URLs under 8,000 bytes, each distinct id asked
/// for once, the records merged in input order.
#[derive(Debug, Clone)]
pub struct BulkCall {
    unique: Vec<String>,
    requests: Vec<Request>,
    limit: usize,
    /// The chunks' scheduling.
    pub fan_out: FanOut,
}

/// Where one record of a merged bulk result comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordAt {
    /// The chunk (request) whose response holds it.
    pub chunk: usize,
    /// Its index in that response's records.
    pub index: usize,
}

impl BulkCall {
    /// Plans the call: validates the ids and cuts them into requests built by `config`.
    pub fn new<E: BulkEndpoint>(
        config: &ClientConfig,
        params: &E,
        concurrency: usize,
    ) -> Result<BulkCall, Error> {
        // The ids move into the chunk's params and back out: the caller's are borrowed.
        let build = |ids: &mut Vec<AccountId>| {
            let chunk = params.with_account_ids(std::mem::take(ids));
            let request = config.request(&chunk);
            *ids = chunk.into_account_ids();
            request
        };
        BulkCall::plan(
            params.account_ids(),
            &build,
            params.result_limit(),
            concurrency,
        )
    }

    /// [`BulkCall::new`] once for every operation (its generic part is `build`).
    fn plan(
        ids: &[AccountId],
        build: &dyn Fn(&mut Vec<AccountId>) -> Result<Request, Error>,
        limit: Option<usize>,
        concurrency: usize,
    ) -> Result<BulkCall, Error> {
        // The URL of one request minus its ids: what every chunk's URL starts with.
        let fixed_len = build(&mut vec!["x".into()])?.url.len() - 1;
        let mut plan = plan_bulk(ids, BULK_LOOKUP_MAX_IDS, fixed_len, MAX_BULK_URL_LEN)?;
        // One chunk (at most 200 ids) takes the distinct ids themselves: a copy of each was 2 %
        // of a 200-id call in wasm.
        let requests = match plan.chunks.len() {
            1 => vec![build(&mut plan.unique)?],
            _ => plan
                .chunks
                .iter()
                .map(|range| build(&mut plan.unique[range.clone()].to_vec()))
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(BulkCall {
            limit: limit.unwrap_or(plan.unique.len()),
            fan_out: FanOut::new(plan.chunks, plan.unique.len(), concurrency),
            unique: plan.unique.into_iter().map(|id| id.0).collect(),
            requests,
        })
    }

    /// The request of chunk `index`.
    pub fn request(&self, index: usize) -> Option<&Request> {
        self.requests.get(index)
    }

    /// Whether the call is one request, whose response is then the result as Confluence sent
    /// it (no merge).
    pub fn is_single(&self) -> bool {
        self.requests.len() == 1
    }

    /// The call's one request, moved out, when it is one ([`BulkCall::is_single`]); the call
    /// then has none. `None` (and the call unchanged) for a call of several.
    pub fn take_single(&mut self) -> Option<Request> {
        match self.requests.len() {
            1 => self.requests.pop(),
            _ => None,
        }
    }

    /// The most records the merged result holds: the call's `limit`, or how many distinct ids
    /// it asked for (the merged result's `limit`).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The merge of the chunks' records: feed it each record's `accountId`
    /// ([`BulkMerge::record`]), then take the merged order ([`BulkMerge::finish`]).
    pub fn merge(&self) -> BulkMerge<'_> {
        BulkMerge {
            position: self
                .unique
                .iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), i))
                .collect(),
            placed: vec![None; self.unique.len()],
            limit: self.limit,
        }
    }
}

/// The merged result of a [`BulkCall`]: each distinct id's first record, in the order the ids
/// were given, at most [`BulkCall::limit`] of them; records of ids not asked for are dropped.
#[derive(Debug, Clone)]
pub struct BulkMerge<'a> {
    /// Where each distinct id stands in the caller's order.
    position: IdMap<&'a str, usize>,
    placed: Vec<Option<RecordAt>>,
    limit: usize,
}

impl BulkMerge<'_> {
    /// Record `index` of chunk `chunk`'s response has this `accountId`.
    pub fn record(&mut self, chunk: usize, index: usize, account_id: Option<&str>) {
        let at = account_id.and_then(|id| self.position.get(id).copied());
        if let Some(slot) = at.and_then(|i| self.placed.get_mut(i)) {
            slot.get_or_insert(RecordAt { chunk, index });
        }
    }

    /// Where the merged result's records come from, in order.
    pub fn finish(self) -> Vec<RecordAt> {
        self.placed.into_iter().flatten().take(self.limit).collect()
    }
}

/// What a page of a paged operation says about the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageInfo {
    /// The page's `start`.
    pub start: i32,
    /// The page's `size`.
    pub size: i32,
    /// Whether it has a `_links.next`.
    pub has_next: bool,
}

/// A walk over the pages of `getGroupMembershipsForUser`: start/limit to the last page.
#[derive(Debug, Clone)]
pub struct GroupWalk {
    next: Option<crate::GetGroupMembershipsForUserParams>,
}

impl GroupWalk {
    /// A walk from `params`' own start; refused (nothing sent) when the params are invalid.
    pub fn new(
        config: &ClientConfig,
        params: crate::GetGroupMembershipsForUserParams,
    ) -> Result<GroupWalk, Error> {
        config.request(&params)?;
        Ok(GroupWalk { next: Some(params) })
    }

    /// The request of the next page, or `None` when the walk is over.
    pub fn next_request(&self, config: &ClientConfig) -> Option<Result<Request, Error>> {
        self.next.as_ref().map(|params| config.request(params))
    }

    /// The page just fetched said `page`: moves on to the page after it (or ends the walk).
    pub fn page(&mut self, page: PageInfo) {
        self.next = self.next.take().and_then(|params| {
            next_start(params.start(), page.start, page.size, page.has_next)
                .map(|n| params.with_start(n))
        });
    }

    /// Whether the walk is over (the last page has been fetched, or it was stopped).
    pub fn is_over(&self) -> bool {
        self.next.is_none()
    }

    /// Ends the walk (the caller broke out of its loop): no further page.
    pub fn stop(&mut self) {
        self.next = None;
    }
}

/// A migration lookup (`getBulkUserMigration`, `paginateBulkUserMigration`): values split by
/// URL length into chunks of at most 200, each chunk's pages followed, each answer matched
/// to the value it echoes.
#[derive(Debug, Clone)]
pub struct Migration {
    plan: MigrationPlan,
    tally: MigrationTally,
    start: i32,
    limit: Option<i32>,
    /// The chunks' scheduling (the one-call form runs them `concurrency` at a time).
    pub fan_out: FanOut,
}

/// One page of a migration chunk to fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationPage {
    /// The chunk it belongs to.
    pub chunk: usize,
    /// Its request.
    pub request: Request,
    params: GetBulkUserMigrationParams,
}

/// What a fetched migration page leads to.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationPageEnd {
    /// The chunk's next page, or `None` after its last.
    pub next: Option<MigrationPage>,
    /// After the chunk's last page: the values Confluence did not answer for, to be reported
    /// as Confluence reports an unknown value (`accountId: null`), in order.
    pub unanswered: Vec<usize>,
}

impl Migration {
    /// Plans the lookup. `paged`: for the iterator (from `start` to the end, `limit` is each
    /// request's page size) rather than one call (`start`/`limit` pick a window of values).
    pub fn new(
        config: &ClientConfig,
        params: &GetBulkUserMigrationParams,
        paged: bool,
        concurrency: usize,
    ) -> Result<Migration, Error> {
        // The URL of one request minus its query: what every chunk's URL starts with.
        let probe = GetBulkUserMigrationParams::for_values("key", vec!["x".into()], None);
        let fixed_len = config.request(&probe)?.url.len() - "?key=x".len();
        let plan = plan_migration(params, paged, fixed_len, MAX_BULK_URL_LEN)?;
        Ok(Migration {
            tally: MigrationTally::new(&plan),
            fan_out: FanOut::new(plan.chunks.clone(), plan.unique.len(), concurrency),
            plan,
            start: params.start.unwrap_or(0),
            limit: params.limit,
        })
    }

    /// `"key"` or `"username"`: the field of each result that echoes the value looked up.
    pub fn field(&self) -> &'static str {
        self.plan.field
    }

    /// `"keys"` or `"usernames"`, for messages.
    pub fn noun(&self) -> &'static str {
        self.plan.noun()
    }

    /// The distinct value `index`.
    pub fn value(&self, index: usize) -> &str {
        self.plan.unique.get(index).map_or("", String::as_str)
    }

    /// The first page of chunk `chunk`, or `None` past the last chunk.
    pub fn first_page(
        &self,
        config: &ClientConfig,
        chunk: usize,
    ) -> Option<Result<MigrationPage, Error>> {
        let params = self.plan.chunk_params(chunk)?;
        Some(page(config, chunk, params))
    }

    /// Records one result of a fetched page: the value it echoes (its `key` or `username`
    /// field) and its `accountId` (an empty one counts as none).
    pub fn answer(&mut self, echoed: Option<&str>, account_id: Option<&str>) {
        self.tally
            .answer(echoed, account_id.is_some_and(|id| !id.is_empty()));
    }

    /// Ends a fetched page, once each of its results has been given to [`Migration::answer`].
    pub fn page_fetched(
        &mut self,
        config: &ClientConfig,
        fetched: &MigrationPage,
        info: PageInfo,
    ) -> Result<MigrationPageEnd, Error> {
        let params = &fetched.params;
        let next = next_start(params.start(), info.start, info.size, info.has_next)
            .map(|n| page(config, fetched.chunk, params.with_start(n)))
            .transpose()?;
        let unanswered = match next {
            Some(_) => Vec::new(),
            None => {
                let range = self.plan.chunks.get(fetched.chunk).cloned().unwrap_or(0..0);
                self.tally.unanswered(range)
            }
        };
        Ok(MigrationPageEnd { next, unanswered })
    }

    /// The page an iterator fetches after `fetched`, given what that page led to: the chunk's
    /// next page, else the next chunk's first; `None` after the last chunk.
    pub fn walk_next(
        &self,
        config: &ClientConfig,
        fetched: &MigrationPage,
        next: Option<MigrationPage>,
    ) -> Option<Result<MigrationPage, Error>> {
        match next {
            Some(page) => Some(Ok(page)),
            None => self.first_page(config, fetched.chunk + 1),
        }
    }

    /// The values that have no account id (unanswered, or answered without one), in order.
    pub fn not_found(&self) -> Vec<usize> {
        self.tally.not_found()
    }

    /// The merged result's `start`: the call's own.
    pub fn start(&self) -> i32 {
        self.start
    }

    /// The merged result's `limit`: the call's own, or how many distinct values it asked for.
    pub fn limit(&self) -> usize {
        // The params' validation refuses a limit below 1; were one to get here, it reads as 0.
        self.limit.map_or(self.plan.unique.len(), |limit| {
            usize::try_from(limit).unwrap_or(0)
        })
    }
}

fn page(
    config: &ClientConfig,
    chunk: usize,
    params: GetBulkUserMigrationParams,
) -> Result<MigrationPage, Error> {
    Ok(MigrationPage {
        chunk,
        request: config.request(&params)?,
        params,
    })
}
