// @vitest-environment happy-dom
// The editor's form logic, and the editor element against a stand-in `ha-form` that records what it
// is given and lets the test edit like HA's form does (one `value-changed` with the whole data).
// The real `ha-form` in the real frontend is exercised by test/in-ha/card-in-real-ha.test.ts.
import { describe, expect, it } from "vitest";
import { validateConfig, type ForgeCardConfig } from "./config.js";
import { configFromForm, formData, formSchema, type FormData } from "./config-form.js";
import type { ForgeCardEditor } from "./forge-card-editor.js";

class StandInForm extends HTMLElement {
  data: FormData | null = null;
  schema: readonly { name: string; selector: Record<string, unknown> }[] = [];
  computeLabel: ((s: { name: string }) => string) | null = null;
  edit(patch: Partial<FormData>): void {
    this.dispatchEvent(new CustomEvent("value-changed", { detail: { value: { ...this.data, ...patch } } }));
  }
}
customElements.define("ha-form", StandInForm);
await import("./forge-card-editor.js");

const T = "custom:esphome-forge-card";

async function mount(config: ForgeCardConfig) {
  const el = document.createElement("esphome-forge-card-editor") as ForgeCardEditor;
  el.setConfig(config);
  document.body.append(el);
  await el.updateComplete;
  const events: ForgeCardConfig[] = [];
  el.addEventListener("config-changed", (e) =>
    events.push((e as CustomEvent<{ config: ForgeCardConfig }>).detail.config),
  );
  const form = () => el.shadowRoot!.querySelector<StandInForm>("ha-form")!;
  const edit = async (patch: Partial<FormData>) => {
    form().edit(patch);
    await el.updateComplete;
  };
  return { el, events, form, edit };
}

describe("card editor form", () => {
  it("offers views and columns as lists, the fleet's tags, and the sidecar's config entries", () => {
    const schema = formSchema(["garage", "kitchen"]);
    expect(schema.map((s) => s.name)).toEqual(["title", "views", "columns", "tags", "compact", "entry_id"]);
    expect(schema[3]).toMatchObject({
      selector: {
        select: { multiple: true, custom_value: true, options: [{ value: "garage" }, { value: "kitchen" }] },
      },
    });
    expect(schema[5]).toEqual({ name: "entry_id", selector: { config_entry: { integration: "esphome_forge" } } });
  });

  it("fills the form from a config with the defaults made visible", () => {
    expect(formData({ type: T })).toEqual({
      title: "",
      views: ["devices", "queue", "workers", "schedules"],
      columns: ["online", "version", "status", "trust", "last_build"],
      tags: [],
      compact: false,
    });
  });

  it("keeps the config's order, its other keys, and leaves defaults out", () => {
    const previous = {
      type: T,
      views: ["workers", "devices"],
      grid_options: { columns: 12 },
      compact: true,
    } as ForgeCardConfig;
    const { config } = configFromForm(previous, {
      ...formData(previous),
      views: ["devices", "queue", "workers"],
      compact: false,
      title: "  ",
      tags: ["kitchen", " "],
    });
    expect(config).toEqual({
      type: T,
      views: ["workers", "devices", "queue"],
      columns: ["online", "version", "status", "trust", "last_build"],
      tags: ["kitchen"],
      grid_options: { columns: 12 },
    });
    expect(configFromForm(previous, { ...formData(previous), views: [] })).toEqual({
      config: null,
      problem: "Choose at least one view.",
    });
  });
});

describe("card editor element", () => {
  it("hands ha-form the data and labels, and sends every edit as a whole, valid config", async () => {
    const start = {
      type: T,
      title: "Builds",
      views: ["devices", "queue"],
      tags: ["kitchen"],
      columns: ["status", "trust"],
    } as ForgeCardConfig;
    const { events, form, edit } = await mount(start);
    expect(form().data).toEqual({
      title: "Builds",
      views: ["devices", "queue"],
      columns: ["status", "trust"],
      tags: ["kitchen"],
      compact: false,
    });
    expect(form().computeLabel!({ name: "tags" })).toBe("Only devices with one of these tags");

    await edit({ views: ["devices", "queue", "workers"] });
    await edit({ columns: ["online", "status", "trust"], compact: true, title: "" });
    expect(events).toHaveLength(2);
    const last = events.at(-1)!;
    expect(last).toEqual({
      type: T,
      views: ["devices", "queue", "workers"],
      tags: ["kitchen"],
      columns: ["online", "status", "trust"],
      compact: true,
    });
    expect(() => validateConfig(last)).not.toThrow();
    // What the editor produced loads back into the same form.
    const again = await mount(last);
    expect(again.form().data).toMatchObject({ views: ["devices", "queue", "workers"], compact: true, title: "" });
  });

  it("refuses to drop the last view and reports invalid tags inline", async () => {
    const { el, events, edit } = await mount({ type: T, views: ["devices"] });
    await edit({ views: [] });
    expect(events).toHaveLength(0);
    expect(el.shadowRoot!.querySelector('[role="alert"]')!.textContent).toBe("Choose at least one view.");
    await edit({ views: ["devices"], tags: ["Bad Tag"] });
    expect(el.shadowRoot!.querySelector('[role="alert"]')!.textContent).toContain('"Bad Tag" is not a tag');
    expect(events.at(-1)!.tags).toEqual(["Bad Tag"]);
  });
});
