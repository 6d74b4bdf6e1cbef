// The default entry ("confluence-users": the web build, which fetches its .wasm), built by Vite, webpack
// and esbuild.
import * as lib from "confluence-users";
import { publish } from "./page.js";

publish(lib, "default entry");
