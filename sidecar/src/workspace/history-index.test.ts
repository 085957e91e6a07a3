// The one-pass history index against the per-file git queries it replaces, on a real repository whose
// config folder is a subfolder: the same newest commit per file and the same "changes since" counts on a
// linear history; on a history with a merge it declines (the per-file queries then run).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitIn } from "../../test-support/git-repo.js";
import { tempDir } from "../../test-support/queue-fixture.js";
import { historyIndex } from "./history-index.js";
import { openRepo } from "./repo.js";

function commit(root: string, files: Record<string, string>, msg: string): string {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  gitIn(root, "add", "-A");
  gitIn(root, "commit", "-q", "-m", msg);
  return gitIn(root, "rev-parse", "HEAD").trim();
}

describe("history index", () => {
  it("answers as `log -1 -- file` and `rev-list --count built..HEAD -- files` do on a linear history", async () => {
    const root = tempDir();
    gitIn(root, "init", "-q", "-b", "main");
    commit(root, { "README.md": "outside the config folder\n" }, "readme");
    const first = commit(root, { "esphome/kitchen.yaml": "a\n", "esphome/common/wifi.yaml": "w\n" }, "add kitchen");
    commit(root, { "esphome/porch light.yaml": "p\n" }, "add porch");
    commit(root, { "esphome/common/wifi.yaml": "w2\n", "README.md": "x\n" }, "wifi");
    commit(root, { "esphome/kitchen.yaml": "b\n" }, "kitchen again");
    const repo = await openRepo(join(root, "esphome"));
    const index = (await historyIndex(repo))!;
    expect(index).not.toBeNull();
    const cases: [string, string[]][] = [
      ["kitchen.yaml", ["kitchen.yaml", "common/wifi.yaml"]],
      ["porch light.yaml", ["porch light.yaml"]],
      ["never.yaml", ["never.yaml"]],
    ];
    for (const [main, files] of cases) {
      const newest = (await repo.git.raw(["log", "-1", "--format=%H", "--", main])).trim() || null;
      expect(index.newest(main)).toBe(newest);
      const count = Number((await repo.git.raw(["rev-list", "--count", `${first}..HEAD`, "--", ...files])).trim());
      expect(index.changesSince(first, files)).toBe(count);
    }
    expect(index.changesSince(first, ["kitchen.yaml", "common/wifi.yaml"])).toBe(2);
    expect(index.changesSince("0".repeat(40), ["kitchen.yaml"])).toBeNull(); // not in the history: git decides
  });

  it("declines a history with a merge", async () => {
    const root = tempDir();
    gitIn(root, "init", "-q", "-b", "main");
    commit(root, { "a.yaml": "1\n" }, "a");
    gitIn(root, "checkout", "-q", "-b", "side");
    commit(root, { "b.yaml": "1\n" }, "b");
    gitIn(root, "checkout", "-q", "main");
    commit(root, { "a.yaml": "2\n" }, "a2");
    gitIn(root, "merge", "-q", "--no-edit", "side");
    expect(await historyIndex(await openRepo(root))).toBeNull();
  });
});
