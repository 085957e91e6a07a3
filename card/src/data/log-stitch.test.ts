import { describe, expect, it } from "vitest";
import { LogStitcher, utf8Length, utf8SliceFrom } from "./log-stitch.js";

const log = (offset: number, chunk: string, truncatedBefore?: boolean) => ({
  type: "log" as const,
  jobId: 1,
  offset,
  chunk,
  truncatedBefore,
});

describe("utf8 helpers", () => {
  it("measure like TextEncoder", () => {
    for (const s of ["", "abc", "größe", "€uro", "emoji 🚀 ok", "\u{1F600}\u{1F600}"])
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
  });
  it("slice by bytes without splitting characters", () => {
    expect(utf8SliceFrom("aé🚀b", 1)).toBe("é🚀b");
    expect(utf8SliceFrom("aé🚀b", 3)).toBe("🚀b");
    expect(utf8SliceFrom("aé🚀b", 7)).toBe("b");
  });
});

describe("LogStitcher", () => {
  it("passes chunks in order", () => {
    const s = new LogStitcher(1, 0);
    expect(s.accept(log(0, "hello "))).toEqual([{ kind: "text", text: "hello " }]);
    expect(s.accept(log(6, "world"))).toEqual([{ kind: "text", text: "world" }]);
    expect(s.next).toBe(11);
  });

  it("drops repeats after a resubscription from the original offset", () => {
    const s = new LogStitcher(1, 0);
    s.accept(log(0, "abcdef"));
    expect(s.accept(log(0, "abcdef"))).toEqual([]);
    expect(s.accept(log(0, "abcdefgh"))).toEqual([{ kind: "text", text: "gh" }]);
  });

  it("trims overlaps by bytes, not characters", () => {
    const s = new LogStitcher(1, 0);
    s.accept(log(0, "€1")); // 4 bytes
    expect(s.accept(log(3, "12"))).toEqual([{ kind: "text", text: "2" }]);
  });

  it("reports truncation and gaps", () => {
    const s = new LogStitcher(1, 0);
    expect(s.accept(log(5000, "tail", true))).toEqual([{ kind: "truncated" }, { kind: "text", text: "tail" }]);
    expect(s.accept(log(5010, "more"))).toEqual([
      { kind: "gap", bytes: 6 },
      { kind: "text", text: "more" },
    ]);
  });

  it("ends once and ignores other jobs", () => {
    const s = new LogStitcher(1, 0);
    expect(s.accept({ type: "log", jobId: 2, offset: 0, chunk: "x" })).toEqual([]);
    expect(s.accept({ type: "log_end", jobId: 1, state: "succeeded" })).toEqual([{ kind: "end", state: "succeeded" }]);
    expect(s.accept({ type: "log_end", jobId: 1, state: "succeeded" })).toEqual([]);
  });
});
