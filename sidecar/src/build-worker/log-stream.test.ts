import { describe, expect, it } from "vitest";
import { sleep } from "../../test-support/helpers.js";
import { JobLog } from "./log-stream.js";

function sink(connected = true) {
  const sent: string[] = [];
  const s = {
    connected,
    sent,
    trySend(chunk: string) {
      if (!s.connected) return false;
      sent.push(chunk);
      return true;
    },
  };
  return s;
}

describe("JobLog", () => {
  it("batches output for up to 50 ms into one message", async () => {
    const s = sink();
    const log = new JobLog(s);
    log.write("stdout", Buffer.from("one\n"));
    log.write("stderr", Buffer.from("two\n"));
    expect(s.sent).toEqual([]);
    await sleep(80);
    expect(s.sent).toEqual(["one\ntwo\n"]);
  });

  it("sends at once when a batch reaches 16 K characters", () => {
    const s = sink();
    const log = new JobLog(s);
    log.write("stdout", Buffer.from("x".repeat(16 * 1024)));
    expect(s.sent).toHaveLength(1);
    log.dispose();
  });

  it("never splits a multi-byte character across reads or messages, and keeps ANSI colours", () => {
    const s = sink();
    const log = new JobLog(s);
    const text = "\x1b[32mINFO ✓ grün 🚀\x1b[0m\n";
    const bytes = Buffer.from(text);
    // Split inside the rocket emoji (4 bytes) and inside ✓ (3 bytes).
    const cuts = [bytes.indexOf(Buffer.from("✓")) + 1, bytes.indexOf(Buffer.from("🚀")) + 2];
    log.write("stdout", bytes.subarray(0, cuts[0]));
    log.flush();
    log.write("stdout", bytes.subarray(cuts[0], cuts[1]));
    log.flush();
    log.write("stdout", bytes.subarray(cuts[1]));
    log.flush();
    expect(s.sent.join("")).toBe(text);
    for (const chunk of s.sent) expect(chunk).not.toContain("\uFFFD");
  });

  it("keeps output while disconnected and sends it, in order, after reconnecting", () => {
    const s = sink(false);
    const log = new JobLog(s);
    for (let i = 0; i < 10; i++) {
      log.write("stdout", Buffer.from(`line ${i}\n`));
      log.flush();
    }
    expect(s.sent).toEqual([]);
    s.connected = true;
    log.flush();
    expect(s.sent.join("")).toBe(Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(""));
  });

  it("drops the oldest output beyond the cap and says so with a marker line", () => {
    const s = sink(false);
    const log = new JobLog(s, { offlineCapChars: 100 });
    for (let i = 0; i < 50; i++) {
      log.write("stdout", Buffer.from(`line ${String(i).padStart(2, "0")}\n`)); // 8 chars each
      log.flush();
    }
    expect(log.pendingChars).toBeLessThanOrEqual(100);
    s.connected = true;
    log.flush();
    const all = s.sent.join("");
    expect(all).toMatch(/\[forge worker\] \d+ characters of build output were dropped/);
    expect(all).not.toContain("line 00");
    expect(all.endsWith("line 49\n")).toBe(true);
    expect(all.indexOf("dropped")).toBeLessThan(all.indexOf("line 49"));
  });
});
