// Builds the page the descriptor's generalPages url points at (index.html + its assets -> dist/),
// to be served from the app's baseUrl: `npx vite build` in examples/connect-frontend.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // confluence-users initialises its wasm with a top-level await.
    target: "es2022",
  },
});
