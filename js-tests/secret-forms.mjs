// The one search for a credential in every form it can take, over every surface a value exposes: every suite
// that checks for a leak uses it (auth, secrets, cli, ...):
//
//   import { assertNoCredential, findCredentialLeaks } from "./secret-forms.mjs";
//   assertNoCredential(error, { secrets: [token], email }, "label");         // an error, a hook info, text
//   findCredentialLeaks({ "hook info": info, console: lines }, { secrets }); // -> [{ where, form, found }]
//
// Forms looked for (independently of the library's own redaction rules): the exact value; every fragment of
// 8 characters or more (every 8-character window of it, so any longer fragment is found too); the value
// percent-encoded (encodeURIComponent, and every byte as %HH in upper and in lower case); HTML entities
// (decimal, hex, named); JSON \u escapes; split by whitespace or line breaks; in another letter case (a
// fragment of mixed case found lowercased or uppercased); and, with `email`, the base64 of
// `email:secret` (the basic auth credential), itself in each of those forms. A secret shorter than 8
// characters is looked for whole.
//
// Surfaces: for an Error, `message`, `String(e)`, `stack`, `JSON.stringify(e)`, `util.inspect(e)` (no depth
// limit, hidden properties shown) and every own property (enumerable or not, symbols and keys included) to any
// depth, cycles cut, and the whole `cause` chain the same way; for any other object, JSON, inspect and every
// nested string and key; strings as they are. A getter that throws is skipped (its message is kept).

import assert from "node:assert/strict";
import { inspect } from "node:util";

export const MIN_FRAGMENT = 8;
/** The most objects one value's surfaces walk through. */
const MAX_OBJECTS = 20000;

const NAMED = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", sol: "/", plus: "+", equals: "=", colon: ":", lowbar: "_",
  period: ".", comma: ",", excl: "!", num: "#", dollar: "$", percnt: "%", lpar: "(", rpar: ")", ast: "*",
  semi: ";", quest: "?", commat: "@", lsqb: "[", rsqb: "]", bsol: "\\", Hat: "^", grave: "`", lcub: "{",
  rcub: "}", verbar: "|", vert: "|", Tab: "\t", NewLine: "\n", nbsp: "\u00a0",
};

