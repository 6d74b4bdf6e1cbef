// A Vercel-style edge function: bundled by esbuild with the edge-light condition into one script, run in
// Vercel's edge-runtime (a script with a fetch listener, not an ES module). The test POSTs its config.
import * as lib from "confluence-users";
import { direct, scenario } from "./scenario.js";

addEventListener("fetch", (event) => {
  event.respondWith(
    (async () => {
      try {
        const config = await event.request.json();
        return Response.json(await scenario(lib, direct(config), config.special, `edge-runtime (EdgeRuntime=${typeof EdgeRuntime === "string" ? EdgeRuntime : typeof EdgeRuntime})`));
      } catch (e) {
        return new Response(String(e?.stack ?? e), { status: 500 });
      }
    })(),
  );
});
