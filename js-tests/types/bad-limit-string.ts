// limit is a number, not a string.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getGroupMembershipsForUser({ accountId: "a", limit: "50" }); // @expect TS2322
}
