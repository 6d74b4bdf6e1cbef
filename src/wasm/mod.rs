//! The WebAssembly skin: the `ConfluenceClient` JS class. It converts JS values to the core's
//! params, calls `fetch`, and hands the bytes to the core; every decision is the core's.

mod error;
mod transport;

use std::rc::Rc;

use js_sys::{Function, Promise, Reflect, JSON};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::{
    decode_response, Auth, ClientConfig, Endpoint, Error, GetAnonymousUserParams,
    GetBulkUserLookupParams, GetBulkUserMigrationParams, GetCurrentUserParams,
    GetGroupMembershipsForUserParams, GetPrivacyUnsafeUserEmailBulkParams,
    GetPrivacyUnsafeUserEmailParams, GetUserParams,
};
pub use error::is_confluence_error;
use error::{to_js_error, Context};
use transport::Fetch;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` on the JS string itself: `js_sys::JSON::parse` takes a `&str`, which would
    /// copy the body back out of wasm memory.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &js_sys::JsString) -> Result<JsValue, JsValue>;
}

// Hand-written TypeScript: the shape of a fetch function and of what it resolves to are JS
// function and object types that no Rust type describes.
#[wasm_bindgen(typescript_custom_section)]
const FETCH_TS: &str = r#"
/** What the client reads from a response: `status` and `text()`; `headers.get` when present. */
export interface ResponseLike {
  status: number;
  statusText?: string;
  headers?: { get(name: string): string | null };
  text(): Promise<string>;
}
/** A `fetch`-compatible function: the global `fetch`, or a host bridge's request function. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string> },
) => Promise<ResponseLike>;
"#;

/// Credentials for every request.
#[derive(Deserialize, tsify::Tsify)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum AuthOptions {
    /// HTTP basic auth: an Atlassian account email and an API token.
    Basic {
        /// The account's email address.
        email: String,
        /// An API token from id.atlassian.com.
        #[serde(rename = "apiToken")]
        api_token: String,
    },
    /// An OAuth 2.0 (3LO) access token.
    Bearer {
        /// The access token.
        token: String,
    },
}

/// Options of `new ConfluenceClient(options)`.
#[derive(Deserialize, tsify::Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientOptions {
    /// The site, e.g. `https://your-domain.atlassian.net` (`/wiki/rest/api/...` is appended), or
    /// the OAuth gateway `https://api.atlassian.com/ex/confluence/<cloudId>`. Omit it to send
    /// relative paths (`/wiki/rest/api/user?...`), as host bridges expect.
    #[serde(default)]
    #[tsify(optional)]
    pub base_url: Option<String>,
    /// Credentials; omit them when `fetch` authenticates by itself (Forge, Connect).
    #[serde(default)]
    #[tsify(optional)]
    pub auth: Option<AuthOptions>,
    /// The transport; defaults to the global `fetch`. Read from the JS object directly (a
    /// function does not survive the JSON conversion the other fields go through), so this
    /// field exists only to put `fetch` into the generated TypeScript.
    #[serde(default, skip_deserializing)]
    #[tsify(optional, type = "FetchLike")]
    #[allow(dead_code)] // read from the JS object in `new`; here only for the TypeScript
    pub fetch: Option<()>,
}

/// Options of one call (the second argument of every method).
#[derive(Deserialize, tsify::Tsify)]
#[serde(deny_unknown_fields)]
pub struct CallOptions {}

/// Converts a JS value to `T` through `JSON.stringify` and serde_json, which (unlike reading
/// properties one by one) sees every key, so `deny_unknown_fields` catches a misspelt one.
/// `undefined`/`null` count as `{}`. The error is the rest of a sentence about the value: the
/// path of the bad field (`.expand[0]: unknown variant ...`) or `: ...` / ` must be ...`.
fn from_js<T: DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    if value.is_undefined() || value.is_null() {
        return serde_json::from_str("{}").map_err(|e| format!(": {}", without_position(&e)));
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(" must be an object".to_owned());
    }
    let json = JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| " must be a plain, JSON-compatible object".to_owned())?;
    let mut de = serde_json::Deserializer::from_str(&json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = without_position(e.inner());
        match path.as_str() {
            "." | "?" => format!(": {inner}"),
            _ => format!(".{path}: {inner}"),
        }
    })
}

/// serde_json's message without its " at line 1 column 17" suffix, which means nothing for a
/// JS object.
fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    }
}

