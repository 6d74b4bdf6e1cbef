// A misspelt parameter: `acountId`.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getUser({ acountId: "5b10ac8d82e05b22cc7d4ef5" }); // @expect TS2561 TS2345
}