/** Percent-encoding, HTML entities and JSON escapes read as what they stand for; whitespace dropped. */
function decodeOnce(text) {
  return text
    .replace(/%([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)))
    .replace(/&#[xX]([0-9a-fA-F]{1,6});/g, (m, h) => safeChar(parseInt(h, 16), m))
    .replace(/&#([0-9]{1,7});/g, (m, d) => safeChar(parseInt(d, 10), m))
    .replace(/&([A-Za-z]+);/g, (m, name) => NAMED[name] ?? m)
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\([/+=])/g, "$1")
    .replace(/\s+/g, "");
}

function safeChar(code, fallback) {
  return code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

/** The readings of `text` a fragment is looked for in: whitespace-free, then decoded once and twice. */
function readings(text) {
  const raw = text.replace(/\s+/g, "");
  const once = decodeOnce(raw);
  return [
    ["whitespace-split or exact", raw],
    ["decoded (percent / HTML entity / escape)", once],
    ["decoded twice", decodeOnce(once)],
  ];
}

/** Every needle for `credentials`: each secret, and the base64 of `email:secret` when an email is given. */
function needles({ secrets, email }) {
  const out = [];
  for (const secret of secrets) {
    if (!secret) continue;
    out.push(["the credential", secret]);
    if (email !== undefined) out.push(["base64 of email:credential", Buffer.from(`${email}:${secret}`, "utf8").toString("base64")]);
  }
  return out;
}

/** The explicit encoded forms of `value`, searched for in the raw text (so a hit names its form). */
export function encodedForms(value) {
  const bytes = [...Buffer.from(value, "utf8")];
  const chars = [...value];
  return {
    exact: value,
    "percent-encoded (encodeURIComponent)": encodeURIComponent(value),
    "percent-encoded, upper case": bytes.map((b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join(""),
    "percent-encoded, lower case": bytes.map((b) => "%" + b.toString(16).padStart(2, "0")).join(""),
    "HTML entities, decimal": chars.map((c) => `&#${c.codePointAt(0)};`).join(""),
    "HTML entities, hex": chars.map((c) => `&#x${c.codePointAt(0).toString(16)};`).join(""),
    "JSON \\u escapes": chars.map((c) => "\\u" + c.codePointAt(0).toString(16).padStart(4, "0")).join(""),
  };
}

/** Every 8-character window of `value` (the whole value when it is shorter). */
export function fragments(value) {
  const v = value.replace(/\s+/g, "");
  if (v.length <= MIN_FRAGMENT) return [v];
  const out = new Set();
  for (let i = 0; i + MIN_FRAGMENT <= v.length; i++) out.add(v.slice(i, i + MIN_FRAGMENT));
  return [...out];
}

/**
 * Every string a value exposes, by where: see the module comment. `prefix` names the value.
 * @returns {Record<string, string>}
 */
export function surfaces(value, prefix = "value") {
  const out = {};
  const seen = new Set();
  const walk = (v, where) => {
    if (typeof v === "string") {
      out[where] = v;
      return;
    }
    if (v === null || (typeof v !== "object" && typeof v !== "function")) {
      if (v !== undefined) out[where] = String(v);
      return;
    }
    if (seen.has(v)) return;
    seen.add(v);
    // No depth limit (a leak deep in a body counts), but no silent cut either: a value this large is a
    // test's mistake (a socket or a server reached through a cause), not something to skim.
    if (seen.size > MAX_OBJECTS) throw new Error(`${prefix}: more than ${MAX_OBJECTS} objects to search`);
    if (v instanceof Error) {
      out[`${where} message`] = String(v.message);
      out[`${where} String()`] = safe(() => String(v));
      out[`${where} stack`] = String(v.stack);
      out[`${where} name`] = String(v.name);
      if (v.cause !== undefined) walk(v.cause, `${where}.cause`);
    }
    out[`${where} JSON.stringify`] = safe(() => String(JSON.stringify(v)));
    out[`${where} util.inspect`] = safe(() => inspect(v, { depth: Infinity, showHidden: true }));
    for (const key of Reflect.ownKeys(v)) {
      const name = String(key);
      out[`${where} key ${name}`] = name;
      walk(safe(() => v[key]), `${where}.${name}`);
    }
  };
  walk(value, prefix);
  return out;
}

function safe(f) {
  try {
    return f();
  } catch (err) {
    return `<threw: ${err?.message}>`;
  }
}

/**
 * Every place `credentials` ({ secrets: string[], email?: string }) shows in `value` in any form.
 * @returns {{ where: string, form: string, found: string }[]}
 */
export function findCredentialLeaks(value, credentials, prefix = "value") {
  const texts = typeof value === "string" ? { [prefix]: value } : surfaces(value, prefix);
  const hits = [];
  const list = needles(credentials);
  for (const [where, text] of Object.entries(texts)) {
    for (const [what, needle] of list) {
      for (const [form, encoded] of Object.entries(encodedForms(needle))) {
        if (text.includes(encoded)) hits.push({ where, form: `${what}, ${form}`, found: encoded });
      }
      const grams = fragments(needle);
      for (const [reading, read] of readings(text)) {
        const gram = grams.find((g) => read.includes(g));
        if (gram !== undefined) hits.push({ where, form: `${what}, fragment of ${gram.length}+ characters (${reading})`, found: gram });
        // A lowercased (or uppercased) copy still gives most of a random token away.
        const lower = read.toLowerCase();
        const folded = grams.find((g) => /[a-z]/i.test(g) && g.toLowerCase() !== g && g.toUpperCase() !== g && lower.includes(g.toLowerCase()));
        if (gram === undefined && folded !== undefined) hits.push({ where, form: `${what}, fragment in another letter case (${reading})`, found: folded });
      }
    }
  }
  return hits;
}

/** Fails, listing every hit, when `credentials` show in `value` in any form. */
export function assertNoCredential(value, credentials, label = "") {
  const hits = findCredentialLeaks(value, credentials);
  assert.deepEqual(
    hits.map((h) => `${h.where}: ${h.form}: ${JSON.stringify(h.found)}`),
    [],
    `${label}: a credential leaks`,
  );
}
