// Home Assistant add-on (app) configuration rules, written from the developer documentation of
// config.yaml, build.yaml, repository.yaml and the options schema (developers.home-assistant.io,
// "App/Add-on configuration"), cross-checked against what the Supervisor accepts. The Supervisor
// silently drops unknown keys and skips an add-on whose config fails, so the add-on just vanishes
// from the store: these checks are stricter and say what is wrong.

export type Problems = string[];

const ARCHES = ["aarch64", "amd64", "armhf", "armv7", "i386"];
const MAP_TYPES = [
  "homeassistant_config",
  "addon_config",
  "ssl",
  "addons",
  "backup",
  "share",
  "media",
  "all_addon_configs",
  "data",
  "config", // the deprecated name of homeassistant_config
];
const PRIVILEGES = [
  "BPF",
  "CHECKPOINT_RESTORE",
  "DAC_READ_SEARCH",
  "IPC_LOCK",
  "NET_ADMIN",
  "NET_RAW",
  "PERFMON",
  "SYS_ADMIN",
  "SYS_MODULE",
  "SYS_NICE",
  "SYS_PTRACE",
  "SYS_RAWIO",
  "SYS_RESOURCE",
  "SYS_TIME",
];

type Kind = "str" | "bool" | "int" | "list" | "dict" | "any";
/** Every documented key and its type (required ones marked). */
const KEYS: Record<string, { kind: Kind; required?: true; oneOf?: string[] }> = {
  name: { kind: "str", required: true },
  version: { kind: "str", required: true },
  slug: { kind: "str", required: true },
  description: { kind: "str", required: true },
  arch: { kind: "list", required: true },
  machine: { kind: "list" },
  url: { kind: "str" },
  startup: { kind: "str", oneOf: ["initialize", "system", "services", "application", "once"] },
  webui: { kind: "str" },
  boot: { kind: "str", oneOf: ["auto", "manual", "manual_only"] },
  ports: { kind: "dict" },
  ports_description: { kind: "dict" },
  host_network: { kind: "bool" },
  host_ipc: { kind: "bool" },
  host_dbus: { kind: "bool" },
  host_pid: { kind: "bool" },
  host_uts: { kind: "bool" },
  devices: { kind: "list" },
  homeassistant: { kind: "str" },
  hassio_role: { kind: "str", oneOf: ["default", "homeassistant", "backup", "manager", "admin"] },
  hassio_api: { kind: "bool" },
  homeassistant_api: { kind: "bool" },
  docker_api: { kind: "bool" },
  privileged: { kind: "list" },
  full_access: { kind: "bool" },
  apparmor: { kind: "any" },
  map: { kind: "list" },
  environment: { kind: "dict" },
  audio: { kind: "bool" },
  video: { kind: "bool" },
  gpio: { kind: "bool" },
  usb: { kind: "bool" },
  uart: { kind: "bool" },
  udev: { kind: "bool" },
  devicetree: { kind: "bool" },
  kernel_modules: { kind: "bool" },
  stdin: { kind: "bool" },
  legacy: { kind: "bool" },
  options: { kind: "dict" },
  schema: { kind: "any" },
  image: { kind: "str" },
  timeout: { kind: "int" },
  tmpfs: { kind: "bool" },
  discovery: { kind: "list" },
  services: { kind: "list" },
  auth_api: { kind: "bool" },
  ingress: { kind: "bool" },
  ingress_port: { kind: "int" },
  ingress_entry: { kind: "str" },
  ingress_stream: { kind: "bool" },
  panel_icon: { kind: "str" },
  panel_title: { kind: "str" },
  panel_admin: { kind: "bool" },
  backup: { kind: "str", oneOf: ["hot", "cold"] },
  backup_pre: { kind: "str" },
  backup_post: { kind: "str" },
  backup_exclude: { kind: "list" },
  advanced: { kind: "bool" },
  stage: { kind: "str", oneOf: ["stable", "experimental", "deprecated"] },
  init: { kind: "bool" },
  watchdog: { kind: "str" },
  realtime: { kind: "bool" },
  journald: { kind: "bool" },
  breaking_versions: { kind: "list" },
  ulimits: { kind: "dict" },
};

