// A faithful fake of Home Assistant's `hass` object for the card: states and registries, a
// `connection` that answers the `esphome_forge` integration's WebSocket commands the way
// docs/ha-websocket-api.md specifies (validation, admin checks, error codes), renewed
// immutably on every change like HA does. Unknown commands fail loudly.
import type { HaMessage } from "../../../src/data/ha-source.js";
import type { HomeAssistantLike, HassEntityLike } from "../../../src/card/ha-types.js";
import { FakeFleet } from "./fake-fleet.ts";

export interface HaError {
  code: string;
  message: string;
}
const err = (code: string, message: string): HaError => ({ code, message });

function check(msg: HaMessage, allowed: string[], required: string[] = []): void {
  for (const k of Object.keys(msg))
    if (k !== "type" && k !== "id" && !allowed.includes(k))
      throw err("invalid_format", `extra keys not allowed @ data['${k}']`);
  for (const k of required)
    if (msg[k] === undefined) throw err("invalid_format", `required key not provided @ data['${k}']`);
  if (msg.entry_id !== undefined && typeof msg.entry_id !== "string")
    throw err("invalid_format", "expected str for dictionary value @ data['entry_id']");
}
const deviceIds = (msg: HaMessage): string[] => {
  const ids = msg.device_ids;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => typeof x === "string"))
    throw err("invalid_format", "length of value must be at least 1 for dictionary value @ data['device_ids']");
  return ids as string[];
};
const intParam = (msg: HaMessage, key: string): number => {
  const v = msg[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    throw err("invalid_format", `expected int for dictionary value @ data['${key}']`);
  return v;
};

export class FakeConnection {
  readonly received: HaMessage[] = [];
  readonly unhandled: HaMessage[] = [];
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly owner: FakeHass) {}

  addEventListener(ev: string, cb: () => void): void {
    (this.listeners.get(ev) ?? this.listeners.set(ev, new Set()).get(ev)!).add(cb);
  }
  removeEventListener(ev: string, cb: () => void): void {
    this.listeners.get(ev)?.delete(cb);
  }
  fire(ev: "ready" | "disconnected"): void {
    for (const cb of this.listeners.get(ev) ?? []) cb();
  }

  async subscribeMessage<T>(cb: (e: T) => void, msg: HaMessage): Promise<() => Promise<void>> {
    this.received.push(msg);
    const fleet = this.owner.fleet;
    let off: () => void;
    if (msg.type === "esphome_forge/subscribe") {
      check(msg, ["entry_id"]);
      off = fleet.subscribe(cb as (e: unknown) => void);
      setTimeout(() => cb(fleet.snapshot() as T), 0); // HA: result first, then the first event
    } else if (msg.type === "esphome_forge/job_log") {
      check(msg, ["job_id", "offset", "entry_id"], ["job_id"]);
      const jobId = intParam(msg, "job_id");
      const offset = msg.offset === undefined ? 0 : intParam(msg, "offset");
      if (!fleet.jobs.has(jobId)) throw err("not_found", `no job with id ${jobId}`);
      let inner: () => void = () => undefined;
      setTimeout(() => (inner = fleet.subscribeLog(jobId, offset, cb as (e: unknown) => void)), 0);
      off = () => inner();
    } else {
      this.unhandled.push(msg);
      throw err("unknown_command", `Unknown command ${msg.type}.`);
    }
    return async () => off();
  }

  async sendMessagePromise<T>(msg: HaMessage): Promise<T> {
    this.received.push(msg);
    const fleet = this.owner.fleet;
    const admin = () => {
      if (!this.owner.hass.user?.is_admin) throw err("unauthorized", "Unauthorized");
    };
    switch (msg.type) {
      case "esphome_forge/compile": {
        check(msg, ["device_ids", "upload", "when_online", "priority", "entry_id"], ["device_ids"]);
        admin();
        for (const key of ["upload", "when_online"])
          if (msg[key] !== undefined && typeof msg[key] !== "boolean")
            throw err("invalid_format", `expected bool for dictionary value @ data['${key}']`);
        return fleet.createJobs(
          msg.upload === false ? "compile" : "compile_upload",
          deviceIds(msg),
          msg.when_online ? { whenOnline: true } : {},
        ) as T;
      }
      case "esphome_forge/upload":
        check(msg, ["device_ids", "firmware_sha256", "when_online", "entry_id"], ["device_ids"]);
        admin();
        return fleet.createJobs("upload", deviceIds(msg), msg.when_online ? { whenOnline: true } : {}) as T;
      case "esphome_forge/cancel": {
        check(msg, ["job_id", "entry_id"], ["job_id"]);
        admin();
        try {
          return fleet.cancel(intParam(msg, "job_id")) as T;
        } catch (e) {
          throw err("home_assistant_error", (e as Error).message);
        }
      }
      case "esphome_forge/trust_status":
        check(msg, ["entry_id"]);
        admin();
        return TRUST_STATUS as T;
      default:
        this.unhandled.push(msg);
        throw err("unknown_command", `Unknown command ${msg.type}.`);
    }
  }
}

