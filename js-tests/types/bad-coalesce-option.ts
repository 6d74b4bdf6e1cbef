// `coalesce` takes `true` or `{ windowMs }` (issue 11); the runtime refuses other keys, so must the types.
import { ConfluenceClient } from "confluence-users";

export const client = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", coalesce: { window: 5 } }); // @expect TS2561
