// isExternalCollaborator can be expanded on getUser, but not on getBulkUserLookup.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getBulkUserLookup({ accountIds: ["a"], expand: ["isExternalCollaborator"] }); // @expect TS2322
}