/** What the integration answers for esphome_forge/trust_status: a healthy sidecar's TrustStatus. */
const TRUST_STATUS = {
  policy: "enforce",
  revocations: {
    version: 2,
    issuedAt: "2026-10-01T00:00:00.000Z",
    expiresAt: "2099-01-01T00:00:00.000Z",
    expired: false,
    entries: 1,
  },
  revocationError: null,
  log: {
    size: 42,
    audit: { ok: true, checkedAt: "2026-11-01T00:00:00.000Z", treeSize: 42, checkpointsChecked: 3, problems: [] },
  },
  keys: { active: 3, retired: 0, revoked: 0 },
};

export class FakeHass {
  readonly fleet: FakeFleet;
  readonly connection: FakeConnection;
  hass: HomeAssistantLike & { callWS: (m: HaMessage) => Promise<unknown>; callService: () => never };
  private readonly subscribers = new Set<(h: FakeHass["hass"]) => void>();

  constructor(devices = 8, opts: { admin?: boolean } = {}) {
    this.fleet = new FakeFleet(devices);
    this.connection = new FakeConnection(this);
    const states: Record<string, HassEntityLike> = {};
    const haDevices: NonNullable<HomeAssistantLike["devices"]> = {};
    const entities: NonNullable<HomeAssistantLike["entities"]> = {};
    let i = 0;
    for (const d of this.fleet.devices.values()) {
      const did = `dev${i}`;
      haDevices[did] = {
        id: did,
        name: d.friendlyName,
        connections: d.mac ? [["mac", d.mac.toLowerCase()]] : [],
        sw_version: `${i % 3 === 0 ? "2026.9.2" : "2026.10.0"} (ESPHome ${i % 3 === 0 ? "2026.9.2" : "2026.10.0"})`,
      };
      const eid = `sensor.${d.id.replace(/-/g, "_")}_wifi_signal`;
      entities[eid] = { entity_id: eid, device_id: did, platform: "esphome" };
      states[eid] = {
        entity_id: eid,
        state: i % 4 === 3 ? "unavailable" : "-61",
        attributes: { unit_of_measurement: "dBm" },
      };
      i++;
    }
    this.hass = {
      connection: this.connection,
      states,
      devices: haDevices,
      entities,
      themes: { darkMode: false },
      user: { is_admin: opts.admin ?? true, name: "Test" },
      language: "en",
      callWS: (m) => this.connection.sendMessagePromise(m),
      callService: () => {
        throw new Error("the card must not call services");
      },
    };
  }

  /** Every change gives a new hass object (HA's immutability), as the frontend does. */
  private renew(patch: Partial<FakeHass["hass"]>): void {
    this.hass = { ...this.hass, ...patch };
    for (const fn of this.subscribers) fn(this.hass);
  }

  onChange(fn: (h: FakeHass["hass"]) => void): void {
    this.subscribers.add(fn);
  }

  setState(entityId: string, state: string): void {
    const old = this.hass.states[entityId]!;
    this.renew({ states: { ...this.hass.states, [entityId]: { ...old, state } } });
  }

  setAdmin(isAdmin: boolean): void {
    this.renew({ user: { ...this.hass.user, is_admin: isAdmin } });
  }

  setDarkMode(dark: boolean): void {
    this.renew({ themes: { darkMode: dark } });
  }
}
