import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RemoteConfigRequest } from "@esphome-forge/shared";
import { isSecrets, parseIfMatch, resolveEditable } from "./paths.js";
import { describePushError, redactUrl } from "./remote.js";

const root = realpathSync(mkdtempSync(join(tmpdir(), "forge-paths-")));
mkdirSync(join(root, "common"));
writeFileSync(join(root, "lamp.yaml"), "esphome:\n");
writeFileSync(join(root, "secrets.yaml"), "a: b\n");
mkdirSync(join(root, ".git"));
writeFileSync(join(root, ".git", "config"), "");
symlinkSync(join(root, "lamp.yaml"), join(root, "common", "alias.yaml"));
symlinkSync("/etc/hostname", join(root, "out.yaml"));
symlinkSync(join(root, "secrets.yaml"), join(root, "keys.yaml"));
symlinkSync(join(root, ".git", "config"), join(root, "cfg.yaml"));
symlinkSync("/tmp", join(root, "tmpdir"));

describe("which files the editor may touch", () => {
  it("resolves files inside the folder, symlinks by their target", async () => {
    expect(await resolveEditable(root, "lamp.yaml")).toEqual({
      rel: "lamp.yaml",
      abs: join(root, "lamp.yaml"),
      exists: true,
    });
    expect((await resolveEditable(root, "common/alias.yaml")).abs).toBe(join(root, "lamp.yaml"));
    expect(await resolveEditable(root, "common/new.yaml")).toEqual({
      rel: "common/new.yaml",
      abs: join(root, "common", "new.yaml"),
      exists: false,
    });
  });

  it("refuses escapes, hidden paths, other kinds of files and links that lead out or to secrets", async () => {
    for (const [path, kind] of [
      ["../x.yaml", "bad_request"],
      ["/etc/passwd", "bad_request"],
      [".git/config", "bad_request"],
      ["lamp.bin", "forbidden"],
      ["out.yaml", "forbidden"],
      ["keys.yaml", "forbidden"],
      ["cfg.yaml", "forbidden"],
      ["tmpdir/new.yaml", "forbidden"],
      ["missing/new.yaml", "not_found"],
    ] as const)
      await expect(resolveEditable(root, path), path).rejects.toMatchObject({ kind });
  });

  it("knows secrets.yaml anywhere, and reads If-Match", () => {
    expect([isSecrets("secrets.yaml"), isSecrets("sub/secrets.yml"), isSecrets("my-secrets.yaml")]).toEqual([
      true,
      true,
      false,
    ]);
    const sha = "a".repeat(64);
    expect([parseIfMatch(`"${sha}"`), parseIfMatch(`W/"${sha.toUpperCase()}"`), parseIfMatch(sha)]).toEqual([
      sha,
      sha,
      sha,
    ]);
    expect([parseIfMatch(undefined), parseIfMatch("*"), parseIfMatch('"abc"')]).toEqual([null, null, null]);
  });
});

describe("remote URLs and push errors", () => {
  it("accepts the usual remotes and refuses option-like hosts and other transports", () => {
    const ok = (url: string) => RemoteConfigRequest.safeParse({ url }).success;
    for (const url of [
      "https://github.com/me/fleet.git",
      "ssh://git@host:2222/fleet.git",
      "git@github.com:me/fleet.git",
      "file:///srv/fleet.git",
    ])
      expect(ok(url), url).toBe(true);
    for (const url of [
      "ssh://-oProxyCommand=touch%20x/y",
      "-oProxyCommand=x@host:y",
      "git@-host:x",
      "ext::sh -c x",
      "fd::17",
      "file://relative",
      "http://plain/x.git",
      "https://h/ x",
    ])
      expect(ok(url), url).toBe(false);
  });

  it("keeps credentials out of what it reports, and says why a push was rejected", () => {
    expect(redactUrl("https://user:tok@host/x.git")).toBe("https://host/x.git");
    expect(describePushError("! [rejected] main -> main (non-fast-forward)")).toMatch(/never force-pushes/);
  });
});
