#!/usr/bin/env node
/* global process, console, Buffer, setTimeout, setInterval */
// Stand-in for the `esphome` CLI, used by tests and the benchmark where a real full compile is
// impossible (PlatformIO/ESP-IDF toolchains come from the internet). It is never the default:
// a worker uses it only when started with `--build-command` or `--esphome` pointing here.
//
// Two ways to call it:
//   FORGE_PHASE=validate|compile|upload|version node standin-esphome.mjs   (worker --build-command;
//     reads FORGE_CONFIG, FORGE_BUILD_DIR, FORGE_ADDRESS, FORGE_FIRMWARE, FORGE_DEVICE_NAME, FORGE_JOB_ID)
//   node standin-esphome.mjs config|compile|upload|version <file.yaml> [--device ADDR] [--file BIN]
//     (the real CLI's shape, for a worker started with --esphome pointing at a wrapper script)
// Use `exec node …/standin-esphome.mjs` in a build command so the stand-in leads its process group.
//
// compile writes what ESPHome writes, where ESPHome writes it (data dir = $ESPHOME_DATA_DIR or
// <config dir>/.esphome):
//   <data>/storage/<file>.json   StorageJSON: name, friendly_name, esphome_version, target_platform,
//                                build_path, firmware_bin_path, loaded_integrations, …
//   <data>/build/<name>/build_info.json
//   esp32 (native ESP-IDF layout): <data>/build/<name>/build/{<name>.bin, firmware.ota.bin, firmware.factory.bin, firmware.elf}
//   esp8266 and the rest:          <data>/build/<name>/.pioenvs/<name>/{firmware.bin | firmware.uf2, firmware.elf}
// Firmware bytes are derived from the config text, so the same config always gives the same digest.
// Log lines are ANSI-coloured like ESPHome's, with ninja-style `[n/m]` steps while compiling.
// upload appends one JSON line per flash to <data>/standin-uploads.jsonl (address, sha256, size, job).
//
// Knobs: a comment line in the device YAML `# standin: key=value key=value`, or the environment
// variable FORGE_STANDIN_<KEY> (upper case, '-' → '_'); the YAML wins.
//   fail-at=PHASE          validate|compile|upload fails (ESPHome-like error; exit 2 for validate)
//   exit-code=N            exit code of that failure (default 1)
//   sleep-ms=N             extra compile time on top of clean-ms / incremental-ms
//   clean-ms=N             compile time when the build folder has no earlier output (default 200)
//   incremental-ms=N       compile time when it has (default 50) — makes worker affinity matter
//   upload-ms=N            upload time (default 50)
//   hang=PHASE             that phase never ends by itself (for cancel and timeout tests)
//   hang-once=PATH         …but only while PATH does not exist: the hanging stand-in creates it with its pid,
//                          so the next attempt goes through (a flash that stalled once)
//   log-bytes=N            extra build output written in compile, as fast as the pipe takes it
//   log-numbered=1         each extra line carries its number (`line 000001`), to count lost or repeated lines
//   firmware-bytes=N       size of the app image (default 65536)
//   platform=P             override the platform read from the YAML (esp32, esp8266, rp2040, …)
//   spawn-grandchild=1     start a long-lived grandchild in the same process group; pids are printed
//                          and written to <build dir>/.standin-pids.json
//   ignore-sigterm=1       the stand-in and its grandchild ignore SIGTERM (only SIGKILL stops them)
//   sigterm-exit=N         on SIGTERM exit at once with code N (0 = "finished just as the cancel came")
//   no-storage=1           compile succeeds without writing the storage JSON
//   version=V              what `version` reports and the storage JSON records (default 2026.10.0)
//   dump-env=1             print every environment variable as `standin: env NAME=VALUE` (the
//                          isolation tests: what build code can see), on stderr
//   try-read=A,B,…         try to read each file and print `standin: read PATH ok N bytes` or
//                          `standin: read PATH refused CODE`; `{ppid}` stands for the parent's pid
//                          (/proc/{ppid}/environ is the worker's environment)
//   report-file=PATH       also append those lines to PATH (for runs whose output nobody shows)
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const C = {
  reset: "\x1b[0m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  red: "\x1b[31m",
  bold: "\x1b[1m",
  cyan: "\x1b[36m",
};
// `config` (validate) keeps stdout for the resolved YAML, as ESPHome does: its log lines go to stderr.
let logToStderr = false;
const info = (msg) =>
  logToStderr
    ? void process.stderr.write(`${C.green}INFO ${msg}${C.reset}\n`)
    : out(`${C.green}INFO ${msg}${C.reset}\n`);
const warn = (msg) => out(`${C.yellow}WARNING ${msg}${C.reset}\n`);
const error = (msg) => process.stderr.write(`${C.red}ERROR ${msg}${C.reset}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Writes to stdout honouring backpressure, so a paused reader really stalls the build. */
function out(text) {
  if (process.stdout.write(text)) return Promise.resolve();
  return new Promise((r) => process.stdout.once("drain", r));
}

function parseInvocation(argv) {
  if (process.env.FORGE_PHASE) {
    return {
      phase: process.env.FORGE_PHASE,
      config: process.env.FORGE_CONFIG || null,
      buildDir: process.env.FORGE_BUILD_DIR || null,
      device: process.env.FORGE_ADDRESS || null,
      file: process.env.FORGE_FIRMWARE || null,
    };
  }
  const [cmd, ...rest] = argv;
  const phase = { config: "validate", compile: "compile", upload: "upload", version: "version" }[cmd];
  if (!phase) {
    error(`standin-esphome: unknown command ${JSON.stringify(cmd)} (config, compile, upload, version)`);
    process.exit(2);
  }
  const opt = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? (rest[i + 1] ?? null) : null;
  };
  const config = rest.find((a, i) => !a.startsWith("-") && !["--device", "--file"].includes(rest[i - 1])) ?? null;
  return {
    phase,
    config: config && path.resolve(config),
    buildDir: null,
    device: opt("--device"),
    file: opt("--file"),
  };
}

/** `# standin: a=1 b=2` comment lines, then FORGE_STANDIN_* variables underneath. */
function readKnobs(yaml) {
  const knobs = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("FORGE_STANDIN_") && v !== undefined) knobs[k.slice(14).toLowerCase().replace(/_/g, "-")] = v;
  }
  for (const m of yaml.matchAll(/^\s*#\s*standin:(.*)$/gm)) {
    for (const pair of m[1].trim().split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq > 0) knobs[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return knobs;
}

const num = (v, d) => (v === undefined || v === "" || Number.isNaN(Number(v)) ? d : Number(v));
const unquote = (s) =>
  s
    .trim()
    .replace(/\s+#.*$/, "")
    .replace(/^(['"])(.*)\1$/, "$2");

/** The tiny bit of YAML reading the stand-in needs: esphome.name/friendly_name, platform, top-level keys. */
function readDevice(yaml, knobs, fallbackName) {
  const topKeys = [...yaml.matchAll(/^([A-Za-z_][\w-]*):/gm)].map((m) => m[1]);
  const block = (key) => {
    const m = new RegExp(`^${key}:[^\\n]*\\n((?:[ \\t]+[^\\n]*\\n?|[ \\t]*\\n)*)`, "m").exec(yaml);
    return m ? m[1] : "";
  };
  const field = (text, key) => {
    const m = new RegExp(`^[ \\t]+${key}:[ \\t]*(.+)$`, "m").exec(text);
    return m ? unquote(m[1]) : null;
  };
  const subs = block("substitutions");
  const substitute = (v) => v?.replace(/\$\{?([A-Za-z_]\w*)\}?/g, (all, k) => field(subs, k) ?? all) ?? null;
  const esphome = block("esphome");
  const platforms = ["esp32", "esp8266", "rp2040", "bk72xx", "rtl87xx", "ln882x", "libretiny", "host", "nrf52"];
  const legacy = field(esphome, "platform")?.toLowerCase() ?? null;
  const platform = knobs.platform ?? topKeys.find((k) => platforms.includes(k)) ?? legacy ?? "esp32";
  const name = (substitute(field(esphome, "name")) || fallbackName).toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const friendlyName = substitute(field(esphome, "friendly_name"));
  const skip = new Set(["substitutions", "packages", "esphome", "external_components", ...platforms]);
  const integrations = [...new Set(["esphome", platform, ...topKeys.filter((k) => !skip.has(k))])].sort();
  return { name, friendlyName, platform, integrations };
}

/** Deterministic pseudo-random bytes: sha256(seed ‖ label ‖ counter) blocks. */
function derive(seed, label, size) {
  const buf = Buffer.alloc(size);
  for (let off = 0, i = 0; off < size; off += 32, i++) {
    createHash("sha256").update(seed).update(`\0${label}\0${i}`).digest().copy(buf, off);
  }
  return buf;
}

function layout(dataDir, dev) {
  const buildPath = path.join(dataDir, "build", dev.name);
  if (dev.platform === "esp32") {
    const dir = path.join(buildPath, "build");
    return {
      buildPath,
      dir,
      app: path.join(dir, `${dev.name}.bin`),
      ota: path.join(dir, "firmware.ota.bin"),
      factory: path.join(dir, "firmware.factory.bin"),
    };
  }
  const dir = path.join(buildPath, ".pioenvs", dev.name);
  const app = path.join(
    dir,
    ["bk72xx", "rtl87xx", "ln882x", "libretiny"].includes(dev.platform) ? "firmware.uf2" : "firmware.bin",
  );
  return { buildPath, dir, app, ota: null, factory: null };
}

async function extraLog(bytes, numbered) {
  const line = `${C.cyan}[standin]${C.reset} verbose build output line with ünïcödé ✓ and colour, padding padding padding\n`;
  if (!numbered) {
    const size = Buffer.byteLength(line);
    for (let n = 0; n < bytes; n += size) await out(line);
    return;
  }
  for (let n = 0, i = 1; n < bytes; i++) {
    const text = `line ${String(i).padStart(6, "0")} ${line}`;
    n += Buffer.byteLength(text);
    await out(text);
  }
}

function spawnGrandchild(knobs, buildDir) {
  const code = `${knobs["ignore-sigterm"] === "1" ? "process.on('SIGTERM', () => {});" : ""} setInterval(() => {}, 1e6);`;
  const child = spawn(process.execPath, ["-e", code], { stdio: "ignore" }); // same process group
  const pids = { standin: process.pid, grandchild: child.pid };
  if (buildDir) writeFileSync(path.join(buildDir, ".standin-pids.json"), JSON.stringify(pids));
  out(`standin: pids standin=${process.pid} grandchild=${child.pid}\n`);
}

/** Acts like build code that wants the host's secrets: prints its environment, tries files. */
async function spy(knobs) {
  const lines = [];
  if (knobs["dump-env"] === "1")
    for (const [k, v] of Object.entries(process.env).sort()) lines.push(`standin: env ${k}=${v}`);
  for (const raw of (knobs["try-read"] ?? "").split(",").filter(Boolean)) {
    const file = raw.replaceAll("{ppid}", String(process.ppid));
    try {
      const bytes = readFileSync(file);
      lines.push(`standin: read ${file} ok ${bytes.length} bytes`);
      lines.push(`standin: content ${JSON.stringify(bytes.toString("latin1").slice(0, 4096))}`);
    } catch (err) {
      lines.push(`standin: read ${file} refused ${err.code ?? err.message}`);
    }
  }
  // stderr: a `config` run's stdout is the resolved YAML and must stay parseable.
  process.stderr.write(lines.map((l) => `${l}\n`).join(""));
  if (knobs["report-file"]) appendFileSync(knobs["report-file"], lines.map((l) => `${l}\n`).join(""));
}

async function main() {
  const inv = parseInvocation(process.argv.slice(2));
  if (inv.phase === "version") {
    await out(`Version: ${process.env.FORGE_STANDIN_VERSION || "2026.10.0"}\n`);
    return 0;
  }
  if (!inv.config || !existsSync(inv.config)) {
    error(`Could not read configuration file ${inv.config ?? "(none given)"}`);
    return 2;
  }
  const yaml = readFileSync(inv.config, "utf8");
  const knobs = readKnobs(yaml);
  logToStderr = inv.phase === "validate";
  const version = knobs.version ?? "2026.10.0";
  const configDir = path.dirname(inv.config);
  const buildDir = inv.buildDir ?? configDir;
  const dataDir = process.env.ESPHOME_DATA_DIR || path.join(configDir, ".esphome");
  const fileName = path.basename(inv.config);
  const dev = readDevice(yaml, knobs, process.env.FORGE_DEVICE_NAME || fileName.replace(/\.ya?ml$/, ""));

  if (knobs["ignore-sigterm"] === "1") process.on("SIGTERM", () => {});
  else if (knobs["sigterm-exit"] !== undefined)
    process.on("SIGTERM", () => process.exit(num(knobs["sigterm-exit"], 0)));
  if (knobs["spawn-grandchild"] === "1") spawnGrandchild(knobs, buildDir);
  if (knobs["dump-env"] === "1" || knobs["try-read"]) await spy(knobs);
  const failHere = knobs["fail-at"] === inv.phase;
  const hangHere = async () => {
    if (knobs.hang !== inv.phase) return;
    if (knobs["hang-once"]) {
      if (existsSync(knobs["hang-once"])) return;
      writeFileSync(knobs["hang-once"], String(process.pid));
    }
    await out(`standin: hanging in ${inv.phase} until killed\n`);
    setInterval(() => {}, 1e6);
    await new Promise(() => {});
  };

  await info(`ESPHome ${version}`);
  await info(`Reading configuration ${fileName}...`);

  if (inv.phase === "validate") {
    await hangHere();
    if (failHere) {
      await out(`${C.bold}${C.red}Failed config${C.reset}\n\n`);
      await out(
        `${C.red}sensor.template: [source ${fileName}:3]${C.reset}\n  ${C.red}Component not found (standin: fail-at=validate).${C.reset}\n`,
      );
      return num(knobs["exit-code"], 2);
    }
    await out(yaml.endsWith("\n") ? yaml : `${yaml}\n`);
    await info("Configuration is valid!");
    return 0;
  }

  const files = layout(dataDir, dev);

  if (inv.phase === "compile") {
    const incremental = existsSync(files.app);
    const ms =
      num(incremental ? knobs["incremental-ms"] : knobs["clean-ms"], incremental ? 50 : 200) +
      num(knobs["sleep-ms"], 0);
    await info("Generating C++ source...");
    await info(`Compiling app... Build path: ${files.buildPath}`);
    if (incremental) await info("Incremental build: reusing earlier output");
    const steps = incremental ? 5 : 20;
    for (let i = 1; i <= steps; i++) {
      await sleep(ms / steps);
      await out(`${C.green}[${i}/${steps}]${C.reset} Compiling src/component_${i}.cpp.o\n`);
      if (i === Math.ceil(steps / 2)) {
        await hangHere();
        if (knobs["log-bytes"]) await extraLog(num(knobs["log-bytes"], 0), knobs["log-numbered"] === "1");
      }
    }
    if (failHere) {
      error(`src/main.cpp:42:7: error: 'standin' was not declared in this scope (standin: fail-at=compile)`);
      error("compilation terminated.");
      return num(knobs["exit-code"], 1);
    }
    const seed = Buffer.from(`${yaml}\0${version}\0${dev.platform}`);
    const app = derive(seed, "app", num(knobs["firmware-bytes"], 65536));
    mkdirSync(files.dir, { recursive: true });
    writeFileSync(files.app, app);
    writeFileSync(path.join(files.dir, "firmware.elf"), derive(seed, "elf", 4096));
    if (files.ota) writeFileSync(files.ota, app);
    if (files.factory) writeFileSync(files.factory, Buffer.concat([derive(seed, "bootloader+partitions", 65536), app]));
    const configHash = createHash("sha256").update(yaml).digest("hex");
    writeFileSync(
      path.join(files.buildPath, "build_info.json"),
      JSON.stringify({
        config_hash: configHash.slice(0, 8),
        build_time: 0,
        build_time_str: "standin",
        esphome_version: version,
      }),
    );
    if (knobs["no-storage"] !== "1") {
      mkdirSync(path.join(dataDir, "storage"), { recursive: true });
      const storage = {
        storage_version: 1,
        name: dev.name,
        friendly_name: dev.friendlyName,
        comment: null,
        esphome_version: version,
        src_version: 1,
        address: `${dev.name}.local`,
        web_port: null,
        esp_platform: dev.platform.toUpperCase(),
        target_platform: dev.platform,
        build_path: files.buildPath,
        firmware_bin_path: files.app,
        loaded_integrations: dev.integrations,
        loaded_platforms: [],
        no_mdns: false,
        framework: dev.platform === "esp32" ? "esp-idf" : "arduino",
        core_platform: dev.platform,
      };
      writeFileSync(path.join(dataDir, "storage", `${fileName}.json`), JSON.stringify(storage, null, 2));
    }
    await info(`Successfully compiled program. (${incremental ? "incremental" : "clean"} build, ${app.length} bytes)`);
    return 0;
  }

  if (inv.phase === "upload") {
    const address = inv.device;
    if (!address) {
      error("No --device given and the stand-in never prompts");
      return 2;
    }
    const firmware = inv.file || files.ota || files.app;
    if (!existsSync(firmware)) {
      error(`Firmware ${firmware} not found; compile first`);
      return 1;
    }
    const bytes = readFileSync(firmware);
    await info(`Connecting to ${address} port ${dev.platform === "esp8266" ? 8266 : 3232}...`);
    await hangHere();
    if (failHere) {
      error(`Connecting to ${address} port 3232 failed: Connection refused (standin: fail-at=upload)`);
      return num(knobs["exit-code"], 1);
    }
    await info(`Uploading ${firmware} (${bytes.length} bytes)`);
    const ms = num(knobs["upload-ms"], 50);
    for (const pct of [0, 25, 50, 75, 100]) {
      await sleep(ms / 5);
      await out(`Uploading: [${"=".repeat(pct / 5).padEnd(20)}] ${pct}% ${pct === 100 ? "Done..." : ""}\n`);
    }
    mkdirSync(dataDir, { recursive: true });
    appendFileSync(
      path.join(dataDir, "standin-uploads.jsonl"),
      JSON.stringify({
        address,
        firmware,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        size: bytes.length,
        jobId: process.env.FORGE_JOB_ID ?? null,
      }) + "\n",
    );
    await info("OTA successful");
    return 0;
  }

  warn(`unknown phase ${inv.phase}`);
  return 2;
}

main().then(
  (code) => {
    // Let stdout drain before leaving; a hanging knob never gets here.
    process.stdout.write("", () => process.exit(code));
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
