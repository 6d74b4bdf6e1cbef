// Reusable fault handlers for the fake Confluence server's `enqueue` (see README.md, "Canned responses").
// Node 18+, ES module, `node:` built-ins only.
//
//   import * as faults from "./fake-server/faults.mjs";
//   fake.enqueue(faults.reset());                       // connection reset before any byte
//   fake.enqueue(faults.resetMidBody(jsonText));        // headers + half the body, then reset
//   const h = faults.hang(); fake.enqueue(h);           // never answers; h.hits[0].closed resolves when the
//                                                       // client gives up the connection
//   fake.enqueue(faults.drip(jsonText, 50));            // headers at once, then one byte every 50 ms
//   fake.enqueue(faults.retryAfter429("1"));            // canned 429 with Retry-After: 1
//   fake.enqueue(...faults.storm503(3));                // three canned 503s
//
// Function handlers carry `hits`: one entry per request they answered, `{ at, closedAt, closed }` where
// `at` / `closedAt` are performance.now() times and `closed` is a promise of `closedAt`: when the response
// closed. For a response that never completes (hang, drip) that is the moment the server saw the connection
// go: the client cancelled it, or the handler or fake.close() destroyed it.
// Canned objects ({status, headers, body}) are plain data; enqueue one per request they should answer.

import net from "node:net";
import { performance } from "node:perf_hooks";

import { errorBody } from "./server.mjs";

export const JSON_TYPE = "application/json;charset=UTF-8";

/** Wraps `fn(req, res, hit)` so each request it answers is recorded in `handler.hits`. */
export function tracked(fn) {
  const hits = [];
  const handler = (req, res, rec) => {
    let markClosed;
    const hit = { at: performance.now(), closedAt: undefined, rec, closed: new Promise((r) => (markClosed = r)) };
    hits.push(hit);
    const onClose = () => {
      if (hit.closedAt === undefined) {
        hit.closedAt = performance.now();
        markClosed(hit.closedAt);
      }
    };
    // The response's own "close" (not the socket's: a keep-alive socket serves many requests): for a
    // response that never finishes, it fires when the connection goes away.
    if (res.destroyed || !res.socket || res.socket.destroyed) onClose();
    else res.once("close", onClose);
    return fn(req, res, hit);
  };
  handler.hits = hits;
  return handler;
}

/** Connection reset before any byte of the response (the socket is destroyed at once). */
export function reset() {
  return tracked((req, res) => {
    res.socket.destroy();
  });
}

/**
 * Status line, headers and the first `fraction` of `body`, then the connection is reset.
 * With `chunked`, no Content-Length is sent (Transfer-Encoding: chunked); else Content-Length is the full
 * length, so the client knows the body is cut.
 */
export function resetMidBody(body, { status = 200, headers = {}, fraction = 0.5, chunked = false, delayMs = 20 } = {}) {
  const bytes = Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8");
  const cut = Math.max(1, Math.floor(bytes.length * fraction));
  return tracked((req, res) => {
    res.statusCode = status;
    res.setHeader("Content-Type", JSON_TYPE);
    if (!chunked) res.setHeader("Content-Length", bytes.length);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.write(bytes.subarray(0, cut));
    const t = setTimeout(() => res.socket?.destroy(), delayMs);
    res.once("close", () => clearTimeout(t));
  });
}

/**
 * Never answers (the request is read, nothing is written). The socket stays open until the client gives it
 * up or the fake closes.
 */
export function hang() {
  return tracked(() => {});
}

/**
 * Sends the status line and headers at once, then `body` `chunk` bytes every `ms` milliseconds. Stops when the
 * client closes the connection.
 */
export function drip(body, ms, { status = 200, headers = {}, chunk = 1, contentLength = true } = {}) {
  const bytes = Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8");
  return tracked((req, res) => {
    res.statusCode = status;
    res.setHeader("Content-Type", JSON_TYPE);
    if (contentLength) res.setHeader("Content-Length", bytes.length);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.flushHeaders();
    let i = 0;
    const timer = setInterval(() => {
      if (res.destroyed || i >= bytes.length) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(bytes.subarray(i, i + chunk));
      i += chunk;
    }, ms);
    res.once("close", () => clearInterval(timer));
  });
}

/**
 * Writes a raw HTTP response straight to the socket, `chunk` bytes every `ms` milliseconds, status line
 * included: the client waits for the headers themselves.
 */
export function dripRaw(rawResponse, ms, { chunk = 1 } = {}) {
  const bytes = Buffer.from(rawResponse, "utf8");
  return tracked((req, res) => {
    const socket = res.socket;
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= bytes.length) {
        clearInterval(timer);
        return;
      }
      socket.write(bytes.subarray(i, i + chunk));
      i += chunk;
    }, ms);
    res.once("close", () => clearInterval(timer));
  });
}

/** Answers with exactly these bytes and headers (the fake adds its CORS and atl-traceid headers; a header set
 * to null is removed). */
export function raw(status, body, headers = {}) {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body ?? "", "utf8");
  return tracked((req, res) => {
    res.statusCode = status;
    res.setHeader("Content-Type", JSON_TYPE);
    res.setHeader("Content-Length", bytes.length);
    for (const [k, v] of Object.entries(headers)) {
      if (v === null || v === undefined) res.removeHeader(k);
      else res.setHeader(k, v);
    }
    res.end(bytes);
  });
}

