// paginateBulkUserMigration takes the same union: only start/limit is a compile error.
import { ConfluenceClient } from "confluence-users";

export function run(client: ConfluenceClient): unknown {
  return client.paginateBulkUserMigration({ start: 0, limit: 10 }); // @expect TS2345
}
