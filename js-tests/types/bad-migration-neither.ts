// getBulkUserMigration needs exactly one of keys or usernames: neither is a compile error.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getBulkUserMigration({}); // @expect TS2345
}
