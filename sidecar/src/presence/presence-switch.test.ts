import { describe, expect, it } from "vitest";
import { browsePlan, presenceSettingByEnv } from "./presence-switch.js";

describe("presence switch", () => {
  it("reads FORGE_PRESENCE as on, off or auto", () => {
    for (const v of ["on", "ON", "1", "true", "yes"]) expect(presenceSettingByEnv(v), v).toBe("on");
    for (const v of ["off", "0", "false", " no "]) expect(presenceSettingByEnv(v), v).toBe("off");
    for (const v of [undefined, "", "maybe"]) expect(presenceSettingByEnv(v), String(v)).toBe("auto");
  });

  it("auto browses only with zeroconf on and beyond loopback; on and off are explicit", () => {
    const plan = (setting: "auto" | "on" | "off", zeroconf: boolean, listenHost: string) =>
      browsePlan({ setting, zeroconf, listenHost }).browse;
    expect(plan("auto", true, "0.0.0.0")).toBe(true);
    expect(plan("auto", true, "127.0.0.1")).toBe(false);
    expect(plan("auto", true, "::1")).toBe(false);
    expect(plan("auto", false, "0.0.0.0")).toBe(false);
    expect(plan("on", false, "127.0.0.1")).toBe(true);
    expect(plan("off", true, "0.0.0.0")).toBe(false);
    expect(browsePlan({ setting: "auto", zeroconf: true, listenHost: "127.0.0.1" }).why).toContain("FORGE_PRESENCE=on");
  });
});
