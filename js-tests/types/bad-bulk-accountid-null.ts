// BulkUserLookup.accountId is required but nullable.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<string> {
  const bulk = await client.getBulkUserLookup({ accountIds: ["a"] });
  const id: string = bulk.results[0].accountId; // @expect TS2322
  return id;
}
