// The device signing keys through a real sidecar: the REST API (/api/v1/trust/ota-keys) and the
// `esphome-forge ota-keys` CLI over it. Only public halves ever leave the sidecar; the private keys are
// 0600 files in its data folder; refusals say why; nothing works without the admin token.
import { execFile } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtaKey, OtaKeyList, OtaKeyRotateResponse, SignedOtaYamlResponse } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { runCli, startSidecar, tempDir, type SidecarProc } from "../src/devtools/processes.js";
import { sbv2PublicKey } from "../src/trust/ota-signing/sbv2-block.js";

const run = promisify(execFile);
let sc: SidecarProc;
let api: Api;
const seen: string[] = []; // every response body, to check no private key ever leaves

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await api.raw(method, path, body);
  const text = await res.text();
  seen.push(text);
  return { status: res.status, text };
}

const cli = async (...args: string[]) => {
  const r = await runCli(["ota-keys", ...args, "--server", sc.url, "--token", sc.token]);
  seen.push(r.out);
  return r;
};

beforeAll(async () => {
  sc = await startSidecar({ args: ["--no-seed"] });
  api = new Api(sc.url, sc.token);
}, 60_000);
afterAll(async () => {
  await sc?.stop();
});

describe("/api/v1/trust/ota-keys and `esphome-forge ota-keys`", () => {
  let first: OtaKey;
  let second: OtaKey;

  it("creates a key kept as a 0600 file in the data folder, listed by its SBv2 digest with its public key", async () => {
    expect(OtaKeyList.parse(JSON.parse((await call("GET", "/trust/ota-keys")).text))).toEqual({
      keys: [],
      maxActive: 3,
    });
    const created = await call("POST", "/trust/ota-keys", { name: "fleet 2026" });
    expect(created.status).toBe(201);
    first = OtaKey.parse(JSON.parse(created.text));
    expect(first).toMatchObject({ name: "fleet 2026", state: "active", signer: "file", retiredAt: null });
    expect(sbv2PublicKey(createPublicKey(first.publicKey)).digest).toBe(first.digest);
    const dir = join(sc.dataDir, "trust", "keys", "ota");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, `${first.digest}.key`)).mode & 0o777).toBe(0o600);
    const pem = await call("GET", `/trust/ota-keys/${first.digest.slice(0, 10)}/public.pem`);
    expect(pem.status).toBe(200);
    expect(pem.text).toBe(first.publicKey);
  }, 60_000);

  it("the CLI rotates (both keys active, steps printed), lists, and writes the device YAML", async () => {
    const rot = await cli("rotate", "--name", "fleet 2027", "--json");
    expect(rot.code, rot.out).toBe(0);
    const r = OtaKeyRotateResponse.parse(JSON.parse(rot.out));
    second = r.added;
    expect(r.active.map((k) => k.digest)).toEqual([first.digest, second.digest]);
    expect(r.steps.join("\n")).toContain(`ota-keys retire ${first.digest.slice(0, 16)}`);
    const list = await cli("list");
    expect(list.code).toBe(0);
    expect(list.out).toContain(`${first.digest}  active   fleet 2026`);
    expect(list.out).toContain(`${second.digest}  active   fleet 2027`);

    const outDir = tempDir("forge-otayaml-");
    const y = await cli(
      "yaml",
      "--pem",
      "--variant",
      "esp32s3",
      "--project",
      "acme.lab",
      "--project-version",
      "1.0.0",
      "--out-dir",
      outDir,
    );
    expect(y.code, y.out).toBe(0);
    const yaml = readFileSync(join(outDir, "forge-signed-ota.yaml"), "utf8");
    expect(yaml).toContain(`forge-ota-keys/${first.digest.slice(0, 16)}.pem`);
    expect(yaml).toContain('version: "1.0.0"');
    expect(readFileSync(join(outDir, "forge-ota-keys", `${second.digest.slice(0, 16)}.pem`), "utf8")).toBe(
      second.publicKey,
    );
    // The same through the API, digests inline by default.
    const body = SignedOtaYamlResponse.parse(JSON.parse((await call("POST", "/trust/ota-keys/yaml", {})).text));
    expect(body.yaml).toContain(`- "${first.digest}"`);
    expect(body.yaml).toContain(`- "${second.digest}"`);
    expect(body.files).toEqual([]);
  }, 60_000);

  it("the downloaded public key is a standard PEM file (openssl reads it as RSA-3072)", async () => {
    const out = join(tempDir("forge-otapub-"), "k.pem");
    const r = await cli("public", second.digest.slice(0, 12), "--out", out);
    expect(r.code, r.out).toBe(0);
    const { stdout } = await run("openssl", ["pkey", "-pubin", "-in", out, "-noout", "-text"]);
    expect(stdout).toMatch(/Public-Key: \(3072 bit\)/);
  });

  it("refuses with reasons: bad bodies, unknown keys, a 4th active key, the last active key", async () => {
    const bad = await call("POST", "/trust/ota-keys", { name: "x\ny" });
    expect(bad.status).toBe(400);
    expect((await call("POST", "/trust/ota-keys", { name: "ok", extra: 1 })).status).toBe(400);
    expect((await call("GET", "/trust/ota-keys/deadbeefdeadbeef/public.pem")).status).toBe(404);
    // A path that is not a key digest is refused by the route table before any lookup.
    expect((await call("GET", "/trust/ota-keys/..%2F..%2Fetc/public.pem")).status).toBe(400);
    expect((await call("POST", "/trust/ota-keys/yaml", { variant: "esp32c2" })).text).toMatch(/no RSA secure-boot/);
    expect(
      (
        await call("POST", "/trust/ota-keys/yaml", {
          downgradeProtection: { projectName: "acme.lab", projectVersion: "1.0-rc1" },
        })
      ).status,
    ).toBe(400);
    expect((await call("POST", "/trust/ota-keys", { name: "third" })).status).toBe(201);
    const fourth = await call("POST", "/trust/ota-keys", { name: "fourth" });
    expect(fourth.status).toBe(409);
    expect(fourth.text).toContain("3 keys are active");
    // Retire down to one, then the last one needs force.
    const keys = OtaKeyList.parse(JSON.parse((await call("GET", "/trust/ota-keys")).text)).keys;
    expect((await cli("retire", keys[0]!.digest.slice(0, 8))).code).toBe(0);
    expect((await cli("retire", keys[1]!.digest)).code).toBe(0);
    const last = await cli("retire", keys[2]!.digest);
    expect(last.code).not.toBe(0);
    expect(last.out).toMatch(/409 .*only active key/);
    const forced = await cli("retire", keys[2]!.digest, "--force", "--json");
    expect(forced.code, forced.out).toBe(0);
    expect(OtaKey.parse(JSON.parse(forced.out)).state).toBe("retired");
    expect((await call("POST", "/trust/ota-keys/yaml", {})).text).toContain("no active device signing key");
  }, 90_000);

  it("needs the admin token, and no private key ever leaves the sidecar", async () => {
    const anon = await fetch(`${sc.url}/api/v1/trust/ota-keys`);
    expect(anon.status).toBe(401);
    const wrong = await fetch(`${sc.url}/api/v1/trust/ota-keys`, {
      method: "POST",
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
    expect(seen.length).toBeGreaterThan(10);
    for (const body of seen) expect(body).not.toMatch(/PRIVATE KEY/);
    const dir = join(sc.dataDir, "trust", "keys", "ota");
    expect(readdirSync(dir).filter((f) => f.endsWith(".key"))).toHaveLength(3);
    expect(existsSync(join(dir, "index.json"))).toBe(true);
  });
});
