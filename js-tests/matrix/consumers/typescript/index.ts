// A TypeScript consumer of the three entries. Compiled with --strict and skipLibCheck: false under
// moduleResolution nodenext (an ES module here, "type": "module") and bundler. The @ts-expect-error lines
// prove the declarations are real types: if an entry resolved to `any`, they would be unused errors.
import { ConfluenceClient, isConfluenceError, type ClientOptions, type ConfluenceError, type User } from "confluence-users";
import init, { ConfluenceClient as WebConfluenceClient, isConfluenceError as webIsConfluenceError, type InitOutput } from "confluence-users/web";
import * as adapters from "confluence-users/adapters";

const options: ClientOptions = {
  baseUrl: "https://your-domain.atlassian.net",
  auth: { type: "basic", email: "me@example.com", apiToken: "token" },
};
const client = new ConfluenceClient(options);

export async function currentUserName(): Promise<string | null | undefined> {
  const me: User = await client.getCurrentUser({ expand: ["operations"] });
  return me.displayName;
}

export async function statusOf(accountId: string): Promise<number | null> {
  try {
    await client.getUser({ accountId });
    return null;
  } catch (e) {
    if (isConfluenceError(e)) {
      const error: ConfluenceError = e;
      return error.kind === "http" ? error.status : 0;
    }
    throw e;
  }
}

export async function viaWebEntry(): Promise<string | null | undefined> {
  const output: InitOutput = await init();
  void output.memory;
  const web = new WebConfluenceClient({ baseUrl: "https://your-domain.atlassian.net", auth: { type: "bearer", token: "t" } });
  try {
    return (await web.getAnonymousUser()).displayName;
  } catch (e) {
    if (webIsConfluenceError(e)) return e.kind;
    throw e;
  }
}

export const adapterNames: string[] = Object.keys(adapters);

export function typesAreReal(): void {
  // @ts-expect-error getUser requires an accountId
  void client.getUser({});
  // @ts-expect-error there is no "digest" auth
  void new ConfluenceClient({ auth: { type: "digest" } });
  // @ts-expect-error the web entry's client is typed too
  void new WebConfluenceClient({ baseUrl: 42 });
  // @ts-expect-error init() resolves to InitOutput, not a string
  const notAString: Promise<string> = init();
  void notAString;
}
