import { describe, expect, it } from "vitest";
import type { RoutingRule } from "@esphome-forge/shared";
import { blockedReason, canTake, requirementOf, routingWords, type Capability } from "./job-requirements.js";

const rules: RoutingRule[] = [
  { name: "esp32 builds on x86", match: { platforms: ["esp32"] }, workerTags: ["esp-idf"] },
  { name: "kitchen anywhere big", match: { name: "kitchen-*" }, workerTags: ["big"] },
  { name: "all esp32 (shadowed)", match: { platforms: ["ESP32"] }, workerTags: ["never"] },
];
const dev = (id: string, platform: string | null, tags: string[] = []) => ({ id, name: null, platform, tags });
const cap = (id: string, tags: string[], disabled = false): Capability => ({ id, tags: new Set(tags), disabled });

describe("requirements and blocked reasons", () => {
  it("the first matching rule decides, and its tags join the job's", () => {
    const r = requirementOf({ workerTags: ["usb"] }, dev("kitchen-1", "esp32"), rules);
    expect(r.rule?.name).toBe("esp32 builds on x86");
    expect(r.tags).toEqual(["esp-idf", "usb"]);
    expect(requirementOf({}, dev("kitchen-1", "esp8266"), rules).rule?.name).toBe("kitchen anywhere big");
    expect(requirementOf({}, dev("porch", "esp8266"), rules).rule).toBeNull();
  });

  it("names the missing tag, the rule and the online workers with their tags", () => {
    const r = requirementOf({}, dev("attic", "esp32"), rules);
    const online = [cap("garage-pc", ["esp8266"]), cap("nuc", ["esp-idf"], true)];
    expect(blockedReason(r, online)).toBe(
      "needs a worker with tag esp-idf (rule 'esp32 builds on x86'); online workers: garage-pc [esp8266], nuc [esp-idf] (0 slots)",
    );
    expect(blockedReason(r, [...online, cap("x86", ["esp-idf", "fast"])])).toBeNull();
    expect(blockedReason(r, [])).toMatch(/online workers: none$/);
    expect(blockedReason(r, [{ ...cap("vm-1", []), name: "garage-pc" }])).toMatch(
      /online workers: garage-pc \(vm-1\) \[no tags\]$/,
    );
  });

  it("a pin: offline, lacking the rule's tag, or with 0 slots, each said so", () => {
    const r = requirementOf({ workerId: "nuc" }, dev("attic", "esp32"), rules);
    expect(blockedReason(r, [cap("garage-pc", ["esp-idf"])])).toBe(
      "pinned to worker nuc (params.workerId), which is offline; online workers: garage-pc [esp-idf]",
    );
    expect(blockedReason(r, [cap("nuc", [])])).toMatch(/which lacks tag esp-idf \(rule 'esp32 builds on x86'\)/);
    expect(blockedReason(r, [cap("nuc", ["esp-idf"], true)])).toMatch(/which has 0 slots/);
    expect(canTake(r, cap("nuc", ["esp-idf"]))).toBe(true);
    expect(routingWords(r)).toBe("pinned to nuc (params.workerId); rule 'esp32 builds on x86' needs tags esp-idf");
  });

  it("an unconstrained job is never blocked, even with no worker online", () => {
    expect(blockedReason(requirementOf({}, dev("porch", "esp8266"), rules), [])).toBeNull();
  });

  it("globs are literal except * and ?, whole-name, and match the device's name too", () => {
    const byName: RoutingRule[] = [{ name: "n", match: { name: "a.b?" }, workerTags: ["t"] }];
    expect(requirementOf({}, dev("a.bc", null), byName).rule).not.toBeNull();
    expect(requirementOf({}, dev("axbc", null), byName).rule).toBeNull();
    expect(requirementOf({}, dev("a.bcd", null), byName).rule).toBeNull();
    expect(requirementOf({}, { ...dev("x", null), name: "A.BZ" }, byName).rule).not.toBeNull();
  });
});
