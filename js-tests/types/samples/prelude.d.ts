// What the documentation's code samples take as given, as their reader would: a client already
// made, an account id or a few, a token, and the host SDKs of Forge and Connect. Nothing here
// changes the package's own types: the samples compile against the real declarations.
// The Forge SDKs' stand-ins are in forge-sdks.d.ts.
import type { ConfluenceClient } from "confluence-users";
import type { ConnectAP } from "confluence-users/adapters";

declare global {
  const client: ConfluenceClient;
  const accountId: string;
  const accountIds: string[];
  const usernames: string[];
  const accessToken: string;
  /** Connect's all.js defines the global `AP`. */
  interface Window {
    AP: ConnectAP;
  }
}