/** One options-schema element: a type, optionally bounded, optionally `?` (optional). */
const SCHEMA_ELEMENT =
  /^(?:bool|email|url|port|device(?:\(subsystem=[a-z]+\))?|str(?:\(\d*,\d*\))?|password(?:\(\d*,\d*\))?|int(?:\(-?\d*,-?\d*\))?|float(?:\(-?[\d.]*,-?[\d.]*\))?|match\(.*\)|list\(.+\))\??$/;
const SLUG = /^[-_.A-Za-z0-9]+$/;
const VERSION = /^[A-Za-z0-9._+-]+$/;
const PORT_KEY = /^\d{1,5}(\/(tcp|udp))?$/;
const WATCHDOG = /^(?:https?|\[PROTO:\w+\]|tcp):\/\/\[HOST\]:(\[PORT:\d+\]|\d+).*$/;
const WEBUI = /^(?:https?|\[PROTO:\w+\]):\/\/\[HOST\]:\[PORT:\d+\].*$/;
const IMAGE = /^([a-zA-Z\-.:\d{}]+\/)*?([-\w{}]+)\/([-\w{}]+)(:[.\-\w{}]+)?$/;
const MAP_STRING = new RegExp(`^(${MAP_TYPES.join("|")})(?::(rw|ro))?$`);

const kindOf = (v: unknown): Kind =>
  typeof v === "string"
    ? "str"
    : typeof v === "boolean"
      ? "bool"
      : Number.isInteger(v)
        ? "int"
        : Array.isArray(v)
          ? "list"
          : v !== null && typeof v === "object"
            ? "dict"
            : "any";

const isPort = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

export function checkAddonConfig(c: Record<string, unknown>): Problems {
  const p: Problems = [];
  for (const [key, rule] of Object.entries(KEYS))
    if (rule.required && !(key in c)) p.push(`missing required key ${key}`);
  for (const [key, value] of Object.entries(c)) {
    const rule = KEYS[key];
    if (!rule) {
      p.push(`unknown key ${key} (the Supervisor would drop it silently)`);
      continue;
    }
    if (value === null) p.push(`${key} is null`);
    else if (rule.kind !== "any" && kindOf(value) !== rule.kind) p.push(`${key} must be a ${rule.kind}`);
    else if (rule.oneOf && !rule.oneOf.includes(value as string))
      p.push(`${key} must be one of ${rule.oneOf.join(", ")}`);
  }
  if (typeof c.slug === "string" && !SLUG.test(c.slug)) p.push(`slug ${c.slug} has characters other than -_.A-Za-z0-9`);
  if (typeof c.version === "string" && !VERSION.test(c.version)) p.push(`version ${c.version} is not a version tag`);
  if (typeof c.homeassistant === "string" && !/^\d{4}\.\d{1,2}\.\d+/.test(c.homeassistant))
    p.push(`homeassistant ${c.homeassistant} is not a Home Assistant version`);
  for (const a of asList(c.arch))
    if (!ARCHES.includes(a as string)) p.push(`arch ${String(a)} is not one of ${ARCHES.join(", ")}`);
  if (Array.isArray(c.arch) && c.arch.length === 0) p.push("arch is empty");
  for (const x of asList(c.privileged))
    if (!PRIVILEGES.includes(x as string)) p.push(`privileged ${String(x)} is unknown`);
  if (typeof c.url === "string" && !/^https?:\/\/\S+$/.test(c.url)) p.push("url is not a URL");
  if (typeof c.watchdog === "string" && !WATCHDOG.test(c.watchdog))
    p.push(`watchdog ${c.watchdog} is not http(s)/tcp://[HOST]:[PORT:n]`);
  if (typeof c.webui === "string" && !WEBUI.test(c.webui)) p.push(`webui ${c.webui} is not http(s)://[HOST]:[PORT:n]`);
  if (typeof c.image === "string" && !IMAGE.test(c.image)) p.push(`image ${c.image} is not an image name`);
  if (typeof c.panel_icon === "string" && !/^mdi:[a-z0-9-]+$/.test(c.panel_icon))
    p.push("panel_icon must be mdi:<name>");
  if ("ingress_port" in c && !(c.ingress_port === 0 || isPort(c.ingress_port)))
    p.push("ingress_port must be 0 or a port");
  if ("timeout" in c && !(Number.isInteger(c.timeout) && (c.timeout as number) >= 10 && (c.timeout as number) <= 300))
    p.push("timeout must be 10–300 seconds");
  if (c.ingress === true && c.webui !== undefined)
    p.push("ingress and webui together: the sidebar panel is ingress, drop webui");
  p.push(...checkPorts(c), ...checkMap(c.map), ...checkSchema(c));
  for (const [k, v] of Object.entries((c.environment as Record<string, unknown>) ?? {}))
    if (!/^\w+$/.test(k) || typeof v !== "string") p.push(`environment ${k} must be a name with a string value`);
  for (const s of asList(c.services))
    if (!/^(mqtt|mysql):(provide|want|need)$/.test(String(s)))
      p.push(`services ${String(s)} is not service:provide|want|need`);
  for (const d of asList(c.discovery))
    if (typeof d !== "string" || !d) p.push("discovery entries must be service names");
  for (const d of asList(c.backup_exclude)) if (typeof d !== "string") p.push("backup_exclude entries must be strings");
  return p;
}

