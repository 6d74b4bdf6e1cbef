//! Client-wide rate-limit governance, as a pure state machine over a virtual clock.
//!
//! Confluence Cloud meters every app by points and answers 429 (or 503) with `Retry-After`
//! when a quota runs out; Atlassian asks clients to pause all their requests until then. A
//! [`Governor`] is that pause and the cap on requests in flight for one client, shared by all
//! its calls: every request asks it for admission ([`Governor::enqueue`], then
//! [`Governor::poll`] until it says go), hands its slot back when the response is in
//! ([`Governor::release`]), and reports what the response said ([`Governor::observe`]).
//!
//! A skin that waits asynchronously uses the [`Waiter`] layer on top: [`Governor::wait`] to
//! join, [`Governor::admit`] to learn whether to go, sleep until a time, wait for a wake-up,
//! or give up; [`Governor::slept`] when its timer fires; [`Governor::wakes`] after anything
//! that may free a slot or start a pause, naming exactly the waiters to wake; and
//! [`Governor::leave`] when it gives up. The skin only sleeps and wakes; every decision is
//! here, tested natively with a virtual clock (`now_ms`, milliseconds since the Unix epoch).

use std::collections::VecDeque;

use crate::error::Error;
use crate::retry::{parse_retry_after, RetryPolicy};

/// The rate-limit headers of one response, as sent (`None`: absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitHeaders<'a> {
    /// `Retry-After`: delta-seconds or an HTTP date.
    pub retry_after: Option<&'a str>,
    /// `X-RateLimit-Limit`: the quota of the current window.
    pub limit: Option<&'a str>,
    /// `X-RateLimit-Remaining`: what is left of it.
    pub remaining: Option<&'a str>,
    /// `X-RateLimit-Reset`: when the window resets (as the server writes it).
    pub reset: Option<&'a str>,
    /// `X-RateLimit-NearLimit`: `true` when less than a fifth of the quota is left.
    pub near_limit: Option<&'a str>,
}

impl<'a> RateLimitHeaders<'a> {
    /// Picks the headers out of `(name, value)` pairs; names match case-insensitively.
    pub fn from_pairs<S: AsRef<str>>(pairs: &'a [(&'static str, S)]) -> RateLimitHeaders<'a> {
        let mut out = RateLimitHeaders::default();
        for (name, value) in pairs {
            let value = Some(value.as_ref());
            match name.to_ascii_lowercase().as_str() {
                "retry-after" => out.retry_after = value,
                "x-ratelimit-limit" => out.limit = value,
                "x-ratelimit-remaining" => out.remaining = value,
                "x-ratelimit-reset" => out.reset = value,
                "x-ratelimit-nearlimit" => out.near_limit = value,
                _ => {}
            }
        }
        out
    }
}

/// What the rate-limit headers say about the quota, for the adaptive concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pressure {
    /// Near the limit: `X-RateLimit-NearLimit: true`, or `X-RateLimit-Remaining` at most a
    /// tenth of `X-RateLimit-Limit` (or, with no limit given, at most `max_in_flight`: each
    /// request in flight may spend one more).
    Near,
    /// Anything else, headers absent included.
    Clear,
}

/// Reads [`Pressure`] from one response's headers.
pub fn pressure(headers: &RateLimitHeaders<'_>, max_in_flight: usize) -> Pressure {
    let number = |v: Option<&str>| v.and_then(|v| v.trim().parse::<u64>().ok());
    if headers
        .near_limit
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return Pressure::Near;
    }
    let low = match (number(headers.remaining), number(headers.limit)) {
        (Some(remaining), Some(limit)) => remaining.saturating_mul(10) <= limit,
        (Some(remaining), None) => remaining <= max_in_flight as u64,
        _ => false,
    };
    if low {
        Pressure::Near
    } else {
        Pressure::Clear
    }
}

/// The adaptive concurrency policy: halve (down to 1) under pressure, otherwise step back up
/// by one towards `max` (additive increase, multiplicative decrease, as TCP does).
pub fn next_limit(current: usize, max: usize, pressure: Pressure) -> usize {
    let max = max.max(1);
    match pressure {
        Pressure::Near => current.div_ceil(2).clamp(1, max),
        Pressure::Clear => current.saturating_add(1).clamp(1, max),
    }
}

/// The settings of a [`Governor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GovernorConfig {
    /// Requests in flight at most, across all calls (`maxConcurrentRequests`).
    pub max_in_flight: usize,
    /// Requests in flight at most right after a pause (`concurrency`); the cap then grows back
    /// by one per response that shows no pressure.
    pub resume_in_flight: usize,
    /// The client-wide pause after a first 429 without `Retry-After`, doubling with each
    /// further one in a row.
    pub backoff_base_ms: u64,
    /// The longest such pause.
    pub backoff_max_ms: u64,
}

impl GovernorConfig {
    /// A client's settings from its options: `maxConcurrentRequests` in flight at most,
    /// `concurrency` right after a pause (never above the maximum), and the backoff of a 429
    /// without `Retry-After` taken from the retry policy (at least 1 ms, so a pause always
    /// pauses), so `retry` tunes both.
    pub fn for_client(
        max_concurrent_requests: usize,
        concurrency: usize,
        retry: &RetryPolicy,
    ) -> GovernorConfig {
        GovernorConfig {
            max_in_flight: max_concurrent_requests,
            resume_in_flight: concurrency.min(max_concurrent_requests),
            backoff_base_ms: retry.base_delay_ms.max(1),
            backoff_max_ms: retry.max_delay_ms.max(1),
        }
    }
}

