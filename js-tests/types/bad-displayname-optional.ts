// User.displayName may be null or undefined: it cannot be used as a plain string.
import { ConfluenceClient } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<string> {
  const user = await client.getCurrentUser();
  const name: string = user.displayName; // @expect TS2322
  return name;
}
