// One attempt as one promise chain, whose report the Rust side judges once (src/wasm/transport.rs
// `start` declares it, `judge` reads the report). pkg-template/build.mjs writes this file into each glue file,
// so it may hold only `export function`s.

// Calls `fetch.call(thisArg, url, { method, headers, signal })`, where `signal` is a new controller's,
// aborted after `timeoutMs` (when not undefined) or when the caller's `signal` aborts (when given; an
// object whose `aborted` read throws counts as aborted); with neither, `init` has no `signal`. Then reads the response's `status`, its
// `headers.get` of `content-type` and of each of `names`, and its body by `text()` or, without one,
// `arrayBuffer()`. With `race` (a user's fetch, not trusted to stop when its signal aborts), what fetch
// and the body method return is raced against that abort; without it (the global fetch, which stops) it
// is awaited. The timer and the listener are gone when the promise settles. It never rejects; it
// resolves to `[code, ...]`, where `code` is `kind + 8 * fired (+ 64 for a body from text())`:
//   kind 0: [code, status, contentType, found, headers, body]  a response; `found` is undefined when
//                        no header of `names` is present, else their values in the order of `names`
//   kind 1: [code, thrown]  fetch, a read or a body method threw or rejected with `thrown`, or the
//                        abort won a race (`fired` then says why)
//   kind 2: fetch resolved to something that is not an object
//   kind 3: the response has neither `text()` nor `arrayBuffer()`
//   kind 4: `text()` gave something that is not a string
//   kind 5: the response's `status` is not an integer from 100 to 599
// and `fired` is 0, or what aborted the controller first: 1 the timer, 2 the caller's signal.
export async function fetchAttempt(fetch, thisArg, url, method, headers, timeoutMs, signal, names, race) {
  // Nothing can abort an attempt with no timeout and no caller's signal: it gets no controller, and fetch
  // no signal (a signal costs fetch a listener; Node's undici ~5% of a loopback call).
  const controller = timeoutMs === undefined && signal === undefined ? undefined : new AbortController();
  let fired = 0;
  let interrupt;
  let interrupted;
  if (race) {
    interrupted = new Promise((_, reject) => (interrupt = reject));
    // Handled at once: the abort may come before anything is raced against it.
    interrupted.catch(() => {});
  }
  const fire = (why) => {
    if (fired === 0) {
      fired = why;
      controller.abort();
      if (race) interrupt(controller.signal.reason);
    }
  };
  // `Promise.race` takes a plain value, a promise or any thenable (a `then` getter that throws
  // rejects it), as `await` does.
  const settle = (value) => (race ? Promise.race([value, interrupted]) : value);
  const onAbort = () => fire(2);
  let timer;
  let listening = false;
  try {
    if (signal !== undefined) {
      try {
        signal.addEventListener("abort", onAbort);
        listening = true;
      } catch {
        // Judged by its `aborted` below, as before any attempt.
      }
      // An abort before the listener was added fires no event: look now.
      let aborted;
      try {
        aborted = signal.aborted;
      } catch {
        aborted = true;
      }
      if (aborted) fire(2);
    }
    if (timeoutMs !== undefined) timer = setTimeout(fire, timeoutMs, 1);
    const init = controller === undefined ? { method, headers } : { method, headers, signal: controller.signal };
    const response = await settle(fetch.call(thisArg, url, init));
    if (response === null || typeof response !== "object") return [2 + 8 * fired];
    const status = response.status;
    if (!Number.isInteger(status) || status < 100 || status > 599) return [5 + 8 * fired];
    const head = response.headers;
    const get = head !== null && (typeof head === "object" || typeof head === "function") ? head.get : undefined;
    let contentType;
    let found;
    if (typeof get === "function") {
      contentType = get.call(head, "content-type");
      for (let i = 0; i < names.length; i++) {
        const value = get.call(head, names[i]);
        if (value === null || value === undefined) continue;
        if (found === undefined) found = new Array(names.length);
        found[i] = value;
      }
    }
    const text = response.text;
    if (typeof text === "function") {
      const body = await settle(text.call(response));
      return typeof body === "string" ? [64 + 8 * fired, status, contentType, found, head, body] : [4 + 8 * fired];
    }
    const arrayBuffer = response.arrayBuffer;
    if (typeof arrayBuffer !== "function") return [3 + 8 * fired];
    return [8 * fired, status, contentType, found, head, await settle(arrayBuffer.call(response))];
  } catch (thrown) {
    return [1 + 8 * fired, thrown];
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (listening) {
      try {
        signal.removeEventListener("abort", onAbort);
      } catch {
        // Nothing to undo.
      }
    }
  }
}

// `fetchAttempt` of the other arguments, then `then(id, report)`: the call's continuation in Rust
// (src/wasm/call.rs `resume`), whose return value or throw settles the promise.
export function fetchThen(then, id, fetch, thisArg, url, method, headers, timeoutMs, signal, names, race) {
  return fetchAttempt(fetch, thisArg, url, method, headers, timeoutMs, signal, names, race).then((report) => then(id, report));
}
