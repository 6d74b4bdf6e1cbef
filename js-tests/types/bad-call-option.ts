// The second argument refuses unknown keys at runtime ("options.timeout: unknown field"); the types must too.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getUser({ accountId: "5b10ac8d82e05b22cc7d4ef5" }, { timeout: 5000 }); // @expect TS2353 TS2559 TS2322
}
