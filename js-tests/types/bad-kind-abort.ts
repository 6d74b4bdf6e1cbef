// "abort" is not a ConfluenceErrorKind (the kind is "aborted"): the comparison can never be true.
import { ConfluenceClient, isConfluenceError } from "confluence-users";

export async function run(client: ConfluenceClient): Promise<boolean> {
  try {
    await client.getCurrentUser();
    return false;
  } catch (e) {
    return isConfluenceError(e) && e.kind === "abort"; // @expect TS2367
  }
}
