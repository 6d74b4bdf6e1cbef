// An expand value that does not exist (wrong case): "personalspace".
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getUser({ accountId: "5b10ac8d82e05b22cc7d4ef5", expand: ["personalspace"] }); // @expect TS2820 TS2322
}
