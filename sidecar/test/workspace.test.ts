// The config workspace against a real sidecar process and the real git: a fresh config folder
// becomes a repository, every change through the API is one commit by the user who made it, outside
// edits are committed as "external change", history / diff / file-at-commit / restore, rename
// keeps `git log --follow`, delete keeps history, stale saves are refused with 409 and a diff,
// secrets.yaml stays out of history and out of answers, paths stay inside the folder.
import { readFileSync, symlinkSync, writeFileSync, existsSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HistoryPage, SaveFileResponse, WorkspaceFile, WorkspaceStatus, type Device } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { gitIn, gitLog } from "../test-support/git-repo.js";

let sc: SidecarProc;
let api: Api;
let config: string;

const KITCHEN_EXTRA =
  "\n# Kitchen sensors — keep this comment and the odd spacing below\nsensor:\n  - platform: uptime   # a trailing comment\n    name:    Uptime\n";

beforeAll(async () => {
  const dataDir = tempDir();
  config = join(dataDir, "config");
  writeFleet(config, [{ id: "kitchen" }, { id: "garage" }, { id: "porch" }]);
  appendFileSync(join(config, "kitchen.yaml"), KITCHEN_EXTRA);
  sc = await startSidecar({ dataDir, args: ["--no-seed"], env: { FORGE_EXTERNAL_SETTLE_MS: "300" } });
  api = new Api(sc.url, sc.token);
}, 60_000);
afterAll(async () => {
  if (process.env.DEBUG_WS) console.log(sc?.output());
  await sc?.stop();
});

async function load(id: string): Promise<WorkspaceFile> {
  return api.json("GET", `/devices/${id}/config`, undefined, WorkspaceFile);
}

async function save(id: string, content: string, ifMatch: string | null, user = "Jane Doe", source = "card") {
  const headers: Record<string, string> = { "x-forge-user": user, "x-forge-source": source };
  if (ifMatch) headers["if-match"] = `"${ifMatch}"`;
  return api.raw("PUT", `/devices/${id}/config`, { content, validate: false }, headers);
}

