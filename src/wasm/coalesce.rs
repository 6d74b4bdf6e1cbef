//! Coalescing and the user cache in the skin (issue 11): collects the `getUser` calls of one
//! window and answers them from bulk lookups, lets identical requests in flight share one, and
//! keeps users in the core's [`UserCache`]. Which calls may share or wait for a window, the
//! grouping, the expands that may be coalesced, the 404 of a missing id, the cache's keys and
//! eviction are the core's ([`crate::coalesce`], [`crate::cache`]).

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use super::call::{bulk, plan_bulk_of, run_bulk, BulkOp, Inner, Op};
use super::error::{to_js_error, Context, Frames};
use super::js::{get, json_parse, promise, set};
use super::send;
use crate::bulk::IdSet;
use crate::cache::{expand_key, CacheConfig, UserCache};
use crate::coalesce::{batches, bulk_expand, shares, window_for};
use crate::models::AccountId;
use crate::{BulkEndpoint, GetBulkUserLookupParams, GetCurrentUserParams, GetUserParams, Request};

/// A `getUser` call waiting for its window to close.
struct Pending {
    params: GetUserParams,
    resolve: Function,
    reject: Function,
}

/// Coalescing's and the cache's state, one per client.
pub(crate) struct Sharing {
    /// The window in ms, when coalescing is on.
    window_ms: Option<u32>,
    pending: RefCell<Vec<Pending>>,
    timer_armed: Cell<bool>,
    /// Requests in flight by URL, with the callers waiting to share their answers.
    flights: RefCell<HashMap<String, Vec<(Function, Function)>>>,
    cache: Option<RefCell<UserCache<JsValue>>>,
    /// The `_links` of the last bulk answer, for a bulk result made only of cached users.
    last_links: RefCell<Option<JsValue>>,
    /// `client.cache`, made on first use.
    handle: OnceCell<JsValue>,
}

impl Sharing {
    /// Whether a call (with or without a signal of its own) may share a request in flight.
    pub(crate) fn shares(&self, has_signal: bool) -> bool {
        shares(self.window_ms, has_signal)
    }

