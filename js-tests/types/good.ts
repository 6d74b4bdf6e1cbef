// Compiles cleanly (--strict) against the package's declarations: every method, the models' optionality,
// the expand literal unions, and error narrowing. Checked by types.test.mjs under moduleResolution nodenext
// (ESM and CommonJS consumers) and bundler. Exact-type assertions make a silent `any` fail to compile.
import {
  ConfluenceClient,
  isConfluenceError,
  type AccountIdEmailRecord,
  type BulkExpand,
  type BulkUserLookupArray,
  type ConfluenceError,
  type ConfluenceErrorKind,
  type GroupArrayWithLinks,
  type GetBulkUserMigrationParams,
  type MigratedUser,
  type MigratedUserArray,
  type MigrationResult,
  type User,
  type UserAnonymous,
  type UserExpand,
} from "confluence-users";

/** true only when A and B are the same type (any is not equal to anything else). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<A, B>(ok: Equals<A, B>): void {
  void ok;
}

export async function main(): Promise<void> {
  const basic = new ConfluenceClient({
    baseUrl: "https://your-domain.atlassian.net",
    auth: { type: "basic", email: "me@example.com", apiToken: "token" },
  });
  const bearer = new ConfluenceClient({ baseUrl: "https://api.atlassian.com/ex/confluence/abc", auth: { type: "bearer", token: "t" } });
  const anonymousClient = new ConfluenceClient({ baseUrl: "https://your-domain.atlassian.net", retry: false, timeout: 10_000 });
  const patient = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", retry: { maxRetries: 5, baseDelayMs: 200, maxDelayMs: 5000 }, timeout: false });
  void patient;
  const relative = new ConfluenceClient();
  void relative;

  // getUser: optional and nullable fields
  const user = await basic.getUser({ accountId: "5b10ac8d82e05b22cc7d4ef5", expand: ["operations", "personalSpace"] });
  expectType<typeof user, User>(true);
  expectType<typeof user.displayName, string | null | undefined>(true);
  expectType<typeof user.accountId, string | null | undefined>(true);
  expectType<typeof user.email, string | null | undefined>(true);
  expectType<typeof user.timeZone, string | null | undefined>(true);
  expectType<typeof user.isExternalCollaborator, boolean | undefined>(true);
  const displayName: string = user.displayName ?? user.publicName ?? "unknown";
  const spaceKey: string | undefined = user.personalSpace?.key;
  const ops: string[] = (user.operations ?? []).map((o) => o.operation);
  const avatar: number | undefined = user.profilePicture?.width;
  if (user.personalSpace) {
    const key: string = user.personalSpace.key;
    const home: string | undefined = user.personalSpace.homepage?.title;
    void key;
    void home;
  }
  void displayName;
  void spaceKey;
  void ops;
  void avatar;

  // every expand value, as literal unions
  const userExpand: UserExpand[] = ["operations", "details.personal", "details.business", "personalSpace", "isExternalCollaborator"];
  const bulkExpand: BulkExpand[] = ["operations", "details.personal", "details.business", "personalSpace"];
  await basic.getUser({ accountId: "x", expand: userExpand });
  await basic.getUser({ accountId: "x", expand: ["details.business"] }, {});
  const controller = new AbortController();
  await basic.getUser({ accountId: "x" }, { signal: controller.signal });

  const me: User = await bearer.getCurrentUser();
  await bearer.getCurrentUser({ expand: ["isExternalCollaborator"] });
  void me;

  const anon = await anonymousClient.getAnonymousUser();
  expectType<typeof anon, UserAnonymous>(true);
  const anonName: string = anon.displayName;
  await anonymousClient.getAnonymousUser({ expand: ["operations"] });
  void anonName;

  // memberof: paging
  const groups = await basic.getGroupMembershipsForUser({ accountId: "x", start: 0, limit: 50 });
  expectType<typeof groups, GroupArrayWithLinks>(true);
  const names: string[] = groups.results.map((g) => g.name);
  const groupId: string | null | undefined = groups.results[0]?.id;
  const next = groups._links.next;
  const more: boolean = Boolean(next);
  const nextStart: number = groups.start + groups.size;
  void names;
  void groupId;
  void more;
  void nextStart;

  // bulk lookup: stricter model
  const bulk = await basic.getBulkUserLookup({ accountIds: ["a", "b"], expand: bulkExpand, limit: 10 });
  expectType<typeof bulk, BulkUserLookupArray>(true);
  expectType<typeof bulk.results[0]["accountId"], string | null>(true);
  expectType<typeof bulk.results[0]["displayName"], string>(true);
  const firstId: string | null = bulk.results[0].accountId;
  const emailOfFirst: string = bulk.results[0].email;
  void firstId;
  void emailOfFirst;

  // emails
  const record = await basic.getPrivacyUnsafeUserEmail({ accountId: "x" });
  expectType<typeof record, AccountIdEmailRecord>(true);
  const mail: string = record.email;
  const records = await basic.getPrivacyUnsafeUserEmailBulk({ accountIds: ["x", "y"] });
  const byId = new Map<string, string>(records.map((r) => [r.accountId, r.email]));
  void mail;
  void byId;

  // migration
  const byKeys = await basic.getBulkUserMigration({ keys: ["k1", "k2"] });
  const byNames = await basic.getBulkUserMigration({ usernames: ["admin"], start: 0, limit: 10 });
  expectType<typeof byKeys, MigrationResult>(true);
  const page: MigratedUserArray = byKeys;
  const notFound: string[] = byNames.notFound;
  const mapped: string | null | undefined = byNames.results[0]?.accountId;
  void page;
  void notFound;
  void mapped;
  // The params are a union: exactly one of keys or usernames, from a variable too.
  const lookup: GetBulkUserMigrationParams = Math.random() < 0.5 ? { keys: ["k"] } : { usernames: ["u"], limit: 50 };
  for await (const u of basic.paginateBulkUserMigration(lookup)) {
    expectType<typeof u, MigratedUser>(true);
  }

  // errors: narrowing
  try {
    await basic.getUser({ accountId: "nope" });
  } catch (e) {
    if (isConfluenceError(e)) {
      expectType<typeof e, ConfluenceError>(true);
      expectType<typeof e.kind, ConfluenceErrorKind>(true);
      const status: number = e.status;
      const operation: string = e.operation;
      const url: string = e.url;
      const body: unknown = e.body;
      const name: "ConfluenceError" = e.name;
      const asError: Error = e;
      void status;
      void operation;
      void url;
      void body;
      void name;
      void asError;
      const attempts: number = e.attempts;
      const retryAfterMs: number | undefined = e.retryAfterMs;
      const requestId: string | undefined = e.requestId;
      void attempts;
      void retryAfterMs;
      void requestId;
      // Exhaustive over the six kinds: a new kind is a breaking change for code like this.
      switch (e.kind) {
        case "invalidArgument":
        case "http":
        case "network":
        case "decode":
        case "timeout":
        case "aborted":
          break;
        default: {
          const exhaustive: never = e.kind;
          void exhaustive;
        }
      }
      const notFound: boolean = e.kind === "http" && e.status === 404;
      void notFound;
    } else {
      throw e;
    }
  }
  const notAnError: boolean = isConfluenceError({});
  void notAnError;
}
