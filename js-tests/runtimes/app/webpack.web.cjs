// webpack 5, production, for the web: the default entry's `new URL(".wasm", import.meta.url)` is emitted.
const path = require("node:path");
module.exports = {
  mode: "production",
  target: "web",
  context: __dirname,
  entry: "./src/page-default.js",
  output: { path: path.join(__dirname, "dist-webpack"), filename: "main.js", clean: true },
  performance: { hints: false },
};
