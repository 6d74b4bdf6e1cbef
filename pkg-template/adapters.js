// confluence-users/adapters: transports for `new ConfluenceClient({ fetch })` over the Atlassian host SDKs,
// which authenticate requests themselves: Forge's `@forge/bridge` (frontends, as the current user),
// Forge's `@forge/api` (functions and resolvers, `asApp()` or `asUser()`) and Connect's `AP.request`.
//
// The package depends on none of those SDKs: each adapter takes the SDK's own function or object as an
// argument. Use the client WITHOUT `baseUrl` (it then requests relative paths such as
// `/wiki/rest/api/user?accountId=...`, already percent-encoded) and WITHOUT `auth` (the host adds the
// credentials; an `Authorization` header is never passed on). Signatures and behaviour: ADAPTERS.md.
//
// Build note: pkg-template/build.mjs ships this file as ESM and makes the CommonJS copy by rewriting each
// `export function` / `export async function` at the start of a line, so this file has no imports and
// exports nothing else.

/** The client's paths all start with this; Connect's `AP.request` takes them without the leading `/wiki`. */
const WIKI_API_PREFIX = "/wiki/rest/api/";
/** Confluence Cloud's context path, which `AP.request` prepends itself. */
const CONFLUENCE_CONTEXT_PATH = "/wiki";

/** A short description of a wrong argument, for TypeError messages. */
function describeValue(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return "an object";
  return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}

/** The request path the client asked for; host bridges only take paths on the current site. */
function hostPath(url, adapter) {
  if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//")) {
    const shown = typeof url === "string" ? JSON.stringify(url) : describeValue(url);
    throw new Error(
      `${adapter}: the client asked for ${shown}, but the host takes a path on the current site ` +
        `(/wiki/rest/api/...): create the ConfluenceClient without baseUrl (and without auth)`,
    );
  }
  return url;
}

/** The request's headers as a plain object, without `Authorization`: the host authenticates. */
function hostHeaders(headers) {
  const out = {};
  const add = (value, name) => {
    if (String(name).toLowerCase() !== "authorization") out[String(name)] = String(value);
  };
  if (headers && typeof headers === "object") {
    if (typeof headers.forEach === "function" && !Array.isArray(headers)) headers.forEach(add);
    else for (const name of Object.keys(headers)) add(headers[name], name);
  }
  return out;
}

function requestMethod(init) {
  return init && typeof init.method === "string" && init.method !== "" ? init.method : "GET";
}

/** A response from a Forge SDK, which is fetch's `Response` (or close to it): passed on as it is. */
function forgeResponse(response, adapter) {
  if (response === null || typeof response !== "object") {
    throw new Error(`${adapter}: requestConfluence resolved to ${describeValue(response)}, not a Response`);
  }
  return response;
}

/** Body text of a Connect answer: a string normally; bytes or a parsed object from unusual hosts. */
function connectBodyText(body, xhr) {
  if (typeof body === "string") return body;
  if (body === undefined || body === null) {
    return xhr && typeof xhr.responseText === "string" ? xhr.responseText : "";
  }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new TextDecoder().decode(body);
  return JSON.stringify(body);
}

/** `xhr.getResponseHeader(name)`, as `string | null` (Connect bridges only some headers across). */
function connectHeader(xhr, name) {
  if (!xhr || typeof xhr.getResponseHeader !== "function") return null;
  try {
    const value = xhr.getResponseHeader(name);
    return value === undefined || value === null ? null : String(value);
  } catch {
    return null;
  }
}

/** The ResponseLike the client reads, built from Connect's `{ body, xhr }` (or an error's `xhr`). */
function connectResponse(xhr, body) {
  const status = xhr && Number.isInteger(xhr.status) && xhr.status > 0 ? xhr.status : 200;
  const text = connectBodyText(body, xhr);
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: xhr && typeof xhr.statusText === "string" ? xhr.statusText : "",
    headers: {
      get(name) {
        return connectHeader(xhr, name);
      },
    },
    text() {
      return Promise.resolve(text);
    },
  };
}

/** Why a Connect request got no HTTP answer, from the error callback's or rejection's values. */
function connectFailure(xhr, reason) {
  let why = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "";
  if (why === "" && xhr && typeof xhr.statusText === "string") why = xhr.statusText;
  const status = xhr && typeof xhr.status === "number" ? `status ${xhr.status}` : "no xhr";
  const error = new Error(
    `connectFetch: AP.request failed without an HTTP response (${status}${why ? `: ${why}` : ""})`,
  );
  if (reason !== undefined) error.cause = reason;
  return error;
}

/**
 * A transport for `@forge/bridge`'s `requestConfluence(restPath, fetchOptions)`, which calls Confluence
 * as the current user from a Forge frontend (Custom UI or UI Kit).
 *
 * @param {(restPath: string, fetchOptions?: object) => Promise<object>} requestConfluence
 * @returns {(url: string, init: { method: string, headers: Record<string, string>, signal?: AbortSignal }) => Promise<object>}
 */
export function forgeBridgeFetch(requestConfluence) {
  if (typeof requestConfluence !== "function") {
    throw new TypeError(
      "forgeBridgeFetch(requestConfluence): requestConfluence must be the function of @forge/bridge " +
        `(import { requestConfluence } from "@forge/bridge"), got ${describeValue(requestConfluence)}`,
    );
  }
  return async function forgeBridgeTransport(url, init) {
    const path = hostPath(url, "forgeBridgeFetch");
    // No `signal`: @forge/bridge drops it and logs an error. The client bounds each attempt itself.
    const fetchOptions = { method: requestMethod(init), headers: hostHeaders(init && init.headers) };
    return forgeResponse(await requestConfluence(path, fetchOptions), "forgeBridgeFetch");
  };
}

