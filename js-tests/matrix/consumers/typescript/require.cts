// A CommonJS TypeScript file under moduleResolution nodenext: its imports become require() calls, so they
// resolve the "require" conditions (node/confluence_users.d.cts, adapters.d.cts).
import { ConfluenceClient, isConfluenceError } from "confluence-users";
import adapters = require("confluence-users/adapters");

export function makeClient(token: string): ConfluenceClient {
  return new ConfluenceClient({ baseUrl: "https://your-domain.atlassian.net", auth: { type: "bearer", token } });
}

export function isError(e: unknown): boolean {
  return isConfluenceError(e);
}

export const adapterCount: number = Object.keys(adapters).length;

export function typesAreReal(): void {
  // @ts-expect-error getUser requires an accountId
  void makeClient("t").getUser({});
}
