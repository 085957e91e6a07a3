// ANSI SGR colour codes → safe HTML. Log text is untrusted: every character of it is escaped, and
// the only markup produced is <span> with class names from a fixed set or an rgb() colour built
// from clamped numbers. The converter is stateful so colours and escape sequences may span chunks.

const ESC = "\x1b";
const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
// Control characters other than \n and \t are dropped; \r\n becomes \n, a lone \r a line break.
// eslint-disable-next-line no-control-regex
const TEXT_RE = /[&<>"']|\r\n?|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

export function escapeHtml(text: string): string {
  return text.replace(TEXT_RE, (c) => HTML_ESCAPES[c] ?? (c[0] === "\r" ? "\n" : ""));
}

interface Style {
  fg: number | string | null; // 0–15 → class, string → rgb() for 256/true colour
  bg: number | string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

const plain = (): Style => ({ fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });
const clamp = (n: number | undefined) => Math.max(0, Math.min(255, Number.isFinite(n) ? Math.trunc(n!) : 0));

/** xterm's 256-colour palette entries 16–255 as rgb(). */
function palette256(n: number): string {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const steps = [0, 95, 135, 175, 215, 255];
  return `rgb(${steps[Math.floor(i / 36)]},${steps[Math.floor(i / 6) % 6]},${steps[i % 6]})`;
}

/** Parses `38;5;n` / `38;2;r;g;b` (or 48;…) starting at params[i]; returns the colour and how many params it used. */
function extendedColour(params: number[], i: number): [number | string | null, number] {
  const mode = params[i + 1];
  if (mode === 5) {
    const n = clamp(params[i + 2]);
    return [n < 16 ? n : palette256(n), 3];
  }
  if (mode === 2) return [`rgb(${clamp(params[i + 2])},${clamp(params[i + 3])},${clamp(params[i + 4])})`, 5];
  return [null, 1];
}

function applySgr(style: Style, params: number[]): void {
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p === 0) Object.assign(style, plain());
    else if (p === 1) style.bold = true;
    else if (p === 2) style.dim = true;
    else if (p === 3) style.italic = true;
    else if (p === 4) style.underline = true;
    else if (p === 22) style.bold = style.dim = false;
    else if (p === 23) style.italic = false;
    else if (p === 24) style.underline = false;
    else if (p >= 30 && p <= 37) style.fg = p - 30;
    else if (p >= 90 && p <= 97) style.fg = p - 90 + 8;
    else if (p === 39) style.fg = null;
    else if (p >= 40 && p <= 47) style.bg = p - 40;
    else if (p >= 100 && p <= 107) style.bg = p - 100 + 8;
    else if (p === 49) style.bg = null;
    else if (p === 38 || p === 48) {
      const [colour, used] = extendedColour(params, i);
      if (p === 38) style.fg = colour;
      else style.bg = colour;
      i += used - 1;
    }
  }
}

function openTag(s: Style): string {
  const classes: string[] = [];
  const styles: string[] = [];
  if (typeof s.fg === "number") classes.push(`a-f${s.fg}`);
  else if (s.fg) styles.push(`color:${s.fg}`);
  if (typeof s.bg === "number") classes.push(`a-g${s.bg}`);
  else if (s.bg) styles.push(`background:${s.bg}`);
  if (s.bold) classes.push("a-b");
  if (s.dim) classes.push("a-d");
  if (s.italic) classes.push("a-i");
  if (s.underline) classes.push("a-u");
  if (!classes.length && !styles.length) return "";
  return `<span${classes.length ? ` class="${classes.join(" ")}"` : ""}${styles.length ? ` style="${styles.join(";")}"` : ""}>`;
}

/** Streams ANSI-coloured text into HTML fragments; each `push` result is self-contained markup. */
export class AnsiToHtml {
  private style = plain();
  private pending = "";

  push(text: string): string {
    text = this.pending + text;
    this.pending = "";
    let out = "";
    let open = openTag(this.style);
    let pos = 0;
    const emit = (segment: string) => {
      if (!segment) return;
      out += open ? `${open}${escapeHtml(segment)}</span>` : escapeHtml(segment);
    };
    while (pos < text.length) {
      const esc = text.indexOf(ESC, pos);
      if (esc < 0) {
        emit(text.slice(pos));
        break;
      }
      emit(text.slice(pos, esc));
      const end = this.sequenceEnd(text, esc);
      if (end < 0) {
        // An escape sequence cut by the chunk boundary: keep it for the next push (bounded).
        const rest = text.slice(esc);
        if (rest.length < 64) this.pending = rest;
        break;
      }
      const seq = text.slice(esc, end);
      if (seq[1] === "[" && seq.endsWith("m")) {
        const params = seq
          .slice(2, -1)
          .split(/[;:]/)
          .filter((x) => x !== "")
          .map(Number);
        applySgr(this.style, params);
        open = openTag(this.style);
      }
      pos = end;
    }
    return out;
  }

  /** Index just past the escape sequence starting at `i`, or -1 when the text ends inside it. */
  private sequenceEnd(text: string, i: number): number {
    const kind = text[i + 1];
    if (kind === undefined) return -1;
    if (kind === "[") {
      for (let j = i + 2; j < text.length; j++) {
        const c = text.charCodeAt(j);
        if (c >= 0x40 && c <= 0x7e) return j + 1;
        if (j - i > 32) return j; // malformed: drop what we read
      }
      return -1;
    }
    if (kind === "]") {
      // OSC, terminated by BEL or ESC \ — dropped entirely.
      for (let j = i + 2; j < text.length; j++) {
        if (text[j] === "\x07") return j + 1;
        if (text[j] === ESC && text[j + 1] === "\\") return j + 2;
        if (j - i > 256) return j;
      }
      return -1;
    }
    return i + 2;
  }
}

/** One-shot conversion. */
export function ansiToHtml(text: string): string {
  return new AnsiToHtml().push(text);
}

/** Removes every escape sequence (for plain-text uses such as copying or error summaries). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b(?:\[[0-9;:?]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|.)/g, "");
}
