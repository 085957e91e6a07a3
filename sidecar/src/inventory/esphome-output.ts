// Parses what `esphome config` prints: the resolved YAML on success, or its error report.
// Error shapes seen from ESPHome 2026.x:
//   stdout  "Failed config\n\n<path>: [source <file>:<line>]\n  <echoed config and message lines>"
//   stdout  "Failed config\n\nError including file '…': …\nIn: wifi->password in dev.yaml 7:3"
//   stderr  "ERROR Error while reading config: Invalid YAML syntax:\n\n<message>\n  in \"dev.yaml\", line 6, column 9"
import path from "node:path";
import type { Diagnostic } from "./errors.js";

// Real escape sequences, and the literal `\033[8m…\033[28m` text ESPHome wraps hidden secrets in.
const ANSI = new RegExp(String.raw`(?:\u001b|\\033|\\x1b|\\e|\\u001b)\[[0-9;]*[A-Za-z]`, "g");

export function stripAnsi(s: string): string {
  return s.replace(ANSI, "");
}

/** Paths in ESPHome's messages may be absolute or relative to its cwd: make them config-relative. */
function relFile(file: string, configDir: string): string {
  const abs = path.resolve(configDir, file);
  const rel = path.relative(configDir, abs);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel.split(path.sep).join("/");
}

export function parseConfigErrors(stdout: string, stderr: string, configDir: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const clean = stripAnsi(stdout).replace(/\r\n/g, "\n");
  const failed = clean.indexOf("Failed config");
  if (failed >= 0) out.push(...parseFailedConfig(clean.slice(failed + "Failed config".length), configDir));
  const err = stripAnsi(stderr).replace(/\r\n/g, "\n");
  const m = /^ERROR (.*(?:\n(?!INFO |WARNING |ERROR ).*)*)/m.exec(err);
  if (m?.[1]) {
    const body = m[1].trim();
    const locs = [...body.matchAll(/in "([^"]+)", line (\d+), column \d+/g)];
    const last = locs.at(-1);
    const message = body
      .split("\n")
      .filter((l) => !/^\s*in "[^"]+", line \d+, column \d+/.test(l))
      .map((l) => l.trim())
      .filter(Boolean)
      .join(" ")
      .replace(/^Error while reading config: /, "");
    out.push({ file: last?.[1] ? relFile(last[1], configDir) : null, line: last ? Number(last[2]) : null, message });
  }
  if (out.length === 0 && (clean.trim() || err.trim())) {
    const lines = (err.trim() ? err : clean).split("\n").filter((l) => l.trim() && !/^(INFO|WARNING) /.test(l));
    out.push({ file: null, line: null, message: lines.slice(-3).join(" ").trim() || "esphome config failed" });
  }
  return out;
}

function parseFailedConfig(report: string, configDir: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const blocks = report
    .split(/\n(?=\S)(?!In: )/)
    .map((b) => b.replace(/^\n+/, ""))
    .filter((b) => b.trim());
  for (const block of blocks) {
    const [head = "", ...rest] = block.split("\n");
    const src = /^(.*?): \[source (.+?):(\d+)\]\s*$/.exec(head);
    if (src) {
      // The block echoes the offending config; the lines that are not `key: value` echoes are the message.
      const indented = rest.map((l) => l.trim()).filter(Boolean);
      const msg = indented.filter((l) => !/^[\w.\-[\]]+:(?:\s.*)?$/.test(l) && !l.startsWith("- "));
      out.push({
        file: relFile(src[2]!, configDir),
        line: Number(src[3]),
        message: `${src[1]}: ${(msg.length ? msg : indented).join(" ")}`.trim(),
      });
      continue;
    }
    const text = block
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const inLine = text.map((l) => /^In: (.*) in (.+?) (\d+):\d+$/.exec(l)).find((x) => x);
    const message = text.filter((l) => !/^In: /.test(l)).join(" ");
    if (!message) continue;
    out.push({
      file: inLine?.[2] ? relFile(inLine[2], configDir) : null,
      line: inLine ? Number(inLine[3]) : null,
      message: inLine ? `${message} (at ${inLine[1]})` : message,
    });
  }
  return out;
}

/** The resolved YAML `esphome config` prints on stdout (everything before any "Failed config"). */
export function resolvedYaml(stdout: string): string {
  const clean = stripAnsi(stdout);
  const failed = clean.indexOf("Failed config");
  return failed >= 0 ? clean.slice(0, failed) : clean;
}