struct Inner {
    config: ClientConfig,
    fetch: Fetch,
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

fn constructor_error(message: &str) -> JsValue {
    let ctx = Context {
        operation: "ConfluenceClient",
        method: "",
        url: "",
    };
    to_js_error(None, &ctx, &Error::invalid(message), None)
}

#[wasm_bindgen]
impl ConfluenceClient {
    /// Creates a client. Throws a `ConfluenceError` (`kind: "invalidArgument"`) for a bad
    /// option: a `baseUrl` that is not `https:` (`http:` only for loopback hosts) or holds
    /// credentials, a query or a fragment; empty credentials; a `fetch` that is not a function.
    ///
    /// ```ts
    /// const client = new ConfluenceClient({
    ///   baseUrl: "https://your-domain.atlassian.net",
    ///   auth: { type: "bearer", token: accessToken },
    /// });
    /// ```
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<ConfluenceClient, JsValue> {
        let fetch = if options.is_object() {
            Reflect::get(&options, &JsValue::from_str("fetch")).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        };
        let fetch = if fetch.is_undefined() {
            let global = js_sys::global();
            let function = Reflect::get(&global, &JsValue::from_str("fetch"))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| {
                    constructor_error("options.fetch is required: this runtime has no global fetch")
                })?;
            Fetch {
                function,
                this: global.into(),
            }
        } else {
            Fetch {
                function: fetch
                    .dyn_into::<Function>()
                    .map_err(|_| constructor_error("options.fetch must be a function"))?,
                this: JsValue::UNDEFINED,
            }
        };
        let options: ClientOptions =
            from_js(&options).map_err(|m| constructor_error(&format!("options{m}")))?;
        let auth = match options.auth {
            None => Auth::None,
            Some(AuthOptions::Basic { email, api_token }) => Auth::Basic { email, api_token },
            Some(AuthOptions::Bearer { token }) => Auth::Bearer { token },
        };
        let config = ClientConfig::new(options.base_url.as_deref(), auth).map_err(|e| match e {
            Error::InvalidArgument { message } => constructor_error(&message),
            other => constructor_error(&other.to_string()),
        })?;
        Ok(ConfluenceClient {
            inner: Rc::new(Inner { config, fetch }),
        })
    }

    fn call<E>(&self, params: JsValue, options: JsValue) -> Promise
    where
        E: Endpoint + DeserializeOwned + 'static,
    {
        let inner = Rc::clone(&self.inner);
        future_to_promise(async move { inner.run::<E>(&params, &options).await })
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
        self.call::<GetUserParams>(params, options)
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
        self.call::<GetCurrentUserParams>(params, options)
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

    /// Looks up to 200 users by account id in one request (`GET /wiki/rest/api/user/bulk`).
    /// Unknown ids are left out of the result.
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
        self.call::<GetBulkUserLookupParams>(params, options)
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

    /// Gets several users' email addresses (`GET /wiki/rest/api/user/email/bulk`). Only apps
    /// approved by Atlassian may call it. Unknown ids are left out.
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
        self.call::<GetPrivacyUnsafeUserEmailBulkParams>(params, options)
    }

    /// Maps legacy user keys or usernames to account ids
    /// (`GET /wiki/rest/api/user/bulk/migration`; deprecated by Atlassian). Give exactly one of
    /// `keys` or `usernames`.
    ///
    /// ```ts
    /// const page = await client.getBulkUserMigration({ usernames: ["mia", "alana"] });
    /// for (const u of page.results) console.log(u.username, "->", u.accountId);
    /// ```
    #[wasm_bindgen(js_name = getBulkUserMigration, unchecked_return_type = "Promise<MigratedUserArray>")]
    pub fn get_bulk_user_migration(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GetBulkUserMigrationParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call::<GetBulkUserMigrationParams>(params, options)
    }
}

impl Inner {
    async fn run<E: Endpoint + DeserializeOwned>(
        &self,
        params: &JsValue,
        options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let refused = |message: String| {
            let ctx = Context {
                operation: E::OPERATION,
                method: "",
                url: "",
            };
            to_js_error(Some(&self.config), &ctx, &Error::invalid(message), None)
        };
        let _options: CallOptions = from_js(options).map_err(|m| refused(format!("options{m}")))?;
        let params: E = from_js(params).map_err(|m| refused(format!("params{m}")))?;
        let request = self.config.request(&params).map_err(|e| match e {
            Error::InvalidArgument { message } => refused(message),
            other => refused(other.to_string()),
        })?;
        let ctx = Context {
            operation: E::OPERATION,
            method: request.method,
            url: &request.url,
        };
        let fail =
            |err: &Error, body: Option<&str>| to_js_error(Some(&self.config), &ctx, err, body);

        let response = transport::send(&self.fetch, &request)
            .await
            .map_err(|message| fail(&Error::Network { message }, None))?;
        let text = response.text.as_string().unwrap_or_default();
        // The core validates the body against the model; JS's own JSON.parse then builds the
        // objects, which is far cheaper than building them from Rust one property at a time.
        match decode_response::<E>(
            response.status,
            response.content_type.as_deref(),
            text.as_bytes(),
        ) {
            Ok(_validated) => json_parse(&response.text).map_err(|_| {
                let err = Error::Decode {
                    status: response.status,
                    path: ".".to_owned(),
                    message: "the body is not valid JSON".to_owned(),
                };
                fail(&err, None)
            }),
            Err(err) => Err(fail(&err, Some(&text))),
        }
    }
}
