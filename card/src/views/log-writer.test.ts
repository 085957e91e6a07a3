// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { LogWriter } from "./log-writer.js";

function setup(opts = {}) {
  const scroller = document.createElement("div");
  const content = document.createElement("div");
  scroller.append(content);
  document.body.append(scroller);
  const tasks: (() => void)[] = [];
  const w = new LogWriter(scroller, content, { schedule: (fn) => tasks.push(fn), ...opts });
  const runFrames = () => {
    let n = 0;
    while (tasks.length) {
      tasks.shift()!();
      n++;
    }
    return n;
  };
  return { w, content, runFrames };
}

describe("LogWriter", () => {
  it("renders ANSI colours as spans and escapes markup", () => {
    const { w, content, runFrames } = setup();
    w.write("\x1b[31m<script>x</script>\x1b[0m\n");
    runFrames();
    expect(content.querySelector("script")).toBeNull();
    expect(content.querySelector("span.a-f1")!.textContent).toBe("<script>x</script>");
  });

  it("batches many small chunks into one append and never splits a line across blocks", () => {
    const { w, content, runFrames } = setup({ blockChars: 100 });
    for (let i = 0; i < 50; i++) w.write(`line ${i} ${"x".repeat(20)}\n`);
    w.write("partial ");
    runFrames();
    w.write("end of partial\n");
    runFrames();
    const blocks = [...content.querySelectorAll(".blk")].map((b) => b.textContent!);
    for (const b of blocks.slice(0, -1)) expect(b.endsWith("\n")).toBe(true);
    expect(blocks.join("")).toContain("partial end of partial\n");
    expect(blocks.join("").split("\n").filter(Boolean)).toHaveLength(51);
  });

  it("spreads a 1 MB chunk over several frames", () => {
    const { w, content, runFrames } = setup({ budgetMs: 0, stepChars: 65_536 });
    const line = "INFO compiling src/main.cpp.o with a long line of output\n";
    w.write(line.repeat(Math.ceil(1_048_576 / line.length)));
    const frames = runFrames();
    expect(frames).toBeGreaterThanOrEqual(16);
    expect(w.pendingChars).toBe(0);
    expect(content.textContent!.length).toBeGreaterThanOrEqual(1_048_576);
  });

  it("adds notes and clears", () => {
    const { w, content, runFrames } = setup();
    w.write("a\n");
    w.note("— job succeeded —");
    runFrames();
    expect(content.querySelector(".note")!.textContent).toBe("— job succeeded —");
    w.clear();
    expect(content.childElementCount).toBe(0);
  });
});

describe("LogWriter following the end", () => {
  it("keeps following through layout-driven scrolls and stops only when the user scrolls up", () => {
    const scroller = document.createElement("div");
    const content = document.createElement("div");
    scroller.append(content);
    document.body.append(scroller);
    let top = 0;
    Object.defineProperty(scroller, "scrollHeight", { get: () => 10_000 });
    Object.defineProperty(scroller, "clientHeight", { get: () => 300 });
    Object.defineProperty(scroller, "scrollTop", { get: () => top, set: (v: number) => (top = Math.min(v, 9700)) });
    const changes: boolean[] = [];
    const w = new LogWriter(scroller, content, { schedule: (fn) => fn() }, (f) => changes.push(f));
    w.write("x\n");
    expect(top).toBe(9700);
    top = 5000; // a reflow moved the content without the user
    scroller.dispatchEvent(new Event("scroll"));
    expect(w.follow).toBe(true);
    scroller.dispatchEvent(new Event("wheel"));
    scroller.dispatchEvent(new Event("scroll"));
    expect(w.follow).toBe(false);
    w.write("y\n");
    expect(top).toBe(5000); // not yanked back down
    top = 9690;
    scroller.dispatchEvent(new Event("scroll"));
    expect(w.follow).toBe(true);
    expect(changes).toEqual([false, true]);
  });
});
