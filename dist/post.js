// The action's post step: `storage-cache save` with the step's INPUT_* environment.
"use strict";
require("./launcher.js").run("save");
