
// Appended by build.mjs to each wasm-bindgen glue file, where the exported classes are in
// scope. After `free()` (or `[Symbol.dispose]()`) wasm-bindgen's methods throw a plain
// "null pointer passed to rust"; these wrappers make every later call fail as the package
// documents instead: with a ConfluenceError (`kind: "invalidArgument"`), rejected by the
// methods that return a promise and thrown by `paginate*`, which throw for invalid params too.
// A second `free()` does nothing. Written in JS because the glue clears the object's pointer
// before Rust could see the call.
function __guardFreed(classes) {
  // The same properties, in the same order, as the errors Rust builds (src/wasm/error.rs).
  function freedError(operation, what) {
    const error = new Error(`${operation}: invalid argument: ${what} was freed (free() or [Symbol.dispose]() was called on it); create a new one`);
    error.name = "ConfluenceError";
    Object.assign(error, { kind: "invalidArgument", status: 0, operation, method: "", url: "", body: undefined, attempts: 0, retryAfterMs: undefined, requestId: undefined });
    return error;
  }
  // The operation an iterator's errors name, as the Rust side names them.
  const iteratorOperations = { GroupMembershipPages: "getGroupMembershipsForUser", MigratedUserPages: "getBulkUserMigration" };
  for (const cls of classes) {
    const proto = cls.prototype;
    const isClient = cls.name === "ConfluenceClient";
    const what = isClient ? "client" : "iterator";
    const freeIt = proto.free;
    const free = {
      free() {
        if (this.__wbg_ptr !== 0) freeIt.call(this);
      },
    }.free;
    proto.free = free;
    if (typeof Symbol.dispose === "symbol") proto[Symbol.dispose] = free;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      const method = descriptor.value;
      // A getter (`client.rateLimit`, `client.cache`) throws the same error after free().
      if (typeof descriptor.get === "function" && !name.startsWith("__")) {
        const getter = descriptor.get;
        const guarded = {
          get [name]() {
            if (this.__wbg_ptr !== 0) return getter.call(this);
            throw freedError(name, what);
          },
        };
        Object.defineProperty(proto, name, { ...descriptor, get: Object.getOwnPropertyDescriptor(guarded, name).get });
        continue;
      }
      if (name === "constructor" || name === "free" || name.startsWith("__") || typeof method !== "function") continue;
      const operation = isClient ? name.replace(/^paginate/, "get") : (iteratorOperations[cls.name] ?? cls.name);
      const throws = name.startsWith("paginate");
      const wrapped = {
        [name](...args) {
          if (this.__wbg_ptr !== 0) return method.apply(this, args);
          const error = freedError(operation, what);
          if (throws) throw error;
          return Promise.reject(error);
        },
      }[name];
      Object.defineProperty(proto, name, { ...descriptor, value: wrapped });
    }
  }
}