/// The rate-limit headers Confluence Cloud sends, as a transport should ask for them: the
/// governor reads the first five ([`RateLimitHeaders::from_pairs`]), and hooks that report a
/// response get them all.
pub const HEADER_NAMES: [&str; 6] = [
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-NearLimit",
    "RateLimit-Reason",
];

/// A request's place in the queue; give it back through [`Governor::poll`] or
/// [`Governor::cancel`].
#[derive(Debug, PartialEq, Eq)]
pub struct Ticket(u64);

impl Ticket {
    /// Its number: unique within its governor, rising in queue order.
    pub fn id(&self) -> u64 {
        self.0
    }
}

/// A slot in flight; give it back through [`Governor::release`].
#[derive(Debug, PartialEq, Eq)]
pub struct Slot(());

/// One request waiting for admission ([`Governor::wait`]): its place in the queue, when it
/// may go at the earliest, and how long a pause it may wait out.
#[derive(Debug, PartialEq, Eq)]
pub struct Waiter {
    /// `None` once admitted or gone.
    ticket: Option<Ticket>,
    /// Not before this time (the end of its backoff, or of a pause its timer slept through).
    not_before: u64,
    /// Whether it must sleep on a timer before it may go: a retry's backoff is slept even
    /// when 0 ms, as a sleep would be, so other work runs between the attempts.
    timer_first: bool,
    /// The longest client-wide pause it waits out (`retry.maxDelayMs`).
    max_wait_ms: u64,
}

impl Waiter {
    /// The number its wake-ups name (see [`Governor::wakes`]).
    pub fn id(&self) -> u64 {
        self.ticket.as_ref().map_or(0, Ticket::id)
    }
}

/// What a [`Waiter`] does next ([`Governor::admit`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// It holds a slot: send.
    Go(Slot),
    /// Sleep until this time (ms since the epoch), then tell [`Governor::slept`] and ask again.
    Sleep(u64),
    /// Wait until [`Governor::wakes`] names it, then ask again.
    Queued,
    /// The client is paused for longer than this request may wait: it leaves the queue and
    /// the call fails now, with nothing sent.
    Held(LongPause),
}

/// A client-wide pause longer than a request may wait (its `retry.maxDelayMs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongPause {
    /// How long the pause still lasts.
    pub remaining_ms: u64,
    /// The status of the response that caused it (429, or 503 with `Retry-After`).
    pub status: u16,
}

impl LongPause {
    /// The call's error: what the response behind the pause would have given it (its status),
    /// saying that nothing was sent. The call's `retryAfterMs` is [`LongPause::remaining_ms`].
    pub fn error(&self) -> Error {
        Error::Http {
            status: self.status,
            message: Some(format!(
                "the client is paused by a rate limit for another {} ms, longer than retry.maxDelayMs; nothing was sent",
                self.remaining_ms
            )),
            body: None,
        }
    }
}

/// Why a request was not admitted, for the call driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The caller's signal fired while it waited.
    Aborted,
    /// The pause lasts longer than the call may wait.
    TooLong(LongPause),
}

/// Why a ticket cannot go yet.
#[derive(Debug, PartialEq, Eq)]
pub enum Wait {
    /// The client is paused until this time (ms since the epoch): poll again then.
    Until(u64),
    /// Every slot is taken or earlier tickets come first: poll again after a release.
    Queued,
}

/// Why the client paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseReason {
    /// The server's `Retry-After` (on a 429 or 503).
    RetryAfter,
    /// A 429 without `Retry-After`: the client's own backoff.
    Backoff,
}

impl PauseReason {
    /// `"retryAfter"` or `"backoff"`, as the `onRateLimit` hook reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            PauseReason::RetryAfter => "retryAfter",
            PauseReason::Backoff => "backoff",
        }
    }
}

/// A pause that a response started or extended (reported once, through `onRateLimit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// When requests resume (ms since the epoch).
    pub until_ms: u64,
    /// How long from the response that caused it.
    pub duration_ms: u64,
    /// Why.
    pub reason: PauseReason,
    /// The status of the response that caused it.
    pub status: u16,
}

/// The quota as the last response that carried each header said it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quota {
    /// The last `X-RateLimit-Limit`.
    pub limit: Option<String>,
    /// The last `X-RateLimit-Remaining`.
    pub remaining: Option<String>,
    /// The last `X-RateLimit-Reset`.
    pub reset: Option<String>,
    /// The last `X-RateLimit-NearLimit`, read as a boolean.
    pub near_limit: Option<bool>,
}

/// What `client.rateLimit` shows: the last seen quota, the pause, the queue and the totals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct RateLimitSnapshot {
    /// The last `X-RateLimit-Limit` seen, if any response carried one.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub limit: Option<u64>,
    /// The last `X-RateLimit-Remaining` seen.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub remaining: Option<u64>,
    /// The last `X-RateLimit-Reset` seen, as the server wrote it (an ISO date or seconds).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub reset: Option<String>,
    /// The last `X-RateLimit-NearLimit` seen.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub near_limit: Option<bool>,
    /// Milliseconds until the current pause ends (0 when requests may go).
    pub paused_for_ms: u64,
    /// How many requests may be in flight now (lowered near the limit and after a pause).
    pub concurrency: usize,
    /// Requests in flight now.
    pub in_flight: usize,
    /// Requests waiting for a slot or for the pause to end.
    pub queued: usize,
    /// Requests sent since the client was made.
    pub requests: u64,
    /// 429 responses met since then.
    pub rate_limited: u64,
    /// Total milliseconds the client spent paused since then.
    pub paused_ms: u64,
}

