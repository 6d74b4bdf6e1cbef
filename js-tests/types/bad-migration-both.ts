// getBulkUserMigration needs exactly one of keys or usernames: both is a compile error.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getBulkUserMigration({ keys: ["k"], usernames: ["u"] }); // @expect TS2345 TS2322
}
