// Preloaded into the prism process (`node --require exit-with-parent.cjs prism ...`) by prism.mjs.
// The test holds prism's stdin open. If the test process dies without cleaning up (SIGKILL, a
// crash of the runner), the pipe closes and this kills prism's whole process group, so no
// orphan keeps the port. Prism itself never reads stdin.
"use strict";
process.stdin.on("error", () => {});
process.stdin.on("close", () => {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.exit(1);
  }
});
process.stdin.resume();
