// The deployment files: the worker Helm chart rendered by the real `helm template` and validated by
// `kubeconform -strict` against Kubernetes' and KEDA's own schemas (scripts/ensure-deploy-tools.sh
// makes them), compose.yaml against the Compose Specification's schema, and what the chart,
// compose file and images hand the worker read back by the worker's own argument parser.
// Building helm and kubeconform costs about 6 minutes on a fresh 2-core machine, so the chart tests
// run where they are already built or FORGE_DEPLOY_TESTS=1 asks for them (see the script and the
// README); otherwise they skip and say so. The compose and Dockerfile checks always run.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseWorkerArgs } from "../src/build-worker/worker-cli.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CHART = join(REPO, "deploy/helm/esphome-forge-worker");
const SERVER = "http://forge.forge.svc.cluster.local:7052";

function tool(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `${name} is not set: run \`eval "$(FORGE_DEPLOY_TESTS=1 bash scripts/ensure-deploy-tools.sh)"\` first: it builds ` +
        "helm and kubeconform with Go and makes the schemas, once, under ~/.cache/esphome-forge/deploy-tools",
    );
  return v;
}

const CHART_TOOLS = Boolean(process.env.FORGE_HELM && process.env.FORGE_KUBECONFORM && process.env.FORGE_K8S_SCHEMAS);
if (!CHART_TOOLS)
  console.warn(
    "worker chart tests skipped: helm and kubeconform are not built (FORGE_DEPLOY_TESTS=1 bash scripts/ensure-deploy-tools.sh)",
  );
const COMPOSE_SCHEMA = Boolean(process.env.FORGE_COMPOSE_SCHEMA);
if (!COMPOSE_SCHEMA)
  console.warn("compose schema test skipped: no Go to fetch the schema (scripts/ensure-deploy-tools.sh)");

type Manifest = { kind: string; metadata: { name: string }; spec: Record<string, unknown> } & Record<string, unknown>;

function render(values: Record<string, string>): { text: string; docs: Manifest[] } {
  const args = ["template", "w", CHART, "--kube-version", "1.34.2", "--namespace", "forge"];
  for (const [k, v] of Object.entries({ server: SERVER, ...values })) args.push("--set", `${k}=${v}`);
  const text = execFileSync(tool("FORGE_HELM"), args, { encoding: "utf8" });
  return {
    text,
    docs: parseAllDocuments(text)
      .map((d) => d.toJS() as Manifest)
      .filter(Boolean),
  };
}

