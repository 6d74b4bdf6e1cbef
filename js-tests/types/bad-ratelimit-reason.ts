// `onRateLimit`'s `reason` is "retryAfter" or "backoff" (issue 11): a comparison with anything else is a typo.
import { ConfluenceClient } from "confluence-users";

export const client = new ConfluenceClient({
  baseUrl: "https://x.atlassian.net",
  hooks: { onRateLimit: (info) => void (info.reason === "paused") }, // @expect TS2367
});