/// The client-wide admission queue, pause and concurrency cap (see the module docs).
#[derive(Debug)]
pub struct Governor {
    config: GovernorConfig,
    /// The cap now: between 1 and `max_in_flight`.
    limit: usize,
    in_flight: usize,
    /// Waiting tickets, oldest first.
    queue: VecDeque<u64>,
    next_ticket: u64,
    paused_until: u64,
    /// 429s without `Retry-After` in a row.
    streak: u32,
    quota: Quota,
    requests: u64,
    rate_limited: u64,
    paused_ms: u64,
    /// The status of the response behind the latest pause.
    pause_status: u16,
    /// The latest time a waiter's timer fired for: the clock never runs behind it (a timer may
    /// fire a millisecond before the wall clock reaches its time; the pause is over then).
    clock_floor: u64,
    /// Whether a pause began since the last [`Governor::wakes`]: every waiter is woken then,
    /// to sleep on a timer until the pause ends instead of waiting for a release.
    wake_all: bool,
}

impl Governor {
    /// A governor with nothing in flight and no pause. `max_in_flight` and `resume_in_flight`
    /// are raised to 1 if 0.
    pub fn new(config: GovernorConfig) -> Governor {
        let config = GovernorConfig {
            max_in_flight: config.max_in_flight.max(1),
            resume_in_flight: config.resume_in_flight.max(1),
            ..config
        };
        Governor {
            limit: config.max_in_flight,
            config,
            in_flight: 0,
            queue: VecDeque::new(),
            next_ticket: 0,
            paused_until: 0,
            streak: 0,
            quota: Quota::default(),
            requests: 0,
            rate_limited: 0,
            paused_ms: 0,
            pause_status: 429,
            clock_floor: 0,
            wake_all: false,
        }
    }

    /// `now_ms`, never behind a time a waiter's timer fired for.
    fn clock(&self, now_ms: u64) -> u64 {
        now_ms.max(self.clock_floor)
    }

    /// A slot now for a first attempt, without joining the queue: only when nothing waits,
    /// no pause runs and a slot is free (where [`Governor::wait`] then [`Governor::admit`] would
    /// say [`Admission::Go`] at once). `None` changes nothing.
    pub fn go_now(&mut self, now_ms: u64) -> Option<Slot> {
        let now = self.clock(now_ms);
        let free = self.queue.is_empty() && self.in_flight < self.limit;
        if !free || self.pause_remaining(now) > 0 {
            return None;
        }
        self.in_flight += 1;
        self.requests += 1;
        Some(Slot(()))
    }

    /// Joins the queue for a request of a call with `retry`'s policy: after `delay_ms` (a
    /// retry's backoff, slept on a timer even when 0; `None` for a first attempt), and for a
    /// client-wide pause no longer than `retry.max_delay_ms` (so none with retries off).
    pub fn wait(&mut self, now_ms: u64, delay_ms: Option<u64>, retry: &RetryPolicy) -> Waiter {
        Waiter {
            ticket: Some(self.enqueue()),
            not_before: self.clock(now_ms).saturating_add(delay_ms.unwrap_or(0)),
            timer_first: delay_ms.is_some(),
            max_wait_ms: retry.max_delay_ms,
        }
    }

    /// Whether `waiter` may go now (see [`Admission`]). A pause longer than it may wait is
    /// checked first, at every ask: a pause that begins while it waits counts too.
    pub fn admit(&mut self, waiter: &mut Waiter, now_ms: u64) -> Admission {
        let now = self.clock(now_ms);
        let Some(ticket) = waiter.ticket.take() else {
            // Admitted or gone already: nothing to wait for.
            return Admission::Queued;
        };
        let paused = self.pause_remaining(now);
        if paused > waiter.max_wait_ms {
            self.cancel(ticket);
            return Admission::Held(LongPause {
                remaining_ms: paused,
                status: self.pause_status,
            });
        }
        if waiter.timer_first || now < waiter.not_before || paused > 0 {
            waiter.ticket = Some(ticket);
            return Admission::Sleep(waiter.not_before.max(now.saturating_add(paused)));
        }
        match self.poll(ticket, now) {
            Ok(slot) => Admission::Go(slot),
            Err((ticket, wait)) => {
                waiter.ticket = Some(ticket);
                match wait {
                    Wait::Until(until) => Admission::Sleep(until),
                    Wait::Queued => Admission::Queued,
                }
            }
        }
    }

    /// `waiter`'s timer for `until` (an [`Admission::Sleep`]) fired.
    pub fn slept(&mut self, waiter: &mut Waiter, until: u64) {
        self.clock_floor = self.clock_floor.max(until);
        waiter.not_before = until;
        waiter.timer_first = false;
    }

    /// `waiter` gives up (its caller's signal fired): it leaves the queue. Nothing to do when
    /// it was admitted or held. Ask [`Governor::wakes`] then: the ones behind it may go.
    pub fn leave(&mut self, waiter: Waiter) {
        if let Some(ticket) = waiter.ticket {
            self.cancel(ticket);
        }
    }

    /// The waiters (by [`Waiter::id`]) to wake now: those [`Governor::admit`] would let go,
    /// after a release or a departure; every waiting one after a pause began (each then
    /// sleeps until it ends). Waking only these costs nothing per waiter that must go on
    /// waiting. Ask after every [`Governor::release`], [`Governor::leave`] and
    /// [`Governor::observe`]; a waiter asleep on a timer may be named, and ignores it.
    pub fn wakes(&mut self, now_ms: u64) -> Vec<u64> {
        if std::mem::take(&mut self.wake_all) {
            return self.queue.iter().copied().collect();
        }
        self.admissible(self.clock(now_ms))
    }

