//! The WebAssembly skin: the `ConfluenceClient` JS class. It reads JS values into the core's
//! params and options (by the rules of `crate::input` and `crate::options`), and performs the
//! steps of the core's call driver (`crate::driver`): asks for a token, calls `fetch`, sleeps,
//! races the caller's `AbortSignal`, calls the hooks, and turns the result into JS values.
//! Retries, timeouts, fan-out, merge and paging are the driver's decisions; the client-wide
//! queue and pauses the governor's (`crate::ratelimit`, through `gate.rs`); what may be
//! coalesced or cached `crate::coalesce`'s and `crate::cache`'s.

mod call;
mod coalesce;
mod error;
mod gate;
mod interrupt;
mod js;
mod options;
mod pages;
mod params;
mod transport;

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::{
    Endpoint, Error, GetAnonymousUserParams, GetBulkUserLookupParams, GetCurrentUserParams,
    GetGroupMembershipsForUserParams, GetPrivacyUnsafeUserEmailBulkParams,
    GetPrivacyUnsafeUserEmailParams, GetUserParams,
};
use call::{BulkOp, BulkShape, Inner, Op};

// Hand-written TypeScript: the merged migration result is built as a JS object in
// `call::run_migration`, Confluence's page shape plus one field, which no Rust type models.
#[wasm_bindgen(typescript_custom_section)]
const MIGRATION_RESULT_TS: &str = r#"
/**
 * What `getBulkUserMigration` returns: Confluence's page shape holding one entry per distinct
 * value asked for, in input order, and the values that have no account id.
 */
export interface MigrationResult extends MigratedUserArray {
  /** The keys or usernames, as given, that no account id belongs to (in input order). */
  notFound: string[];
}
"#;
use crate::redact::{given_secrets, GivenAuth};
pub use error::is_confluence_error;
use error::{attach_cause, to_js_error, Context, Frames};
use js::{get, promise};
use options::Settings;
use web_sys::AbortSignal;

/// JS's `toLowerCase` of `s` (Unicode's full default lowercase mapping, as `str::to_lowercase`),
/// for the core's username folding (`crate::bulk`): core's own case tables would add ~8 KB gzip to
/// the download.
pub(crate) fn lowercase(s: &str) -> String {
    js_sys::JsString::from(s).to_lower_case().into()
}

/// Sends a prepared call; with `keep`, puts the user it returns in the user cache under that
/// expand key. Not generic: every single-request call (`getUser` and `getCurrentUser` too)
/// goes through here, so what it runs exists once in the binary.
pub(crate) fn send(
    inner: Rc<Inner>,
    op: Op,
    prepared: Result<(crate::Request, Option<AbortSignal>), JsValue>,
    keep: Option<String>,
) -> Promise {
    let (request, signal) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return Promise::reject(&e),
    };
    if !inner.sharing.shares(signal.is_some()) {
        return call::launch(inner, op, request, signal, keep);
    }
    promise(async move {
        let value = inner.execute_shared(op, request, signal.as_ref()).await?;
        inner.keep(&value, keep);
        Ok(value)
    })
}

/// What a constructor error must not echo: `options.auth` read as it was given, the choice
/// of its strings the core's ([`given_secrets`]).
fn option_secrets(options: &JsValue) -> Vec<String> {
    let auth = get(options, "auth");
    if let Some(s) = auth.as_string() {
        return given_secrets(GivenAuth::Text(&s));
    }
    let mut strings = Vec::new();
    if auth.is_object() {
        // `auth` may be a Proxy whose traps throw: its keys are read through `js`.
        let keys = js::keys(&auth).unwrap_or_default();
        for key in keys.iter() {
            if let Some(key) = key.as_string() {
                if let Some(s) = get(&auth, &key).as_string() {
                    strings.push((key, s));
                }
            }
        }
    }
    let email = get(&auth, "email").as_string();
    let api_token = get(&auth, "apiToken").as_string();
    given_secrets(GivenAuth::Fields {
        email: email.as_deref(),
        api_token: api_token.as_deref(),
        strings: &strings,
    })
}

