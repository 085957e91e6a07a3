import { describe, expect, it } from "vitest";
import { ForgeError } from "./types.js";
import { HA_WORKSPACE_COMMANDS, haWorkspace } from "./workspace-ha.js";

function recorder(reply: (type: string, params: Record<string, unknown>) => unknown) {
  const sent: { type: string; params: Record<string, unknown> }[] = [];
  const ws = haWorkspace(async <T>(type: string, params: Record<string, unknown>) => {
    sent.push({ type, params });
    return reply(type, params) as T;
  });
  return { ws, sent };
}

describe("the workspace through Home Assistant's commands", () => {
  it("sends the integration's command names and snake_case params", async () => {
    const { ws, sent } = recorder((type) => (type === HA_WORKSPACE_COMMANDS.save ? { saved: { commit: "c" } } : {}));
    await ws.read("porch");
    await ws.read("porch", "common/wifi.yaml");
    expect(await ws.save("porch", "esphome:\n", "a".repeat(64))).toEqual({ commit: "c" });
    await ws.history("porch", 20, 20);
    await ws.diff("porch", "abc1234");
    await ws.restore("porch", "abc1234");
    await ws.create({ name: "attic", template: "rp2040", friendlyName: "Attic" });
    expect(sent).toEqual([
      { type: "esphome_forge/config_read", params: { device_id: "porch" } },
      { type: "esphome_forge/config_read", params: { device_id: "porch", path: "common/wifi.yaml" } },
      {
        type: "esphome_forge/config_save",
        params: { device_id: "porch", content: "esphome:\n", sha256: "a".repeat(64) },
      },
      { type: "esphome_forge/config_history", params: { device_id: "porch", offset: 20, limit: 20 } },
      { type: "esphome_forge/config_diff", params: { device_id: "porch", from: "abc1234" } },
      { type: "esphome_forge/config_restore", params: { device_id: "porch", commit: "abc1234" } },
      { type: "esphome_forge/device_create", params: { name: "attic", template: "rp2040", friendly_name: "Attic" } },
    ]);
  });

  it("turns a refused save into the same conflict error as over REST, with its diff", async () => {
    const conflict = { currentSha256: "b".repeat(64), diff: "-old\n+new\n" };
    const { ws } = recorder(() => ({ conflict, message: "porch.yaml changed since you loaded it" }));
    const err = await ws.save("porch", "x", "a".repeat(64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForgeError);
    expect(err).toMatchObject({
      code: "conflict",
      status: 409,
      details: conflict,
      message: "porch.yaml changed since you loaded it",
    });
  });
});
