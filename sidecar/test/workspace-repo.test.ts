// The config workspace's repository beyond single edits, with real sidecar processes and the real
// git: an existing repository is adopted without touching its history (also when the config
// folder is a subfolder of it), builds record the commit they were built from ("built from
// <commit>, N changes since"), and the history is pushed to a remote — a local bare repository
// over file:// — with failures reported, retried, and never force-pushed.
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Device, RemoteStatus, WorkspaceStatus, type Job } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { writeDevice, writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { bareRepo, gitIn, gitLog } from "../test-support/git-repo.js";

const running: SidecarProc[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
});

async function start(dataDir: string, configDir?: string, extra: string[] = [], localSlots = 0) {
  const sc = await startSidecar({
    dataDir,
    args: ["--no-seed", ...(configDir ? ["--config-dir", configDir] : []), ...extra],
    localSlots,
    env: { FORGE_EXTERNAL_SETTLE_MS: "300", FORGE_REMOTE_RETRY_MS: "600000" },
  });
  running.push(sc);
  return { sc, api: new Api(sc.url, sc.token) };
}

async function edit(api: Api, id: string, change: (s: string) => string, user = "Jane Doe"): Promise<string> {
  const file = await api.json<{ content: string; sha256: string }>("GET", `/devices/${id}/config`);
  const res = await api.raw(
    "PUT",
    `/devices/${id}/config`,
    { content: change(file.content), validate: false },
    { "if-match": file.sha256, "x-forge-user": user },
  );
  if (!res.ok) throw new Error(`save ${id}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { commit: string }).commit;
}

describe("adopting an existing repository", () => {
  it("keeps its history as it is and only adds commits", async () => {
    const dataDir = tempDir();
    const config = join(dataDir, "config");
    writeFleet(config, [{ id: "kitchen" }]);
    gitIn(config, "init", "--quiet", "--initial-branch=trunk");
    gitIn(config, "add", "kitchen.yaml");
    gitIn(config, "commit", "--quiet", "-m", "my first config");
    writeFileSync(join(config, "kitchen.yaml"), readFileSync(join(config, "kitchen.yaml"), "utf8") + "# tweak\n");
    gitIn(config, "commit", "--quiet", "-am", "my tweak");
    const before = gitLog(config);
    // An uncommitted edit from before the sidecar started: committed as an external change.
    writeFileSync(
      join(config, "kitchen.yaml"),
      readFileSync(join(config, "kitchen.yaml"), "utf8") + "# offline edit\n",
    );

    const { api } = await start(dataDir);
    const status = await api.json("GET", "/workspace", undefined, WorkspaceStatus);
    expect(status).toMatchObject({
      enabled: true,
      adopted: true,
      branch: "trunk",
      subfolder: null,
      secretsTracked: false,
    });
    const after = gitLog(config);
    // The old commits are untouched (same ids, same order) under the new ones.
    expect(after.slice(-before.length)).toEqual(before);
    expect(after.slice(0, -before.length).map((c) => [c.author, c.action])).toEqual([
      ["External change", "external"],
      ["Forge for ESPHome", "adopt"],
    ]);
    expect(gitIn(config, "show", "--format=", "--name-only", after[1]!.sha).trim()).toBe(".gitignore");
    expect(gitIn(config, "status", "--porcelain")).toBe("");
    await edit(api, "kitchen", (s) => s + "# through Forge\n");
    expect(gitLog(config)[0]).toMatchObject({ author: "Jane Doe", action: "edit" });
    expect(gitIn(config, "rev-parse", "--abbrev-ref", "HEAD").trim()).toBe("trunk");
  });

  it("a config folder inside a larger repository (HA's /config) commits only inside the folder", async () => {
    const ha = tempDir("forge-ha-config-");
    const config = join(ha, "esphome");
    writeFleet(config, [{ id: "porch" }]);
    writeFileSync(join(ha, "configuration.yaml"), "homeassistant:\n");
    gitIn(ha, "init", "--quiet", "--initial-branch=main");
    gitIn(ha, "add", ".");
    gitIn(ha, "commit", "--quiet", "-m", "home assistant config");
    writeFileSync(join(ha, "automations.yaml"), "[]\n"); // an outside change that is not Forge's to commit
    const { api } = await start(tempDir(), config);
    expect(await api.json("GET", "/workspace", undefined, WorkspaceStatus)).toMatchObject({
      adopted: true,
      subfolder: "esphome",
    });
    await edit(api, "porch", (s) => s + "# porch light\n");
    const [last] = gitLog(ha);
    expect(last).toMatchObject({ author: "Jane Doe", action: "edit" });
    expect(gitIn(ha, "show", "--format=", "--name-only", last!.sha).trim()).toBe("esphome/porch.yaml");
    expect(gitIn(ha, "status", "--porcelain").trim()).toBe("?? automations.yaml");
    const history = await api.json<{ entries: { files: { path: string }[] }[] }>("GET", "/workspace/history");
    expect(history.entries[0]!.files.map((f) => f.path)).toEqual(["porch.yaml"]);
  });
});

describe("builds record their commit", () => {
  it("a compile records the commit it was built from; the device shows the changes since", async () => {
    const dataDir = tempDir();
    writeFleet(join(dataDir, "config"), [{ id: "lamp" }]);
    const { api } = await start(dataDir, undefined, [], 1);
    const head = (await api.json("GET", "/workspace", undefined, WorkspaceStatus)).head;
    const jobId = (await api.createJobs({ action: "compile", targets: { devices: ["lamp"] } })).jobs[0]!.jobId;
    const job: Job = await waitFor(async () => {
      const j = await api.job(jobId);
      return j.state === "succeeded" || j.state === "failed" ? j : null;
    }, "compile");
    expect(job.state, await api.log(jobId)).toBe("succeeded");
    expect(job.configCommit).toBe(head);
    await waitFor(
      async () => (await api.json("GET", "/devices/lamp", undefined, Device)).configHistory?.builtFrom === head,
      "built from",
    );
    expect((await api.json("GET", "/devices/lamp", undefined, Device)).configHistory).toEqual({
      commit: head,
      builtFrom: head,
      changesSince: 0,
    });
    const next = await edit(api, "lamp", (s) => s + "# one\n");
    await edit(api, "lamp", (s) => s + "# two\n");
    const view = await waitFor(async () => {
      const d = await api.json("GET", "/devices/lamp", undefined, Device);
      return d.configHistory?.changesSince === 2 ? d : null;
    }, "two changes since the build");
    expect(view.configHistory!.builtFrom).toBe(head);
    expect(view.configHistory!.commit).not.toBe(next);
    expect(view.outdated).toBe(true);
  });
});

describe("pushing to a remote", () => {
  it("pushes every commit to a local bare repository, reports a failing remote and retries, never force-pushes", async () => {
    const dataDir = tempDir();
    const config = join(dataDir, "config");
    writeFleet(config, [{ id: "garden" }]);
    const { api, sc } = await start(dataDir);
    const bare = bareRepo(join(tempDir("forge-remote-"), "fleet.git"));
    let status = await api.json("PUT", "/workspace/remote", { url: `file://${bare}`, branch: "main" }, RemoteStatus);
    expect(status).toMatchObject({ state: "pending", url: `file://${bare}`, auth: "none" });
    const head = () => gitIn(config, "rev-parse", "HEAD").trim();
    await waitFor(
      async () => (await api.json("GET", "/workspace/remote", undefined, RemoteStatus)).state === "ok",
      "first push",
    );
    expect(gitIn(bare, "rev-parse", "refs/heads/main").trim()).toBe(head());
    await edit(api, "garden", (s) => s + "# roses\n");
    await waitFor(() => gitIn(bare, "rev-parse", "refs/heads/main").trim() === head(), "push after a commit");
    expect(gitIn(bare, "log", "-1", "--format=%an", "main").trim()).toBe("Jane Doe");
    // The settings file holds no secret; the remote's files are the sidecar's alone.
    expect(statSync(join(dataDir, "workspace", "remote.json")).mode & 0o777).toBe(0o600);

    // A remote that does not exist: reported, with a retry time, and pushed once it is there.
    const missing = join(tempDir("forge-remote-"), "later.git");
    await api.json("PUT", "/workspace/remote", { url: `file://${missing}`, branch: "main" });
    status = await waitFor(async () => {
      const s = await api.json("GET", "/workspace/remote", undefined, RemoteStatus);
      return s.state === "failing" ? s : null;
    }, "failing push");
    expect(status.lastError).toMatch(/later\.git|does not appear to be a git repository|not found/i);
    expect(status.failures).toBe(1);
    expect(status.nextRetryAt).not.toBeNull();
    const events = (await api.json("GET", "/workspace", undefined, WorkspaceStatus)).remote;
    expect(events.state).toBe("failing");
    bareRepo(missing);
    status = await api.json("POST", "/workspace/remote/push", undefined, RemoteStatus);
    expect(status).toMatchObject({ state: "ok", lastError: null, failures: 0, lastPushedCommit: head() });
    expect(gitIn(missing, "rev-parse", "main").trim()).toBe(head());

    // Someone else pushed to the remote: Forge's next push is refused, not forced.
    const other = join(tempDir("forge-clone-"), "clone");
    gitIn(tempDir(), "clone", "--quiet", missing, other);
    writeFileSync(join(other, "elsewhere.txt"), "x\n");
    gitIn(other, "add", ".");
    gitIn(other, "commit", "--quiet", "-m", "pushed from elsewhere");
    gitIn(other, "push", "--quiet", "origin", "HEAD:main");
    const theirs = gitIn(missing, "rev-parse", "main").trim();
    await edit(api, "garden", (s) => s + "# tulips\n");
    status = await waitFor(async () => {
      const s = await api.json("GET", "/workspace/remote", undefined, RemoteStatus);
      return s.state === "failing" ? s : null;
    }, "rejected push");
    expect(status.lastError).toMatch(/never force-pushes/);
    expect(gitIn(missing, "rev-parse", "main").trim()).toBe(theirs);
    expect(sc.output()).toMatch(/push to file:\/\/.*later\.git failed/);

    status = await api.json("DELETE", "/workspace/remote", undefined, RemoteStatus);
    expect(status.state).toBe("off");
  });

  it("keeps an SSH key or token 0600 in the data folder, never in the repository or the status", async () => {
    const dataDir = tempDir();
    const config = join(dataDir, "config");
    mkdirSync(config, { recursive: true });
    writeDevice(config, { id: "shed" });
    const { api } = await start(dataDir);
    const token = "tok_" + "s3cr3t".repeat(6);
    const status = await api.json(
      "PUT",
      "/workspace/remote",
      { url: "https://git.invalid/fleet.git", auth: { type: "token", token } },
      RemoteStatus,
    );
    expect(status.auth).toBe("token");
    expect(JSON.stringify(status)).not.toContain(token);
    expect(statSync(join(dataDir, "workspace", "token")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, "workspace", "remote.json"), "utf8")).not.toContain(token);
    expect(readFileSync(join(config, ".git", "config"), "utf8")).not.toContain("git.invalid");
    const failed = await waitFor(async () => {
      const s = await api.json("GET", "/workspace/remote", undefined, RemoteStatus);
      return s.state === "failing" ? s : null;
    }, "unreachable remote");
    expect(failed.lastError).not.toContain(token);
    const bad = await api.raw("PUT", "/workspace/remote", { url: "ext::sh -c touch% /tmp/pwned" });
    expect(bad.status).toBe(400);
  });
});