/**
 * A transport for `@forge/api`: `requester` is `api.asApp()` or `api.asUser()`, whose
 * `requestConfluence(route, init)` takes a route object; `assumeTrustedRoute` (from `@forge/api`) wraps the
 * path the client built and percent-encoded.
 *
 * @param {{ requestConfluence(route: unknown, init?: object): Promise<object> }} requester
 * @param {(path: string) => unknown} assumeTrustedRoute
 * @returns {(url: string, init: { method: string, headers: Record<string, string>, signal?: AbortSignal }) => Promise<object>}
 */
export function forgeApiFetch(requester, assumeTrustedRoute) {
  const usage = "forgeApiFetch(requester, assumeTrustedRoute)";
  if (requester === null || (typeof requester !== "object" && typeof requester !== "function")) {
    throw new TypeError(
      `${usage}: requester must be api.asApp() or api.asUser() from @forge/api, got ${describeValue(requester)}`,
    );
  }
  if (typeof requester.requestConfluence !== "function") {
    const hint = typeof requester === "function" ? " (call it: api.asApp(), not api.asApp)" : "";
    throw new TypeError(
      `${usage}: requester must be api.asApp() or api.asUser() from @forge/api, an object with a ` +
        `requestConfluence method${hint}`,
    );
  }
  if (typeof requester.asApp === "function" && typeof requester.asUser === "function") {
    throw new TypeError(
      `${usage}: pass api.asApp() or api.asUser(), not the api object itself, whose requestConfluence ` +
        "is unauthenticated",
    );
  }
  if (typeof assumeTrustedRoute !== "function") {
    throw new TypeError(
      `${usage}: assumeTrustedRoute must be the function of @forge/api ` +
        `(import { assumeTrustedRoute } from "@forge/api"), got ${describeValue(assumeTrustedRoute)}`,
    );
  }
  // `route` (the tagged template) called with a plain string gives a route for "/" alone: catch the mix-up
  // here rather than on every request.
  const probePath = `${WIKI_API_PREFIX}user/current`;
  const probe = assumeTrustedRoute(probePath);
  if (probe !== null && typeof probe === "object" && typeof probe.value === "string" && probe.value !== probePath) {
    throw new TypeError(
      `${usage}: assumeTrustedRoute(${JSON.stringify(probePath)}) gave a route for ` +
        `${JSON.stringify(probe.value)}: pass assumeTrustedRoute from @forge/api, not route`,
    );
  }
  return async function forgeApiTransport(url, init) {
    const path = hostPath(url, "forgeApiFetch");
    const options = { method: requestMethod(init), headers: hostHeaders(init && init.headers) };
    if (init && init.signal) options.signal = init.signal;
    return forgeResponse(await requester.requestConfluence(assumeTrustedRoute(path), options), "forgeApiFetch");
  };
}

/**
 * A transport for Atlassian Connect's `AP.request`, which calls the host product as the current user from
 * an app's iframe. HTTP errors (which `AP.request` rejects) resolve as responses of their status, so the
 * client reports them exactly as it does for fetch.
 *
 * @param {{ request(options: object): unknown }} AP
 * @returns {(url: string, init: { method: string, headers: Record<string, string>, signal?: AbortSignal }) => Promise<object>}
 */
export function connectFetch(AP) {
  const isObject = AP !== null && (typeof AP === "object" || typeof AP === "function");
  if (!isObject || typeof AP.request !== "function") {
    throw new TypeError(
      "connectFetch(AP): AP must be Connect's global AP object (loaded by all.js), whose request is a " +
        `function, got ${isObject ? "an object without a request function" : describeValue(AP)}`,
    );
  }
  return function connectTransport(url, init) {
    return new Promise((resolve, reject) => {
      const path = hostPath(url, "connectFetch");
      // AP.request URLs are relative to the product's context path, which is /wiki in Confluence Cloud.
      const relative = path.startsWith(`${CONFLUENCE_CONTEXT_PATH}/`) ? path.slice(CONFLUENCE_CONTEXT_PATH.length) : path;
      const succeed = (body, xhr) => resolve(connectResponse(xhr, body));
      const fail = (xhr, reason) => {
        // An HTTP error is an answer: hand it to the client as a response of that status.
        if (xhr && Number.isInteger(xhr.status) && xhr.status > 0) resolve(connectResponse(xhr, xhr.responseText));
        else reject(connectFailure(xhr, reason));
      };
      // The promise AP.request returns is used when there is one; the callbacks serve hosts whose
      // AP.request only calls them. Whichever form the host uses, the promise settles once.
      let mode = "calling";
      const early = [];
      const viaCallback = (settle) => {
        if (mode === "promise") return;
        if (mode === "callbacks") settle();
        else early.push(settle);
      };
      let returned;
      try {
        returned = AP.request({
          url: relative,
          type: requestMethod(init),
          headers: hostHeaders(init && init.headers),
          success(body, _statusText, xhr) {
            viaCallback(() => succeed(body, xhr));
          },
          error(xhr, statusText, errorThrown) {
            viaCallback(() => fail(xhr, errorThrown !== undefined && errorThrown !== "" ? errorThrown : statusText));
          },
        });
      } catch (thrown) {
        mode = "promise";
        reject(thrown);
        return;
      }
      if (returned !== null && typeof returned === "object" && typeof returned.then === "function") {
        mode = "promise";
        returned.then(
          (value) => succeed(value && value.body, value && value.xhr),
          (value) => {
            const isErrorShape = value !== null && typeof value === "object" && !(value instanceof Error);
            fail(isErrorShape ? value.xhr : undefined, isErrorShape && "err" in value ? value.err : value);
          },
        );
      } else {
        mode = "callbacks";
        for (const settle of early) settle();
      }
    });
  };
}
