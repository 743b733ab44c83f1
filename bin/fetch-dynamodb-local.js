#!/usr/bin/env node
// Prepares DynamoDB Local for the local stack; runs as the root package's postinstall.
//
// AWS publishes DynamoDB Local only as a download from its own site; the npm package
// amplify-dynamodb-simulator carries the same jar in `emulator/`, so we fetch it through the
// registry (npm verifies its integrity) without installing the package: installing it would
// pull 356 MB of unrelated dependencies.
//
// Environment:
//   COMMUNITY_SIGNALS_SKIP_DYNAMODB_FETCH=1  skip (CI jobs that never start the local stack)
//   DYNAMODB_LOCAL_HOME=DIR                  where to put it (the launcher reads the same variable)

import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_SPEC = "amplify-dynamodb-simulator@2.9.30";
const DYNAMODB_LOCAL_VERSION = "1.25.1";
const SOURCE_MARKER = "fetched-from.json";
const STAGING_PREFIX = ".dynamodb-local-staging-";
const LOG_PREFIX = "fetch-dynamodb-local:";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const targetDir = process.env.DYNAMODB_LOCAL_HOME
  ? resolve(process.env.DYNAMODB_LOCAL_HOME)
  : join(packageRoot, "node_modules", ".cache", "dynamodb-local");

class FetchError extends Error {}

function main() {
  if (process.env.COMMUNITY_SIGNALS_SKIP_DYNAMODB_FETCH === "1") {
    console.log(`${LOG_PREFIX} skipped (COMMUNITY_SIGNALS_SKIP_DYNAMODB_FETCH=1)`);
    return;
  }
  if (isAlreadyThere()) {
    console.log(`${LOG_PREFIX} DynamoDB Local already present in ${displayPath(targetDir)}`);
    return;
  }

  const startedAt = Date.now();
  // Extract next to the target (same filesystem) so the final rename is atomic.
  const parentDir = dirname(targetDir);
  mkdirSync(parentDir, { recursive: true });
  removeAbandonedStaging(parentDir);
  let packDir;
  let stagingDir;
  try {
    packDir = mkdtempSync(join(tmpdir(), "community-signals-ddb-pack-"));
    stagingDir = mkdtempSync(join(parentDir, STAGING_PREFIX));
    // mkdtemp makes it owner-only; the published folder should read like any installed package.
    chmodSync(stagingDir, 0o755);
    const tarball = packTarball(packDir);
    extractEmulator(tarball, stagingDir);
    writeFileSync(
      join(stagingDir, SOURCE_MARKER),
      JSON.stringify({ package: PACKAGE_SPEC, dynamoDbLocal: DYNAMODB_LOCAL_VERSION, fetchedAt: new Date().toISOString() }, null, 2) + "\n",
    );
    publish(stagingDir);
    const megabytes = Math.round(directorySize(targetDir) / 1e6);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    console.log(
      `${LOG_PREFIX} DynamoDB Local ${DYNAMODB_LOCAL_VERSION} (${megabytes} MB, from ${PACKAGE_SPEC}) extracted to ${displayPath(targetDir)} in ${seconds} s`,
    );
  } finally {
    if (packDir) rmSync(packDir, { recursive: true, force: true });
    if (stagingDir) rmSync(stagingDir, { recursive: true, force: true });
  }
}

function isAlreadyThere() {
  if (!existsSync(join(targetDir, "DynamoDBLocal.jar"))) return false;
  // A marker from an older package spec means the pinned version changed: fetch again.
  const markerPath = join(targetDir, SOURCE_MARKER);
  if (!existsSync(markerPath)) return true;
  try {
    return JSON.parse(readFileSync(markerPath, "utf8")).package === PACKAGE_SPEC;
  } catch {
    return false;
  }
}

