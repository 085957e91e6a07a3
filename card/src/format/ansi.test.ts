import { describe, expect, it } from "vitest";
import { ansiToHtml, AnsiToHtml, escapeHtml, stripAnsi } from "./ansi.js";

describe("ANSI → HTML", () => {
  it("escapes every HTML-special character in log text", () => {
    const evil = `<img src=x onerror="alert(1)">&<script>alert('x')</script>`;
    const out = ansiToHtml(evil);
    expect(out).not.toMatch(/<(img|script)/i);
    expect(out).toBe(
      "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
    );
  });

  it("keeps escaping inside coloured spans, and produces only fixed class names", () => {
    const out = ansiToHtml("\x1b[31m<b>red</b>\x1b[0m plain \x1b[1;92mbold green\x1b[0m");
    expect(out).toBe(
      '<span class="a-f1">&lt;b&gt;red&lt;/b&gt;</span> plain <span class="a-f10 a-b">bold green</span>',
    );
  });

  it("cannot be tricked into attributes by crafted SGR parameters", () => {
    const out = ansiToHtml('\x1b[38;2;999;-1;"onmouseover=alert(1)mX\x1b[38;5;300mY');
    expect(out).not.toContain("onmouseover=alert");
    for (const m of out.matchAll(/style="([^"]*)"/g))
      expect(m[1]).toMatch(/^(color|background):rgb\(\d{1,3},\d{1,3},\d{1,3}\)$/);
    expect(out).not.toMatch(/<span[^>]*on\w+=/);
    expect(ansiToHtml("\x1b[38;2;300;20;10mZ")).toBe('<span style="color:rgb(255,20,10)">Z</span>');
    expect(ansiToHtml("\x1b[38;5;196mZ")).toBe('<span style="color:rgb(255,0,0)">Z</span>');
  });

  it("carries colour state and split escape sequences across chunks", () => {
    const c = new AnsiToHtml();
    expect(c.push("\x1b[3")).toBe("");
    expect(c.push("3mwarn")).toBe('<span class="a-f3">warn</span>');
    expect(c.push(" still")).toBe('<span class="a-f3"> still</span>');
    expect(c.push("\x1b[0m done")).toBe(" done");
  });

  it("drops other escapes and control characters, normalises CR", () => {
    expect(ansiToHtml("a\x1b[2Kb\x1b]0;title\x07c\x00d\r\ne\rf\tg")).toBe("abcd\ne\nf\tg");
    expect(escapeHtml("x\x07y")).toBe("xy");
  });

  it("strips escapes for plain text", () => {
    expect(stripAnsi("\x1b[32mINFO\x1b[0m ok")).toBe("INFO ok");
  });
});
