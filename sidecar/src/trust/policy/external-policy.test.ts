import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../db/database.js";
import { ExternalPolicyError, ExternalSignerPolicies } from "./external-policy.js";
import { generateSigningKey } from "../keys/keys.js";
import { buildTrustedRoot } from "../keys/trusted-root.js";

let db: Db;
beforeEach(() => {
  db = openDatabase(":memory:");
});
afterEach(() => db.close());

const ci = generateSigningKey();
const root = buildTrustedRoot([
  { name: "ci-log", publicKey: generateSigningKey().publicKey, validFrom: new Date(0) },
]) as unknown as Record<string, unknown>;

describe("external signer policies", () => {
  it("compiles a pinned cosign key and a keyless identity, and keeps them across restarts", () => {
    const p = new ExternalSignerPolicies(db);
    expect(p.signers()).toEqual([]);
    p.replace([
      { name: "release", publicKey: ci.publicPem, devices: ["kitchen"] },
      {
        name: "actions",
        keyless: {
          issuer: "https://token.actions.githubusercontent.com",
          subjectPattern: "https://github\\.com/acme/.*",
        },
        trustedRoot: root,
      },
    ]);
    const again = new ExternalSignerPolicies(db);
    const [key, keyless] = again.signers();
    expect(key).toMatchObject({
      name: "release",
      devices: ["kitchen"],
      key: { hint: ci.hint, role: "external", owner: "release" },
    });
    expect(keyless).toMatchObject({
      name: "actions",
      keyless: { issuer: "https://token.actions.githubusercontent.com" },
    });
    expect(keyless!.trustedRoot?.logKeys).toHaveLength(1);
    expect(again.list().map((s) => s.name)).toEqual(["release", "actions"]);
  });

  it("refuses a bad key, pattern, root or duplicate name and keeps the previous policy", () => {
    const p = new ExternalSignerPolicies(db);
    p.replace([{ name: "release", publicKey: ci.publicPem }]);
    expect(() =>
      p.replace([{ name: "x", publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" }]),
    ).toThrow(/external signer "x": publicKey is not a P-256 public key/);
    expect(() => p.replace([{ name: "x", keyless: { issuer: "i", subjectPattern: "(" }, trustedRoot: root }])).toThrow(
      /subjectPattern is not a regular expression/,
    );
    expect(() =>
      p.replace([{ name: "x", keyless: { issuer: "i", subjectPattern: "a" }, trustedRoot: { mediaType: "nope" } }]),
    ).toThrow(ExternalPolicyError);
    expect(() =>
      p.replace([
        { name: "a", publicKey: ci.publicPem },
        { name: "a", publicKey: ci.publicPem },
      ]),
    ).toThrow(/two external signers are named "a"/);
    expect(new ExternalSignerPolicies(db).list().map((s) => s.name)).toEqual(["release"]);
  });

  it("fails closed when the stored policy no longer reads", () => {
    new ExternalSignerPolicies(db).replace([{ name: "release", publicKey: ci.publicPem }]);
    db.prepare("UPDATE trust_external_signers SET policy = ?").run('{"signers": [{"name": "release"}]}');
    expect(new ExternalSignerPolicies(db).signers()).toEqual([]);
  });
});
