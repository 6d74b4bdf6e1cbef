// The JS half of src/wasm/error.rs `to_js_error`: a ConfluenceError made and filled in one crossing, its
// fields decided (and redacted) in Rust. pkg-template/build.mjs writes this file into each glue file, so
// it may hold only `export function`s.

// `new Error(message)` named ConfluenceError with its fields, in the order the .d.ts lists them (`body`
// undefined: an http error's is set after). With `frameless`, made while `Error.stackTraceLimit` is 0
// (where it is a number, as in V8): a rejection's stack would list only wasm frames, and capturing them
// costs more than the rest of a failed call's work.
export function makeError(message, frameless, kind, status, operation, method, url, attempts, retryAfterMs, requestId) {
  let error;
  const limit = Error.stackTraceLimit;
  if (frameless && typeof limit === "number") {
    Error.stackTraceLimit = 0;
    try {
      error = new Error(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  } else {
    error = new Error(message);
  }
  error.name = "ConfluenceError";
  error.kind = kind;
  error.status = status;
  error.operation = operation;
  error.method = method;
  error.url = url;
  error.body = undefined;
  error.attempts = attempts;
  error.retryAfterMs = retryAfterMs;
  error.requestId = requestId;
  return error;
}
