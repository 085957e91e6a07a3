// The container images, built by podman from the real Dockerfiles and run. No container registry
// is reachable here, so scripts/ensure-podman.sh makes the two base images they start FROM from a
// locally made root file system (see there); podman's layer cache lives under ~/.cache/esphome-forge.
//   - the sidecar image: healthy by its own HEALTHCHECK, an unprivileged user, state in its volumes;
//   - the worker image, in the sidecar container's network: it registers and runs a `validate` job
//     with the real ESPHome inside the image, then drains and exits 0 on stop;
//   - the add-on image (addon/Dockerfile on HA's base), installing the packed npm packages: it starts
//     from run.sh, announces itself to a fake Supervisor, and serves the API with that token.
// Opt-in (FORGE_IMAGE_TESTS=1, see scripts/ensure-podman.sh for why), and skipped where podman
// cannot run containers; the README says so.
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, tempDir, waitFor } from "../src/devtools/processes.js";
import { startFakeSupervisor, type FakeSupervisor } from "../test-support/fake-supervisor.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const PODMAN = process.env.FORGE_PODMAN;
const run = promisify(execFile);
const BUILD_MS = 45 * 60_000;
const tag = `t${process.pid}`;
const names: string[] = [];

async function podman(args: string[], timeout = 120_000): Promise<string> {
  const { stdout } = await run(PODMAN!, args, { timeout, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

async function build(args: string[]): Promise<void> {
  try {
    // Docker's image format, as Docker builds it: the OCI format has no HEALTHCHECK.
    await podman(["build", "--format", "docker", "--network", "host", "--pull=never", "--layers", ...args], BUILD_MS);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(
      `podman build ${args.join(" ")} failed:\n${(e.stdout ?? "").slice(-4000)}\n${(e.stderr ?? "").slice(-4000)}`,
    );
  }
}

/** Runs node inside a container (the images have no curl); resolves with what the script prints. */
const inside = (container: string, script: string) => podman(["exec", container, "node", "-e", script]);
const fetchJson = (container: string, path: string, token: string, init = "{}") =>
  inside(
    container,
    `const i=${init}; i.headers={...(i.headers||{}), authorization:"Bearer ${token}"}; ` +
      `fetch("http://127.0.0.1:7052/api/v1${path}", i).then(async r=>console.log(JSON.stringify({status:r.status, body:await r.json()})))`,
  ).then((s) => JSON.parse(s) as { status: number; body: Record<string, unknown> });

describe.skipIf(!PODMAN)(
  "container images (podman; skipped: scripts/ensure-podman.sh found no podman able to run containers)",
  () => {
    let packages: string;
    beforeAll(async () => {
      // The npm packages the add-on image installs, named by content so podman's layer cache
      // notices when they change.
      packages = tempDir("forge-packages-");
      execFileSync("npm", ["pack", "--pack-destination", packages, "-w", "shared", "-w", "sidecar"], {
        cwd: REPO,
        stdio: "ignore",
      });
      for (const f of readdirSync(packages)) {
        const digest = createHash("sha256")
          .update(readFileSync(join(packages, f)))
          .digest("hex")
          .slice(0, 12);
        copyFileSync(join(packages, f), join(packages, `${digest}-${f}`));
      }
      await build([
        "-f",
        "deploy/docker/Dockerfile",
        "--target",
        "sidecar",
        "-t",
        `localhost/esphome-forge:${tag}`,
        REPO,
      ]);
      await build([
        "-f",
        "deploy/docker/Dockerfile",
        "--target",
        "worker",
        "-t",
        `localhost/esphome-forge-worker:${tag}`,
        REPO,
      ]);
      const specs = readdirSync(packages)
        .filter((f) => /^[0-9a-f]{12}-/.test(f))
        .map((f) => `/tmp/forge-packages/${f}`);
      await build([
        "-f",
        "addon/Dockerfile",
        "-v",
        `${packages}:/tmp/forge-packages:ro`,
        "--build-arg",
        `BUILD_FROM=ghcr.io/home-assistant/${process.arch === "arm64" ? "aarch64" : "amd64"}-base-debian:trixie`,
        "--build-arg",
        "BUILD_VERSION=0.1.0",
        "--build-arg",
        `FORGE_PACKAGE=${specs.join(" ")}`,
        "-t",
        `localhost/esphome-forge-addon:${tag}`,
        join(REPO, "addon"),
      ]);
    }, BUILD_MS * 3);

    afterAll(async () => {
      for (const n of names.reverse()) await podman(["rm", "-f", "-v", n]).catch(() => undefined);
      await podman([
        "rmi",
        "-f",
        `localhost/esphome-forge:${tag}`,
        `localhost/esphome-forge-worker:${tag}`,
        `localhost/esphome-forge-addon:${tag}`,
      ]).catch(() => undefined);
    }, 120_000);

    it("the sidecar and a worker image: healthy, unprivileged, a real ESPHome validate across the two containers, a clean drain", async () => {
      const config = tempDir("forge-image-config-");
      writeFileSync(
        join(config, "hall.yaml"),
        "esphome:\n  name: hall\nesp32:\n  board: esp32dev\nwifi:\n  ssid: lab\n  password: correct-horse\n",
      );
      chmodSync(config, 0o777); // the image's user (uid 10001) reads and writes it
      const sidecar = `forge-sidecar-${tag}`;
      names.push(sidecar);
      await podman([
        "run",
        "-d",
        "--name",
        sidecar,
        "--network",
        "none",
        "-v",
        `${sidecar}-data:/data`,
        "-v",
        `${config}:/config`,
        `localhost/esphome-forge:${tag}`,
        "--no-seed",
        "--local-slots",
        "0",
      ]);
      await waitFor(
        async () =>
          await run(PODMAN!, ["healthcheck", "run", sidecar]).then(
            () => true,
            () => false,
          ),
        "the health check",
        120_000,
        1000,
      );
      expect(await podman(["exec", sidecar, "id", "-u"])).toBe("10001");
      const logs = await podman(["logs", sidecar]);
      const admin = /Admin token \(new[^)]*\): (\S+)/.exec(logs)?.[1];
      expect(admin, logs).toBeTruthy();
      expect((await fetchJson(sidecar, "/info", admin!)).body).toMatchObject({ devices: 1, esphomeAvailable: true });

      const created = await podman([
        "exec",
        sidecar,
        "esphome-forge",
        "token",
        "create",
        "image-worker",
        "--data-dir",
        "/data",
      ]);
      const workerToken = /efw_\S+/.exec(created)![0];
      const worker = `forge-worker-${tag}`;
      names.push(worker);
      await podman([
        "run",
        "-d",
        "--name",
        worker,
        "--network",
        `container:${sidecar}`,
        "-v",
        `${worker}-state:/var/lib/esphome-forge`,
        "-e",
        "FORGE_SERVER=http://127.0.0.1:7052",
        "-e",
        `FORGE_WORKER_TOKEN=${workerToken}`,
        `localhost/esphome-forge-worker:${tag}`,
        "--slots",
        "1",
      ]);
      await waitFor(
        async () => ((await fetchJson(sidecar, "/info", admin!)).body.workersOnline as number) === 1,
        "the worker online",
        120_000,
        1000,
      );
      const jobs = await fetchJson(
        sidecar,
        "/jobs",
        admin!,
        JSON.stringify({
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ action: "validate", targets: { devices: ["hall"] } }),
        }),
      );
      const id = (jobs.body.jobs as { jobId: number }[])[0]!.jobId;
      const done = await waitFor(
        async () => {
          const j = (await fetchJson(sidecar, `/jobs/${id}`, admin!)).body;
          return ["succeeded", "failed"].includes(j.state as string) ? j : null;
        },
        "the validate job",
        300_000,
        2000,
      );
      expect(done.state, JSON.stringify(done)).toBe("succeeded");
      // Stopped with time to drain: the worker hands nothing back and exits cleanly.
      await podman(["stop", "-t", "30", worker], 60_000);
      expect(await podman(["inspect", "-f", "{{.State.ExitCode}}", worker])).toBe("0");
    }, 600_000);

    it("the add-on image: run.sh starts the sidecar, announces it to the Supervisor, serves the API with that token", async () => {
      const supervisor: FakeSupervisor = await startFakeSupervisor({
        slug: "local_esphome_forge",
        version: "0.1.0",
        hostname: "local-esphome-forge",
        ip_address: "127.0.0.1",
        ingress_port: await freePort(),
      });
      try {
        const root = tempDir("forge-image-addon-");
        mkdirSync(join(root, "data"));
        mkdirSync(join(root, "homeassistant", "esphome"), { recursive: true });
        writeFileSync(
          join(root, "data", "options.json"),
          JSON.stringify({
            admin_token_source: "generated",
            local_worker_slots: 1,
            trust_policy: "enforce",
            allowed_hosts: [],
          }),
        );
        const port = await freePort();
        const addon = `forge-addon-${tag}`;
        names.push(addon);
        await podman([
          "run",
          "-d",
          "--name",
          addon,
          "--network",
          "host",
          "--init",
          "-v",
          `${join(root, "data")}:/data`,
          "-v",
          `${join(root, "homeassistant")}:/homeassistant`,
          "-e",
          `SUPERVISOR_TOKEN=${supervisor.token}`,
          "-e",
          `FORGE_SUPERVISOR_URL=${supervisor.url}`,
          "-e",
          `FORGE_ADDON_API_PORT=${port}`,
          "-e",
          "FORGE_ZEROCONF=off",
          `localhost/esphome-forge-addon:${tag}`,
        ]);
        const msg = await waitFor(() => supervisor.discoveries[0], "the add-on's discovery", 120_000, 500);
        expect(msg.config).toMatchObject({ port });
        const info = await fetch(`http://127.0.0.1:${port}/api/v1/info`, {
          headers: { authorization: `Bearer ${msg.config.token as string}` },
        });
        expect(await info.json()).toMatchObject({ configDir: "/homeassistant/esphome", esphomeAvailable: true });
        await waitFor(
          async () =>
            (
              (await (
                await fetch(`http://127.0.0.1:${port}/api/v1/info`, {
                  headers: { authorization: `Bearer ${msg.config.token as string}` },
                })
              ).json()) as { workersOnline: number }
            ).workersOnline === 1,
          "the built-in worker",
          60_000,
          500,
        );
        await podman(["stop", "-t", "30", addon], 60_000);
        expect(await podman(["inspect", "-f", "{{.State.ExitCode}}", addon])).toBe("0");
      } finally {
        await supervisor.close();
      }
    }, 300_000);
  },
);
