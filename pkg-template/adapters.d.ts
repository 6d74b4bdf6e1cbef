// Declarations of `confluence-users/adapters`, written by hand: unlike the package's main declarations, which
// wasm-bindgen generates from the Rust types, these describe plain JS functions over host SDK objects
// (Forge's `@forge/bridge` and `@forge/api`, Connect's `AP`) that no Rust type describes. The package does
// not depend on those SDKs, so their objects appear here as the minimal structural interfaces the adapters
// use; the real SDK objects fit them. See ADAPTERS.md for the signatures they rest on.

/** The request a transport receives from `ConfluenceClient`: always `GET`, headers as a plain object. */
export interface HostRequestInit {
    method: string;
    headers: Record<string, string>;
    /** The attempt's signal; forwarded only where the host SDK supports one (`@forge/api`). */
    signal?: AbortSignal;
}

/** What a transport of this module resolves to: a `Response`, or an object with the parts the client reads. */
export interface HostResponse {
    status: number;
    statusText?: string;
    /** Absent or partial on some hosts; the client then reads no rate-limit headers. */
    headers?: { get(name: string): string | null };
    text(): Promise<string>;
}

/**
 * A transport for the `fetch` option of `ConfluenceClient`. It takes the relative paths the client sends
 * when created without `baseUrl` (`/wiki/rest/api/user?accountId=…`) and never passes an `Authorization`
 * header on: the host authenticates.
 */
export type HostFetch = (url: string, init: HostRequestInit) => Promise<HostResponse>;

/** The options the Forge adapters hand the host SDK: the client's headers without `Authorization`. */
export interface ForgeRequestOptions {
    method: string;
    headers: Record<string, string>;
}

/**
 * `requestConfluence` of `@forge/bridge`: `(restPath: string, fetchOptions?: RequestInit) => Promise<Response>`
 * (its `RequestInit` has no `signal`), calling Confluence as the current user.
 */
export type ForgeBridgeRequestConfluence = (restPath: string, fetchOptions: ForgeRequestOptions) => Promise<HostResponse>;

/**
 * `api.asApp()` or `api.asUser()` of `@forge/api`: an object whose `requestConfluence(route, init?)` takes a
 * route object (from `route` or `assumeTrustedRoute`) and resolves to a fetch-like response.
 */
export interface ForgeApiRequester<Route> {
    requestConfluence(route: Route, init: ForgeRequestOptions & { signal?: AbortSignal }): Promise<HostResponse>;
}

/**
 * The `xhr` Connect hands back from `AP.request`: a copy of the host's XMLHttpRequest made for the bridge,
 * with `status`, `statusText`, `responseText` and `getResponseHeader` (for the few headers the host copies).
 */
export interface ConnectXhr {
    readonly status: number;
    readonly statusText?: string;
    readonly responseText?: string;
    getResponseHeader?(name: string): string | null | undefined;
}

/** The options object `AP.request` takes, as far as this adapter uses it. */
export interface ConnectRequestOptions {
    /** Relative to the product's context path (`/wiki` in Confluence Cloud), e.g. `/rest/api/user/current`. */
    url: string;
    /** The HTTP method; `GET` by default. */
    type?: string;
    /** Request headers; Connect supports `Accept`, `If-Match` and `If-None-Match`. */
    headers?: Record<string, string>;
    /** Called on success with the body text (and, on hosts that pass them, the status text and the xhr). */
    success?(body: string, statusText: string, xhr: ConnectXhr): void;
    /** Called on an HTTP error or a failed request (status 0). */
    error?(xhr: ConnectXhr, statusText: string, errorThrown: unknown): void;
}

/**
 * Connect's global `AP` (from `all.js`), as far as this adapter uses it: `AP.request(options)`, which returns a
 * promise of `{ body, xhr }` (rejected with `{ err, xhr }` on an HTTP error), or nothing on hosts that only
 * call the `success` / `error` callbacks.
 */
