// The HTTP edge against real sidecar processes: slow clients are cut off by the request time
// limits, one address cannot hold every connection, wrong tokens are rate limited per client
// (REST, the ticket route and both upgrades), the admin token has rules and is printed only when
// created, and the Host header must name this sidecar (DNS rebinding).
import { spawn } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody } from "@esphome-forge/shared";
import { writeFleet } from "../src/devtools/fleet.js";
import { CLI, startSidecar, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { dripRequest, httpRequest } from "../test-support/http-request.js";
import { rawUpgrade } from "../test-support/raw-websocket.js";

let sc: SidecarProc;

beforeAll(async () => {
  const dataDir = tempDir();
  writeFleet(join(dataDir, "config"), [{ id: "desk" }]);
  sc = await startSidecar({
    dataDir,
    args: ["--no-seed", "--request-timeout-ms", "3000", "--allowed-hosts", "forge.example.org,*.example.net"],
    env: { FORGE_MAX_CONNECTIONS_PER_CLIENT: "8" },
  });
});
afterAll(async () => {
  await sc?.stop();
});

const get = (path: string, headers: Record<string, string> = {}, localAddress?: string) =>
  httpRequest(sc.url, { path, headers, localAddress });
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const host = () => new URL(sc.url).host;

describe("slow clients", () => {
  it("cuts a client that sends its headers one byte at a time (slowloris) with 408", async () => {
    const c = dripRequest(sc.url, {
      drip: `GET /api/v1/health HTTP/1.1\r\nHost: ${host()}\r\nX-Slow: ${"a".repeat(500)}\r\n\r\n`,
      everyMs: 200,
    });
    await waitFor(() => closedYet(c.closed), "the slow client cut off", 20_000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(c.sent()).toBeLessThan(200); // far from the whole request
    expect((await get("/api/v1/health")).status).toBe(200);
  });

  it("cuts a request whose body trickles in, instead of holding it for minutes", async () => {
    const body = JSON.stringify({ action: "compile", targets: { devices: ["desk"] }, source: "x".repeat(40) });
    const head =
      `POST /api/v1/jobs HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${sc.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const c = dripRequest(sc.url, { now: head, drip: body, everyMs: 500 });
    await waitFor(() => closedYet(c.closed), "the slow body cut off", 20_000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(c.sent()).toBeLessThan(head.length + body.length); // cut before the body was complete
    // Nothing was queued from the half-sent body.
    expect((await get("/api/v1/jobs", auth(sc.token))).body).not.toContain('"source":"xxxx');
  });

  it("closes connections from one address beyond its cap, and serves other addresses", async () => {
    const from = "127.0.0.7";
    const idle = () =>
      dripRequest(sc.url, { drip: "GET /api/v1/health HTTP/1.1\r\n", everyMs: 1000, localAddress: from });
    const held = Array.from({ length: 8 }, idle);
    await sleep(300);
    const extra = idle();
    await extra.closed;
    expect(extra.received()).toBe("");
    expect((await get("/api/v1/health", {}, "127.0.0.8")).status).toBe(200);
    for (const h of held) h.socket.destroy();
    await waitFor(async () => (await get("/api/v1/health", {}, from)).status === 200, "the address served again");
  });
});

describe("wrong tokens are rate limited per client address", () => {
  it("answers 429 with Retry-After after a burst of wrong tokens, to every route and upgrade, even the right token", async () => {
    const from = "127.0.0.9";
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await get("/api/v1/devices", auth(`guess-${i}`), from)).status);
    expect(new Set(statuses)).toEqual(new Set([401]));
    const limited = await get("/api/v1/devices", auth(sc.token), from);
    expect(limited.status).toBe(429);
    expect(ErrorBody.parse(JSON.parse(limited.body)).error.code).toBe("too_many_requests");
    const wait = Number(limited.headers["retry-after"]);
    expect(wait).toBeGreaterThanOrEqual(1);
    const ticket = await httpRequest(sc.url, {
      method: "POST",
      path: "/api/v1/events/ticket",
      headers: auth(sc.token),
      localAddress: from,
    });
    expect(ticket.status).toBe(429);
    for (const path of ["/api/v1/events", "/api/v1/worker"]) {
      const up = await rawUpgrade(sc.url, path, { Authorization: `Bearer ${sc.token}` }, { localAddress: from });
      expect(up.status, path).toBe(429);
      expect(up.response).toMatch(/Retry-After: \d+/);
    }
    // Another client is not affected, and the limited one is let back in after waiting.
    expect((await get("/api/v1/devices", auth(sc.token), "127.0.0.10")).status).toBe(200);
    await sleep(wait * 1000 + 200);
    expect((await get("/api/v1/devices", auth(sc.token), from)).status).toBe(200);
  });

  it("counts wrong tokens on the ticket route and on both upgrades too", async () => {
    const from = "127.0.0.11";
    const attempts = [
      async (i: number) =>
        (
          await httpRequest(sc.url, {
            method: "POST",
            path: "/api/v1/events/ticket",
            headers: auth(`t-${i}`),
            localAddress: from,
          })
        ).status,
      async (i: number) =>
        (await rawUpgrade(sc.url, "/api/v1/events", { Authorization: `Bearer e-${i}` }, { localAddress: from })).status,
      async (i: number) =>
        (await rawUpgrade(sc.url, "/api/v1/worker", { Authorization: `Bearer w-${i}` }, { localAddress: from })).status,
    ];
    // 20 wrong tokens, spread over the three doors: each is refused as unauthorized…
    for (let i = 0; i < 20; i++) expect(await attempts[i % 3]!(i)).toBe(401);
    // …and together they used up the address's allowance on the REST API too.
    expect((await get("/api/v1/info", auth(sc.token), from)).status).toBe(429);
  });

  it("does not count requests that present no token (health, a login page loading)", async () => {
    const from = "127.0.0.12";
    for (let i = 0; i < 30; i++) expect((await get("/api/v1/devices", {}, from)).status).toBe(401);
    expect((await get("/api/v1/devices", auth(sc.token), from)).status).toBe(200);
  });
});

describe("Host header (DNS rebinding)", () => {
  it("answers only to IP literals, names nobody can register publicly, and --allowed-hosts", async () => {
    const port = new URL(sc.url).port;
    const allowed = [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      "forge-sidecar:7052", // a container name
      "kitchen-pi.local",
      "nas.home.arpa",
      "forge.lan",
      "forge.example.org",
      "ci.example.net:80",
    ];
    for (const ok of allowed) expect((await get("/api/v1/health", { host: ok })).status, ok).toBe(200);
    for (const bad of ["rebound.attacker.example", "example.net", "forge.lan.attacker.example", `evil.com:${port}`]) {
      const res = await get("/api/v1/health", { host: bad });
      expect(res.status, bad).toBe(421);
      expect(ErrorBody.parse(JSON.parse(res.body)).error.message).toContain("--allowed-hosts");
      expect((await get("/", { host: bad })).status, `page for ${bad}`).toBe(421);
    }
  });

  it("sends a CSP whose connect-src is the page's own origin only", async () => {
    const csp = String((await get("/")).headers["content-security-policy"]);
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toMatch(/ws:|wss:/);
  });
});

describe("admin token", () => {
  it("generates one on first start, prints it then only, and says where it is afterwards", async () => {
    const dataDir = tempDir();
    const first = await startSidecar({ dataDir, args: ["--no-seed"] });
    await first.stop();
    expect(first.output()).toContain(
      `Admin token (new, shown only this once; saved to ${join(dataDir, "admin-token")}): ${first.token}`,
    );
    expect(statSync(join(dataDir, "admin-token")).mode & 0o777).toBe(0o600);
    const second = await startSidecar({ dataDir, args: ["--no-seed"] });
    try {
      expect(second.output()).not.toContain(first.token);
      expect(second.output()).toContain(`Admin token: from ${join(dataDir, "admin-token")} (not shown)`);
      expect((await httpRequest(second.url, { path: "/api/v1/info", headers: auth(first.token) })).status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it("reads it from --admin-token-file or FORGE_ADMIN_TOKEN_FILE and never prints it", async () => {
    const dir = tempDir();
    const token = "file-token-".padEnd(40, "x");
    writeFileSync(join(dir, "token"), token + "\n", { mode: 0o600 });
    for (const how of [
      { args: ["--admin-token-file", join(dir, "token")] },
      { env: { FORGE_ADMIN_TOKEN_FILE: join(dir, "token") } },
    ]) {
      const s = await startSidecar({ args: ["--no-seed", ...(how.args ?? [])], env: how.env });
      try {
        expect(s.output()).not.toContain(token);
        expect(s.output()).toContain("Admin token: from");
        expect((await httpRequest(s.url, { path: "/api/v1/info", headers: auth(token) })).status).toBe(200);
      } finally {
        await s.stop();
      }
    }
  });

  it("refuses to start with an empty or short token, naming where it came from", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "short"), "too-short\n");
    const badData = tempDir();
    writeFileSync(join(badData, "admin-token"), "0123456789abcdef\n");
    const cases: { args?: string[]; env?: NodeJS.ProcessEnv; says: string }[] = [
      { env: { FORGE_ADMIN_TOKEN: "" }, says: "the admin token from FORGE_ADMIN_TOKEN is empty" },
      { args: ["--admin-token", "x".repeat(31)], says: "is 31 characters; use at least 32" },
      { args: ["--admin-token-file", join(dir, "short")], says: `from ${join(dir, "short")} is 9 characters` },
      { args: ["--admin-token-file", join(dir, "missing")], says: "cannot read the admin token file" },
      { args: ["--data-dir", badData], says: `from ${join(badData, "admin-token")} is 16 characters` },
    ];
    for (const c of cases) {
      const r = await serveExpectingExit([...(c.args ?? [])], c.env);
      expect(r.code, c.says).toBe(1);
      expect(r.out).toContain(c.says);
      expect(r.out).not.toContain("listening on");
    }
  });
});

/** Runs `serve` and waits for it to exit (a start-up refusal); kills it if it starts instead. */
async function serveExpectingExit(
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  const dataArgs = args.includes("--data-dir") ? [] : ["--data-dir", tempDir()];
  const proc = spawn(process.execPath, [CLI, "serve", "--port", "0", "--no-seed", ...dataArgs, ...args], {
    env: { ...process.env, FORGE_ZEROCONF: "off", FORGE_ESPHOME_DEFAULT_PROBE: "off", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const code = await new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
  clearTimeout(timer);
  return { code, out };
}

/** True once `closed` has resolved (checked without waiting long). */
async function closedYet(closed: Promise<void>): Promise<boolean> {
  return Promise.race([closed.then(() => true), sleep(50).then(() => false)]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