/// A client for the Confluence Cloud user endpoints. Every method returns a promise of the
/// typed result and rejects with a {@link ConfluenceError}.
///
/// ```ts
/// import { ConfluenceClient } from "confluence-users";
/// const client = new ConfluenceClient({
///   baseUrl: "https://your-domain.atlassian.net",
///   auth: { type: "basic", email: "me@example.com", apiToken: process.env.CONFLUENCE_API_TOKEN! },
/// });
/// const me = await client.getCurrentUser();
/// ```
#[wasm_bindgen]
pub struct ConfluenceClient {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl ConfluenceClient {
    /// Creates a client. Throws a `ConfluenceError` (`kind: "invalidArgument"`) for a bad
    /// option: a `baseUrl` that is not `https:` (`http:` only for loopback hosts) or holds
    /// credentials, a query or a fragment; no `baseUrl` where nothing resolves relative paths
    /// (no `fetch` option and no page location, as in Node); empty credentials; a `fetch` that
    /// is not a function. After `free()` (or `[Symbol.dispose]()`), every method fails with a
    /// `ConfluenceError` (`kind: "invalidArgument"`, "client was freed").
    ///
    /// ```ts
    /// import { ConfluenceClient } from "confluence-users";
    /// const client = new ConfluenceClient({
    ///   baseUrl: "https://your-domain.atlassian.net",
    ///   auth: { type: "bearer", token: accessToken },
    /// });
    /// ```
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<ConfluenceClient, JsValue> {
        let settings = Settings::from_js(&options).map_err(|why| {
            let secrets = option_secrets(&options);
            let redact = |s: &str| crate::redact(s, secrets.iter().map(String::as_str));
            let error = to_js_error(
                None,
                &Context::refused("ConfluenceClient"),
                &Error::invalid(redact(&why.message)),
                Frames::Keep,
            );
            // The options hold the credentials: what their getters threw is kept only if safe.
            if let Some(cause) = &why.cause {
                attach_cause(&error, cause, &redact);
            }
            error
        })?;
        Ok(ConfluenceClient {
            inner: Rc::new(Inner {
                gate: gate::Gate::new(settings.governor()),
                sharing: coalesce::Sharing::new(settings.coalesce, settings.cache),
                settings,
                recent_tokens: Default::default(),
            }),
        })
    }

    /// The client's rate-limit telemetry: the quota as the last responses told it, the time
    /// until the current pause ends, and totals since the client was made.
    ///
    /// ```ts
    /// const { remaining, limit, pausedForMs, requests, rateLimited } = client.rateLimit;
    /// if (pausedForMs > 0) console.log(`rate limited: resuming in ${pausedForMs} ms`);
    /// ```
    #[wasm_bindgen(getter = rateLimit, unchecked_return_type = "RateLimitSnapshot")]
    pub fn rate_limit(&self) -> JsValue {
        self.inner.gate.snapshot()
    }

    /// The user cache (see the `cache` option): `clear()`, `delete(accountId)`, `size`.
    ///
    /// ```ts
    /// client.cache.delete(accountId);
    /// ```
    #[wasm_bindgen(getter, unchecked_return_type = "ClientCache")]
    pub fn cache(&self) -> JsValue {
        coalesce::handle(&self.inner)
    }

    fn call<E>(&self, params: JsValue, options: JsValue) -> Promise
    where
        E: Endpoint + params::FromJs + 'static,
    {
        let prepared = self.inner.prepare_call::<E>(&params, &options);
        send(Rc::clone(&self.inner), Op::of::<E>(), prepared, None)
    }

    fn call_bulk<E: BulkShape>(&self, params: JsValue, options: JsValue) -> Promise {
        // Read now, not when the future first runs (a microtask later).
        let planned = call::plan_bulk::<E>(&self.inner, &params, &options);
        call::bulk(Rc::clone(&self.inner), BulkOp::of::<E>(), planned)
    }

