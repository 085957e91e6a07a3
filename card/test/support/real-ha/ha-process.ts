// A real Home Assistant server process from the HA venv (`$FORGE_HA_PYTHON -m homeassistant`), on a
// loopback port, in a temporary config folder holding only what the card needs (frontend, http, our
// integration linked from the repository). Onboarding is done through HA's own onboarding API, so the
// owner is a real HA user with a real password; the tests log in with it like a person would.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { REPO_DIR } from "../paths.ts";
import { HaSocket } from "./ha-socket.ts";

export const OWNER = { name: "Forge Owner", username: "owner", password: "forge-owner-pass-1" } as const;

export interface HomeAssistant {
  url: string;
  configDir: string;
  /** A long-lived access token of the owner, for REST and WebSocket calls from the test. */
  token: string;
  output(): string;
  rest<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A new authenticated WebSocket connection (close it when done). */
  socket(): Promise<HaSocket>;
  stop(): Promise<void>;
}

function haPython(): string {
  const py = process.env.FORGE_HA_PYTHON;
  if (!py || !existsSync(py))
    throw new Error(
      'The real Home Assistant tests need the HA venv: run `eval "$(bash scripts/ensure-python.sh)"` ' +
        "(npm test does this) so FORGE_HA_PYTHON points at its python.",
    );
  return py;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

/** Polls `fn` until it returns something truthy (conditions, never fixed sleeps). */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

const CONFIGURATION = (port: number) => `# Written by card/test/support/real-ha/ha-process.ts
homeassistant:
  name: Forge test home
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  unit_system: metric
  time_zone: UTC
  country: NL
  currency: EUR
  language: en
frontend:
recorder:
  purge_keep_days: 1
http:
  server_host: 127.0.0.1
  server_port: ${port}
logger:
  default: warning
  logs:
    custom_components.esphome_forge: info
`;

export async function startHomeAssistant(): Promise<HomeAssistant> {
  const python = haPython();
  const configDir = mkdtempSync(join(tmpdir(), "forge-real-ha-"));
  mkdirSync(join(configDir, "custom_components"));
  symlinkSync(resolve(REPO_DIR, "custom_components/esphome_forge"), join(configDir, "custom_components/esphome_forge"));
  const port = await freePort();
  writeFileSync(join(configDir, "configuration.yaml"), CONFIGURATION(port));
  const url = `http://127.0.0.1:${port}`;

  const proc = spawn(python, ["-m", "homeassistant", "-c", configDir, "--skip-pip", "--log-no-color"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  const killOnExit = () => proc.kill("SIGKILL");
  process.once("exit", killOnExit);
  let out = "";
  proc.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  let dead = false;
  void exited.then(() => (dead = true));

  await waitFor(
    async () => {
      if (dead) throw new Error(`Home Assistant exited:\n${out}`);
      return (await fetch(`${url}/api/onboarding`)).ok;
    },
    "Home Assistant's HTTP server",
    90_000,
  ).catch((err: Error) => {
    proc.kill("SIGKILL");
    throw new Error(`${err.message}\n${out.slice(-4000)}`);
  });

  const accessToken = await onboard(url);
  const ws = await HaSocket.connect(url, accessToken);
  const token = await ws.call<string>({
    type: "auth/long_lived_access_token",
    client_name: "forge card tests",
    lifespan: 1,
  });
  ws.close();

  async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  return {
    url,
    configDir,
    token,
    output: () => out,
    rest,
    socket: () => HaSocket.connect(url, token),
    async stop() {
      process.off("exit", killOnExit);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killer);
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

/** A HA user with a password (through HA's own admin commands), admin or not. */
export async function createUser(
  ha: HomeAssistant,
  user: { name: string; username: string; password: string; admin: boolean },
): Promise<void> {
  const ws = await ha.socket();
  try {
    const { user: created } = await ws.call<{ user: { id: string } }>({
      type: "config/auth/create",
      name: user.name,
      group_ids: [user.admin ? "system-admin" : "system-users"],
      local_only: false,
    });
    await ws.call({
      type: "config/auth_provider/homeassistant/create",
      user_id: created.id,
      username: user.username,
      password: user.password,
    });
  } finally {
    ws.close();
  }
}

/**
 * HA's onboarding API, as its onboarding page uses it: the owner account (which answers with an
 * authorization code for the frontend's client id), then location, analytics and the integration
 * step. Returns an access token of the owner.
 */
async function onboard(url: string): Promise<string> {
  const clientId = `${url}/`;
  const post = async <T>(path: string, body: unknown, token?: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`onboarding ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const { auth_code } = await post<{ auth_code: string }>("/api/onboarding/users", {
    client_id: clientId,
    language: "en",
    ...OWNER,
  });
  const tokenRes = await fetch(`${url}/auth/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "authorization_code", code: auth_code, client_id: clientId }),
  });
  if (!tokenRes.ok) throw new Error(`auth/token: HTTP ${tokenRes.status} ${await tokenRes.text()}`);
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  await post("/api/onboarding/core_config", {}, access_token);
  await post("/api/onboarding/analytics", {}, access_token);
  await post(
    "/api/onboarding/integration",
    { client_id: clientId, redirect_uri: `${url}/?auth_callback=1` },
    access_token,
  );
  return access_token;
}
