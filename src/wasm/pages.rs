//! Async iterators over every item of a paged operation, following start/limit to the last
//! page, one page at a time: breaking out of the loop sends no further request.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect, Symbol};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::call::{migration_page, page_info, Inner, Op};
use super::js::{get, promise, set};
use crate::driver::{GroupWalk, Migration, MigrationPage};
use crate::{Endpoint, GetBulkUserMigrationParams, GetGroupMembershipsForUserParams};

struct State {
    inner: Rc<Inner>,
    /// What to fetch next; `None` once the last batch has been fetched.
    next: Option<Walk>,
    signal: Option<AbortSignal>,
    buffered: VecDeque<JsValue>,
    /// The promise of the `next()` call fetching a page, while it is in flight: a `next()` made
    /// meanwhile asks again once it settles, so it waits for that page rather than ending early.
    fetching: Option<Promise>,
}

#[wasm_bindgen]
extern "C" {
    /// A native promise, as `then_either` calls it.
    type Settling;
    /// `promise.then(f, f)`: `f()` once `promise` settles, either way.
    #[wasm_bindgen(method, js_name = then)]
    fn then_either(this: &Settling, on_fulfilled: &JsValue, on_rejected: &JsValue) -> Promise;
}

/// `{ value, done }` as the async iterator protocol wants it.
fn iter_result(value: Option<JsValue>) -> JsValue {
    let result = Object::new();
    let done = value.is_none();
    set(&result, "value", &value.unwrap_or(JsValue::UNDEFINED));
    set(&result, "done", &JsValue::from_bool(done));
    result.into()
}

/// Where an iteration stands. One enum rather than a type parameter of `Pages`, so `next`'s
/// future is in the binary once, not once per iterator class (js-tests/bench/SIZE.md).
enum Walk {
    /// A group-membership iteration: the core's walk.
    Groups(GroupWalk),
    /// A migration iteration: the core's plan and tally, and the page to fetch next.
    Migration {
        migration: Rc<RefCell<Migration>>,
        page: MigrationPage,
    },
}

impl Walk {
    /// Fetches one batch (one page): its items, and what to fetch after it.
    async fn step(
        self,
        inner: Rc<Inner>,
        signal: Option<AbortSignal>,
    ) -> Result<(Array, Option<Walk>), JsValue> {
        match self {
            Walk::Groups(mut walk) => {
                let op = Op::of::<GetGroupMembershipsForUserParams>();
                let Some(request) = walk.next_request(&inner.settings.config) else {
                    return Ok((Array::new(), None));
                };
                let request = request.map_err(|e| inner.refused_for(op.name, e))?;
                let page = inner.execute(op, request, signal.as_ref()).await?;
                walk.page(page_info(&page));
                let results: Array = get(&page, "results").unchecked_into();
                Ok((results, (!walk.is_over()).then_some(Walk::Groups(walk))))
            }
            Walk::Migration { migration, page } => {
                let (_, results, following) =
                    migration_page(&inner, &migration, &page, signal.as_ref()).await?;
                let next = migration
                    .borrow()
                    .walk_next(&inner.settings.config, &page, following)
                    .transpose()
                    .map_err(|e| inner.refused_for(GetBulkUserMigrationParams::OPERATION, e))?;
                let next = next.map(|page| Walk::Migration { migration, page });
                Ok((results, next))
            }
        }
    }
}

/// The shared machinery of the two iterator classes.
struct Pages(Rc<RefCell<State>>);

impl Pages {
    fn new(inner: Rc<Inner>, first: Option<Walk>, signal: Option<AbortSignal>) -> Self {
        Pages(Rc::new(RefCell::new(State {
            inner,
            next: first,
            signal,
            buffered: VecDeque::new(),
            fetching: None,
        })))
    }

    fn next(&self) -> Promise {
        // An item already fetched, or the end, is answered at once, without a future; a page in
        // flight is waited for.
        let fetching = {
            let mut s = self.0.borrow_mut();
            if let Some(item) = s.buffered.pop_front() {
                return Promise::resolve(&iter_result(Some(item)));
            }
            if s.fetching.is_none() && s.next.is_none() {
                return Promise::resolve(&iter_result(None));
            }
            s.fetching.clone()
        };
        if let Some(fetching) = fetching {
            let state = Rc::clone(&self.0);
            let again = Closure::once_into_js(move || Pages(state).next());
            return fetching
                .unchecked_ref::<Settling>()
                .then_either(&again, &again);
        }
        let state = Rc::clone(&self.0);
        let fetched = promise(async move {
            let result = Pages::fetch(&state).await;
            state.borrow_mut().fetching = None;
            result
        });
        self.0.borrow_mut().fetching = Some(fetched.clone());
        fetched
    }

