// In-page measurements for `npm run bench` (card/bench/browser-bench.ts drives them): the first
// render of a big fleet, the cost of one row's status change (and which rows re-rendered), and
// long tasks while a 1 MB log streams into the log panel.
import { makeJob } from "../fixtures/fleet.ts";

type Row = HTMLElement & { device: { id: string }; updateComplete: Promise<unknown>; update(c: unknown): void };
type Lit = HTMLElement & { updateComplete: Promise<unknown> };

const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
const shadow = (el: Element | null | undefined, sel: string) => el?.shadowRoot?.querySelector(sel) ?? null;

function parts() {
  const card = document.querySelector("esphome-forge-card") as Lit;
  const dashboard = shadow(card, "forge-dashboard") as (Lit & { logJobId: number | null }) | null;
  const view = shadow(dashboard, "forge-devices-view") as Lit | null;
  const rows = [...(view?.shadowRoot?.querySelectorAll("forge-device-row") ?? [])] as unknown as Row[];
  return { card, dashboard, view, rows };
}

async function settle(): Promise<void> {
  const { card, dashboard, view, rows } = parts();
  await card?.updateComplete;
  await dashboard?.updateComplete;
  await view?.updateComplete;
  await Promise.all(rows.map((r) => r.updateComplete));
}

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("bench: timed out");
    await new Promise((r) => setTimeout(r, 0));
  }
}

export const bench = {
  /**
   * Snapshot of `devices` devices → the first screen of rows rendered and laid out (`firstMs`),
   * and → every row in the DOM (`allMs`); long tasks seen meanwhile.
   */
  async firstRender(devices: number): Promise<{ firstMs: number; allMs: number; longTasks: number[] }> {
    document.getElementById("dashboard")!.replaceChildren();
    window.__forge.prepare({ devices });
    await frame();
    const longTasks: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push(e.duration);
    });
    observer.observe({ type: "longtask" });
    const t0 = performance.now();
    window.__forge.mount({ type: "custom:esphome-forge-card" }, { devices });
    await until(() => parts().rows.length > 0);
    await settle();
    void document.body.offsetHeight; // style + layout of the new rows
    const firstMs = performance.now() - t0;
    await until(() => parts().rows.length === devices);
    await settle();
    void document.body.offsetHeight;
    const allMs = performance.now() - t0;
    await frame();
    await frame();
    observer.disconnect();
    return { firstMs, allMs, longTasks };
  },

  /** Blocks the main thread for `ms` in one task: proves the long-task observer works here. */
  async longTaskProbe(ms: number): Promise<number[]> {
    const seen: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) seen.push(e.duration);
    });
    observer.observe({ type: "longtask" });
    await new Promise<void>((r) =>
      setTimeout(() => {
        const end = performance.now() + ms;
        while (performance.now() < end) {
          /* busy */
        }
        r();
      }, 0),
    );
    await frame();
    await frame();
    await new Promise((r) => setTimeout(r, 50));
    observer.disconnect();
    return seen;
  },

  /** One job delta for one device → the update is on screen (ms), and which rows re-rendered. */
  async rowUpdate(index: number): Promise<{ ms: number; rendered: string[] }> {
    const { rows } = parts();
    const target = rows[index % rows.length]!;
    const proto = customElements.get("forge-device-row")!.prototype as Row;
    const original = proto.update;
    const rendered: string[] = [];
    proto.update = function (this: Row, c: unknown) {
      rendered.push(this.device.id);
      original.call(this, c);
    };
    try {
      await frame();
      const fleet = window.__forge.fake!.fleet;
      const t0 = performance.now();
      fleet.upsertJob(
        makeJob(50_000 + index, target.device.id, {
          state: "running",
          startedAt: new Date().toISOString(),
          workerId: "local",
          phase: "compile",
          progress: (index * 7) % 100,
        }),
      );
      await settle();
      void document.body.offsetHeight;
      const ms = performance.now() - t0;
      return { ms, rendered };
    } finally {
      proto.update = original;
    }
  },

  /**
   * Streams `bytes` of ANSI log into the open log panel in `chunk`-byte pieces every `everyMs`
   * (chunk = bytes: one message, as when opening a finished 1 MB log). Returns long tasks seen.
   */
  async logStream(
    bytes: number,
    chunk: number,
    everyMs: number,
  ): Promise<{ longTasks: number[]; totalMs: number; shown: number }> {
    const fleet = window.__forge.fake!.fleet;
    const { dashboard, rows } = parts();
    const jobId = 90_000 + Math.floor(Math.random() * 1000);
    fleet.upsertJob(
      makeJob(jobId, rows[0]!.device.id, { state: "running", startedAt: new Date().toISOString(), workerId: "local" }),
    );
    const line =
      "\x1b[32mINFO\x1b[0m [123/456] Compiling .pioenvs/device/src/esphome/components/wifi/wifi_component.cpp.o \x1b[33mwarning: unused variable\x1b[0m\n";
    const text = line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
    const longTasks: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push(e.duration);
    });
    observer.observe({ type: "longtask", buffered: false });
    const t0 = performance.now();
    dashboard!.logJobId = jobId;
    await settle();
    const panel = shadow(dashboard, "forge-log-panel") as
      (Lit & { writer: { shownChars: number; pendingChars: number } }) | null;
    await panel!.updateComplete;
    for (let sent = 0; sent < text.length; sent += chunk) {
      fleet.appendLog(jobId, text.slice(sent, sent + chunk));
      if (everyMs > 0) await new Promise((r) => setTimeout(r, everyMs));
    }
    await until(() => panel!.writer.pendingChars === 0 && panel!.writer.shownChars >= text.length, 60_000);
    await frame();
    await frame();
    const totalMs = performance.now() - t0;
    observer.disconnect();
    const shown = panel!.writer.shownChars;
    dashboard!.logJobId = null;
    await settle();
    return { longTasks, totalMs, shown };
  },
};

declare global {
  interface Window {
    __forgeBench: typeof bench;
  }
}
window.__forgeBench = bench;
