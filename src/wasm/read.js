// The skin's JS steps (src/wasm/js.rs declares them): each does in one crossing what would take the
// Rust side several per item, and reports facts; what they mean (limits, messages) is decided in Rust.
// pkg-template/build.mjs writes this file into each glue file, so it may hold only `export function`s.

// Reads `array[start]`, `array[start + 1]`, ... up to `array[end - 1]`, each once and in order, and
// takes each item that is a primitive string of at most `maxUnits` UTF-16 units without a lone
// surrogate, while the items taken hold at most `budget` units in all. Stops at the first item it does
// not take, or whose read threw (a getter or a Proxy's trap). Returns what it found:
//   text   the items taken, joined
//   units  each taken item's length in UTF-16 units
//   threw  whether reading the item after them threw
//   value  that item, or what its read threw (`undefined` when every item was taken)
// Without `String.prototype.isWellFormed` (before Node 20, Chrome 111, Safari 16.4) any surrogate
// stops the step: the caller then judges that item itself and goes on from the next. Only the engine
// can make the step throw (out of memory or stack, a replaced `Array.prototype.push`).
export function readStrings(array, start, end, maxUnits, budget) {
  const wellFormed =
    String.prototype.isWellFormed ??
    function () {
      return !/[\uD800-\uDFFF]/.test(this);
    };
  const units = [];
  let text = "";
  let used = 0;
  for (let i = start; i < end; i++) {
    let item;
    try {
      item = array[i];
    } catch (error) {
      return { text, units, threw: true, value: error };
    }
    let taken;
    try {
      taken = typeof item === "string" && item.length <= maxUnits && wellFormed.call(item) && (used += item.length) <= budget;
    } catch {
      // `String.prototype.isWellFormed` replaced by one that throws: the caller judges the item.
      taken = false;
    }
    if (!taken) return { text, units, threw: false, value: item };
    text += item;
    units.push(item.length);
  }
  return { text, units, threw: false, value: undefined };
}

// Lists every string of `value`, a `JSON.parse` result: each object's keys and each string value, in
// the order `Object.keys` and the array indexes give, no deeper than `maxDepth` objects and arrays.
// Returns { text, units } as `readStrings` does (the strings joined, and each one's length in UTF-16
// units), or undefined when `value` nests deeper.
export function bodyStrings(value, maxDepth) {
  const units = [];
  let text = "";
  const walk = (v, depth) => {
    if (typeof v === "string") {
      text += v;
      units[units.length] = v.length;
      return true;
    }
    if (v === null || typeof v !== "object") return true;
    if (depth >= maxDepth) return false;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (!walk(v[i], depth + 1)) return false;
      return true;
    }
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      text += keys[i];
      units[units.length] = keys[i].length;
      if (!walk(v[keys[i]], depth + 1)) return false;
    }
    return true;
  };
  return walk(value, 0) ? { text, units } : undefined;
}