    /// Fetches pages until one brings an item (or the walk ends), and gives its first item.
    async fn fetch(state: &RefCell<State>) -> Result<JsValue, JsValue> {
        loop {
            // No borrow is held across an await.
            let (item, work) = {
                let mut s = state.borrow_mut();
                match s.buffered.pop_front() {
                    Some(item) => (Some(item), None),
                    None => (
                        None,
                        s.next
                            .take()
                            .map(|w| (Rc::clone(&s.inner), w, s.signal.clone())),
                    ),
                }
            };
            if let Some(item) = item {
                return Ok(iter_result(Some(item)));
            }
            let Some((inner, work, signal)) = work else {
                return Ok(iter_result(None));
            };
            let (items, next) = work.step(inner, signal).await?;
            let mut s = state.borrow_mut();
            s.buffered.extend(items.iter());
            s.next = next;
        }
    }

    fn stop(&self) -> Promise {
        let mut s = self.0.borrow_mut();
        s.next = None;
        s.buffered.clear();
        Promise::resolve(&iter_result(None))
    }
}

/// Makes instances of a class async-iterable: `obj[Symbol.asyncIterator]()` returns `obj`.
/// `Object.prototype.valueOf` does exactly that (it returns `this`), and needs no JS snippet
/// or `eval`, which a strict CSP would block.
fn make_async_iterable(instance: &JsValue) {
    let proto = Object::get_prototype_of(instance);
    let key = Symbol::async_iterator();
    if Reflect::get(&proto, &key).is_ok_and(|f| f.is_function()) {
        return;
    }
    let value_of = Reflect::get(&Object::get_prototype_of(&Object::new()), &"valueOf".into())
        .unwrap_or(JsValue::UNDEFINED);
    let _ = Reflect::set(&proto, &key, &value_of);
}

// Hand-written TypeScript: wasm-bindgen cannot declare `[Symbol.asyncIterator]`; these merge
// into the generated classes' declarations.
#[wasm_bindgen(typescript_custom_section)]
const PAGES_TS: &str = r#"
export interface GroupMembershipPages { [Symbol.asyncIterator](): GroupMembershipPages; }
export interface MigratedUserPages { [Symbol.asyncIterator](): MigratedUserPages; }
"#;

/// Every group a user belongs to, page after page: `for await (const group of pages)`.
#[wasm_bindgen]
pub struct GroupMembershipPages(Pages);

#[wasm_bindgen]
impl GroupMembershipPages {
    /// The next group, fetching the next page when the current one is used up.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<Group, undefined>>")]
    pub fn next(&self) -> Promise {
        self.0.next()
    }

    /// Stops the iteration (called by `break`): no further page is fetched.
    #[wasm_bindgen(js_name = return, unchecked_return_type = "Promise<IteratorResult<Group, undefined>>")]
    pub fn stop(&self) -> Promise {
        self.0.stop()
    }
}

/// Every result of a migration lookup, page after page: `for await (const user of pages)`.
#[wasm_bindgen]
pub struct MigratedUserPages(Pages);

#[wasm_bindgen]
impl MigratedUserPages {
    /// The next result, fetching the next page when the current one is used up.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<MigratedUser, undefined>>")]
    pub fn next(&self) -> Promise {
        self.0.next()
    }

    /// Stops the iteration (called by `break`): no further page is fetched.
    #[wasm_bindgen(js_name = return, unchecked_return_type = "Promise<IteratorResult<MigratedUser, undefined>>")]
    pub fn stop(&self) -> Promise {
        self.0.stop()
    }
}

pub(crate) fn group_pages(
    inner: Rc<Inner>,
    params: &JsValue,
    options: &JsValue,
) -> Result<GroupMembershipPages, JsValue> {
    let (params, signal) = inner.prepare::<GetGroupMembershipsForUserParams>(params, options)?;
    let walk = GroupWalk::new(&inner.settings.config, params)
        .map_err(|e| inner.refused_for(GetGroupMembershipsForUserParams::OPERATION, e))?;
    Ok(GroupMembershipPages(Pages::new(
        inner,
        Some(Walk::Groups(walk)),
        signal,
    )))
}

/// Every value of a migration lookup: the chunks of the plan in order, each chunk's pages in
/// order; a value Confluence did not answer for comes after its chunk's last page.
pub(crate) fn migration_pages(
    inner: Rc<Inner>,
    params: &JsValue,
    options: &JsValue,
) -> Result<MigratedUserPages, JsValue> {
    const OPERATION: &str = GetBulkUserMigrationParams::OPERATION;
    let (params, signal) = inner.prepare::<GetBulkUserMigrationParams>(params, options)?;
    let config = &inner.settings.config;
    let migration = Migration::new(config, &params, true, inner.settings.concurrency)
        .map_err(|e| inner.refused_for(OPERATION, e))?;
    let first = migration
        .first_page(config, 0)
        .transpose()
        .map_err(|e| inner.refused_for(OPERATION, e))?;
    let migration = Rc::new(RefCell::new(migration));
    let first = first.map(|page| Walk::Migration { migration, page });
    Ok(MigratedUserPages(Pages::new(inner, first, signal)))
}

pub(crate) fn async_iterable<T: Into<JsValue>>(pages: T) -> JsValue {
    let value: JsValue = pages.into();
    make_async_iterable(&value);
    value
}
