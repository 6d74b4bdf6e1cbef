// A Cloudflare Worker: bundled by `wrangler deploy --dry-run` (conditions workerd, worker, browser; the
// .wasm becomes a compiled module), run in workerd through miniflare. The test POSTs its config.
import * as lib from "confluence-users";
import { direct, scenario } from "./scenario.js";

export default {
  async fetch(request) {
    try {
      const config = await request.json();
      return Response.json(await scenario(lib, direct(config), config.special, `workerd (${navigator.userAgent})`));
    } catch (e) {
      return new Response(String(e?.stack ?? e), { status: 500 });
    }
  },
};
