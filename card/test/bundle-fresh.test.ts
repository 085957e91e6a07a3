// CI fails when the card bundle committed inside the integration is stale: a fresh build of the
// sources must be byte-identical to it (builds are deterministic), and the file git has must be
// the one in the working tree (npm test rebuilds it before the tests run).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { build } from "vite";
import { afterAll, expect, it } from "vitest";
import { CARD_FILE, CARD_OUT_DIR, cardConfig, REPO_DIR } from "../vite/configs.ts";

const FIX = "run `npm run -w card build` and commit custom_components/esphome_forge/frontend/";
const out = mkdtempSync(join(tmpdir(), "forge-card-fresh-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function git(args: string[]): { ok: boolean; out: string } {
  try {
    return {
      ok: true,
      out: execFileSync("git", args, { cwd: REPO_DIR, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    };
  } catch (e) {
    return { ok: false, out: String((e as { stderr?: unknown }).stderr ?? e) };
  }
}

it("the committed card bundle is exactly what the sources build to", async () => {
  await build(cardConfig(out));
  for (const file of [CARD_FILE, `${CARD_FILE}.map`]) {
    const committed = join(CARD_OUT_DIR, file);
    expect(existsSync(committed), `${file} is missing: ${FIX}`).toBe(true);
    const same = readFileSync(join(out, file)).equals(readFileSync(committed));
    expect(same, `${file} is stale (a fresh build differs): ${FIX}`).toBe(true);
  }
}, 120_000);

it("git holds the bundle that is in the working tree", () => {
  const inGit = git(["rev-parse", "--is-inside-work-tree"]);
  if (!inGit.ok) return; // an exported tarball: the byte comparison above is the check
  for (const file of [CARD_FILE, `${CARD_FILE}.map`]) {
    const path = relative(REPO_DIR, join(CARD_OUT_DIR, file));
    const tracked = git(["ls-files", "--error-unmatch", "--", path]).ok;
    if (!tracked) {
      expect(process.env.CI !== "true", `${path} is not committed: ${FIX}`).toBe(true);
      console.warn(`note: ${path} is not in git yet; ${FIX}`);
      continue;
    }
    const diff = git(["diff", "--quiet", "--", path]);
    expect(diff.ok, `${path} differs from the version in git: ${FIX}`).toBe(true);
  }
});