function packTarball(packDir) {
  // Inside an npm lifecycle script npm_execpath names the running npm's CLI; reusing it
  // avoids a different npm (or npm.cmd on Windows) from PATH.
  const npmCli = process.env.npm_execpath;
  const [command, prefixArgs] =
    npmCli && npmCli.endsWith(".js") && existsSync(npmCli) ? [process.execPath, [npmCli]] : ["npm", []];
  const result = spawnSync(command, [...prefixArgs, "pack", PACKAGE_SPEC, "--pack-destination", packDir, "--json"], {
    cwd: packageRoot,
    encoding: "utf8",
    shell: command === "npm" && process.platform === "win32",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new FetchError(`could not run npm pack: ${result.error.message}`);
  if (result.status !== 0) {
    // npm prints a stack trace for network errors; the frames drown the cause.
    const output = (result.stderr || result.stdout || "").split("\n").filter((line) => !/^npm error\s+at /.test(line));
    throw new FetchError(`npm pack ${PACKAGE_SPEC} failed (exit ${result.status}):\n${lastLines(output.join("\n"), 12)}`);
  }
  const tarballs = readdirSync(packDir).filter((name) => name.endsWith(".tgz"));
  if (tarballs.length !== 1) {
    throw new FetchError(`npm pack ${PACKAGE_SPEC} left ${tarballs.length} tarballs in ${packDir}, expected 1`);
  }
  return join(packDir, tarballs[0]);
}

function extractEmulator(tarball, destination) {
  // Only package/emulator/ (about 64 MB of the 67 MB package); strip "package/emulator/".
  const result = spawnSync("tar", ["-xzf", tarball, "-C", destination, "--strip-components=2", "package/emulator"], {
    encoding: "utf8",
  });
  if (result.error) throw new FetchError(`could not run tar (is it installed?): ${result.error.message}`);
  if (result.status !== 0) {
    throw new FetchError(`tar could not extract package/emulator from ${tarball} (exit ${result.status}):\n${lastLines(result.stderr, 15)}`);
  }
  for (const required of ["DynamoDBLocal.jar", "DynamoDBLocal_lib"]) {
    if (!existsSync(join(destination, required))) {
      throw new FetchError(`${PACKAGE_SPEC} does not contain emulator/${required}; its layout changed`);
    }
  }
}

function publish(stagingDir) {
  // Whatever is there now is incomplete or outdated (a complete current copy was skipped above).
  rmSync(targetDir, { recursive: true, force: true });
  try {
    renameSync(stagingDir, targetDir);
  } catch (error) {
    // A concurrent install may have published first; its copy is as good as ours.
    if (existsSync(join(targetDir, "DynamoDBLocal.jar"))) return;
    throw new FetchError(`could not move the extracted emulator into ${targetDir}: ${error.message}`);
  }
}

// An install killed mid-extraction (Ctrl-C, SIGKILL) skips the finally block; its staging
// folder is old by the next run. Young ones may belong to a concurrent install: leave them.
function removeAbandonedStaging(parentDir) {
  const abandonedBefore = Date.now() - 15 * 60 * 1000;
  for (const name of readdirSync(parentDir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const path = join(parentDir, name);
    if (statSync(path).mtimeMs < abandonedBefore) rmSync(path, { recursive: true, force: true });
  }
}

function directorySize(path) {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(path).reduce((total, name) => total + directorySize(join(path, name)), 0);
}

function lastLines(text, count) {
  return String(text ?? "")
    .trimEnd()
    .split("\n")
    .slice(-count)
    .map((line) => `  ${line}`)
    .join("\n");
}

function displayPath(path) {
  const fromRoot = relative(packageRoot, path);
  return fromRoot && !fromRoot.startsWith("..") ? fromRoot : path;
}

try {
  main();
} catch (error) {
  const reason = error instanceof FetchError ? error.message : (error?.stack ?? String(error));
  console.error(
    `${LOG_PREFIX} FAILED to prepare DynamoDB Local (needed by \`community-signals dev\` and the integration tests).\n` +
      `${reason}\n` +
      `Retry with: node bin/fetch-dynamodb-local.js  (or set COMMUNITY_SIGNALS_SKIP_DYNAMODB_FETCH=1 to install without it)`,
  );
  process.exit(1);
}
