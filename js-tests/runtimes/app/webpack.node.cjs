// webpack 5, target node18, CommonJS consumer: the shape of a bundled Node function (Lambda-style).
const path = require("node:path");
module.exports = {
  mode: "production",
  target: "node18",
  context: __dirname,
  entry: "./src/node-require.cjs",
  output: { path: path.join(__dirname, "dist-webpack-node"), filename: "main.cjs", clean: true },
  optimization: { minimize: false },
  performance: { hints: false },
};
