// The whole scene of the real-HA tests: a real sidecar (stand-in build command, its local worker),
// a real Home Assistant with our integration set up through its config flow, and a storage-mode
// dashboard with the card in a sections view, a masonry view and a panel view.
import { deviceYaml, startSidecar, type RunningSidecar } from "../sidecar.ts";
import { startHomeAssistant, type HomeAssistant } from "./ha-process.ts";

export const DASHBOARD = "forge-test";
export const CARD = { type: "custom:esphome-forge-card", title: "ESPHome builds" } as const;

/** The devices of the scene: a few platforms, tags, one slow build to watch live. */
export const DEVICES: Record<string, string> = {
  "kitchen-plug.yaml": deviceYaml("kitchen-plug", "Kitchen plug", { tags: ["kitchen"], knobs: "sleep-ms=1500" }),
  "garage-door.yaml": deviceYaml("garage-door", "Garage door", { platform: "esp8266", tags: ["garage"] }),
  "garden-lights.yaml": deviceYaml("garden-lights", "Garden lights", { tags: ["garden", "outdoor"] }),
  "office-climate.yaml": deviceYaml("office-climate", "Office climate", { tags: ["office"] }),
  "porch-sensor.yaml": deviceYaml("porch-sensor", "Porch sensor", { platform: "esp8266", tags: ["outdoor"] }),
};

export interface ForgeHome {
  ha: HomeAssistant;
  sidecar: RunningSidecar;
  entryId: string;
  /** The sidecar's REST API with its admin token (for setting the scene, never for assertions on the card). */
  sidecarApi<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Stops the sidecar and starts it again on the same address and data (for outage tests). */
  restartSidecar(opts?: { down?: () => Promise<void> }): Promise<void>;
  stop(): Promise<void>;
}

export const LOVELACE = {
  title: "Forge",
  views: [
    {
      title: "Builds",
      path: "builds",
      type: "sections",
      max_columns: 4,
      // A section as wide as the view: what the README recommends for this card.
      sections: [{ type: "grid", column_span: 4, cards: [{ type: "heading", heading: "Firmware" }, { ...CARD }] }],
    },
    { title: "Masonry", path: "masonry", cards: [{ ...CARD }] },
    { title: "Panel", path: "panel", type: "panel", cards: [{ ...CARD, title: "Fleet" }] },
  ],
};

export async function startForgeHome(): Promise<ForgeHome> {
  let sidecar = await startSidecar(DEVICES, { slots: 2 });
  const ha = await startHomeAssistant().catch(async (err: unknown) => {
    await sidecar.stop();
    throw err;
  });
  try {
    const flow = await ha.rest<{ flow_id: string }>("POST", "/api/config/config_entries/flow", {
      handler: "esphome_forge",
      show_advanced_options: false,
    });
    const done = await ha.rest<{ type: string; result?: { entry_id: string } }>(
      "POST",
      `/api/config/config_entries/flow/${flow.flow_id}`,
      { url: sidecar.url, token: sidecar.token },
    );
    if (done.type !== "create_entry" || !done.result) throw new Error(`config flow: ${JSON.stringify(done)}`);
    const ws = await ha.socket();
    try {
      await ws.call({
        type: "lovelace/dashboards/create",
        url_path: DASHBOARD,
        title: "Forge",
        icon: "mdi:hammer-wrench",
        mode: "storage",
        show_in_sidebar: true,
        require_admin: false,
      });
      await ws.call({ type: "lovelace/config/save", url_path: DASHBOARD, config: LOVELACE });
    } finally {
      ws.close();
    }
    const entryId = done.result.entry_id;
    return {
      ha,
      get sidecar() {
        return sidecar;
      },
      entryId,
      async sidecarApi<T>(method: string, path: string, body?: unknown): Promise<T> {
        const res = await fetch(`${sidecar.url}/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${sidecar.token}`,
            ...(body ? { "content-type": "application/json" } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
        if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
      },
      async restartSidecar(opts = {}) {
        const port = Number(new URL(sidecar.url).port);
        const { dataDir, token } = sidecar;
        await sidecar.stop({ keepData: true });
        await opts.down?.();
        sidecar = await startSidecar({}, { slots: 2, token, dataDir, port });
      },
      async stop() {
        await ha.stop();
        await sidecar.stop();
      },
    };
  } catch (err) {
    console.error(ha.output().slice(-6000));
    await ha.stop();
    await sidecar.stop();
    throw err;
  }
}
