// The page script every bundler builds: the package's default entry (it initialises the wasm itself, with
// top-level await) and the shared scenario (copied next to this file by the test from consumers/shared/).
import * as lib from "confluence-users";
import { publish } from "./scenario.js";

publish(lib);
