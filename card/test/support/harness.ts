// Builds the fake-Home-Assistant host page (test/support/fake-ha-page) with vite and serves it next to the
// committed card bundle on a loopback port: `/` = harness, `/bundle/` = custom_components/…/frontend.
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { build } from "vite";
import { CARD_BUNDLE_DIR, CARD_DIR } from "./paths.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".map": "application/json",
  ".png": "image/png",
};

export interface Harness {
  url: string;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(join(CARD_BUNDLE_DIR, "esphome-forge-card.js")))
    throw new Error("the card bundle is missing: run `npm run -w card build`");
  const outDir = mkdtempSync(join(tmpdir(), "forge-harness-"));
  await build({
    configFile: false,
    root: resolve(CARD_DIR, "test/support/fake-ha-page"),
    logLevel: "error",
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      rolldownOptions: { input: resolve(CARD_DIR, "test/support/fake-ha-page/card-host.html") },
    },
  });
  const roots: [string, string][] = [
    ["/bundle/", CARD_BUNDLE_DIR],
    ["/", outDir],
  ];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    for (const [prefix, dir] of roots) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length) || "card-host.html"));
      if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) break;
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
      });
      createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/card-host.html`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
        rmSync(outDir, { recursive: true, force: true });
      }),
  };
}
