//! Async iterators over every item of a paged operation, following start/limit to the last
//! page, one page at a time: breaking out of the loop sends no further request.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect, Symbol};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::call::{Inner, Op};
use super::js::{get, promise, set};
use super::params::FromJs;
use crate::{
    next_start, GetBulkUserMigrationParams, GetGroupMembershipsForUserParams, PagedEndpoint,
};

struct State<E> {
    inner: Rc<Inner>,
    /// The params of the next page to fetch; `None` once the last page has been fetched.
    next: Option<E>,
    signal: Option<AbortSignal>,
    buffered: VecDeque<JsValue>,
}

/// `{ value, done }` as the async iterator protocol wants it.
fn iter_result(value: Option<JsValue>) -> JsValue {
    let result = Object::new();
    let done = value.is_none();
    set(&result, "value", &value.unwrap_or(JsValue::UNDEFINED));
    set(&result, "done", &JsValue::from_bool(done));
    result.into()
}

/// The shared machinery of the two iterator classes.
struct Pages<E>(Rc<RefCell<State<E>>>);

impl<E: PagedEndpoint + FromJs + 'static> Pages<E> {
    fn new(inner: Rc<Inner>, params: &JsValue, options: &JsValue) -> Result<Self, JsValue> {
        let (params, signal) = inner.prepare::<E>(params, options)?;
        inner.request_for(&params)?;
        Ok(Pages(Rc::new(RefCell::new(State {
            inner,
            next: Some(params),
            signal,
            buffered: VecDeque::new(),
        }))))
    }

    fn next(&self) -> Promise {
        let state = Rc::clone(&self.0);
        promise(async move {
            loop {
                // No borrow is held across an await: a second `next()` while one is pending
                // sees consistent state.
                let (item, request) = {
                    let mut s = state.borrow_mut();
                    match s.buffered.pop_front() {
                        Some(item) => (Some(item), None),
                        None => (
                            None,
                            s.next
                                .take()
                                .map(|p| (Rc::clone(&s.inner), p, s.signal.clone())),
                        ),
                    }
                };
                if let Some(item) = item {
                    return Ok(iter_result(Some(item)));
                }
                let Some((inner, params, signal)) = request else {
                    return Ok(iter_result(None));
                };
                let request = inner.request_for(&params)?;
                let page = inner
                    .execute(Op::of::<E>(), request, signal.as_ref())
                    .await?;
                let results: Array = get(&page, "results").unchecked_into();
                let has_next = !get(&get(&page, "_links"), "next").is_undefined();
                let start = get(&page, "start").as_f64().unwrap_or(0.0) as i32;
                let size = get(&page, "size").as_f64().unwrap_or(0.0) as i32;
                let mut s = state.borrow_mut();
                s.buffered.extend(results.iter());
                s.next =
                    next_start(params.start(), start, size, has_next).map(|n| params.with_start(n));
            }
        })
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
pub struct GroupMembershipPages(Pages<GetGroupMembershipsForUserParams>);

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
pub struct MigratedUserPages(Pages<GetBulkUserMigrationParams>);

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
    Pages::new(inner, params, options).map(GroupMembershipPages)
}

pub(crate) fn migration_pages(
    inner: Rc<Inner>,
    params: &JsValue,
    options: &JsValue,
) -> Result<MigratedUserPages, JsValue> {
    Pages::new(inner, params, options).map(MigratedUserPages)
}

pub(crate) fn async_iterable<T: Into<JsValue>>(pages: T) -> JsValue {
    let value: JsValue = pages.into();
    make_async_iterable(&value);
    value
}
