// A misspelt model field: `displayname` instead of `displayName`.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  const user = await client.getUser({ accountId: "5b10ac8d82e05b22cc7d4ef5" });
  return user.displayname; // @expect TS2551
}