    /// Joins the queue: the request goes after every request that joined before it.
    pub fn enqueue(&mut self) -> Ticket {
        self.next_ticket += 1;
        self.queue.push_back(self.next_ticket);
        Ticket(self.next_ticket)
    }

    /// Whether `ticket` may go now. `Ok`: it has left the queue and holds a slot. `Err`: the
    /// ticket back, and when to ask again.
    pub fn poll(&mut self, ticket: Ticket, now_ms: u64) -> Result<Slot, (Ticket, Wait)> {
        if now_ms < self.paused_until {
            let until = self.paused_until;
            return Err((ticket, Wait::Until(until)));
        }
        let free = self.limit.saturating_sub(self.in_flight);
        match self.queue.iter().position(|t| *t == ticket.0) {
            Some(at) if at < free => {
                self.queue.remove(at);
                self.in_flight += 1;
                self.requests += 1;
                Ok(Slot(()))
            }
            Some(_) => Err((ticket, Wait::Queued)),
            // Not queued (cancelled): it may not take a slot.
            None => Err((ticket, Wait::Queued)),
        }
    }

    /// The tickets (by [`Ticket::id`]) that [`Governor::poll`] would admit now: the head of the
    /// queue, as many as there are free slots; none while paused. A skin wakes exactly these
    /// after a release, rather than every waiting request.
    pub fn admissible(&self, now_ms: u64) -> Vec<u64> {
        if now_ms < self.paused_until {
            return Vec::new();
        }
        let free = self.limit.saturating_sub(self.in_flight);
        self.queue.iter().take(free).copied().collect()
    }

    /// Leaves the queue without sending (the caller gave up). Whether that may let the next
    /// tickets go: it does when the cancelled one was ahead of them.
    pub fn cancel(&mut self, ticket: Ticket) {
        self.queue.retain(|t| *t != ticket.0);
    }

