// A custom transport (Forge's requestConfluence, Connect's AP.request, a test fake) is passed as `fetch`:
// documented in ClientOptions and accepted at runtime, so it must type-check.
import { ConfluenceClient, type FetchLike, type ResponseLike } from "confluence-users";

const bridge: FetchLike = async (url, init) => {
  const method: string = init.method;
  const headers: Record<string, string> = init.headers;
  void method;
  void headers;
  const res: ResponseLike = { status: 200, text: async () => JSON.stringify({ url }) };
  return res;
};

export const viaBridge = new ConfluenceClient({ fetch: bridge });
export const viaGlobalFetch = new ConfluenceClient({
  baseUrl: "https://your-domain.atlassian.net",
  auth: { type: "bearer", token: "t" },
  fetch: (url, init) => globalThis.fetch(url, init),
});
