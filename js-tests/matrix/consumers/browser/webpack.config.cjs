// webpack 5 (from js-tests/node_modules): production build for the web. The package's
// `new URL("confluence_users_bg.wasm", import.meta.url)` becomes an emitted asset.
const path = require("node:path");

module.exports = {
  mode: "production",
  target: "web",
  context: __dirname,
  entry: "./src/main.js",
  output: {
    path: path.join(__dirname, "dist-webpack"),
    filename: "main.js",
    clean: true,
  },
  // The wasm (~700 KB) is bigger than webpack's 244 KiB advice: not what this build checks.
  performance: { hints: false },
};