    /// Gets a user by account id (`GET /wiki/rest/api/user`).
    ///
    /// ```ts
    /// const user = await client.getUser({ accountId: "5b10ac8d82e05b22cc7d4ef5", expand: ["operations"] });
    /// console.log(user.displayName, user.operations?.length);
    /// ```
    #[wasm_bindgen(js_name = getUser, unchecked_return_type = "Promise<User>")]
    pub fn get_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetUserParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let prepared = self.inner.prepare::<GetUserParams>(&params, &options);
        coalesce::get_user(Rc::clone(&self.inner), prepared)
    }

    /// Gets the user that anonymous visitors act as (`GET /wiki/rest/api/user/anonymous`).
    ///
    /// ```ts
    /// const anon = await client.getAnonymousUser({ expand: ["operations"] });
    /// ```
    #[wasm_bindgen(js_name = getAnonymousUser, unchecked_return_type = "Promise<UserAnonymous>")]
    pub fn get_anonymous_user(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "GetAnonymousUserParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetAnonymousUserParams>(params, options)
    }

    /// Gets the user the credentials belong to (`GET /wiki/rest/api/user/current`).
    ///
    /// ```ts
    /// const me = await client.getCurrentUser({ expand: ["personalSpace"] });
    /// console.log(me.accountId, me.personalSpace?.key);
    /// ```
    #[wasm_bindgen(js_name = getCurrentUser, unchecked_return_type = "Promise<User>")]
    pub fn get_current_user(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "GetCurrentUserParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let prepared = self
            .inner
            .prepare::<GetCurrentUserParams>(&params, &options);
        coalesce::get_current_user(Rc::clone(&self.inner), prepared)
    }