function kubeconform(yaml: string): { ok: boolean; out: string } {
  const r = spawnSync(
    tool("FORGE_KUBECONFORM"),
    [
      "-strict",
      "-summary",
      "-schema-location",
      `${tool("FORGE_K8S_SCHEMAS")}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      "-",
    ],
    { input: yaml, encoding: "utf8" },
  );
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

const byKind = (docs: Manifest[], kind: string) => docs.find((d) => d.kind === kind)!;
type Container = { env: { name: string; value?: string; valueFrom?: Record<string, Record<string, string>> }[] };
const podSpec = (w: Manifest) => (w.spec.template as { spec: Record<string, unknown> }).spec;

/** The worker's options from a container's environment, as the worker itself reads them. */
function workerOptionsFrom(env: Container["env"], pod = "w-esphome-forge-worker-0") {
  const vars: NodeJS.ProcessEnv = {};
  for (const e of env)
    vars[e.name] =
      e.value ?? (e.valueFrom?.secretKeyRef ? "efw_from_the_secret" : e.valueFrom?.fieldRef ? pod : undefined);
  const o = parseWorkerArgs([], vars);
  if (o === "help") throw new Error("unexpected help");
  return o;
}

describe.skipIf(!CHART_TOOLS)("the worker Helm chart (helm + kubeconform; opt-in on a fresh machine)", () => {
  it("lints", () => {
    execFileSync(tool("FORGE_HELM"), [
      "lint",
      CHART,
      "--strict",
      "--set",
      `server=${SERVER}`,
      "--set",
      "token.existingSecret=t",
    ]);
  });

  const variants: [string, Record<string, string>, string[]][] = [
    ["defaults", { "token.existingSecret": "forge-worker" }, ["ServiceAccount", "Deployment"]],
    ["a token from the values", { "token.value": "efw_abc" }, ["ServiceAccount", "Secret", "Deployment"]],
    [
      "persistent caches and KEDA",
      {
        "token.existingSecret": "t",
        "cache.persistent": "true",
        "keda.enabled": "true",
        "keda.metricsToken.existingSecret": "m",
      },
      ["ServiceAccount", "Service", "StatefulSet", "ScaledObject", "TriggerAuthentication"],
    ],
    [
      "extra arguments and tags",
      { "token.existingSecret": "t", extraArgs: "{--ota-timeout-ms,60000}", tags: "{esp32,fast}" },
      ["ServiceAccount", "Deployment"],
    ],
  ];
  for (const [what, values, kinds] of variants)
    it(`renders valid manifests (${what}): kubeconform -strict, no schema missing`, () => {
      const { text, docs } = render(values);
      expect(docs.map((d) => d.kind).sort()).toEqual([...kinds].sort());
      const r = kubeconform(text);
      expect(r.out).toMatch(new RegExp(`Valid: ${kinds.length}, Invalid: 0, Errors: 0, Skipped: 0`));
      expect(r.ok).toBe(true);
    });

  it("drains on SIGTERM: the grace period covers the drain timeout, which the worker reads", () => {
    const { docs } = render({
      "token.existingSecret": "t",
      drainTimeoutSeconds: "900",
      slots: "3",
      tags: "{esp32,fast}",
    });
    const w = byKind(docs, "Deployment");
    expect(podSpec(w).terminationGracePeriodSeconds).toBe(930);
    const [container] = podSpec(w).containers as Container[];
    const o = workerOptionsFrom(container!.env);
    expect(o).toMatchObject({
      server: SERVER,
      token: "efw_from_the_secret",
      slots: 3,
      tags: ["esp32", "fast"],
      drainTimeoutMs: 900_000,
    });
    expect(o.name).toBe("w-esphome-forge-worker-0");
    expect(container!.env.find((e) => e.name === "FORGE_WORKER_TOKEN")?.valueFrom).toEqual({
      secretKeyRef: { name: "t", key: "token" },
    });
  });

  it("scales from zero on the sidecar's queue demand with KEDA, authenticated by the metrics token", () => {
    const { docs } = render({
      "token.existingSecret": "t",
      "keda.enabled": "true",
      "keda.metricsToken.existingSecret": "m",
      slots: "4",
    });
    const so = byKind(docs, "ScaledObject").spec as Record<string, unknown> & {
      scaleTargetRef: { kind: string; name: string };
      triggers: { type: string; metadata: Record<string, string>; authenticationRef: { name: string } }[];
    };
    const workload = byKind(docs, "Deployment");
    expect(so.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: workload.metadata.name });
    expect(so.minReplicaCount).toBe(0);
    expect(workload.spec.replicas).toBeUndefined(); // KEDA owns the replica count
    const [trigger] = so.triggers;
    expect(trigger).toMatchObject({
      type: "metrics-api",
      metadata: {
        url: `${SERVER}/api/v1/metrics`,
        format: "prometheus",
        valueLocation: "forge_queue_demand",
        targetValue: "4",
        authMode: "bearer",
      },
    });
    const auth = byKind(docs, "TriggerAuthentication");
    expect(trigger!.authenticationRef.name).toBe(auth.metadata.name);
    expect(auth.spec.secretTargetRef).toEqual([{ parameter: "token", name: "m", key: "metrics-token" }]);
    // The metric KEDA reads is one the sidecar serves (sidecar/src/metrics/forge-metrics.ts).
    expect(readFileSync(join(REPO, "sidecar/src/metrics/forge-metrics.ts"), "utf8")).toContain(
      'name: "forge_queue_demand"',
    );
  });

  it("refuses to render without a server, a token, or KEDA's metrics token", () => {
    const fails = (values: Record<string, string>, message: RegExp) => {
      const args = ["template", "w", CHART, "--kube-version", "1.34.2"];
      for (const [k, v] of Object.entries(values)) args.push("--set", `${k}=${v}`);
      const r = spawnSync(tool("FORGE_HELM"), args, { encoding: "utf8" });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(message);
    };
    fails({ "token.existingSecret": "t" }, /server is required/);
    fails({ server: SERVER }, /a worker token is needed/);
    fails(
      { server: SERVER, "token.existingSecret": "t", "keda.enabled": "true" },
      /keda.metricsToken.existingSecret is required/,
    );
  });

  it("kubeconform's schemas are strict: an unknown field or a wrong type is caught", () => {
    const { text } = render({
      "token.existingSecret": "t",
      "keda.enabled": "true",
      "keda.metricsToken.existingSecret": "m",
    });
    expect(kubeconform(text.replace("minReplicaCount:", "minReplicasCount:")).ok).toBe(false);
    expect(
      kubeconform(text.replace("terminationGracePeriodSeconds: 630", 'terminationGracePeriodSeconds: "long"')).ok,
    ).toBe(false);
    expect(
      kubeconform(
        text.replace("imagePullPolicy: IfNotPresent", "imagePullPolicy: IfNotPresent\n          restart: always"),
      ).ok,
    ).toBe(false);
  });
});

describe("compose.yaml", () => {
  const compose = parse(readFileSync(join(REPO, "deploy/compose.yaml"), "utf8")) as {
    services: Record<
      string,
      {
        environment?: Record<string, string>;
        stop_grace_period?: string;
        build?: { dockerfile: string; target: string };
      }
    >;
  };

  it.skipIf(!COMPOSE_SCHEMA)("is valid against the Compose Specification's schema", () => {
    const schema = JSON.parse(readFileSync(tool("FORGE_COMPOSE_SCHEMA"), "utf8")) as Record<string, unknown>;
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ services: { x: { image: "a", restrat: "always" } } })).toBe(false); // the schema bites
  });

  it("gives the worker what it needs, and time to drain on stop", () => {
    const worker = compose.services.worker!;
    const o = workerOptionsFrom(
      Object.entries(worker.environment!)
        .filter(([k]) => k !== "FORGE_WORKER_TOKEN_FILE")
        .map(([name, value]) => ({ name, value }))
        .concat([{ name: "FORGE_WORKER_TOKEN", value: "efw_from_the_secret_file" }]),
    );
    expect(o).toMatchObject({ server: "http://127.0.0.1:7052", slots: 2 });
    const graceMinutes = Number(/^(\d+)m$/.exec(worker.stop_grace_period!)![1]);
    expect(graceMinutes * 60_000).toBeGreaterThan(o.drainTimeoutMs);
    for (const [name, target] of [
      ["sidecar", "sidecar"],
      ["worker", "worker"],
    ] as const)
      expect(compose.services[name]!.build).toMatchObject({ dockerfile: "deploy/docker/Dockerfile", target });
  });
});

describe("the images' Dockerfile", () => {
  const docker = readFileSync(join(REPO, "deploy/docker/Dockerfile"), "utf8");

  it("runs both images as an unprivileged user, with a health check on /api/v1/health and volumes for state", () => {
    expect(docker).toMatch(/^USER 10001:10001$/m);
    expect(docker).toMatch(/^FROM runtime AS sidecar$/m);
    expect(docker).toMatch(/^FROM runtime AS worker$/m);
    expect(docker).toMatch(/HEALTHCHECK [^\n]*\n\s+CMD \[.*127\.0\.0\.1:7052\/api\/v1\/health/);
    expect(docker).toContain('VOLUME ["/data", "/config"]');
    expect(docker).toContain('VOLUME ["/var/lib/esphome-forge"]');
    // Nothing tied to one architecture: no arch names in its instructions (the comments name buildx's platforms).
    const instructions = docker.split("\n").filter((l) => !l.trimStart().startsWith("#"));
    expect(instructions.join("\n")).not.toMatch(/amd64|x86_64|aarch64|arm64/);
  });
});