describe("config workspace: history in git", () => {
  it("starts a repository with the folder's files, ignoring build output and secrets.yaml", async () => {
    const log = gitLog(config);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ author: "Forge for ESPHome", action: "init", source: "forge" });
    const tracked = gitIn(config, "ls-files").trim().split("\n").sort();
    expect(tracked).toEqual([".gitignore", "garage.yaml", "kitchen.yaml", "porch.yaml"]);
    expect(readFileSync(join(config, ".gitignore"), "utf8")).toMatch(/\/\.esphome\/[\s\S]*\/secrets\.yaml/);
    const status = await api.json("GET", "/workspace", undefined, WorkspaceStatus);
    expect(status).toMatchObject({
      enabled: true,
      adopted: false,
      head: log[0]!.sha,
      branch: "main",
      secretsTracked: false,
    });
    expect(status.remote.state).toBe("off");
  });

  it("an edit through the API is one commit by the user, with the source, bytes kept exactly", async () => {
    const before = await load("kitchen");
    expect(before.content).toContain("# a trailing comment");
    const edited = before.content.replace("name:    Uptime", "name:    Kitchen uptime");
    const res = await save("kitchen", edited, before.sha256);
    expect(res.status, await res.clone().text()).toBe(200);
    const out = SaveFileResponse.parse(await res.json());
    expect(readFileSync(join(config, "kitchen.yaml"), "utf8")).toBe(edited);
    const [last] = gitLog(config);
    expect(last).toMatchObject({
      sha: out.commit,
      author: "Jane Doe",
      source: "card",
      action: "edit",
      subject: "Edit kitchen.yaml",
    });
    // Only the edited line changed: comments and spacing elsewhere are byte for byte as they were.
    const diff = gitIn(config, "show", "--format=", "-U0", out.commit!);
    expect(diff.split("\n").filter((l) => /^[-+][^-+]/.test(l))).toEqual([
      "-    name:    Uptime",
      "+    name:    Kitchen uptime",
    ]);
    expect(gitIn(config, "show", `${out.commit}:kitchen.yaml`)).toBe(edited);
  });

  it("a save on top of someone else's change is refused with 409 and a diff; without If-Match, 428", async () => {
    const base = await load("garage");
    const mine = base.content.replace("logger:", "logger:\n  level: DEBUG");
    const theirs = base.content.replace("logger:", "logger:\n  level: WARN");
    const [a, b] = await Promise.all([
      save("garage", mine, base.sha256, "Ann"),
      save("garage", theirs, base.sha256, "Bob"),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    const body = (await loser.json()) as { error: { code: string; details: { currentSha256: string; diff: string } } };
    expect(body.error.code).toBe("conflict");
    const winner = a.status === 200 ? mine : theirs;
    expect(readFileSync(join(config, "garage.yaml"), "utf8")).toBe(winner);
    expect(body.error.details.currentSha256).toBe((await load("garage")).sha256);
    expect(body.error.details.diff).toMatch(/^- {2}level: (DEBUG|WARN)$/m);
    expect(body.error.details.diff).toMatch(/^\+ {2}level: (DEBUG|WARN)$/m);
    expect(gitLog(config, "garage.yaml").filter((c) => c.action === "edit")).toHaveLength(1);
    const noGuard = await save("garage", "esphome:\n", null);
    expect(noGuard.status).toBe(428);
  });

  it("an edit made outside Forge is committed as an external change once it settles", async () => {
    const file = join(config, "porch.yaml");
    writeFileSync(file, readFileSync(file, "utf8") + "# edited in another editor\n");
    const commit = await waitFor(
      () => gitLog(config).find((c) => c.subject.startsWith("External change")),
      "external commit",
    );
    expect(commit).toMatchObject({
      author: "External change",
      source: "external",
      action: "external",
      subject: "External change: porch.yaml",
    });
    expect(gitIn(config, "status", "--porcelain")).toBe("");
  });

  it("history (paged), diff, the file at a commit and restore as a new commit", async () => {
    const k = await load("kitchen");
    await save("kitchen", k.content + "# second edit\n", k.sha256, "Jane Doe");
    const k2 = await load("kitchen");
    await save("kitchen", k2.content + "# third edit\n", k2.sha256, "Joe", "ha");
    const page1 = await api.json("GET", "/devices/kitchen/history?limit=2", undefined, HistoryPage);
    expect(page1.entries.map((e) => [e.author, e.source])).toEqual([
      ["Joe", "ha"],
      ["Jane Doe", "card"],
    ]);
    expect(page1.nextOffset).toBe(2);
    const page2 = await api.json("GET", "/devices/kitchen/history?limit=2&offset=2", undefined, HistoryPage);
    expect(page2.entries.map((e) => e.action)).toEqual(["edit", "init"]);
    expect(page2.nextOffset).toBeNull();
    const init = page2.entries[1]!.commit;

    const diff = await api.json<{ diff: string }>(
      "GET",
      `/devices/kitchen/diff?from=${page1.entries[1]!.commit}&to=${page1.entries[0]!.commit}`,
    );
    expect(diff.diff).toMatch(/^\+# third edit$/m);
    expect(diff.diff).not.toMatch(/^\+# second edit$/m);
    const working = await api.json<{ diff: string; to: null }>("GET", `/devices/kitchen/diff?from=${init.slice(0, 8)}`);
    expect(working.to).toBeNull();
    expect(working.diff).toMatch(/^\+# second edit$/m);

    const old = await api.json("GET", `/devices/kitchen/at/${init}`, undefined, WorkspaceFile);
    expect(old.content).toBe(gitIn(config, "show", `${init}:kitchen.yaml`));
    expect(old.content).toContain("name:    Uptime");

    const before = gitLog(config).length;
    const restored = await api.json<{ commit: string }>("POST", "/devices/kitchen/restore", { commit: init });
    expect(readFileSync(join(config, "kitchen.yaml"), "utf8")).toBe(old.content);
    const log = gitLog(config);
    expect(log).toHaveLength(before + 1); // a new commit, never a reset
    expect(log[0]).toMatchObject({
      sha: restored.commit,
      action: "restore",
      subject: `Restore kitchen.yaml to ${init.slice(0, 7)}`,
    });
  });

  it("rename moves the file with git mv (git log --follow keeps its history) and sets esphome.name", async () => {
    const history = gitLog(config, "porch.yaml").length;
    const res = await api.raw("POST", "/devices/porch/rename", { name: "veranda" }, { "x-forge-user": "Ann" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(existsSync(join(config, "porch.yaml"))).toBe(false);
    expect(readFileSync(join(config, "veranda.yaml"), "utf8")).toMatch(/^ {2}name: veranda$/m);
    const follow = gitLog(config, "veranda.yaml");
    expect(follow).toHaveLength(history + 1);
    expect(follow[0]).toMatchObject({ author: "Ann", action: "rename", subject: "Rename porch.yaml → veranda.yaml" });
    expect(gitIn(config, "show", "--format=", "--name-status", "-M", follow[0]!.sha)).toMatch(
      /^R\d+\tporch\.yaml\tveranda\.yaml$/m,
    );
    const device = await waitFor(async () => {
      const r = await api.raw("GET", "/devices/veranda");
      return r.ok ? ((await r.json()) as Device) : null;
    }, "renamed device");
    expect(device.name).toBe("veranda");
    expect((await api.raw("GET", "/devices/porch")).status).toBe(404);
  });

  it("delete removes the file in one commit and keeps its history; a folder restore brings it back", async () => {
    const history = gitLog(config, "garage.yaml");
    const res = await api.raw("DELETE", "/devices/garage", undefined, { "x-forge-user": "Bob" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(existsSync(join(config, "garage.yaml"))).toBe(false);
    const log = gitLog(config);
    expect(log[0]).toMatchObject({ author: "Bob", action: "delete", subject: "Delete garage.yaml" });
    expect(gitIn(config, "log", "--format=%H", "--", "garage.yaml").trim().split("\n")).toHaveLength(
      history.length + 1,
    );
    const page = await api.json("GET", "/workspace/history?path=garage.yaml", undefined, HistoryPage);
    expect(page.entries[0]!.action).toBe("delete");
    const before = page.entries[1]!.commit;
    const at = await api.json("GET", `/workspace/at/${before}?path=garage.yaml`, undefined, WorkspaceFile);
    expect(at.content).toContain("name: garage");
    await api.json("POST", "/workspace/restore", { commit: before, path: "garage.yaml" });
    expect(readFileSync(join(config, "garage.yaml"), "utf8")).toBe(at.content);
    await waitFor(async () => (await api.raw("GET", "/devices/garage")).ok, "restored device");
  });

  it("the metadata PATCH is a commit too", async () => {
    const res = await api.raw(
      "PATCH",
      "/devices/kitchen/metadata",
      { tags: ["kitchen", "esp32"] },
      { "x-forge-user": "Joe", "x-forge-source": "ha" },
    );
    expect(res.status).toBe(200);
    expect(gitLog(config)[0]).toMatchObject({
      author: "Joe",
      source: "ha",
      action: "metadata",
      subject: "Set tags kitchen, esp32 of kitchen",
    });
    expect(readFileSync(join(config, "kitchen.yaml"), "utf8")).toMatch(/^# {3}tags: \[kitchen, esp32\]$/m);
  });

  it("creates a device from a template with !secret references to existing keys", async () => {
    const res = await api.raw(
      "POST",
      "/devices",
      { name: "attic-fan", friendlyName: "Attic fan", template: "esp8266", validate: false },
      { "x-forge-user": "Ann" },
    );
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as { file: WorkspaceFile; warnings: string[]; device: Device | null };
    const text = readFileSync(join(config, "attic-fan.yaml"), "utf8");
    expect(text).toBe(body.file.content);
    expect(text).toMatch(/^esp8266:\n {2}board: d1_mini$/m);
    expect(text).toMatch(/ssid: !secret wifi_ssid/);
    expect(text).toMatch(/password: !secret wifi_password/);
    expect(body.warnings).toEqual([]);
    expect(body.device?.name).toBe("attic-fan");
    expect(gitLog(config)[0]).toMatchObject({
      author: "Ann",
      action: "create",
      subject: "Create device attic-fan (ESP8266)",
    });
    expect((await api.raw("POST", "/devices", { name: "attic-fan", template: "esp32" })).status).toBe(409);
  });

  it("secrets.yaml: not in history, refused unless an admin asks explicitly, key names only for templates", async () => {
    expect(gitIn(config, "log", "--all", "--format=%H", "--", "secrets.yaml").trim()).toBe("");
    const refused = await api.raw("GET", "/workspace/files?path=secrets.yaml");
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain("correct horse");
    const revealed = await api.json("GET", "/workspace/files?path=secrets.yaml&reveal=true", undefined, WorkspaceFile);
    expect(revealed.content).toContain("correct horse");
    const templates = await api.json<{ secretKeys: string[] }>("GET", "/workspace/templates");
    expect(templates.secretKeys).toEqual(["wifi_password", "wifi_ssid"]);
    expect(JSON.stringify(templates)).not.toContain("correct horse");
  });

  it("refuses paths outside the folder, into .git, and symlinks that lead out", async () => {
    symlinkSync("/etc/passwd", join(config, "escape.yaml"));
    symlinkSync(".git/config", join(config, "sneaky.yaml"));
    for (const [path, status] of [
      ["../etc/passwd", 400],
      [".git/config", 400],
      ["escape.yaml", 403],
      ["sneaky.yaml", 403],
      ["notes.bin", 403],
    ] as const) {
      const r = await api.raw("GET", `/workspace/files?path=${encodeURIComponent(path)}`);
      expect([r.status, path]).toEqual([status, path]);
    }
    const put = await api.raw(
      "PUT",
      "/workspace/files?path=escape.yaml",
      { content: "x" },
      { "if-match": "0".repeat(64) },
    );
    expect(put.status).toBe(403);
    expect(readFileSync("/etc/passwd", "utf8")).not.toBe("x");
  });
});
