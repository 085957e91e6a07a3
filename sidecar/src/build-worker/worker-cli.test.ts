import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeSidecar } from "../../test-support/fake-sidecar.js";
import { STANDIN_COMMAND, tempDir, waitUntil } from "../../test-support/helpers.js";
import { EXIT_OK, EXIT_REJECTED, EXIT_USAGE, parseWorkerArgs, workerCommand } from "./worker-cli.js";
import { serverUrls } from "./server-url.js";

describe("parseWorkerArgs", () => {
  const base = ["--server", "http://127.0.0.1:6055", "--token", "secret"];

  it("reads flags, with sensible defaults", () => {
    const o = parseWorkerArgs(
      [
        "worker",
        ...base,
        "--name",
        "nuc",
        "--slots",
        "3",
        "--tags",
        "fast, arm,fast",
        "--state-dir",
        "/tmp/s",
        "--drain-timeout-ms",
        "5000",
      ],
      {},
    );
    expect(o).toMatchObject({
      server: "http://127.0.0.1:6055",
      token: "secret",
      name: "nuc",
      slots: 3,
      tags: ["fast", "arm"],
      stateDir: "/tmp/s",
      drainTimeoutMs: 5000,
      buildCommand: null,
      esphomeBin: null,
    });
    const d = parseWorkerArgs(base, { XDG_STATE_HOME: "/xdg" });
    expect(d).toMatchObject({
      slots: 1,
      tags: [],
      drainTimeoutMs: 60_000,
      stateDir: "/xdg/esphome-forge/worker",
      python: null,
      keepEsphomeVersions: 3,
      cacheMaxMb: 20_000,
    });
  });

  it("reads the ESPHome version and build cache options (flags, then FORGE_* variables)", () => {
    expect(
      parseWorkerArgs([...base, "--python", "/opt/py/bin/python3.12", "--keep-esphome-versions", "5"], {}),
    ).toMatchObject({ python: "/opt/py/bin/python3.12", keepEsphomeVersions: 5 });
    expect(parseWorkerArgs(base, { FORGE_PYTHON: "/usr/bin/python3", FORGE_KEEP_ESPHOME_VERSIONS: "1" })).toMatchObject(
      { python: "/usr/bin/python3", keepEsphomeVersions: 1 },
    );
    expect(parseWorkerArgs([...base, "--cache-max-mb", "0"], {})).toMatchObject({ cacheMaxMb: 0 });
    expect(parseWorkerArgs(base, { FORGE_WORKER_CACHE_MAX_MB: "512" })).toMatchObject({ cacheMaxMb: 512 });
  });

  it("falls back to FORGE_* environment variables; flags win", () => {
    const env = {
      FORGE_SERVER: "https://forge.lan",
      FORGE_WORKER_TOKEN: "envtok",
      FORGE_WORKER_SLOTS: "4",
      FORGE_BUILD_COMMAND: "true",
      FORGE_ESPHOME_BIN: "/opt/esphome",
    };
    expect(parseWorkerArgs([], env)).toMatchObject({
      server: "https://forge.lan",
      token: "envtok",
      slots: 4,
      buildCommand: "true",
      esphomeBin: "/opt/esphome",
    });
    expect(parseWorkerArgs(["--slots", "2"], env)).toMatchObject({ slots: 2 });
  });

  it("reads the extra build variables and the user to run as", () => {
    expect(parseWorkerArgs([...base, "--build-env", "GITHUB_TOKEN, HTTP_PROXY,GITHUB_TOKEN"], {})).toMatchObject({
      buildEnv: ["GITHUB_TOKEN", "HTTP_PROXY"],
      user: null,
    });
    expect(parseWorkerArgs(base, { FORGE_BUILD_ENV: "A_B", FORGE_WORKER_USER: "builder" })).toMatchObject({
      buildEnv: ["A_B"],
      user: "builder",
      stateDirGiven: false,
    });
  });

  it("reads the token from a file", () => {
    const file = path.join(tempDir(), "token");
    writeFileSync(file, "from-file\n");
    expect(parseWorkerArgs(["--server", "http://x", "--token-file", file], {})).toMatchObject({ token: "from-file" });
  });

  it.each([
    [[], /--server is required/],
    [["--server", "http://x"], /--token is required/],
    [["--server", "ftp://x", "--token", "t"], /http:\/\/ or https:\/\//],
    [["--server", "not a url", "--token", "t"], /is not a URL/],
    [[...base, "--slots", "many"], /--slots must be a whole number from 0 to 32/],
    [[...base, "--slots", "33"], /--slots must be a whole number/],
    [[...base, "--tags", "Fast"], /not a valid tag/],
    [[...base, "--drain-timeout-ms", "-1"], /--drain-timeout-ms/],
    [[...base, "--keep-esphome-versions", "0"], /--keep-esphome-versions must be a whole number from 1/],
    [[...base, "--bogus"], /Unknown option '--bogus'/],
    [[...base, "--build-env", "FORGE_WORKER_TOKEN"], /FORGE_\* settings and tokens never reach builds/],
    [[...base, "--build-env", "NOT-A-NAME"], /is not an environment variable name/],
    [[...base, "stray"], /positional/i],
  ])("refuses %j", (argv, message) => {
    expect(() => parseWorkerArgs(argv as string[], {})).toThrow(message);
  });

  it("knows --help", () => {
    expect(parseWorkerArgs(["--help"], {})).toBe("help");
  });
});

describe("serverUrls", () => {
  it("maps http→ws and https→wss, keeping a path prefix", () => {
    expect(serverUrls("http://127.0.0.1:6055")).toEqual({
      wsUrl: "ws://127.0.0.1:6055/api/v1/worker",
      httpBase: "http://127.0.0.1:6055/",
    });
    expect(serverUrls("https://ha.lan/forge")).toEqual({
      wsUrl: "wss://ha.lan/forge/api/v1/worker",
      httpBase: "https://ha.lan/forge/",
    });
  });
});

describe("workerCommand", () => {
  let fake: FakeSidecar | null = null;
  afterEach(async () => {
    vi.restoreAllMocks();
    await fake?.close();
    fake = null;
  });

  it("prints a clear error and exit code 2 for bad flags", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await workerCommand(["--server", "http://x", "--token", "t", "--slots", "99"])).toBe(EXIT_USAGE);
    expect(err.mock.calls.flat().join("\n")).toMatch(/esphome-forge worker: .*--slots.*\n.*--help/);
  });

  it("exits non-zero with the sidecar's reason on a bad token, without retrying", async () => {
    fake = await FakeSidecar.start();
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "log").mockImplementation(() => {});
    const code = await workerCommand([
      "--server",
      fake.url,
      "--token",
      "wrong",
      "--state-dir",
      tempDir(),
      "--build-command",
      STANDIN_COMMAND,
    ]);
    expect(code).toBe(EXIT_REJECTED);
    expect(err.mock.calls.flat().join("\n")).toMatch(/refused this worker: unknown worker token/);
    expect(fake.connections).toBe(1);
  });

  it("drains on SIGTERM and exits 0", async () => {
    fake = await FakeSidecar.start();
    vi.spyOn(console, "log").mockImplementation(() => {});
    const done = workerCommand([
      "--server",
      fake.url,
      "--token",
      fake.token,
      "--state-dir",
      tempDir(),
      "--build-command",
      STANDIN_COMMAND,
    ]);
    await fake.waitFor((m) => m.type === "hello");
    await waitUntil(() => fake!.socket, "socket");
    process.emit("SIGTERM", "SIGTERM");
    expect(await done).toBe(EXIT_OK);
    expect(process.listenerCount("SIGTERM")).toBe(0);
  });
});
