// Presence against a real sidecar process: fake ESPHome devices on the link (mDNS responders with
// ESPHome's TXT keys, test-support/fake-esphome-device.ts) come, leave with a goodbye or silently,
// and come back; the sidecar's device view and events follow. Plus Home Assistant's reports over
// REST, and the running firmware compared with what Forge flashed (trust included). mDNS is
// link-local and loopback has no MULTICAST flag here, so the fakes use the LAN interface; the
// sidecar listens on loopback and browses because FORGE_PRESENCE=on says so.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Device, type EventsServerMessage } from "@esphome-forge/shared";
import { Api } from "../src/devtools/api-client.js";
import { EventsClient } from "../src/devtools/events-client.js";
import { writeFleet } from "../src/devtools/fleet.js";
import { startSidecar, tempDir, waitFor, type SidecarProc } from "../src/devtools/processes.js";
import { FakeEsphomeDevice, lanIpv4 } from "../test-support/fake-esphome-device.js";
import { settledJob } from "../test-support/fleet-jobs.js";

const LAN = lanIpv4();
const OFFLINE_AFTER_SEC = 5;
const tag = randomBytes(3).toString("hex");
// Names unique to this run: other sidecars and fakes may share the link.
const ids = { seen: `pr${tag}-lamp`, byMac: `pr${tag}-plug`, ha: `pr${tag}-gate`, flashed: `pr${tag}-fan` };
const mac = (n: number) => `02${tag}00${n.toString(16).padStart(2, "0")}`;

let sc: SidecarProc;
let api: Api;
let events: EventsClient;
const fakes: FakeEsphomeDevice[] = [];

async function fake(o: Parameters<typeof FakeEsphomeDevice.start>[0], announce = true) {
  const f = await FakeEsphomeDevice.start(o, announce);
  fakes.push(f);
  return f;
}
const device = (id: string) => api.json("GET", `/devices/${id}`, undefined, Device);
const until = (id: string, pred: (d: Device) => boolean, what: string, ms = 20_000) =>
  waitFor(
    async () => {
      const d = await device(id);
      return pred(d) ? d : null;
    },
    `${id}: ${what}`,
    ms,
  );
const deviceEvents = (id: string) =>
  events.messages.filter(
    (m): m is Extract<EventsServerMessage, { type: "device" }> => m.type === "device" && m.id === id,
  );