export interface ConnectAP {
    request(options: ConnectRequestOptions): PromiseLike<{ body: unknown; xhr?: ConnectXhr }> | void;
}

/**
 * A transport over `requestConfluence` of `@forge/bridge`, for Forge frontends (Custom UI, UI Kit): requests
 * run as the current user. The path goes to the bridge as the client built it, with the client's `Accept`
 * and no `Authorization`; the bridge's `Response` comes back as it is. No `signal` is passed (the bridge
 * drops it): the client still bounds each attempt by its `timeout` and still honours a call's `signal`.
 *
 * @throws TypeError when `requestConfluence` is not a function.
 *
 * ```ts
 * import { requestConfluence } from "@forge/bridge";
 * import { ConfluenceClient } from "confluence-users";
 * import { forgeBridgeFetch } from "confluence-users/adapters";
 *
 * const client = new ConfluenceClient({ fetch: forgeBridgeFetch(requestConfluence) }); // no baseUrl, no auth
 * const me = await client.getCurrentUser();
 * ```
 */
export function forgeBridgeFetch(requestConfluence: ForgeBridgeRequestConfluence): HostFetch;

/**
 * A transport over `@forge/api`, for Forge functions and resolvers: `requester` is `api.asApp()` (as the app)
 * or `api.asUser()` (as the invoking user). Each path, built and percent-encoded by the client, is wrapped
 * with `assumeTrustedRoute` (pass the one from `@forge/api`; `route` would take it apart) and sent with the
 * client's `Accept`, no `Authorization`, and the attempt's `signal`. The response comes back as it is.
 * The email operations (`getPrivacyUnsafeUserEmail`, `getPrivacyUnsafeUserEmailBulk`) need `api.asApp()`.
 *
 * @throws TypeError when `requester` has no `requestConfluence` method or is the `api` object itself (whose
 * `requestConfluence` is unauthenticated), or when `assumeTrustedRoute` is not a function or turns a path
 * into a route for another path (as `route` does).
 *
 * ```ts
 * import api, { assumeTrustedRoute } from "@forge/api";
 * import { ConfluenceClient } from "confluence-users";
 * import { forgeApiFetch } from "confluence-users/adapters";
 *
 * const asApp = new ConfluenceClient({ fetch: forgeApiFetch(api.asApp(), assumeTrustedRoute) });
 * const [record] = await asApp.getPrivacyUnsafeUserEmailBulk({ accountIds: [accountId] });
 * ```
 */
export function forgeApiFetch<Route>(requester: ForgeApiRequester<Route>, assumeTrustedRoute: (path: string) => Route): HostFetch;

/**
 * A transport over `AP.request` of Atlassian Connect, for an app's iframe: requests run as the current user.
 * The client's `/wiki/rest/api/…` path goes to `AP.request` without the leading `/wiki` (its URLs are
 * relative to the context path), as a `GET` with the client's `Accept` and no `Authorization`. The answer
 * becomes a response: `status` from `xhr.status`, `text()` the body, `headers.get` from
 * `xhr.getResponseHeader`. An HTTP error, which `AP.request` rejects, resolves as a response of its status,
 * so the client reports it (and retries 429 and 503) exactly as with fetch; a failure without an HTTP status
 * rejects, and the client reports a `network` error. `AP.request` cannot be aborted: the client's `timeout`
 * and a call's `signal` still end the call.
 *
 * @throws TypeError when `AP` has no `request` function.
 *
 * ```ts
 * import { ConfluenceClient } from "confluence-users";
 * import { connectFetch } from "confluence-users/adapters";
 *
 * declare const AP: import("confluence-users/adapters").ConnectAP; // the global from all.js
 * const client = new ConfluenceClient({ fetch: connectFetch(AP) }); // no baseUrl, no auth
 * const { results } = await client.getBulkUserLookup({ accountIds });
 * ```
 */
export function connectFetch(AP: ConnectAP): HostFetch;