    /// Gets one page of the groups a user belongs to (`GET /wiki/rest/api/user/memberof`).
    ///
    /// ```ts
    /// const page = await client.getGroupMembershipsForUser({ accountId, start: 0, limit: 50 });
    /// for (const group of page.results) console.log(group.name);
    /// const more = Boolean(page._links.next); // then call again with start: page.start + page.size
    /// ```
    #[wasm_bindgen(
        js_name = getGroupMembershipsForUser,
        unchecked_return_type = "Promise<GroupArrayWithLinks>"
    )]
    pub fn get_group_memberships_for_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetGroupMembershipsForUserParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetGroupMembershipsForUserParams>(params, options)
    }

    /// Looks up users by account id (`GET /wiki/rest/api/user/bulk`). Any number of ids: they
    /// go out in requests of at most 200 (and URLs under 8,000 characters), `concurrency` at a
    /// time, each distinct id asked for once, and come back as one result in input order.
    /// Unknown ids are left out. If a request fails after its retries, the call rejects and
    /// the message says how many ids had been looked up.
    ///
    /// ```ts
    /// const { results } = await client.getBulkUserLookup({ accountIds: ["5b10ac8d82e05b22cc7d4ef5", "5b10a2844c20165700ede21g"] });
    /// ```
    #[wasm_bindgen(js_name = getBulkUserLookup, unchecked_return_type = "Promise<BulkUserLookupArray>")]
    pub fn get_bulk_user_lookup(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetBulkUserLookupParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let prepared = self
            .inner
            .prepare::<GetBulkUserLookupParams>(&params, &options);
        coalesce::bulk_lookup(Rc::clone(&self.inner), prepared)
    }

    /// Gets a user's email address whatever their privacy settings
    /// (`GET /wiki/rest/api/user/email`). Only apps approved by Atlassian may call it.
    ///
    /// ```ts
    /// const { email } = await client.getPrivacyUnsafeUserEmail({ accountId });
    /// ```
    #[wasm_bindgen(
        js_name = getPrivacyUnsafeUserEmail,
        unchecked_return_type = "Promise<AccountIdEmailRecord>"
    )]
    pub fn get_privacy_unsafe_user_email(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetPrivacyUnsafeUserEmailParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetPrivacyUnsafeUserEmailParams>(params, options)
    }

    /// Gets several users' email addresses (`GET /wiki/rest/api/user/email/bulk`); any number
    /// of ids, split like `getBulkUserLookup`. Only apps approved by Atlassian may call it
    /// (from Forge, with `asApp()`). Unknown ids are left out.
    ///
    /// ```ts
    /// const records = await client.getPrivacyUnsafeUserEmailBulk({ accountIds });
    /// const byId = new Map(records.map((r) => [r.accountId, r.email]));
    /// ```
    #[wasm_bindgen(
        js_name = getPrivacyUnsafeUserEmailBulk,
        unchecked_return_type = "Promise<AccountIdEmailRecord[]>"
    )]
    pub fn get_privacy_unsafe_user_email_bulk(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetPrivacyUnsafeUserEmailBulkParams")]
        params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call_bulk::<GetPrivacyUnsafeUserEmailBulkParams>(params, options)
    }

    /// Maps legacy user keys or usernames to account ids
    /// (`GET /wiki/rest/api/user/bulk/migration`; deprecated by Atlassian). Give exactly one of
    /// `keys` or `usernames`, any number of them: they go out in requests of at most 200 values
    /// (and URLs under 8,000 characters), `concurrency` at a time, each distinct value asked for
    /// once, every page followed. The result keeps Confluence's shape with one entry per
    /// distinct value in input order (`start`/`limit` pick a window of them), and `notFound`
    /// names the values that have no account id; a value Confluence did not answer for gets
    /// `accountId: null`, as Confluence answers an unknown one. If a request fails after its
    /// retries, the call rejects and the message says how many values had been looked up.
    ///
    /// ```ts
    /// const { results, notFound } = await client.getBulkUserMigration({ usernames: ["mia", "alana"] });
    /// for (const u of results) console.log(u.username, "->", u.accountId);
    /// if (notFound.length > 0) console.warn("no account id:", notFound.join(", "));
    /// ```
    #[wasm_bindgen(js_name = getBulkUserMigration, unchecked_return_type = "Promise<MigrationResult>")]
    pub fn get_bulk_user_migration(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetBulkUserMigrationParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        // Read now, not when the future first runs (a microtask later).
        let prepared = self
            .inner
            .prepare::<crate::GetBulkUserMigrationParams>(&params, &options);
        promise(call::run_migration(Rc::clone(&self.inner), prepared))
    }

    /// Every group a user belongs to, following the pages to the end. Breaking out of the loop
    /// sends no further request. Throws a `ConfluenceError` for invalid params.
    ///
    /// ```ts
    /// for await (const group of client.paginateGroupMembershipsForUser({ accountId })) {
    ///   console.log(group.name);
    /// }
    /// ```
    #[wasm_bindgen(js_name = paginateGroupMembershipsForUser, unchecked_return_type = "GroupMembershipPages")]
    pub fn paginate_group_memberships_for_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetGroupMembershipsForUserParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        pages::group_pages(Rc::clone(&self.inner), &params, &options).map(pages::async_iterable)
    }

    /// Every result of a migration lookup, one page at a time: any number of values, split
    /// like `getBulkUserMigration` and asked for chunk after chunk, each distinct value once, in
    /// input order (`start` skips that many distinct values; `limit` is each request's page
    /// size). A value Confluence did not answer for comes with `accountId: null`. Breaking out
    /// of the loop sends no further request. Throws a `ConfluenceError` for invalid params.
    ///
    /// ```ts
    /// for await (const user of client.paginateBulkUserMigration({ usernames })) {
    ///   if (user.accountId === null) console.warn("no account id:", user.username);
    ///   else console.log(user.username, user.accountId);
    /// }
    /// ```
    #[wasm_bindgen(js_name = paginateBulkUserMigration, unchecked_return_type = "MigratedUserPages")]
    pub fn paginate_bulk_user_migration(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetBulkUserMigrationParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        pages::migration_pages(Rc::clone(&self.inner), &params, &options).map(pages::async_iterable)
    }
}