function checkPorts(c: Record<string, unknown>): Problems {
  const p: Problems = [];
  const ports = (c.ports as Record<string, unknown>) ?? {};
  for (const [k, v] of Object.entries(ports)) {
    if (!PORT_KEY.test(k)) p.push(`ports key ${k} is not <port>/tcp|udp`);
    if (v !== null && !isPort(v)) p.push(`ports ${k} must map to a host port or null`);
  }
  for (const [k, v] of Object.entries((c.ports_description as Record<string, unknown>) ?? {})) {
    if (!(k in ports)) p.push(`ports_description ${k} describes a port not in ports`);
    if (typeof v !== "string") p.push(`ports_description ${k} must be text`);
  }
  return p;
}

function checkMap(map: unknown): Problems {
  const p: Problems = [];
  const paths = new Map<string, string>();
  for (const entry of asList(map)) {
    let type: string;
    let path: string | undefined;
    if (typeof entry === "string") {
      const m = MAP_STRING.exec(entry);
      if (!m) {
        p.push(`map entry ${entry} is not <type>[:rw|:ro]`);
        continue;
      }
      type = m[1]!;
    } else if (entry && typeof entry === "object") {
      const e = entry as Record<string, unknown>;
      for (const k of Object.keys(e))
        if (!["type", "read_only", "path"].includes(k)) p.push(`map entry key ${k} is unknown`);
      if (typeof e.type !== "string" || !MAP_TYPES.includes(e.type)) {
        p.push(`map entry type ${String(e.type)} is not one of ${MAP_TYPES.join(", ")}`);
        continue;
      }
      type = e.type;
      if ("read_only" in e && typeof e.read_only !== "boolean") p.push(`map ${type}: read_only must be true or false`);
      if ("path" in e) {
        if (typeof e.path !== "string" || !e.path.startsWith("/") || e.path === "/")
          p.push(`map ${type}: path must be absolute and not /`);
        else path = e.path;
      }
    } else {
      p.push("map entries are strings or {type, read_only, path}");
      continue;
    }
    // Each type mounts at /<type> unless given a path; homeassistant_config and addon_config
    // default to /homeassistant and /config.
    const where =
      path ??
      (type === "homeassistant_config"
        ? "/homeassistant"
        : type === "addon_config" || type === "config"
          ? "/config"
          : `/${type}`);
    if (paths.has(where)) p.push(`map ${type} and ${paths.get(where)} would both mount at ${where}`);
    paths.set(where, type);
  }
  return p;
}

