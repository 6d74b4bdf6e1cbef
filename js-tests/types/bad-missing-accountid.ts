// getUser without the required accountId.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getUser({ expand: ["operations"] }); // @expect TS2345
}