/**
 * Writes `head` (status line and headers, without the blank line) and `body` straight to the socket with
 * `Connection: close` and no Content-Length, then closes the connection: the body ends where the
 * connection ends, so a cut body looks complete to the client.
 */
export function closeDelimited(status, body, { contentType = JSON_TYPE } = {}) {
  const bytes = Buffer.from(body, "utf8");
  return tracked((req, res) => {
    const head = `HTTP/1.1 ${status} X\r\nContent-Type: ${contentType}\r\natl-traceid: ${res.getHeader("atl-traceid")}\r\nConnection: close\r\n\r\n`;
    res.socket.end(Buffer.concat([Buffer.from(head, "latin1"), bytes]));
  });
}

/** A canned Atlassian v1 error (`{statusCode, data, message}`) with extra headers. */
export function status(code, { message = `Status ${code}`, headers = {} } = {}) {
  return { status: code, headers, body: errorBody(code, message) };
}

/** A canned 429; `value` is the Retry-After header (omitted when undefined). */
export function retryAfter429(value, { message = "Rate limit exceeded", body } = {}) {
  const headers = value === undefined ? {} : { "Retry-After": String(value) };
  return { status: 429, headers, body: body ?? errorBody(429, message) };
}

/** A canned 503; `retryAfter` is the Retry-After header (omitted when undefined). */
export function unavailable503({ retryAfter, message = "Service Unavailable" } = {}) {
  const headers = retryAfter === undefined ? {} : { "Retry-After": String(retryAfter) };
  return { status: 503, headers, body: errorBody(503, message) };
}

/** `n` canned 503s (spread them into enqueue: `fake.enqueue(...storm503(3))`). */
export function storm503(n, options = {}) {
  return Array.from({ length: n }, () => unavailable503(options));
}

/**
 * An HTTP date (IMF-fixdate) at a whole second at least `minAheadMs` ahead. Returns the header value and
 * the epoch milliseconds it stands for (dates have a resolution of one second).
 */
export function httpDateAhead(minAheadMs) {
  const at = Math.ceil((Date.now() + minAheadMs) / 1000) * 1000;
  return { value: new Date(at).toUTCString(), at };
}

/** A 127.0.0.1 port nothing listens on (bound, then released). */
export async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** `{"a":{"a":…}}` nested `depth` levels deep (valid JSON). */
export function deepObject(depth) {
  return '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** `[[[…]]]` nested `depth` levels deep (valid JSON). */
export function deepArray(depth) {
  return "[".repeat(depth) + "]".repeat(depth);
}

/**
 * A front for the fake (issue 11's rate-limit cases): a second server on 127.0.0.1 that logs every request,
 * counts the requests in flight, and answers each one itself or passes it on to `fake`.
 *
 *   const f = await F.front(fake, { answer: (rec, n) => n === 0 ? F.retryAfter429("2") : undefined });
 *   new ConfluenceClient({ baseUrl: f.url, ... });
 *   f.log        // [{ n, at, path, rawQuery, ids, status, endAt }]: at / endAt are performance.now() times
 *   f.maxInFlight, f.inFlight
 *
 * `answer(rec, n)` (n counts requests from 0) returns a canned `{status, headers?, body?}` to send instead of
 * the fake's answer, or undefined to pass the request on. `delayMs(rec, n)` delays the answer (canned or
 * passed on). `headers(rec, n)` adds headers to a passed-on answer (e.g. X-RateLimit-*).
 */
export async function front(fake, { answer = () => undefined, delayMs = () => 0, headers = () => ({}) } = {}) {
  const http = await import("node:http");
  const log = [];
  const state = { inFlight: 0, maxInFlight: 0 };
  const sockets = new Set();
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const rec = {
      n: log.length,
      at: performance.now(),
      path: url.pathname,
      rawQuery: url.search.slice(1),
      ids: (url.searchParams.get("accountId") ?? "").split(",").filter((s) => s !== ""),
      status: undefined,
      endAt: undefined,
    };
    log.push(rec);
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      state.inFlight -= 1;
      rec.endAt = performance.now();
    };
    res.once("close", finish);
    req.resume();
    const canned = answer(rec, rec.n);
    const go = () => {
      if (canned !== undefined) {
        const body = typeof canned.body === "string" ? canned.body : JSON.stringify(canned.body ?? "");
        rec.status = canned.status;
        res.writeHead(canned.status, { "Content-Type": JSON_TYPE, "Content-Length": Buffer.byteLength(body), ...(canned.headers ?? {}) });
        res.end(body);
        return;
      }
      const upstream = http.request(
        { host: "127.0.0.1", port: fake.port, path: req.url, method: req.method, headers: { ...req.headers, host: `127.0.0.1:${fake.port}` } },
        (up) => {
          rec.status = up.statusCode;
          res.writeHead(up.statusCode, { ...up.headers, ...headers(rec, rec.n) });
          up.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      upstream.end();
    };
    const ms = delayMs(rec, rec.n);
    if (ms > 0) setTimeout(go, ms);
    else go();
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
