import { describe, expect, it } from "vitest";
import { buildEnv, extraBuildEnvProblem, passesToBuilds } from "./build-env.js";

describe("the build environment", () => {
  const host = {
    PATH: "/usr/bin",
    HOME: "/home/forge",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    HTTPS_PROXY: "http://proxy:3128",
    PLATFORMIO_CORE_DIR: "/pio",
    ESPHOME_IS_HA_ADDON: "false",
    PYTHONPATH: "/py",
    PIP_INDEX_URL: "http://mirror/simple",
    FORGE_STANDIN_CLEAN_MS: "10",
    FORGE_WORKER_TOKEN: "efw_secret",
    FORGE_ADMIN_TOKEN: "admin-secret",
    FORGE_DATA_DIR: "/data",
    AWS_SECRET_ACCESS_KEY: "cloud",
    GITHUB_TOKEN: "ghp_x",
    SSH_AUTH_SOCK: "/tmp/agent",
    LD_PRELOAD: "/evil.so",
    NODE_OPTIONS: "--require /evil.js",
  };

  it("keeps only the allow-list: no Forge setting or token, no credential, no loader tricks", () => {
    expect(Object.keys(buildEnv(host)).sort()).toEqual(
      [
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "HTTPS_PROXY",
        "PLATFORMIO_CORE_DIR",
        "ESPHOME_IS_HA_ADDON",
        "PYTHONPATH",
        "PIP_INDEX_URL",
        "FORGE_STANDIN_CLEAN_MS",
      ].sort(),
    );
  });

  it("adds the operator's extra names (never FORGE_*) and the job's own values on top", () => {
    const env = buildEnv(host, ["GITHUB_TOKEN", "FORGE_WORKER_TOKEN"], { FORGE_PHASE: "compile", PATH: "/job" });
    expect(env.GITHUB_TOKEN).toBe("ghp_x");
    expect(env.FORGE_WORKER_TOKEN).toBeUndefined();
    expect(env).toMatchObject({ FORGE_PHASE: "compile", PATH: "/job" });
    expect(extraBuildEnvProblem("GITHUB_TOKEN")).toBeNull();
    expect(extraBuildEnvProblem("FORGE_ADMIN_TOKEN")).toMatch(/never reach builds/);
    expect(extraBuildEnvProblem("A=B")).toMatch(/not an environment variable name/);
    expect(passesToBuilds("FORGE_WORKER_TOKEN")).toBe(false);
  });
});
