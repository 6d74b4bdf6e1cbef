// Vite (8, from js-tests/node_modules) builds index.html → dist-vite/. No `import "vite"`: the consumer has no
// vite of its own, and a plain object is a valid config.
export default {
  logLevel: "warn",
  build: {
    outDir: "dist-vite",
    emptyOutDir: true,
  },
};
