// Generators of hostile JS values for the boundary fuzz (issue 14): what a hostile-but-realistic caller can
// pass where the package reads a JS value. Each generator returns { kind, value }; `kind` names the
// ingredient, for the counts the fuzz prints. Everything thrown on purpose is a `Boom`, so a ConfluenceError's
// `cause` can be checked against it.

export class Boom extends Error {
  constructor(where) {
    super(`boom from ${where}`);
    this.name = "Boom";
  }
}

const TRAPS = ["get", "has", "ownKeys", "getOwnPropertyDescriptor", "getPrototypeOf", "apply", "construct"];
const HUGE = "x".repeat(70_000);

/** A Proxy of `target` whose `trap` throws. */
function trapThrows(target, trap) {
  return new Proxy(target, {
    [trap]() {
      throw new Boom(`${trap} trap`);
    },
  });
}

function revoked(target) {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

/** An object whose `key` getter returns `first` on the first read and throws afterwards. */
function secondReadThrows(key, first) {
  let reads = 0;
  return {
    get [key]() {
      if (reads++ > 0) throw new Boom(`second read of ${key}`);
      return first;
    },
  };
}

/** A Proxy claiming to have `fields`, whose every read gives `next()` (a lie each time). */
function lyingProxy(fields, next) {
  return new Proxy(
    {},
    {
      ownKeys: () => fields,
      getOwnPropertyDescriptor: (_, key) =>
        fields.includes(key) ? { value: next(), enumerable: true, configurable: true, writable: true } : undefined,
      get: (_, key) => (fields.includes(key) ? next() : undefined),
      has: (_, key) => fields.includes(key),
    },
  );
}

/** A primitive or simple value that is sometimes valid somewhere. */
export function primitive(r) {
  return r.pick([
    () => undefined,
    () => null,
    () => NaN,
    () => Infinity,
    () => -0,
    () => 1.5,
    () => 2 ** 53,
    () => -1,
    () => 0,
    () => 100,
    () => "",
    () => "5b10ac8d82e05b22cc7d4ef5",
    () => "operations",
    () => "a,b",
    () => true,
    () => false,
    () => ({}),
    () => [],
    () => ["operations"],
    () => [""],
    () => new Date(0),
    () => new Map(),
    () => Object.create(null),
    () => new String("x"),
    () => new Number(3),
  ])();
}

/**
 * A hostile value for a slot that expects `fields` (an object's keys) or an item.
 * @returns {{ kind: string, value: unknown }}
 */
export function hostile(r, fields = ["accountId"]) {
  const field = r.pick(fields);
  switch (r.int(17)) {
    case 0:
      return { kind: "symbol", value: Symbol(r.pick(["x", "accountId"])) };
    case 1:
      return { kind: "bigint", value: BigInt(r.int(1000)) * 10n ** 20n };
    case 2:
      return { kind: "loneSurrogate", value: r.pick(["\uD800", "a\uDC00b", "5b10\uD83D", "\uDFFF\uD800"]) };
    case 3:
      return { kind: "hugeString", value: HUGE };
    case 4:
      return { kind: "array2^31", value: new Array(2 ** 31) };
    case 5: {
      const length = r.pick([2 ** 40, -1, NaN, 1e7, 2 ** 32 - 1, "3", 1.5]);
      return { kind: "lengthLie", value: new Proxy([], { get: (t, k) => (k === "length" ? length : Reflect.get(t, k)) }) };
    }
    case 6: {
      const array = ["operations", "5b10ac8d82e05b22cc7d4ef5"];
      Object.defineProperty(array, r.int(2), {
        get() {
          throw new Boom("index getter");
        },
      });
      return { kind: "throwingIndex", value: array };
    }
    case 7: {
      const o = {};
      Object.defineProperty(o, field, {
        enumerable: true,
        get() {
          throw new Boom(`getter ${field}`);
        },
      });
      return { kind: "throwingGetter", value: o };
    }
    case 8:
      return { kind: "secondReadThrows", value: secondReadThrows(field, r.pick(["5b10ac8d82e05b22cc7d4ef5", ["operations"], 1])) };
    case 9: {
      const trap = r.pick(TRAPS);
      const target = r.pick([{}, [], () => {}]);
      return { kind: `trapThrows:${trap}`, value: trapThrows(target, trap) };
    }
    case 10:
      return { kind: "revokedProxy", value: revoked(r.pick([{}, [], () => {}])) };
    case 11: {
      const values = [() => Symbol("lie"), () => 1n, () => "ok", () => [], () => undefined, () => new Proxy({}, {}), () => 42];
      return { kind: "lyingProxy", value: lyingProxy(fields, () => r.pick(values)()) };
    }
    case 12:
      return { kind: "function", value: r.pick([() => {}, async () => {}, class {}, Math.max]) };
    case 13: {
      // A valid-looking array whose prototype chain is hostile (Array.isArray is true).
      const a = ["operations"];
      Object.setPrototypeOf(a, trapThrows({}, "get"));
      return { kind: "hostileProtoArray", value: a };
    }
    case 14: {
      const a = new Proxy(["operations", "5b10ac8d82e05b22cc7d4ef5"], {
        get(t, k) {
          if (k === "length") return t.length;
          throw new Boom(`array proxy get ${String(k)}`);
        },
      });
      return { kind: "arrayProxyThrows", value: a };
    }
    case 15: {
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
      const o = Object.fromEntries(keys.map((k) => [k, undefined]));
      o[Symbol("s")] = 1;
      return { kind: "manyUndefinedKeys", value: o };
    }
    default:
      return { kind: "primitive", value: primitive(r) };
  }
}

/**
 * A fake or hostile AbortSignal. `abortLater` aborts a real controller's signal soon.
 * @returns {{ kind: string, value: unknown }}
 */
export function hostileSignal(r) {
  const listen = { addEventListener() {}, removeEventListener() {} };
  switch (r.int(11)) {
    case 0:
      return {
        kind: "signal:abortedThrows",
        value: {
          ...listen,
          get aborted() {
            throw new Boom("aborted getter");
          },
        },
      };
    case 1: {
      let reads = 0;
      return {
        kind: "signal:abortedThrowsLater",
        value: {
          ...listen,
          get aborted() {
            if (reads++ > 0) throw new Boom("aborted getter, second read");
            return false;
          },
        },
      };
    }
    case 2:
      return {
        kind: "signal:listenerThrows",
        value: {
          aborted: false,
          addEventListener() {
            throw new Boom("addEventListener");
          },
          removeEventListener() {
            throw new Boom("removeEventListener");
          },
        },
      };
    case 3:
      return { kind: "signal:neverFires", value: { aborted: false, ...listen } };
    case 4:
      return { kind: "signal:alreadyAborted", value: AbortSignal.abort(new Boom("reason")) };
    case 5: {
      const c = new AbortController();
      setTimeout(() => c.abort(), r.int(3));
      return { kind: "signal:abortSoon", value: c.signal };
    }
    case 6: {
      const c = new AbortController();
      queueMicrotask(() => c.abort());
      return { kind: "signal:abortMicrotask", value: c.signal };
    }
    case 7:
      return { kind: "signal:revoked", value: revoked({ aborted: false, ...listen }) };
    case 8:
      return { kind: "signal:proxyGetThrows", value: trapThrows(new AbortController().signal, "get") };
    case 9: {
      let n = 0;
      return {
        kind: "signal:lyingAborted",
        value: {
          ...listen,
          get aborted() {
            return n++ % 2 === 0 ? false : r.pick([true, "yes", 1, Symbol("a")]);
          },
        },
      };
    }
    default:
      return { kind: "signal:notASignal", value: r.pick([{}, { aborted: "no" }, { aborted: false }, 1, "signal"]) };
  }
}

/** A hostile custom `fetch`; `good` answers validly. */
export function hostileFetch(r, good) {
  const ok = (text) => ({ status: 200, headers: { get: () => "application/json" }, text: () => Promise.resolve(text) });
  const variants = [
    ["fetch:throws", () => { throw new Boom("fetch"); }],
    ["fetch:rejects", () => Promise.reject(new Boom("fetch rejection"))],
    ["fetch:neverSettles", () => new Promise(() => {})],
    ["fetch:notAResponse", () => Promise.resolve(r.pick([42, null, "x", Symbol("r"), 1n]))],
    ["fetch:responseProxyThrows", () => Promise.resolve(trapThrows({}, r.pick(TRAPS)))],
    ["fetch:revokedResponse", () => Promise.resolve(revoked({ status: 200 }))],
    ["fetch:statusThrows", () => Promise.resolve({ get status() { throw new Boom("status"); }, text: () => Promise.resolve("{}") })],
    ["fetch:badStatus", () => Promise.resolve({ status: r.pick([1000, "200", -1, 200.5, NaN, 99]), text: () => Promise.resolve("{}") })],
    ["fetch:headersGetThrows", (url, init) => good(url, init).then((res) => ({ ...res, headers: { get() { throw new Boom("headers.get"); } } }))],
    ["fetch:headersRevoked", (url, init) => good(url, init).then((res) => ({ ...res, headers: revoked({}) }))],
    ["fetch:headerOdd", (url, init) => good(url, init).then((res) => ({ ...res, headers: { get: () => r.pick([Symbol("h"), 1n, "\uD800", "x".repeat(70_000), {}]) } }))],
    ["fetch:textThrows", () => Promise.resolve({ status: 200, text() { throw new Boom("text"); } })],
    ["fetch:textRejects", () => Promise.resolve({ status: 200, text: () => Promise.reject(new Boom("text rejection")) })],
    ["fetch:textNeverSettles", () => Promise.resolve({ status: 200, text: () => new Promise(() => {}) })],
    ["fetch:textNotString", () => Promise.resolve({ status: 200, text: () => Promise.resolve(r.pick([1, null, {}, Symbol("t"), new String("{}")])) })],
    ["fetch:textGetterThrows", () => Promise.resolve({ status: 200, get text() { throw new Boom("text getter"); } })],
    ["fetch:detachedBuffer", () => {
      const buffer = new ArrayBuffer(8);
      structuredClone(buffer, { transfer: [buffer] });
      return Promise.resolve({ status: 200, arrayBuffer: () => Promise.resolve(buffer) });
    }],
    ["fetch:bufferProxy", () => Promise.resolve({ status: 200, arrayBuffer: () => Promise.resolve(new Proxy(new ArrayBuffer(2), {})) })],
    ["fetch:bufferOk", (url, init) => good(url, init).then(async (res) => {
      const bytes = new TextEncoder().encode(await res.text());
      return { status: res.status, headers: res.headers, arrayBuffer: () => Promise.resolve(bytes.buffer) };
    })],
    ["fetch:thenThrows", () => ({ get then() { throw new Boom("then getter"); } })],
    ["fetch:thenableTwice", (url, init) => ({ then(resolve, reject) { good(url, init).then(resolve); reject(new Boom("second")); } })],
    ["fetch:promiseCtorThrows", () => {
      const p = Promise.resolve(ok("{}"));
      Object.defineProperty(p, "constructor", { get() { throw new Boom("constructor getter"); } });
      return p;
    }],
    ["fetch:promiseThenReplaced", () => {
      const p = Promise.resolve(ok("{}"));
      Object.defineProperty(p, "then", { get() { throw new Boom("then of a promise"); } });
      return p;
    }],
    ["fetch:hugeBodyOk", () => Promise.resolve(ok(`{"pad":"${"y".repeat(r.int(5000))}"}`))],
    ["fetch:good", good],
  ];
  const [kind, value] = r.pick(variants);
  return { kind, value };
}

/** A hostile bearer token function. */
export function hostileToken(r, token) {
  const variants = [
    ["token:throws", () => { throw new Boom("token"); }],
    ["token:rejects", () => Promise.reject(new Boom("token rejection"))],
    ["token:neverSettles", () => new Promise(() => {})],
    ["token:notString", () => r.pick([1, null, {}, Symbol("t"), 1n, ["t"]])],
    ["token:loneSurrogate", () => "tok\uD800en"],
    ["token:huge", () => HUGE],
    ["token:thenThrows", () => ({ get then() { throw new Boom("then getter"); } })],
    ["token:revoked", () => revoked({})],
    ["token:slowGood", () => new Promise((resolve) => setTimeout(() => resolve(token), 1))],
    ["token:good", () => token],
  ];
  const [kind, value] = r.pick(variants);
  return { kind, value };
}

/** Hostile hooks. */
export function hostileHooks(r) {
  const variants = [
    ["hooks:throw", () => { throw new Boom("hook"); }],
    ["hooks:reject", () => Promise.reject(new Boom("hook rejection"))],
    ["hooks:catchGetterThrows", () => ({ get catch() { throw new Boom("catch getter"); } })],
    ["hooks:catchThrows", () => ({ catch() { throw new Boom("catch"); } })],
    ["hooks:proxyApplyThrows", trapThrows(() => {}, "apply")],
    ["hooks:revoked", revoked(() => {})],
    ["hooks:returnsProxy", () => trapThrows({}, "get")],
  ];
  const [kind, fn] = r.pick(variants);
  return { kind, value: { onRequest: fn, onResponse: fn, onRetry: fn } };
}
