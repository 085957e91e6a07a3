// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { validateConfig, type ForgeCardConfig } from "./config.js";
import "./forge-card-editor.js";
import type { ForgeCardEditor } from "./forge-card-editor.js";

async function mount(config: ForgeCardConfig) {
  const el = document.createElement("esphome-forge-card-editor") as ForgeCardEditor;
  el.setConfig(config);
  document.body.append(el);
  await el.updateComplete;
  const events: ForgeCardConfig[] = [];
  el.addEventListener("config-changed", (e) =>
    events.push((e as CustomEvent<{ config: ForgeCardConfig }>).detail.config),
  );
  const q = <T extends Element>(sel: string) => el.shadowRoot!.querySelector<T>(sel)!;
  const toggle = async (name: string) => {
    const box = q<HTMLInputElement>(`input[name="${name}"]`);
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change"));
    await el.updateComplete;
  };
  const type = async (sel: string, value: string) => {
    const input = q<HTMLInputElement>(sel);
    input.value = value;
    input.dispatchEvent(new Event("change"));
    await el.updateComplete;
  };
  return { el, events, q, toggle, type };
}

describe("card editor", () => {
  it("shows the config and sends every change as a whole, valid config", async () => {
    const start = {
      type: "custom:esphome-forge-card",
      title: "Builds",
      views: ["devices", "queue"],
      tags: ["kitchen"],
      columns: ["status", "trust"],
      compact: false,
    } as ForgeCardConfig;
    const { events, q, toggle, type } = await mount(start);
    expect(q<HTMLInputElement>("#title").value).toBe("Builds");
    expect(q<HTMLInputElement>('input[name="view-workers"]').checked).toBe(false);
    expect(q<HTMLInputElement>("#tags").value).toBe("kitchen");
    expect(q<HTMLInputElement>('input[name="column-online"]').checked).toBe(false);

    await toggle("view-workers");
    await toggle("column-online");
    await toggle("compact");
    await type("#tags", "kitchen, garden");
    await type("#title", "");
    const last = events.at(-1)!;
    expect(last).toEqual({
      type: "custom:esphome-forge-card",
      views: ["devices", "queue", "workers"],
      tags: ["kitchen", "garden"],
      columns: ["online", "status", "trust"],
      compact: true,
    });
    expect(() => validateConfig(last)).not.toThrow();
    expect(events).toHaveLength(5);
  });

  it("round-trips: a config the editor produced loads back into the same form", async () => {
    const first = await mount({ type: "custom:esphome-forge-card" });
    await first.toggle("view-queue");
    await first.toggle("column-trust");
    const produced = first.events.at(-1)!;
    const second = await mount(produced);
    expect(second.q<HTMLInputElement>('input[name="view-queue"]').checked).toBe(false);
    expect(second.q<HTMLInputElement>('input[name="column-trust"]').checked).toBe(false);
    expect(second.q<HTMLInputElement>('input[name="column-status"]').checked).toBe(true);
  });

  it("keeps at least one view and reports invalid tags inline", async () => {
    const { q, type, events } = await mount({ type: "custom:esphome-forge-card", views: ["devices"] });
    expect(q<HTMLInputElement>('input[name="view-devices"]').disabled).toBe(true);
    await type("#tags", "Bad Tag");
    expect(q('[role="alert"]').textContent).toContain('"Bad Tag" is not a tag');
    expect(events.at(-1)!.tags).toEqual(["Bad Tag"]);
  });
});
