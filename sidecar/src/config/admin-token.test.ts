import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { tempDir } from "../devtools/processes.js";
import { MIN_ADMIN_TOKEN_LENGTH, newAdminToken, resolveAdminToken } from "./admin-token.js";

describe("a generated admin token", () => {
  it("is written once (0600) and kept", () => {
    const file = join(tempDir("forge-admin-token-"), "admin-token");
    const made = resolveAdminToken(null, file);
    expect(made.created).toBe(true);
    expect(made.token).toMatch(/^efa_[\w-]{43}$/);
    expect(made.token.length).toBeGreaterThanOrEqual(MIN_ADMIN_TOKEN_LENGTH);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe(`${made.token}\n`);
    expect(resolveAdminToken(null, file)).toEqual({ token: made.token, source: file, created: false });
  });

  // Without the prefix, one token in 64 began with "-" (base64url's alphabet), and every CLI then
  // refused `--token <it>` as an ambiguous option: 2,000 draws hit that case with near certainty.
  it("is always accepted as a command-line option's value", () => {
    for (let i = 0; i < 2000; i++) {
      const token = newAdminToken();
      const { values } = parseArgs({
        args: ["--token", token, "--json"],
        options: { token: { type: "string" }, json: { type: "boolean" } },
      });
      expect(values.token).toBe(token);
    }
  });
});
