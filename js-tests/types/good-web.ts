// The `confluence-users/web` entry: the page initialises the wasm itself.
import init, { ConfluenceClient, isConfluenceError } from "confluence-users/web";

export async function start(): Promise<string | null | undefined> {
  await init();
  const client = new ConfluenceClient({ baseUrl: "https://your-domain.atlassian.net", auth: { type: "bearer", token: "t" } });
  try {
    return (await client.getCurrentUser()).displayName;
  } catch (e) {
    if (isConfluenceError(e)) return e.kind;
    throw e;
  }
}
