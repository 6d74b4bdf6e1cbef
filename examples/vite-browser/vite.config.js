// `npx vite` (dev) or `npx vite build && npx vite preview`, from examples/vite-browser.
//
// Confluence Cloud sends no CORS headers, so a page cannot call it from another origin. The usual
// way out is a proxy on the page's own origin: with CONFLUENCE_BASE_URL and credentials in the
// environment (or in .env.local), the dev and preview servers forward the user endpoints
// /wiki/rest/api/user... to the site and add the Authorization header, so the credentials stay on
// the server and the page calls same-origin relative paths.
//
//   CONFLUENCE_BASE_URL=https://your-domain.atlassian.net \
//   CONFLUENCE_EMAIL=you@example.com CONFLUENCE_API_TOKEN=... npx vite
//
// Only run it on localhost (Vite's default): anyone who can reach the proxy acts with your token.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { defineConfig, loadEnv, searchForWorkspaceRoot } from "vite";

// Where confluence-users really is. `npm install` of this example links the package built in
// ../../pkg (a file: dependency), outside this folder, and the dev server only serves files of
// allowed folders: its .wasm would get a 403 otherwise. (A copy installed from the registry is
// inside node_modules and needs no such entry.)
const packageDir = dirname(createRequire(import.meta.url).resolve("confluence-users/package.json"));

// The page compiles WebAssembly: 'wasm-unsafe-eval'. connect-src also allows https: sites and local
// servers for the direct mode (a site URL typed into the form).
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "connect-src 'self' https: http://127.0.0.1:* http://localhost:*",
].join("; ");

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), "CONFLUENCE_");
  const site = env.CONFLUENCE_BASE_URL;
  let authorization;
  if (env.CONFLUENCE_OAUTH_TOKEN) authorization = `Bearer ${env.CONFLUENCE_OAUTH_TOKEN}`;
  else if (env.CONFLUENCE_EMAIL && env.CONFLUENCE_API_TOKEN) {
    authorization = `Basic ${Buffer.from(`${env.CONFLUENCE_EMAIL}:${env.CONFLUENCE_API_TOKEN}`).toString("base64")}`;
  }
  const proxy = site
    ? {
        // Only the user endpoints (a key starting with ^ is a regular expression).
        "^/wiki/rest/api/user(/|\\?|$)": {
          target: site, // may have a path: https://api.atlassian.com/ex/confluence/<cloudId>
          changeOrigin: true,
          headers: authorization ? { Authorization: authorization } : {},
        },
      }
    : undefined;
  return {
    server: { proxy, fs: { allow: [searchForWorkspaceRoot(process.cwd()), packageDir] } },
    preview: { proxy, headers: { "Content-Security-Policy": CSP } },
    // Keep the package out of dependency pre-bundling, which would move the .wasm away from the
    // module that loads it by `new URL(..., import.meta.url)`.
    optimizeDeps: { exclude: ["confluence-users"] },
    // confluence-users initialises its wasm with a top-level await.
    build: { target: "es2022" },
  };
});
