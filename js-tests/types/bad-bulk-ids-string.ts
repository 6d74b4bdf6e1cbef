// accountIds is an array, not a comma-separated string.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getPrivacyUnsafeUserEmailBulk({ accountIds: "a,b" }); // @expect TS2322
}