    /// Gives a slot back: one more queued ticket may go.
    pub fn release(&mut self, slot: Slot) {
        let Slot(()) = slot;
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Milliseconds until the pause ends (0 when not paused).
    pub fn pause_remaining(&self, now_ms: u64) -> u64 {
        self.paused_until.saturating_sub(now_ms)
    }

    /// Takes in what one response said. A 429 or 503 with a parseable `Retry-After` pauses the
    /// whole client until then; a 429 without one pauses it for the client's own backoff
    /// (`backoff_base_ms`, doubling with each such 429 in a row, at most `backoff_max_ms`).
    /// A pause also lowers the cap to `resume_in_flight`. Other responses move the cap by
    /// [`next_limit`]. Returns the pause when this response started one or made it longer.
    pub fn observe(
        &mut self,
        now_ms: u64,
        status: u16,
        headers: &RateLimitHeaders<'_>,
    ) -> Option<Pause> {
        let now_ms = self.clock(now_ms);
        if let Some(v) = headers.limit {
            self.quota.limit = Some(v.trim().to_owned());
        }
        if let Some(v) = headers.remaining {
            self.quota.remaining = Some(v.trim().to_owned());
        }
        if let Some(v) = headers.reset {
            self.quota.reset = Some(v.trim().to_owned());
        }
        if let Some(v) = headers.near_limit {
            self.quota.near_limit = Some(v.trim().eq_ignore_ascii_case("true"));
        }
        if status == 429 {
            self.rate_limited += 1;
        }
        let retry_after = headers
            .retry_after
            .and_then(|v| parse_retry_after(v, now_ms));
        let pause = match (status, retry_after) {
            (429 | 503, Some(ms)) => {
                self.streak = 0;
                Some((ms, PauseReason::RetryAfter))
            }
            (429, None) => {
                self.streak = self.streak.saturating_add(1);
                let exponent = (self.streak - 1).min(63);
                let ms = self
                    .config
                    .backoff_base_ms
                    .saturating_mul(1u64 << exponent)
                    .min(self.config.backoff_max_ms);
                Some((ms, PauseReason::Backoff))
            }
            _ => None,
        };
        let Some((duration_ms, reason)) = pause else {
            if status != 503 {
                self.streak = 0;
                let max = self.config.max_in_flight;
                let pressure = pressure(headers, max);
                // Answers to requests sent before a pause, arriving during it, say nothing about
                // the quota after it: they may lower the cap but not raise it.
                if now_ms >= self.paused_until || pressure == Pressure::Near {
                    self.limit = next_limit(self.limit, max, pressure);
                }
            }
            return None;
        };
        self.limit = self.limit.min(self.config.resume_in_flight);
        let until_ms = now_ms.saturating_add(duration_ms);
        if until_ms <= self.paused_until {
            return None;
        }
        // Paused time counts once where pauses overlap.
        self.paused_ms = self
            .paused_ms
            .saturating_add(until_ms - self.paused_until.max(now_ms));
        self.paused_until = until_ms;
        self.pause_status = status;
        self.wake_all = true;
        Some(Pause {
            until_ms,
            duration_ms,
            reason,
            status,
        })
    }

    /// The telemetry at `now_ms`.
    pub fn snapshot(&self, now_ms: u64) -> RateLimitSnapshot {
        let now_ms = self.clock(now_ms);
        let number = |v: &Option<String>| v.as_deref().and_then(|v| v.parse::<u64>().ok());
        RateLimitSnapshot {
            limit: number(&self.quota.limit),
            remaining: number(&self.quota.remaining),
            reset: self.quota.reset.clone(),
            near_limit: self.quota.near_limit,
            paused_for_ms: self.pause_remaining(now_ms),
            concurrency: self.limit,
            in_flight: self.in_flight,
            queued: self.queue.len(),
            requests: self.requests,
            rate_limited: self.rate_limited,
            paused_ms: self.paused_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    fn governor(max: usize, resume: usize) -> Governor {
        Governor::new(GovernorConfig {
            max_in_flight: max,
            resume_in_flight: resume,
            backoff_base_ms: 500,
            backoff_max_ms: 30_000,
        })
    }

    fn headers() -> RateLimitHeaders<'static> {
        RateLimitHeaders::default()
    }

    /// Polls every ticket in order at `now`, keeping those that must wait; returns the slots.
    fn admit(g: &mut Governor, tickets: &mut Vec<Ticket>, now: u64) -> Vec<Slot> {
        let mut slots = Vec::new();
        let mut waiting = Vec::new();
        for t in tickets.drain(..) {
            match g.poll(t, now) {
                Ok(slot) => slots.push(slot),
                Err((t, _)) => waiting.push(t),
            }
        }
        *tickets = waiting;
        slots
    }

    #[test]
    fn the_cap_holds_across_callers_and_the_queue_is_first_in_first_out() {
        let mut g = governor(3, 3);
        let mut tickets: Vec<Ticket> = (0..10).map(|_| g.enqueue()).collect();
        let ids: Vec<u64> = tickets.iter().map(|t| t.0).collect();
        // Asking out of order cannot jump the queue: the last ticket waits while slots are free
        // for the three before it.
        let last = tickets.pop().unwrap_or_else(|| unreachable!());
        let (last, wait) = g.poll(last, T0).unwrap_err();
        assert_eq!(wait, Wait::Queued);
        tickets.push(last);
        let slots = admit(&mut g, &mut tickets, T0);
        assert_eq!(slots.len(), 3);
        assert_eq!(g.snapshot(T0).in_flight, 3);
        assert_eq!(tickets.first().map(|t| t.0), Some(ids[3]));
        // Nothing more goes until a slot comes back; then exactly the next one.
        assert!(admit(&mut g, &mut tickets, T0).is_empty());
        let mut slots = slots.into_iter();
        g.release(slots.next().unwrap_or_else(|| unreachable!()));
        let next = admit(&mut g, &mut tickets, T0);
        assert_eq!(next.len(), 1);
        assert_eq!(tickets.first().map(|t| t.0), Some(ids[4]));
        assert_eq!(g.snapshot(T0).queued, 6);
        assert_eq!(g.snapshot(T0).requests, 4);
    }

    #[test]
    fn a_cancelled_ticket_gives_its_place_to_the_next() {
        let mut g = governor(1, 1);
        let a = g.enqueue();
        let b = g.enqueue();
        let c = g.enqueue();
        let slot = g.poll(a, T0).unwrap_or_else(|_| unreachable!());
        g.cancel(b);
        assert!(g.admissible(T0).is_empty());
        g.release(slot);
        assert_eq!(g.admissible(T0), vec![c.id()]);
        assert!(g.poll(c, T0).is_ok());
        assert_eq!(g.snapshot(T0).queued, 0);
    }

    #[test]
    fn only_the_head_of_the_queue_is_admissible_and_none_while_paused() {
        let mut g = governor(2, 2);
        let tickets: Vec<Ticket> = (0..5).map(|_| g.enqueue()).collect();
        let ids: Vec<u64> = tickets.iter().map(Ticket::id).collect();
        assert_eq!(g.admissible(T0), ids[..2].to_vec());
        let h = RateLimitHeaders {
            retry_after: Some("1"),
            ..headers()
        };
        g.observe(T0, 429, &h);
        assert!(g.admissible(T0 + 999).is_empty());
        assert_eq!(g.admissible(T0 + 1000), ids[..2].to_vec());
    }

    #[test]
    fn retry_after_pauses_every_later_request_then_resumes_at_the_resume_cap() {
        let mut g = governor(8, 2);
        let first = g.enqueue();
        let slot = g.poll(first, T0).unwrap_or_else(|_| unreachable!());
        let h = RateLimitHeaders {
            retry_after: Some("2"),
            ..headers()
        };
        let pause = g.observe(T0 + 10, 429, &h);
        assert_eq!(
            pause,
            Some(Pause {
                until_ms: T0 + 2010,
                duration_ms: 2000,
                reason: PauseReason::RetryAfter,
                status: 429
            })
        );
        g.release(slot);
        // Seven answers to requests sent before the stop, arriving during the pause: the cap
        // stays at the resume cap.
        for _ in 0..7 {
            g.observe(T0 + 100, 200, &headers());
        }
        assert_eq!(g.snapshot(T0 + 100).concurrency, 2);
        let mut tickets: Vec<Ticket> = (0..20).map(|_| g.enqueue()).collect();
        for now in [T0 + 10, T0 + 1000, T0 + 2009] {
            let t = tickets.remove(0);
            let (t, wait) = g.poll(t, now).unwrap_err();
            assert_eq!(wait, Wait::Until(T0 + 2010));
            tickets.insert(0, t);
        }
        assert_eq!(g.snapshot(T0 + 1010).paused_for_ms, 1000);
        // At the end of the pause: only `resume_in_flight` at once.
        let slots = admit(&mut g, &mut tickets, T0 + 2010);
        assert_eq!(slots.len(), 2);
        // Each clear response lets one more go at once.
        for slot in slots {
            g.release(slot);
            assert_eq!(g.observe(T0 + 2100, 200, &headers()), None);
        }
        assert_eq!(g.snapshot(T0 + 2100).concurrency, 4);
        assert_eq!(admit(&mut g, &mut tickets, T0 + 2100).len(), 4);
        let s = g.snapshot(T0 + 2100);
        assert_eq!((s.rate_limited, s.paused_ms, s.requests), (1, 2000, 7));
    }

    #[test]
    fn a_503_with_retry_after_pauses_and_one_without_does_not() {
        let mut g = governor(4, 4);
        let h = RateLimitHeaders {
            retry_after: Some("1"),
            ..headers()
        };
        assert_eq!(g.observe(T0, 503, &headers()), None);
        assert_eq!(g.pause_remaining(T0), 0);
        let pause = g.observe(T0, 503, &h);
        assert_eq!(pause.map(|p| p.reason), Some(PauseReason::RetryAfter));
        assert_eq!(g.pause_remaining(T0), 1000);
        assert_eq!(g.snapshot(T0).rate_limited, 0);
        // An HTTP date works too.
        let h = RateLimitHeaders {
            retry_after: Some("Tue, 14 Nov 2023 22:13:25 GMT"),
            ..headers()
        };
        assert_eq!(g.observe(T0, 429, &h).map(|p| p.until_ms), Some(T0 + 5000));
    }

    #[test]
    fn a_429_without_retry_after_backs_off_client_wide_doubling_in_a_row() {
        let mut g = governor(4, 4);
        let mut now = T0;
        for expected in [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000] {
            let pause = g
                .observe(now, 429, &headers())
                .unwrap_or_else(|| unreachable!());
            assert_eq!(pause.reason, PauseReason::Backoff);
            assert_eq!(pause.duration_ms, expected);
            assert_eq!(g.pause_remaining(now), expected);
            now += expected;
        }
        // A success ends the streak.
        g.observe(now, 200, &headers());
        let pause = g
            .observe(now, 429, &headers())
            .unwrap_or_else(|| unreachable!());
        assert_eq!(pause.duration_ms, 500);
        // Garbage in Retry-After counts as none.
        let h = RateLimitHeaders {
            retry_after: Some("soon"),
            ..headers()
        };
        let pause = g
            .observe(now + 500, 429, &h)
            .unwrap_or_else(|| unreachable!());
        assert_eq!(pause.reason, PauseReason::Backoff);
        assert_eq!(pause.duration_ms, 1000);
    }

    #[test]
    fn a_pause_is_reported_once_and_overlapping_pauses_count_once() {
        let mut g = governor(8, 4);
        let h = RateLimitHeaders {
            retry_after: Some("2"),
            ..headers()
        };
        assert!(g.observe(T0, 429, &h).is_some());
        // Seven more 429s of the same burst, answered within the pause: no new report.
        for i in 1..=7 {
            let shorter = RateLimitHeaders {
                retry_after: Some("1"),
                ..headers()
            };
            assert_eq!(g.observe(T0 + i, 429, &shorter), None);
        }
        assert_eq!(g.snapshot(T0).paused_ms, 2000);
        // One that reaches further extends it, counting only the extension.
        assert!(g.observe(T0 + 1500, 429, &h).is_some());
        let s = g.snapshot(T0 + 1500);
        assert_eq!(
            (s.paused_ms, s.paused_for_ms, s.rate_limited),
            (3500, 2000, 9)
        );
    }

    #[test]
    fn pressure_comes_from_near_limit_or_a_low_remaining() {
        let h =
            |near: Option<&'static str>, rem: Option<&'static str>, lim: Option<&'static str>| {
                RateLimitHeaders {
                    near_limit: near,
                    remaining: rem,
                    limit: lim,
                    ..RateLimitHeaders::default()
                }
            };
        assert_eq!(pressure(&h(Some("true"), None, None), 8), Pressure::Near);
        assert_eq!(pressure(&h(Some("TRUE"), None, None), 8), Pressure::Near);
        assert_eq!(pressure(&h(Some("false"), None, None), 8), Pressure::Clear);
        assert_eq!(
            pressure(&h(None, Some("100"), Some("1000")), 8),
            Pressure::Near
        );
        assert_eq!(
            pressure(&h(None, Some("101"), Some("1000")), 8),
            Pressure::Clear
        );
        assert_eq!(pressure(&h(None, Some("8"), None), 8), Pressure::Near);
        assert_eq!(pressure(&h(None, Some("9"), None), 8), Pressure::Clear);
        assert_eq!(
            pressure(&h(None, Some("x"), Some("1000")), 8),
            Pressure::Clear
        );
        assert_eq!(pressure(&RateLimitHeaders::default(), 8), Pressure::Clear);
    }

    #[test]
    fn the_adaptive_limit_halves_under_pressure_and_climbs_back_by_one() {
        assert_eq!(next_limit(8, 8, Pressure::Near), 4);
        assert_eq!(next_limit(4, 8, Pressure::Near), 2);
        assert_eq!(next_limit(3, 8, Pressure::Near), 2);
        assert_eq!(next_limit(1, 8, Pressure::Near), 1);
        assert_eq!(next_limit(1, 8, Pressure::Clear), 2);
        assert_eq!(next_limit(8, 8, Pressure::Clear), 8);
        assert_eq!(next_limit(usize::MAX, 8, Pressure::Clear), 8);
        assert_eq!(next_limit(0, 0, Pressure::Clear), 1);

        let mut g = governor(8, 8);
        let near = RateLimitHeaders {
            near_limit: Some("true"),
            limit: Some("1000"),
            remaining: Some("150"),
            reset: Some("2026-12-06T23:00:00Z"),
            ..RateLimitHeaders::default()
        };
        g.observe(T0, 200, &near);
        g.observe(T0, 200, &near);
        let s = g.snapshot(T0);
        assert_eq!(s.concurrency, 2);
        assert_eq!(
            (s.limit, s.remaining, s.near_limit, s.reset.as_deref()),
            (
                Some(1000),
                Some(150),
                Some(true),
                Some("2026-12-06T23:00:00Z")
            )
        );
        // With two slots taken, a third request waits.
        let mut tickets: Vec<Ticket> = (0..3).map(|_| g.enqueue()).collect();
        assert_eq!(admit(&mut g, &mut tickets, T0).len(), 2);
        assert_eq!(tickets.len(), 1);
        // Cleared: the cap climbs back, one response at a time, to the maximum.
        let clear = RateLimitHeaders {
            near_limit: Some("false"),
            remaining: Some("900"),
            ..RateLimitHeaders::default()
        };
        for _ in 0..10 {
            g.observe(T0, 200, &clear);
        }
        assert_eq!(g.snapshot(T0).concurrency, 8);
        assert_eq!(g.snapshot(T0).near_limit, Some(false));
    }

    #[test]
    fn headers_are_picked_from_pairs_by_name() {
        let pairs = [
            ("Retry-After", "3".to_owned()),
            ("X-RateLimit-Limit", "1000".to_owned()),
            ("X-RateLimit-Remaining", "10".to_owned()),
            ("X-RateLimit-Reset", "2026-12-06T23:00:00Z".to_owned()),
            ("X-RateLimit-NearLimit", "true".to_owned()),
            ("RateLimit-Reason", "jira-quota-tenant-based".to_owned()),
        ];
        let h = RateLimitHeaders::from_pairs(&pairs);
        assert_eq!(h.retry_after, Some("3"));
        assert_eq!(h.limit, Some("1000"));
        assert_eq!(h.remaining, Some("10"));
        assert_eq!(h.reset, Some("2026-12-06T23:00:00Z"));
        assert_eq!(h.near_limit, Some("true"));
    }

    #[test]
    fn zero_caps_are_raised_to_one_and_huge_retry_after_saturates() {
        let mut g = governor(0, 0);
        let t = g.enqueue();
        assert!(g.poll(t, T0).is_ok());
        let h = RateLimitHeaders {
            retry_after: Some("99999999999999999999"),
            ..RateLimitHeaders::default()
        };
        let pause = g.observe(T0, 429, &h).unwrap_or_else(|| unreachable!());
        assert_eq!(pause.until_ms, u64::MAX);
        assert_eq!(g.pause_remaining(T0), u64::MAX - T0);
    }

    /// Admits `w` at `now`, expecting a slot.
    fn go(g: &mut Governor, w: &mut Waiter, now: u64) -> Slot {
        match g.admit(w, now) {
            Admission::Go(slot) => slot,
            other => panic!("not admitted: {other:?}"),
        }
    }

    #[test]
    fn go_now_takes_a_free_slot_only_with_nothing_queued_and_no_pause() {
        let mut g = governor(2, 2);
        let retry = RetryPolicy::default();
        let a = g.go_now(T0).expect("a free slot");
        assert_eq!(g.snapshot(T0).in_flight, 1);
        assert_eq!(g.snapshot(T0).requests, 1);
        // A waiter queued: the next first attempt may not pass it, though a slot is free.
        let mut w = g.wait(T0, None, &retry);
        assert!(g.go_now(T0).is_none());
        let b = go(&mut g, &mut w, T0);
        // Every slot taken.
        assert!(g.go_now(T0).is_none());
        assert_eq!(g.snapshot(T0).in_flight, 2);
        g.release(a);
        g.release(b);
        // A pause: nothing goes until it ends.
        let pause = g.observe(
            T0,
            429,
            &RateLimitHeaders::from_pairs(&[("Retry-After", "2")]),
        );
        assert!(pause.is_some());
        assert!(g.go_now(T0 + 1_999).is_none());
        assert!(g.go_now(T0 + 2_000).is_some());
        assert_eq!(g.snapshot(T0 + 2_000).requests, 3);
    }

    #[test]
    fn waiters_go_in_queue_order_and_a_release_wakes_exactly_the_next() {
        let mut g = governor(2, 2);
        let retry = RetryPolicy::default();
        let mut ws: Vec<Waiter> = (0..5).map(|_| g.wait(T0, None, &retry)).collect();
        let ids: Vec<u64> = ws.iter().map(Waiter::id).collect();
        assert!(ids.windows(2).all(|p| p[0] < p[1]));
        // The last asks first: it cannot jump the queue.
        assert_eq!(g.admit(&mut ws[4], T0), Admission::Queued);
        let a = go(&mut g, &mut ws[0], T0);
        let _b = go(&mut g, &mut ws[1], T0);
        assert_eq!(g.admit(&mut ws[2], T0), Admission::Queued);
        assert_eq!(g.admit(&mut ws[3], T0), Admission::Queued);
        // Nothing freed: nobody to wake.
        assert!(g.wakes(T0).is_empty());
        g.release(a);
        assert_eq!(g.wakes(T0), vec![ids[2]]);
        let _c = go(&mut g, &mut ws[2], T0);
        // The next in line gives up: the one behind it is not admissible yet (no free slot),
        // and once a slot frees, it is the one woken.
        let gone = ws.remove(3);
        g.leave(gone);
        assert!(g.wakes(T0).is_empty());
        g.release(_b);
        assert_eq!(g.wakes(T0), vec![ids[4]]);
        assert!(matches!(g.admit(&mut ws[3], T0), Admission::Go(_)));
        // Admitted: its id names nothing and leaving changes nothing.
        assert_eq!(ws[3].id(), 0);
        assert_eq!(g.snapshot(T0).queued, 0);
    }

    #[test]
    fn a_backoff_is_slept_on_a_timer_first_even_when_zero() {
        let mut g = governor(4, 4);
        let retry = RetryPolicy::default();
        let mut w = g.wait(T0, Some(0), &retry);
        assert_eq!(g.admit(&mut w, T0), Admission::Sleep(T0));
        g.slept(&mut w, T0);
        go(&mut g, &mut w, T0);
        let mut w = g.wait(T0, Some(250), &retry);
        assert_eq!(g.admit(&mut w, T0 + 100), Admission::Sleep(T0 + 250));
        // The timer fires a millisecond early by the wall clock: the backoff is over.
        g.slept(&mut w, T0 + 250);
        go(&mut g, &mut w, T0 + 249);
    }

    #[test]
    fn a_pause_is_slept_through_under_one_timer_with_the_backoff() {
        let mut g = governor(4, 4);
        let retry = RetryPolicy::default();
        let h = RateLimitHeaders {
            retry_after: Some("2"),
            ..headers()
        };
        g.observe(T0, 429, &h);
        // A backoff shorter than the pause: one sleep, to the end of the pause.
        let mut w = g.wait(T0, Some(500), &retry);
        assert_eq!(g.admit(&mut w, T0), Admission::Sleep(T0 + 2000));
        g.slept(&mut w, T0 + 2000);
        // A timer firing early by the wall clock still ends the pause.
        go(&mut g, &mut w, T0 + 1999);
        // A backoff longer than the pause: its own end.
        g.observe(T0 + 3000, 429, &h);
        let mut w = g.wait(T0 + 3000, Some(4000), &retry);
        assert_eq!(g.admit(&mut w, T0 + 3000), Admission::Sleep(T0 + 7000));
    }

    #[test]
    fn a_pause_longer_than_the_call_may_wait_holds_it_back_at_once() {
        let mut g = governor(4, 4);
        let h = RateLimitHeaders {
            retry_after: Some("60"),
            ..headers()
        };
        let retry = RetryPolicy::default(); // maxDelayMs 30 s
        let mut early = g.wait(T0, None, &retry);
        g.observe(T0, 503, &h);
        let held = Admission::Held(LongPause {
            remaining_ms: 59_000,
            status: 503,
        });
        // Already queued when the pause began: held at its next ask, and out of the queue.
        assert_eq!(g.admit(&mut early, T0 + 1000), held);
        assert_eq!(early.id(), 0);
        assert_eq!(g.snapshot(T0 + 1000).queued, 0);
        let mut w = g.wait(T0 + 1000, None, &retry);
        assert_eq!(g.admit(&mut w, T0 + 1000), held);
        // A pause within maxDelayMs is waited for.
        let patient = RetryPolicy {
            max_delay_ms: 59_000,
            ..retry
        };
        let mut w = g.wait(T0 + 1000, None, &patient);
        assert_eq!(g.admit(&mut w, T0 + 1000), Admission::Sleep(T0 + 60_000));
        // `retry: false` waits out no pause at all, however short; with no pause it goes.
        let mut g = governor(4, 4);
        let short = RateLimitHeaders {
            retry_after: Some("1"),
            ..headers()
        };
        g.observe(T0, 429, &short);
        let mut w = g.wait(T0, None, &RetryPolicy::NONE);
        assert_eq!(
            g.admit(&mut w, T0 + 999),
            Admission::Held(LongPause {
                remaining_ms: 1,
                status: 429
            })
        );
        let mut w = g.wait(T0 + 1000, None, &RetryPolicy::NONE);
        go(&mut g, &mut w, T0 + 1000);
        let err = LongPause {
            remaining_ms: 1,
            status: 429,
        }
        .error();
        assert_eq!(err.status(), 429);
        assert!(err
            .to_string()
            .contains("another 1 ms, longer than retry.maxDelayMs"));
    }

    #[test]
    fn a_pause_wakes_every_waiter_once_and_none_until_it_ends() {
        let mut g = governor(1, 1);
        let retry = RetryPolicy::default();
        let mut first = g.wait(T0, None, &retry);
        let slot = go(&mut g, &mut first, T0);
        let mut ws: Vec<Waiter> = (0..3).map(|_| g.wait(T0, None, &retry)).collect();
        let ids: Vec<u64> = ws.iter().map(Waiter::id).collect();
        for w in &mut ws {
            assert_eq!(g.admit(w, T0), Admission::Queued);
        }
        let h = RateLimitHeaders {
            retry_after: Some("1"),
            ..headers()
        };
        assert!(g.observe(T0 + 5, 429, &h).is_some());
        // Everyone waiting is woken, to sleep on a timer instead of waiting for a release.
        assert_eq!(g.wakes(T0 + 5), ids);
        for w in &mut ws {
            assert_eq!(g.admit(w, T0 + 5), Admission::Sleep(T0 + 1005));
        }
        // Then a release during the pause wakes nobody.
        g.release(slot);
        assert!(g.wakes(T0 + 6).is_empty());
        // A response that starts no pause wakes nobody either.
        assert_eq!(g.observe(T0 + 6, 200, &headers()), None);
        assert!(g.wakes(T0 + 6).is_empty());
        // One that lengthens it wakes all again (each sleeps to the new end).
        assert!(g.observe(T0 + 6, 429, &h).is_some());
        assert_eq!(g.wakes(T0 + 6), ids);
        assert_eq!(g.admit(&mut ws[0], T0 + 6), Admission::Sleep(T0 + 1006));
        // After it, the head of the queue goes.
        for w in &mut ws {
            g.slept(w, T0 + 1006);
        }
        assert!(matches!(g.admit(&mut ws[0], T0 + 1006), Admission::Go(_)));
        assert_eq!(g.admit(&mut ws[1], T0 + 1006), Admission::Queued);
    }
}
