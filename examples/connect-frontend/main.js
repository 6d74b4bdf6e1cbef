// The Connect entry: the host-specific part (AP is the global that all.js defines).
import { run } from "./groups.js";

run({ AP: window.AP, root: document.getElementById("root") });
