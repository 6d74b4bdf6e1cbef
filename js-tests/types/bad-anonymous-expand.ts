// The anonymous user can only expand "operations".
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  return client.getAnonymousUser({ expand: ["personalSpace"] }); // @expect TS2322
}
