// Vite builds index.html (the default entry) into dist-vite/. A plain object: the app has no vite of its own.
export default { logLevel: "warn", build: { outDir: "dist-vite", emptyOutDir: true } };
