// A caught value is unknown: read kind only after isConfluenceError.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<unknown> {
  try {
    return await client.getCurrentUser();
  } catch (e) {
    return e.kind; // @expect TS18046
  }
}
