import { describe, expect, it } from "vitest";
import type { RoutingRule } from "@esphome-forge/shared";
import {
  blockedReason,
  canTake,
  requirementFor,
  requirementOf,
  routingWords,
  type Capability,
} from "./job-requirements.js";

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

  it("a flash step needs a flasher that did not build the image, whatever the pin, tags and rules say", () => {
    const params = { workerId: "nuc", workerTags: ["usb"] };
    const flashStep = { action: "compile_upload", step: "flash", builtBy: "nuc", params } as const;
    const r = requirementFor(flashStep, dev("attic", "esp32"), rules);
    const builder = cap("nuc", ["esp-idf", "usb"]);
    const flasherThatBuilt = { ...cap("nuc", []), roles: ["builder", "flasher"] as const };
    expect(blockedReason(r, [])).toBe(
      "needs a worker with the flasher role other than nuc, which built the image (an admin sets roles per worker; the built-in local worker is one); online workers: none",
    );
    expect(blockedReason(r, [builder])).toMatch(/online workers: nuc \[esp-idf, usb\] \(builder\)$/);
    expect(blockedReason(r, [flasherThatBuilt])).not.toBeNull();
    expect(blockedReason(r, [{ ...flasherThatBuilt, local: true }])).toBeNull(); // the built-in worker may
    expect(canTake(r, { ...cap("porch-pi", []), roles: ["flasher"] })).toBe(true);
    expect(canTake(r, { ...cap("porch-pi", [], true), roles: ["flasher"] })).toBe(false);
    expect(routingWords(r)).toBe("");
  });

  it("an upload needs a flasher and keeps its pin (an admin may choose the flasher on the device's LAN)", () => {
    const upload = { action: "upload", step: "flash", builtBy: null, params: { workerId: "porch-pi" } } as const;
    const r = requirementFor(upload, dev("porch", "esp8266"), rules);
    const flasher = (id: string) => ({ ...cap(id, []), roles: ["flasher"] as const });
    expect(canTake(r, flasher("porch-pi"))).toBe(true);
    expect(canTake(r, flasher("attic-pi"))).toBe(false);
    expect(canTake(r, cap("porch-pi", []))).toBe(false); // a builder
    expect(blockedReason(r, [cap("porch-pi", [])])).toMatch(/^needs a worker with the flasher role \(/);
    expect(blockedReason(r, [flasher("attic-pi")])).toMatch(
      /^pinned to worker porch-pi \(params.workerId\), which is offline/,
    );
  });

  it("globs are literal except * and ?, whole-name, and match the device's name too", () => {
    const byName: RoutingRule[] = [{ name: "n", match: { name: "a.b?" }, workerTags: ["t"] }];
    expect(requirementOf({}, dev("a.bc", null), byName).rule).not.toBeNull();
    expect(requirementOf({}, dev("axbc", null), byName).rule).toBeNull();
    expect(requirementOf({}, dev("a.bcd", null), byName).rule).toBeNull();
    expect(requirementOf({}, { ...dev("x", null), name: "A.BZ" }, byName).rule).not.toBeNull();
  });
});
