// Bundles a Forge function with @forge/bundler's own Node webpack configuration (getNodeBundler(...)
// .getBundler().getConfigs(args): webpack 5, target node18, node.__dirname true, output [name].cjs) and
// its own webpack. Not copied: the config object is @forge/bundler's, used as it is. The Forge CLI would
// then zip the output folder with the runtime wrapper it downloads; the test runs the output folder.
//
//   node forge-bundle.cjs APP_DIR ENTRY_FILE OUT_DIR   → prints {"outputDir": ...} on success
"use strict";
const { cpSync, rmSync } = require("node:fs");
const { getNodeBundler, getCompiler, handleWebpackCompilationResult } = require("@forge/bundler");

const [appDirectory, entry, outDir] = process.argv.slice(2);
const logger = { info() {}, debug() {}, warn: console.error, error: console.error, trace() {} };
const noWrapper = {
  getNodeRuntimeWrapper() {
    throw new Error("not used: only the webpack configuration is taken");
  },
};
const readsNoManifest = { readConfig: async () => ({ app: {} }) };

async function main() {
  const bundler = await getNodeBundler(logger, noWrapper, readsNoManifest).getBundler();
  if (bundler.constructor.name !== "NodeBundler") throw new Error(`expected @forge/bundler's NodeBundler, got ${bundler.constructor.name}`);
  const [config] = await bundler.getConfigs({ appDirectory, entryPoints: [{ name: "index", path: entry }] });
  const summary = { target: config.target, filename: config.output.filename, libraryTarget: config.output.libraryTarget, node: config.node, outputDir: config.output.path };
  await new Promise((resolve, reject) => {
    const compiler = getCompiler(config);
    compiler.run((error, stats) => {
      try {
        handleWebpackCompilationResult(logger, error, stats);
        compiler.close(() => resolve());
      } catch (e) {
        reject(e);
      }
    });
  });
  cpSync(config.output.path, outDir, { recursive: true });
  rmSync(config.output.path, { recursive: true, force: true });
  console.log(JSON.stringify(summary));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
