import { describe, expect, it } from "vitest";
import { closeReason } from "./close-reason.js";

describe("closeReason", () => {
  it("keeps short reasons and cuts long ones to 123 UTF-8 bytes on a character boundary", () => {
    expect(closeReason("replaced")).toBe("replaced");
    const cut = closeReason("ä".repeat(100));
    expect(Buffer.byteLength(cut)).toBe(122);
    expect(cut).toBe("ä".repeat(61));
    expect(Buffer.byteLength(closeReason("x".repeat(500)))).toBe(123);
  });
});