/** The options schema's elements, and the default options against it. */
function checkSchema(c: Record<string, unknown>): Problems {
  const p: Problems = [];
  const schema = c.schema;
  if (schema === undefined || schema === false) return p;
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) return ["schema must be a mapping (or false)"];
  const walk = (node: unknown, at: string, depth: number) => {
    if (typeof node === "string") {
      if (!SCHEMA_ELEMENT.test(node)) p.push(`schema ${at}: ${node} is not a schema type`);
    } else if (Array.isArray(node)) {
      if (node.length !== 1) p.push(`schema ${at}: a list has exactly one element type`);
      if (Array.isArray(node[0])) p.push(`schema ${at}: a list cannot hold a list`);
      else walk(node[0], `${at}[]`, depth + 1);
    } else if (node && typeof node === "object") {
      if (depth > 2) p.push(`schema ${at}: nested deeper than two levels`);
      for (const [k, v] of Object.entries(node)) walk(v, at ? `${at}.${k}` : k, depth + 1);
    } else p.push(`schema ${at}: not a type, list or mapping`);
  };
  walk(schema, "", 0);
  const options = (c.options as Record<string, unknown>) ?? {};
  for (const [k, v] of Object.entries(options)) {
    const type = (schema as Record<string, unknown>)[k];
    if (type === undefined) p.push(`option ${k} is not in the schema`);
    else p.push(...valueFits(k, v, type));
  }
  for (const [k, type] of Object.entries(schema)) {
    const optional = typeof type === "string" && type.endsWith("?");
    if (optional && k in options)
      p.push(`option ${k} is optional (?) but has a default: the Supervisor then requires it`);
    if (!optional && !(k in options) && !Array.isArray(type)) p.push(`option ${k} is required but has no default`);
  }
  return p;
}

function valueFits(key: string, v: unknown, type: unknown): Problems {
  if (Array.isArray(type))
    return Array.isArray(v)
      ? v.flatMap((x, i) => valueFits(`${key}[${i}]`, x, type[0]))
      : [`option ${key} must be a list`];
  if (typeof type !== "string") return [];
  const t = type.replace(/\?$/, "");
  const range = /\((-?[\d.]*),(-?[\d.]*)\)$/.exec(t);
  const inRange = (n: number) =>
    !range || ((range[1] === "" || n >= Number(range[1])) && (range[2] === "" || n <= Number(range[2])));
  if (t.startsWith("list(")) {
    const allowed = t.slice(5, -1).split("|");
    return allowed.includes(String(v)) ? [] : [`option ${key}: ${String(v)} is not one of ${allowed.join(", ")}`];
  }
  if (t.startsWith("int"))
    return Number.isInteger(v) && inRange(v as number) ? [] : [`option ${key}: ${String(v)} is not ${t}`];
  if (t.startsWith("float"))
    return typeof v === "number" && inRange(v) ? [] : [`option ${key}: ${String(v)} is not ${t}`];
  if (t === "bool") return typeof v === "boolean" ? [] : [`option ${key} must be true or false`];
  if (t === "port") return isPort(v) ? [] : [`option ${key} must be a port`];
  if (t.startsWith("str") || t.startsWith("password") || t.startsWith("match") || t === "url" || t === "email")
    return typeof v === "string" ? [] : [`option ${key} must be text`];
  return [];
}

/** build.yaml: base images per architecture, build args and labels. */
export function checkBuildConfig(b: Record<string, unknown>, arches: string[]): Problems {
  const p: Problems = [];
  for (const k of Object.keys(b))
    if (!["build_from", "args", "labels", "squash", "codenotary"].includes(k)) p.push(`build.yaml: unknown key ${k}`);
  const from = b.build_from as Record<string, unknown> | string | undefined;
  if (typeof from === "string") {
    if (!IMAGE.test(from)) p.push(`build.yaml: build_from ${from} is not an image`);
  } else {
    for (const a of arches) if (!from || !(a in from)) p.push(`build.yaml: no base image for ${a}`);
    for (const [a, img] of Object.entries(from ?? {})) {
      if (!ARCHES.includes(a)) p.push(`build.yaml: build_from for unknown arch ${a}`);
      if (typeof img !== "string" || !IMAGE.test(img)) p.push(`build.yaml: build_from ${a} is not an image`);
    }
  }
  for (const section of ["args", "labels"])
    for (const [k, v] of Object.entries((b[section] as Record<string, unknown>) ?? {}))
      if (typeof v !== "string") p.push(`build.yaml: ${section}.${k} must be a string`);
  return p;
}

export function checkRepositoryConfig(r: Record<string, unknown>): Problems {
  const p: Problems = [];
  if (typeof r.name !== "string" || !r.name) p.push("repository.yaml: name is required");
  for (const k of Object.keys(r))
    if (!["name", "url", "maintainer"].includes(k)) p.push(`repository.yaml: unknown key ${k}`);
  if (r.url !== undefined && (typeof r.url !== "string" || !/^https?:\/\//.test(r.url)))
    p.push("repository.yaml: url is not a URL");
  return p;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
