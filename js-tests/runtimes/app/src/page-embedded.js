// The opt-in "confluence-users/embedded" entry: the .wasm is in the JS, so esbuild needs no copy step.
import * as lib from "confluence-users/embedded";
import { publish } from "./page.js";

publish(lib, "embedded entry");
