// The action's main step: `storage-cache restore` with the step's INPUT_* environment.
"use strict";
require("./launcher.js").run("restore");
