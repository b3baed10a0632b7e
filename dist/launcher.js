// storage-cache GitHub Action launcher: plain Node (no npm packages).
//
// Masks secrets, finds the storage-cache binary (STORAGE_CACHE_BINARY, then `storage-cache` on PATH, else builds
// it with `swift build -c release` from this action's checkout into a cache directory that later steps reuse),
// then runs `storage-cache <command>` with the step's environment (the runner already set INPUT_* and STATE_*)
// and exits with its exit code.
"use strict";

const childProcess = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const SECRET_VARIABLES = [
  "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "ACTIONS_RUNTIME_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_TOKEN", "AWS_SSE_CUSTOMER_KEY", "INPUT_S3-SSE-C-KEY",
  "INPUT_S3-SSE-CUSTOMER-KEY", "INPUT_GITHUB-TOKEN", "INPUT_TOKEN",
];

// The action's checkout: the directory above dist/.
const ACTION_ROOT = path.resolve(__dirname, "..");

function escapeData(text) {
  return String(text).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function log(line) {
  process.stdout.write(line + "\n");
}

function maskSecrets(env) {
  if (env.GITHUB_ACTIONS !== "true") return;
  const seen = new Set();
  for (const name of SECRET_VARIABLES) {
    const value = (env[name] || "").trim();
    if (value.length >= 4 && !seen.has(value)) {
      seen.add(value);
      log("::add-mask::" + escapeData(value));
    }
  }
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch (_) {
    return false;
  }
}

function findOnPath(name, env) {
  for (const dir of (env.PATH || "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

// Where a build from source goes: one directory per action checkout, under the runner's tool cache.
function buildDirectory(env) {
  const base = env.STORAGE_CACHE_BUILD_DIR || env.RUNNER_TOOL_CACHE || env.RUNNER_TEMP || os.tmpdir();
  const id = crypto.createHash("sha256").update(ACTION_ROOT).digest("hex").slice(0, 16);
  return path.join(base, "storage-cache-build", id);
}

function build(env) {
  const scratch = buildDirectory(env);
  const binary = path.join(scratch, "release", "storage-cache");
  if (isExecutable(binary)) return binary;
  const swift = findOnPath("swift", env);
  if (!swift) {
    throw new Error(
      "no storage-cache binary: set STORAGE_CACHE_BINARY, put storage-cache on PATH, or install Swift 6 " +
        "so the action can build it");
  }
  // The same flags as Scripts/build-release: the static Swift runtime starts faster and needs no toolchain later.
  log("::group::Building storage-cache (swift build -c release -Xswiftc -static-stdlib)");
  const result = childProcess.spawnSync(
    swift, ["build", "-c", "release", "--package-path", ACTION_ROOT, "--scratch-path", scratch,
      "--product", "storage-cache", "-Xswiftc", "-static-stdlib"],
    { stdio: ["ignore", "inherit", "inherit"], env });
  log("::endgroup::");
  if (result.error) throw new Error("swift build failed to start: " + result.error.message);
  if (result.status !== 0) throw new Error("swift build exited " + result.status);
  if (!isExecutable(binary)) throw new Error("swift build did not produce " + binary);
  return binary;
}

function locate(env) {
  const given = (env.STORAGE_CACHE_BINARY || "").trim();
  if (given) {
    if (!isExecutable(given)) throw new Error("STORAGE_CACHE_BINARY " + given + " is not an executable file");
    return given;
  }
  return findOnPath("storage-cache", env) || build(env);
}

// Runs `storage-cache <command>` and exits with its status.
function run(command) {
  const env = process.env;
  maskSecrets(env);
  let binary;
  try {
    binary = locate(env);
  } catch (error) {
    log("::error::" + escapeData(error.message));
    process.exit(1);
  }
  // The masks are printed already; the binary need not repeat them. The whole environment is passed on: the
  // runner's ACTIONS_RESULTS_URL, ACTIONS_RUNTIME_TOKEN (masked above), ACTIONS_CACHE_SERVICE_V2 and
  // ACTIONS_CACHE_MODE, which only JavaScript actions see, select and limit the GitHub Actions cache primary.
  const childEnv = Object.assign({}, env, { STORAGE_CACHE_SECRETS_MASKED: "true" });
  const child = childProcess.spawn(binary, [command], { stdio: "inherit", env: childEnv });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => child.kill(signal));
  }
  child.on("error", (error) => {
    log("::error::" + escapeData("cannot run " + binary + ": " + error.message));
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      log("::error::" + escapeData("storage-cache " + command + " was killed by " + signal));
      process.exit(1);
    }
    process.exit(code === null ? 1 : code);
  });
}

module.exports = { run, locate, buildDirectory, escapeData };
