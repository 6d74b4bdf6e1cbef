// Basic auth takes email and apiToken, not token.
import { ConfluenceClient } from "confluence-users";

export const client = new ConfluenceClient({
  baseUrl: "https://your-domain.atlassian.net",
  auth: { type: "basic", email: "me@example.com", token: "t" }, // @expect TS2353 TS2322
});