describe.skipIf(!LAN)(
  "presence (skipped: no non-loopback IPv4 interface, and mDNS needs a multicast-capable one)",
  () => {
    beforeAll(async () => {
      const dataDir = tempDir();
      writeFleet(join(dataDir, "config"), [{ id: ids.seen }, { id: ids.byMac }, { id: ids.ha }, { id: ids.flashed }]);
      sc = await startSidecar({ dataDir, args: ["--no-seed"], localSlots: 1, env: { FORGE_PRESENCE: "on" } });
      api = new Api(sc.url, sc.token);
      await api.json("PATCH", "/settings", { presenceOfflineAfterSec: OFFLINE_AFTER_SEC });
      // The plug's MAC is known from its metadata block: it is matched by MAC, whatever its hostname.
      await api.json("PATCH", `/devices/${ids.byMac}/metadata`, { mac: mac(2).replace(/(..)(?!$)/g, "$1:") });
      events = new EventsClient(sc.url, sc.token);
      await events.opened;
    });
    afterAll(async () => {
      events?.close();
      await Promise.all(fakes.map((f) => f.stop()));
      await sc?.stop();
    });

    it("browses on loopback only because FORGE_PRESENCE=on, and nobody is online before being heard", async () => {
      expect(sc.output()).toContain("presence: mDNS browsing explicitly on");
      const d = await device(ids.seen);
      expect(d.online).toBeNull();
      expect(d.lastSeen).toBeNull();
      expect(d.running).toBeNull();
    });

    it("an advertising device is online with its addresses and TXT facts; only its own view is re-announced", async () => {
      const before = events.messages.length;
      const f = await fake({ name: ids.seen, mac: mac(1), ipv6: "fd00::e5:1" });
      const d = await until(ids.seen, (x) => x.online === true, "online");
      expect(d.lastSeen).not.toBeNull();
      expect(d.presence).toMatchObject({
        source: "mdns",
        hostname: ids.seen,
        mac: mac(1),
        platform: "ESP32",
        board: "esp32dev",
        network: "wifi",
        friendlyName: `Fake ${ids.seen}`,
        apiEncryption: "Noise_NNpsk0_25519_ChaChaPoly_SHA256",
        otaSigned: true,
      });
      expect(d.presence!.addresses).toEqual([LAN, "fd00::e5:1"]);
      expect(d.running).toMatchObject({
        esphomeVersion: "2026.10.0",
        projectName: "forge.fake",
        projectVersion: "1.0.0",
        configHash: "1a2b3c4d",
        source: "mdns",
        match: "not_flashed",
      });
      expect(d.trust.running.state).not.toBe("verified");
      await waitFor(() => deviceEvents(ids.seen).some((e) => e.device?.online === true), "the online event");
      const others = events.messages
        .slice(before)
        .filter((m) => m.type === "device" && m.id !== ids.seen && m.id !== ids.byMac);
      expect(others).toEqual([]); // presence never re-announces devices it did not change
      // The sidecar also asks (active queries), not only listens.
      await waitFor(() => f.answered > 0, "an answered query");
    });

    it("a goodbye makes it offline at once (last seen kept); it is back when it announces itself again", async () => {
      const f = fakes.find((x) => x.fqdn.startsWith(`${ids.seen}.`))!;
      await f.goodbye();
      const gone = await until(ids.seen, (x) => x.online === false, "offline after goodbye");
      // Offline when it said goodbye, not after the silence.
      expect(Date.parse(gone.presence!.since!) - Date.parse(gone.lastSeen!)).toBeLessThan(OFFLINE_AFTER_SEC * 1000);
      expect(gone.running?.esphomeVersion).toBe("2026.10.0"); // the last known firmware stays
      await f.comeBack();
      await until(ids.seen, (x) => x.online === true, "online again");
    });

    it("a device that vanishes silently goes offline only after the silence, then a sleeper is found by query", async () => {
      const f = fakes.find((x) => x.fqdn.startsWith(`${ids.seen}.`))!;
      const online = await until(ids.seen, (x) => x.online === true, "online");
      await f.vanish();
      const off = await until(ids.seen, (x) => x.online === false, "offline after silence", 30_000);
      // Never before the silence has passed since it was last heard (a lower bound: load only delays).
      expect(Date.parse(off.presence!.since!) - Date.parse(off.lastSeen!)).toBeGreaterThanOrEqual(
        OFFLINE_AFTER_SEC * 1000 - 100,
      );
      expect(Date.parse(off.lastSeen!)).toBeGreaterThanOrEqual(Date.parse(online.lastSeen!));
      // It wakes without announcing (the announcement was missed): the sidecar's query finds it.
      const asked = f.answered;
      await f.comeBack(false);
      await until(ids.seen, (x) => x.online === true, "found again by query", 30_000);
      expect(f.answered).toBeGreaterThan(asked);
    });

    it("matches by MAC: a known MAC takes the suffixed hostname, and another board with its name is not it", async () => {
      await fake({ name: ids.byMac, mac: mac(9) }); // same hostname, another board
      await fake({ name: `${ids.byMac}-${mac(2).slice(6)}`, mac: mac(2) });
      const d = await until(ids.byMac, (x) => x.online === true, "online by MAC");
      expect(d.presence).toMatchObject({ mac: mac(2), hostname: `${ids.byMac}-${mac(2).slice(6)}` });
    });

    it("Home Assistant's reports: presence without multicast, mDNS wins while it hears the device", async () => {
      const report = { source: "ha", online: true, esphomeVersion: "2026.9.1", projectVersion: "0.9.0" };
      const d = await api.json("PUT", `/devices/${ids.ha}/presence`, report, Device);
      expect(d).toMatchObject({ online: true, presence: { source: "ha", addresses: [] } });
      expect(d.running).toMatchObject({ esphomeVersion: "2026.9.1", projectVersion: "0.9.0", source: "ha" });
      const off = await api.json("PUT", `/devices/${ids.ha}/presence`, { source: "ha", online: false }, Device);
      expect(off.online).toBe(false);
      expect(off.running).toBeNull(); // a report replaces the last one: HA no longer says
      // The lamp is heard over mDNS: an HA report saying otherwise changes neither online nor running.
      await until(ids.seen, (x) => x.online === true, "lamp online");
      const lamp = await api.json("PUT", `/devices/${ids.seen}/presence`, { ...report, online: false }, Device);
      expect(lamp).toMatchObject({ online: true, presence: { source: "mdns" }, running: { source: "mdns" } });
    });

    it("refuses bad presence reports: no token, unknown device, bad body, a MAC that contradicts", async () => {
      const put = (id: string, body: unknown, token = sc.token) =>
        new Api(sc.url, token).raw("PUT", `/devices/${id}/presence`, body);
      expect((await put(ids.ha, { source: "ha", online: true }, "x".repeat(40))).status).toBe(401);
      expect((await put("nope", { source: "ha", online: true })).status).toBe(404);
      for (const body of [
        { source: "mdns", online: true },
        { source: "ha" },
        { source: "ha", online: true, esphomeVersion: "x".repeat(65) },
        { source: "ha", online: true, extra: 1 },
        { source: "ha", online: true, mac: "not-a-mac" },
        { source: "ha", online: false, lastSeen: "yesterday" },
      ])
        expect((await put(ids.ha, body)).status, JSON.stringify(body)).toBe(400);
      const conflict = await put(ids.byMac, { source: "ha", online: true, mac: "02:00:00:00:00:99" });
      expect(conflict.status).toBe(409);
      expect(await conflict.text()).toContain(mac(2));
      expect((await device(ids.byMac)).presence?.source).toBe("mdns");
    });

    it("running firmware against Forge's flash: matches, changed outside Forge, and trust follows", async () => {
      // It does not enforce signed OTA: the stand-in compiler's images are not ESP app images, and a device
      // advertising `ota_signed` would (rightly) be refused them before anything is sent.
      const f = await fake({
        name: ids.flashed,
        mac: mac(4),
        txt: { version: "2026.9.0", config_hash: "00000001", ota_signed: "false" },
      });
      await until(ids.flashed, (x) => x.running?.match === "not_flashed", "not flashed yet");
      // It reboots into the new firmware once the OTA is done. Until the silence passes it still counts as
      // online: a long one here, so a slow build cannot make its flash wait for the device (device-wait.test.ts).
      await api.json("PATCH", "/settings", { presenceOfflineAfterSec: 600 });
      await f.vanish();
      const { jobs } = await api.createJobs({ action: "compile_upload", targets: { devices: [ids.flashed] } });
      const job = await settledJob(api, jobs[0]!.jobId!);
      await api.json("PATCH", "/settings", { presenceOfflineAfterSec: OFFLINE_AFTER_SEC });
      expect(job.state, `${job.error}\n${await api.log(job.id)}`).toBe("succeeded");
      expect(job.esphomeVersion).toBe("2026.10.0");
      // Until the device speaks after the flash, Forge cannot tell.
      const flashed = await until(ids.flashed, (x) => x.running?.match === "unconfirmed", "unconfirmed");
      expect(flashed.trust.running.state).toBe("verified");

      // It boots what Forge flashed: the first config hash it reports is the baseline.
      await f.reboot({ version: "2026.10.0", config_hash: "0000000a" });
      const ok = await until(ids.flashed, (x) => x.running?.match === "matches", "matches");
      expect(ok.trust.running.state).toBe("verified");

      // A version Forge never built is never shown as verified.
      await f.reboot({ version: "2026.8.2" });
      const older = await until(ids.flashed, (x) => x.running?.esphomeVersion === "2026.8.2", "2026.8.2");
      expect(older.running).toMatchObject({ match: "changed_outside_forge" });
      expect(older.running?.note).toContain("Forge flashed ESPHome 2026.10.0");
      expect(older.trust.running.state).toBe("unknown");
      expect(older.trust.running.reason).toMatch(/^changed outside Forge/);

      // Another tool installs a build of the very versions Forge flashed: the config hash gives it away.
      await f.reboot({ version: "2026.10.0", config_hash: "0000000b" });
      const other = await until(ids.flashed, (x) => x.running?.configHash === "0000000b", "hash 0000000b");
      expect(other.running).toMatchObject({ esphomeVersion: "2026.10.0", match: "changed_outside_forge" });
      expect(other.running?.note).toContain("0000000a");
      expect(other.trust.running.state).toBe("unknown");
    });

    it("keeps what it knew across a restart: last seen, the running firmware and the baseline", async () => {
      for (const f of fakes) await f.vanish();
      const before = await device(ids.flashed);
      await sc.stop();
      sc = await startSidecar({ dataDir: sc.dataDir, args: ["--no-seed"], localSlots: 1 });
      api = new Api(sc.url, sc.token);
      expect(sc.output()).toContain("presence: mDNS browsing is off with zeroconf");
      const after = await device(ids.flashed);
      expect(after.lastSeen).not.toBeNull();
      expect(Date.parse(after.lastSeen!)).toBeGreaterThanOrEqual(Date.parse(before.lastSeen!));
      // Same versions as Forge's flash: only the stored baseline can still tell it was changed.
      expect(after.running).toMatchObject({ esphomeVersion: "2026.10.0", configHash: "0000000b" });
      expect(after.running).toMatchObject({ match: "changed_outside_forge" });
      expect(after.trust.running.state).toBe("unknown");
    });
  },
);
