import { describe, expect, it, vi } from "vitest";
import { JobLog, type OutgoingChunk } from "./log-stream.js";

function sink(connected = true) {
  const chunks: OutgoingChunk[] = [];
  const s = {
    connected,
    chunks,
    get sent() {
      return chunks.map((c) => c.text);
    },
    trySend(chunk: OutgoingChunk) {
      if (!s.connected) return false;
      chunks.push(chunk);
      return true;
    },
  };
  return s;
}

/** What a sidecar following the protocol would store: in order, repeats dropped, declared gaps marked. */
function store(chunks: OutgoingChunk[]): { text: string; last: number } {
  let last = 0;
  let text = "";
  for (const c of chunks) {
    if (c.seq <= last) continue;
    if (c.keptFrom > last + 1) {
      text += `<gap ${c.keptFrom - 1 - last}>`;
      last = c.keptFrom - 1;
    }
    if (c.seq !== last + 1) continue;
    text += c.text;
    last = c.seq;
  }
  return { text, last };
}

describe("JobLog", () => {
  it("batches output for up to 50 ms into one numbered message", async () => {
    const s = sink();
    const log = new JobLog(s);
    log.write("stdout", Buffer.from("one\n"));
    log.write("stderr", Buffer.from("two\n"));
    expect(s.sent).toEqual([]);
    // The batch goes when its timer fires (later than 50 ms on a busy machine, never split).
    await vi.waitFor(() => expect(s.chunks).toEqual([{ seq: 1, keptFrom: 1, text: "one\ntwo\n" }]), { timeout: 5_000 });
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
    log.resendAll();
    expect(s.sent.join("")).toBe(Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(""));
    expect(s.chunks.map((c) => c.seq)).toEqual([1, 2]); // waiting output goes as few messages as it can
  });

  it("sends unacknowledged chunks again after a reconnect, so a sidecar that died loses no line", () => {
    const s = sink();
    const log = new JobLog(s);
    for (let i = 0; i < 6; i++) {
      log.note(`line ${i}`);
      log.flush();
    }
    log.ack(2); // the sidecar stored 1–2 and died with 3–6 in flight (or stored but unacknowledged)
    const firstRound = s.chunks.length;
    log.resendAll();
    const again = s.chunks.slice(firstRound);
    expect(again.map((c) => c.seq)).toEqual([3, 4, 5, 6]);
    // A sidecar that had stored 1–4 drops the repeats of 3–4: every line exactly once, in order.
    const stored = store([...s.chunks.slice(0, 4), ...again]);
    expect(stored.text).toBe(Array.from({ length: 6 }, (_, i) => `line ${i}\n`).join(""));
    expect(log.pendingChars).toBe(0);
  });

  it("after a 'send again later' it pauses, then repeats everything not stored", async () => {
    const s = sink();
    const log = new JobLog(s);
    log.note("a");
    log.flush();
    log.note("b");
    log.flush();
    log.retryLater(1, 60); // stored "a"; "b" was refused (disk full)
    log.note("c");
    log.flush();
    expect(s.sent).toEqual(["a\n", "b\n"]); // paused: nothing new goes out yet
    expect(log.pendingChars).toBeGreaterThan(0);
    // Once the pause is over (its timer may fire late on a busy machine), "b" again, then "c".
    await vi.waitFor(() => expect(s.sent).toEqual(["a\n", "b\n", "b\n", "c\n"]), { timeout: 5_000 });
    expect(store(s.chunks).text).toBe("a\nb\nc\n");
  });

  it("drops the oldest output beyond the cap, and keptFrom makes the sidecar mark the gap where it was", () => {
    const s = sink(false);
    const log = new JobLog(s, { offlineCapChars: 100 });
    log.note("first line before the outage");
    s.connected = true;
    log.flush();
    log.ack(1);
    s.connected = false;
    for (let i = 0; i < 50; i++) {
      log.write("stdout", Buffer.from(`line ${String(i).padStart(2, "0")}\n`)); // 8 chars each
      log.flush();
    }
    expect(log.pendingChars).toBeLessThanOrEqual(100);
    expect(log.dropped).toBeGreaterThan(0);
    s.connected = true;
    log.resendAll();
    const stored = store(s.chunks).text;
    expect(stored).toMatch(/^first line before the outage\n<gap \d+>line \d\d\n/);
    expect(stored).not.toContain("line 00");
    expect(stored.endsWith("line 49\n")).toBe(true);
  });
});
