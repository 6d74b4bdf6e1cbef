// paginateBulkUserMigration takes the same union: keys and usernames together is a compile error.
import { ConfluenceClient } from "confluence-users";

export function run(client: ConfluenceClient): unknown {
  return client.paginateBulkUserMigration({ usernames: ["u"], keys: ["k"], limit: 10 }); // @expect TS2345 TS2322
}
