// Whether the sidecar browses the link for ESPHome devices. `FORGE_PRESENCE` (or `--no-presence`):
// `off` never; `on` always, even listening on loopback only or with zeroconf off (tests); unset =
// auto: browse when zeroconf is on and the sidecar listens beyond loopback (a sidecar nobody on the
// LAN can reach has no business on its multicast group). HA-fed presence works in every case.
import { isLoopbackHost } from "../discovery/zeroconf-advertiser.js";

export type PresenceSetting = "auto" | "on" | "off";

export function presenceSettingByEnv(value: string | undefined): PresenceSetting {
  const v = (value ?? "").trim().toLowerCase();
  if (/^(off|0|false|no)$/.test(v)) return "off";
  if (/^(on|1|true|yes)$/.test(v)) return "on";
  return "auto";
}

export function browsePlan(o: { setting: PresenceSetting; zeroconf: boolean; listenHost: string }): {
  browse: boolean;
  why: string;
} {
  if (o.setting === "off") return { browse: false, why: "mDNS browsing is off (--no-presence / FORGE_PRESENCE=off)" };
  if (o.setting === "on") return { browse: true, why: "mDNS browsing explicitly on (FORGE_PRESENCE=on)" };
  if (!o.zeroconf)
    return { browse: false, why: "mDNS browsing is off with zeroconf (--no-zeroconf / FORGE_ZEROCONF=off)" };
  if (isLoopbackHost(o.listenHost))
    return {
      browse: false,
      why: `no mDNS browsing (listening on ${o.listenHost} only; FORGE_PRESENCE=on to browse anyway)`,
    };
  return { browse: true, why: "browsing mDNS for _esphomelib._tcp" };
}
