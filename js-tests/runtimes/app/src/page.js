// Browser pages: read config.json from the page's own server, run the scenario, publish window.__results.
import { direct, scenario } from "./scenario.js";

export async function publish(lib, label, clientOptions) {
  try {
    const config = await (await fetch(new URL("config.json", document.baseURI))).json();
    window.__results = await scenario(lib, clientOptions ?? direct(config), config.special, `${label} (${navigator.userAgent})`);
  } catch (e) {
    window.__results = { fatal: String(e?.stack ?? e) };
  }
}
