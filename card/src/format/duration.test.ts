import { expect, it } from "vitest";
import { formatDuration, formatElapsed } from "./duration.js";
import { formatRelative } from "./relative-time.js";

it("formats durations", () => {
  expect(formatDuration(null)).toBe("—");
  expect(formatDuration(850)).toBe("850 ms");
  expect(formatDuration(4200)).toBe("4.2 s");
  expect(formatDuration(42_000)).toBe("42 s");
  expect(formatDuration(185_000)).toBe("3 min 05 s");
  expect(formatDuration(3_725_000)).toBe("1 h 02 min");
});

it("formats elapsed time since a timestamp", () => {
  const now = Date.parse("2026-11-20T10:01:05Z");
  expect(formatElapsed("2026-11-20T10:00:00Z", now)).toBe("1 min 05 s");
  expect(formatElapsed(null, now)).toBe("—");
  expect(formatElapsed("2026-11-20T10:01:04.600Z", now)).toBe("0 s");
  expect(formatElapsed("2026-11-20T10:00:58.500Z", now)).toBe("6 s");
});

it("formats relative times", () => {
  const now = Date.parse("2026-11-20T12:00:00Z");
  expect(formatRelative(null, now)).toBe("never");
  expect(formatRelative("2026-11-20T11:59:58Z", now)).toBe("just now");
  expect(formatRelative("2026-11-20T11:59:30Z", now)).toBe("30 s ago");
  expect(formatRelative("2026-11-20T11:55:00Z", now)).toBe("5 min ago");
  expect(formatRelative("2026-11-20T09:00:00Z", now)).toBe("3 h ago");
  expect(formatRelative("2026-11-18T12:00:00Z", now)).toBe("2 d ago");
  expect(formatRelative("2026-10-01T12:00:00Z", now)).toBe("2026-10-01");
});

it("compares names naturally", async () => {
  const { naturalCompare } = await import("./natural-compare.js");
  expect(["plug 10", "Plug 2", "plug 1", "alpha", "plug 02b", "plug"].sort(naturalCompare)).toEqual([
    "alpha",
    "plug",
    "plug 1",
    "Plug 2",
    "plug 02b",
    "plug 10",
  ]);
  expect(naturalCompare("A", "a")).toBe(0);
});
