// Interpreter discovery with stand-in interpreters (fake-python.sh wrapped to report a version):
// the newest usable one wins, so a machine with the system 3.11 and the project's cached 3.13 installs
// the newest ESPHome releases (which need >= 3.12) with 3.13.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test-support/helpers.js";
import { compareVersions, findPython, pythonCandidates } from "./python.js";

const FAKE_PYTHON = fileURLToPath(new URL("../../../test-support/fake-python.sh", import.meta.url));

function fakeInterpreter(file: string, version: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\nFAKE_PYTHON_VERSION=${version} exec ${FAKE_PYTHON} "$@"\n`);
  chmodSync(file, 0o755);
}

function machine(): { bin: string; cache: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir("forge-python-");
  const bin = path.join(dir, "bin");
  const cache = path.join(dir, "cache");
  mkdirSync(bin, { recursive: true });
  // PATH holds only the stand-ins (plus what /bin/sh needs to run them).
  return { bin, cache, env: { PATH: `${bin}:/usr/bin:/bin`, FORGE_CACHE: cache, HOME: dir } };
}

describe("findPython", () => {
  it("prefers the newest interpreter: the tool cache's 3.13 over the system python3 3.11", async () => {
    const { bin, cache, env } = machine();
    fakeInterpreter(path.join(bin, "python3"), "3.11.2");
    fakeInterpreter(path.join(cache, "python-3.13", "bin", "python3.13"), "3.13.5");
    expect(await findPython(null, env)).toEqual({
      path: path.join(cache, "python-3.13", "bin", "python3.13"),
      version: "3.13.5",
    });
  });

  it("takes a newer python3.12 on PATH over python3 3.11, and falls back to 3.11 when it is all there is", async () => {
    const { bin, env } = machine();
    fakeInterpreter(path.join(bin, "python3"), "3.11.9");
    fakeInterpreter(path.join(bin, "python3.12"), "3.12.3");
    expect(await findPython(null, env)).toEqual({ path: "python3.12", version: "3.12.3" });
    const only311 = machine();
    fakeInterpreter(path.join(only311.bin, "python3"), "3.11.9");
    const found = await findPython(null, only311.env);
    // /usr/bin/python3 may exist on this machine too; either way it is a 3.11+ and never the missing 3.12.
    expect(found.path).not.toBe("python3.12");
    expect(compareVersions(found.version, "3.11.0")).toBeGreaterThanOrEqual(0);
  });

  it("an explicit interpreter is used as given (no preference), and must be usable", async () => {
    const { bin, cache, env } = machine();
    fakeInterpreter(path.join(cache, "python-3.13", "bin", "python3.13"), "3.13.5");
    fakeInterpreter(path.join(bin, "py311"), "3.11.2");
    expect(await findPython(path.join(bin, "py311"), env)).toEqual({
      path: path.join(bin, "py311"),
      version: "3.11.2",
    });
    await expect(findPython(path.join(bin, "missing"), env)).rejects.toThrow(/missing is not a usable Python 3\.11\+/);
  });

  it("lists the cache's 3.13 first and compares versions numerically", () => {
    expect(pythonCandidates({ FORGE_CACHE: "/c" })[0]).toBe("/c/python-3.13/bin/python3.13");
    expect(compareVersions("3.13.5", "3.9.18")).toBeGreaterThan(0);
    expect(compareVersions("3.12", "3.12.0")).toBe(0);
  });
});