    pub(crate) fn new(window_ms: Option<u32>, cache: Option<CacheConfig>) -> Sharing {
        Sharing {
            window_ms,
            pending: RefCell::new(Vec::new()),
            timer_armed: Cell::new(false),
            flights: RefCell::new(HashMap::new()),
            cache: cache.map(|c| RefCell::new(UserCache::new(c))),
            last_links: RefCell::new(None),
            handle: OnceCell::new(),
        }
    }
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A copy of `value` for one more caller (`structuredClone` where the runtime has it, else a
/// JSON round trip: the values are JSON data).
fn copy(value: &JsValue) -> JsValue {
    let clone = get(&js_sys::global(), "structuredClone");
    if let Some(clone) = clone.dyn_ref::<Function>() {
        if let Ok(copied) = clone.call1(&JsValue::UNDEFINED, value) {
            return copied;
        }
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| json_parse(&text).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

fn user_expand_key(params: &GetUserParams) -> String {
    expand_key(params.expand.iter().map(|e| e.as_str()))
}

impl Inner {
    fn cache_get(&self, account_id: &str, key: &str) -> Option<JsValue> {
        let cache = self.sharing.cache.as_ref()?;
        let hit = cache.borrow_mut().get(account_id, key, now_ms()).map(copy);
        hit
    }

    /// Puts a call's result (a user) in the user cache under the expand key `key`, if any.
    pub(crate) fn keep(&self, result: &JsValue, key: Option<String>) {
        if let Some(key) = key {
            self.cache_put(result, &key);
        }
    }

    fn cache_put(&self, record: &JsValue, key: &str) {
        let Some(cache) = &self.sharing.cache else {
            return;
        };
        if let Some(id) = get(record, "accountId").as_string() {
            cache
                .borrow_mut()
                .put(id, key.to_owned(), copy(record), now_ms());
        }
    }

    /// Sends `request`; with coalescing on and no signal of its own, a call whose URL is
    /// already in flight waits for that request's answer instead (and gets a copy).
    pub(crate) async fn execute_shared(
        self: &Rc<Self>,
        op: Op,
        request: Request,
        signal: Option<&AbortSignal>,
    ) -> Result<JsValue, JsValue> {
        if !self.sharing.shares(signal.is_some()) {
            return self.execute(op, request, signal).await;
        }
        let url = request.url.clone();
        let follower = {
            let mut flights = self.sharing.flights.borrow_mut();
            match flights.get_mut(&url) {
                Some(waiting) => Some(Promise::new(&mut |resolve, reject| {
                    waiting.push((resolve, reject))
                })),
                None => {
                    flights.insert(url.clone(), Vec::new());
                    None
                }
            }
        };
        if let Some(follower) = follower {
            return JsFuture::from(follower).await;
        }
        let result = self.execute(op, request, None).await;
        let waiting = self
            .sharing
            .flights
            .borrow_mut()
            .remove(&url)
            .unwrap_or_default();
        for (resolve, reject) in waiting {
            let _ = match &result {
                Ok(value) => resolve.call1(&JsValue::UNDEFINED, &copy(value)),
                Err(error) => reject.call1(&JsValue::UNDEFINED, error),
            };
        }
        result
    }
}

/// `getUser`: from the cache, from the window's bulk lookup, or sent alone.
pub(crate) fn get_user(
    inner: Rc<Inner>,
    prepared: Result<(GetUserParams, Option<AbortSignal>), JsValue>,
) -> Promise {
    let (params, signal) = match prepared {
        Ok(p) => p,
        Err(e) => return Promise::reject(&e),
    };
    // Validated first: a coalesced call is refused as one sent alone would be.
    let request = match inner.request_for(&params) {
        Ok(request) => request,
        Err(e) => return Promise::reject(&e),
    };
    let key = user_expand_key(&params);
    if let Some(hit) = inner.cache_get(params.account_id.as_str(), &key) {
        return Promise::resolve(&hit);
    }
    let window = window_for(
        inner.sharing.window_ms,
        signal.is_some(),
        params.account_id.as_str(),
        &params.expand,
    );
    if let Some(window_ms) = window {
        let pending = &inner.sharing.pending;
        let mut params = Some(params);
        let waiting = Promise::new(&mut |resolve, reject| {
            if let Some(params) = params.take() {
                pending.borrow_mut().push(Pending {
                    params,
                    resolve,
                    reject,
                });
            }
        });
        if !inner.sharing.timer_armed.replace(true) {
            arm(Rc::clone(&inner), window_ms);
        }
        return waiting;
    }
    send(
        inner,
        Op::of::<GetUserParams>(),
        Ok((request, signal)),
        Some(key),
    )
}

/// `getCurrentUser`: sent (never served from the cache, which is by account id), and kept.
pub(crate) fn get_current_user(
    inner: Rc<Inner>,
    prepared: Result<(GetCurrentUserParams, Option<AbortSignal>), JsValue>,
) -> Promise {
    let mut key = None;
    let prepared = prepared.and_then(|(params, signal)| {
        key = Some(expand_key(params.expand.iter().map(|e| e.as_str())));
        Ok((inner.request_for(&params)?, signal))
    });
    send(inner, Op::of::<GetCurrentUserParams>(), prepared, key)
}

/// Closes the window after `window_ms` (0: once the current macrotask is done).
fn arm(inner: Rc<Inner>, window_ms: u32) {
    let set_timeout = get(&js_sys::global(), "setTimeout");
    let flush = Closure::once_into_js(move || flush(inner));
    if let Some(set_timeout) = set_timeout.dyn_ref::<Function>() {
        let _ = set_timeout.call2(&JsValue::UNDEFINED, &flush, &JsValue::from(window_ms));
    }
}

/// Sends the window's calls as one bulk lookup per expand set and hands out the answers.
fn flush(inner: Rc<Inner>) {
    inner.sharing.timer_armed.set(false);
    let pending = std::mem::take(&mut *inner.sharing.pending.borrow_mut());
    let keys: Vec<String> = pending.iter().map(|p| user_expand_key(&p.params)).collect();
    let calls: Vec<(&str, &str)> = pending
        .iter()
        .zip(&keys)
        .map(|(p, k)| (p.params.account_id.as_str(), k.as_str()))
        .collect();
    let groups = batches(&calls);
    drop(calls);
    let pending: Vec<Rc<Pending>> = pending.into_iter().map(Rc::new).collect();
    for batch in groups {
        let callers: Vec<Rc<Pending>> = batch
            .callers
            .iter()
            .map(|&i| Rc::clone(&pending[i]))
            .collect();
        let key = keys[batch.callers[0]].clone();
        let expand = bulk_expand(&callers[0].params.expand).unwrap_or_default();
        let inner = Rc::clone(&inner);
        wasm_bindgen_futures::spawn_local(async move {
            let params = GetBulkUserLookupParams {
                account_ids: batch.ids,
                expand,
                limit: None,
            };
            let planned = plan_bulk_of(&inner, &params).map(|bulk| (bulk, None));
            let answer = run_bulk(
                Rc::clone(&inner),
                BulkOp::of::<GetBulkUserLookupParams>(),
                planned,
            )
            .await;
            answer_callers(&inner, &callers, &key, answer);
        });
    }
}

/// Each caller's user from the bulk answer, or its own 404.
fn answer_callers(
    inner: &Inner,
    callers: &[Rc<Pending>],
    key: &str,
    answer: Result<JsValue, JsValue>,
) {
    let records = match answer {
        Ok(result) => {
            remember_links(inner, &result);
            Array::from(&get(&result, "results"))
        }
        Err(error) => {
            for caller in callers {
                let _ = caller.reject.call1(&JsValue::UNDEFINED, &error);
            }
            return;
        }
    };
    let mut by_id: HashMap<String, (JsValue, bool)> = HashMap::new();
    for record in records.iter() {
        if let Some(id) = get(&record, "accountId").as_string() {
            inner.cache_put(&record, key);
            by_id.entry(id).or_insert((record, false));
        }
    }
    for caller in callers {
        let id = caller.params.account_id.as_str();
        match by_id.get_mut(id) {
            Some((record, given)) => {
                // The first caller of an id gets the record itself, later ones copies.
                let value = if *given { copy(record) } else { record.clone() };
                *given = true;
                let _ = caller.resolve.call1(&JsValue::UNDEFINED, &value);
            }
            None => {
                let error = not_found(inner, &caller.params);
                let _ = caller.reject.call1(&JsValue::UNDEFINED, &error);
            }
        }
    }
}

/// The 404 `getUser` gives for an unknown id, for an id the bulk answer left out.
fn not_found(inner: &Inner, params: &GetUserParams) -> JsValue {
    let url = inner
        .settings
        .config
        .request(params)
        .map(|r| r.url)
        .unwrap_or_default();
    let ctx = Context {
        operation: "getUser",
        method: "GET",
        url: &url,
        attempts: 1,
        retry_after_ms: None,
        request_id: None,
        tokens: crate::redact::CallTokens::default(),
    };
    let err = crate::coalesce::not_found(params.account_id.as_str());
    to_js_error(Some(&inner.settings.config), &ctx, &err, Frames::Skip)
}

fn remember_links(inner: &Inner, result: &JsValue) {
    let links = get(result, "_links");
    if links.is_object() {
        *inner.sharing.last_links.borrow_mut() = Some(copy(&links));
    }
}

/// `getBulkUserLookup`: through the cache when there is one.
pub(crate) fn bulk_lookup(
    inner: Rc<Inner>,
    prepared: Result<(GetBulkUserLookupParams, Option<AbortSignal>), JsValue>,
) -> Promise {
    if inner.sharing.cache.is_some() {
        return promise(cached_bulk_lookup(inner, prepared));
    }
    // Nothing to serve from or keep in a cache: the call is the bulk call itself.
    let planned =
        prepared.and_then(|(params, signal)| Ok((plan_bulk_of(&inner, &params)?, signal)));
    bulk(inner, BulkOp::of::<GetBulkUserLookupParams>(), planned)
}

/// `getBulkUserLookup` through the cache: cached users are served, only the rest asked for,
/// and what comes back is kept.
async fn cached_bulk_lookup(
    inner: Rc<Inner>,
    prepared: Result<(GetBulkUserLookupParams, Option<AbortSignal>), JsValue>,
) -> Result<JsValue, JsValue> {
    let (params, signal) = prepared?;
    let key = expand_key(params.expand.iter().map(|e| e.as_str()));
    // Without a cache (or with a `limit`, which counts over the whole call) every id is asked
    // for; otherwise the distinct ids in input order, each served from the cache or asked for.
    let served = inner.sharing.cache.is_some() && params.limit.is_none();
    let mut order: Vec<(String, Option<JsValue>)> = Vec::new();
    let asked = if served {
        let mut seen = IdSet::default();
        let mut missing: Vec<AccountId> = Vec::new();
        for id in params.account_ids() {
            if seen.insert(id.as_str()) {
                let hit = inner.cache_get(id.as_str(), &key);
                if hit.is_none() {
                    missing.push(id.clone());
                }
                order.push((id.as_str().to_owned(), hit));
            }
        }
        (!missing.is_empty()).then(|| params.with_account_ids(missing))
    } else {
        Some(params)
    };
    // One call site, so the bulk lookup's future exists once here.
    let fetched = match asked {
        Some(asked) => {
            let planned = plan_bulk_of(&inner, &asked).map(|bulk| (bulk, signal));
            let shape = BulkOp::of::<GetBulkUserLookupParams>();
            Some(run_bulk(Rc::clone(&inner), shape, planned).await?)
        }
        None => None,
    };
    // The map type of `answer_callers` (the flag unused here), so hashbrown's code for it is in
    // the binary once.
    let mut answered: HashMap<String, (JsValue, bool)> = HashMap::new();
    // Without a cache there is nothing to keep: the records are not read again (a bulk call's
    // fixed cost was a copy of `_links` and a read of every record's id).
    if let Some(result) = fetched.as_ref().filter(|_| inner.sharing.cache.is_some()) {
        remember_links(&inner, result);
        for record in Array::from(&get(result, "results")).iter() {
            if let Some(id) = get(&record, "accountId").as_string() {
                inner.cache_put(&record, &key);
                if served {
                    answered.entry(id).or_insert((record, false));
                }
            }
        }
    }
    if !served {
        return Ok(fetched.unwrap_or(JsValue::UNDEFINED));
    }
    // The merged result's `limit`: how many distinct ids were asked for, as without a cache.
    let distinct = order.len();
    let results: Array = order
        .into_iter()
        .filter_map(|(id, hit)| hit.or_else(|| answered.remove(&id).map(|(record, _)| record)))
        .collect();
    let out: JsValue = match fetched {
        Some(result) => result,
        None => {
            let out = Object::new();
            let links = inner.sharing.last_links.borrow().as_ref().map(copy);
            set(
                &out,
                "_links",
                &links.unwrap_or_else(|| Object::new().into()),
            );
            out.into()
        }
    };
    set(&out, "limit", &JsValue::from(distinct as f64));
    set(&out, "size", &JsValue::from(results.length()));
    set(&out, "start", &JsValue::from(0));
    set(&out, "results", &results);
    Ok(out)
}

/// `client.cache`: clears the user cache or drops one user from it.
///
/// ```ts
/// client.cache.delete("5b10ac8d82e05b22cc7d4ef5"); // after that user changed their profile
/// client.cache.clear();
/// ```
#[wasm_bindgen]
pub struct ClientCache {
    inner: Weak<Inner>,
}

#[wasm_bindgen]
impl ClientCache {
    /// Drops every cached user.
    pub fn clear(&self) {
        if let Some(inner) = self.inner.upgrade() {
            if let Some(cache) = &inner.sharing.cache {
                cache.borrow_mut().clear();
            }
        }
    }

    /// Drops one user (every expand set of it); returns how many entries went.
    #[wasm_bindgen(js_name = delete)]
    pub fn delete(&self, #[wasm_bindgen(js_name = accountId)] account_id: &str) -> u32 {
        let Some(inner) = self.inner.upgrade() else {
            return 0;
        };
        let deleted = match &inner.sharing.cache {
            Some(c) => c.borrow_mut().delete(account_id) as u32,
            None => 0,
        };
        deleted
    }

    /// How many entries the cache holds (0 when the client has no cache).
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        let Some(inner) = self.inner.upgrade() else {
            return 0;
        };
        let size = inner
            .sharing
            .cache
            .as_ref()
            .map_or(0, |c| c.borrow().len() as u32);
        size
    }
}

/// `client.cache`: the same object on every access.
pub(crate) fn handle(inner: &Rc<Inner>) -> JsValue {
    inner
        .sharing
        .handle
        .get_or_init(|| {
            ClientCache {
                inner: Rc::downgrade(inner),
            }
            .into()
        })
        .clone()
}
