// One attempt as one promise chain that the Rust side awaits once (src/wasm/transport.rs `send`
// declares it and judges what it reports). pkg-template/build.mjs writes this file into each glue file,
// so it may hold only `export function`s.

// Calls `fetch.call(thisArg, url, { method, headers, signal })`, where `signal` is a new controller's,
// aborted after `timeoutMs` (when not undefined) or when the caller's `signal` aborts (when given; an
// object whose `aborted` read throws counts as aborted). Then reads the response's `status`, its
// `headers.get(name)` for each of `names`, and its body by `text()` or, without one, `arrayBuffer()`.
// With `race` (a user's fetch, not trusted to stop when its signal aborts), what fetch and the body
// method return is raced against that abort; without it (the global fetch, which stops) it is awaited.
// The timer and the listener are gone when the promise settles. It never rejects; it resolves to
//   [0, fired, status, values, headers, body, isText]  a response (`values` in the order of `names`)
//   [1, fired, thrown]   fetch, a read or a body method threw or rejected with `thrown`, or the abort
//                        won a race (`fired` then says why)
//   [2, fired]           fetch resolved to something that is not an object
//   [3, fired]           the response has neither `text()` nor `arrayBuffer()`
//   [4, fired]           `text()` gave something that is not a string
//   [5, fired]           the response's `status` is not an integer from 100 to 599
// where `fired` is 0, or what aborted the controller first: 1 the timer, 2 the caller's signal.
export async function fetchAttempt(fetch, thisArg, url, method, headers, timeoutMs, signal, names, race) {
  const controller = new AbortController();
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
    const response = await settle(fetch.call(thisArg, url, { method, headers, signal: controller.signal }));
    if (response === null || typeof response !== "object") return [2, fired];
    const status = response.status;
    if (!Number.isInteger(status) || status < 100 || status > 599) return [5, fired];
    const head = response.headers;
    const get = head !== null && (typeof head === "object" || typeof head === "function") ? head.get : undefined;
    const values = new Array(names.length);
    if (typeof get === "function") for (let i = 0; i < names.length; i++) values[i] = get.call(head, names[i]);
    const text = response.text;
    if (typeof text === "function") {
      const body = await settle(text.call(response));
      return typeof body === "string" ? [0, fired, status, values, head, body, true] : [4, fired];
    }
    const arrayBuffer = response.arrayBuffer;
    if (typeof arrayBuffer !== "function") return [3, fired];
    return [0, fired, status, values, head, await settle(arrayBuffer.call(response)), false];
  } catch (thrown) {
    return [1, fired, thrown];
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
