// Builds the Custom UI resource (static/ -> static/dist, the `path` of the `main` resource in
// manifest.yml): `npx vite build static` from examples/forge-custom-ui.
import { defineConfig } from "vite";

export default defineConfig({
  // Forge serves a resource under a path of its own: every asset URL must be relative.
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // confluence-users initialises its wasm with a top-level await.
    target: "es2022",
  },
});
