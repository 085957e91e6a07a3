// @vitest-environment happy-dom
// The card's elements stay defined in the registry Home Assistant uses, whichever ran first: this
// bundle or HA's app, which puts a new (scoped-registry polyfill) object at window.customElements.
// The real thing, in the real frontend, is test/in-ha/card-in-real-ha.test.ts (30 fresh loads).
import { describe, expect, it } from "vitest";
import { definePublicElement, followRegistry } from "./define.js";

/** The registry API the polyfill offers, kept in a map (what HA's Lovelace then consults). */
class SwappedRegistry {
  private readonly defs = new Map<string, CustomElementConstructor>();
  private readonly waiting = new Map<string, Array<(c: CustomElementConstructor) => void>>();
  define(tag: string, cls: CustomElementConstructor): void {
    if (this.defs.has(tag)) throw new DOMException(`"${tag}" has already been used with this registry`);
    this.defs.set(tag, cls);
    for (const done of this.waiting.get(tag) ?? []) done(cls);
    this.waiting.delete(tag);
  }
  get(tag: string): CustomElementConstructor | undefined {
    return this.defs.get(tag);
  }
  whenDefined(tag: string): Promise<CustomElementConstructor> {
    const cls = this.defs.get(tag);
    if (cls) return Promise.resolve(cls);
    return new Promise((done) => this.waiting.set(tag, [...(this.waiting.get(tag) ?? []), done]));
  }
  upgrade(): void {}
  getName(): string | null {
    return null;
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("definePublicElement", () => {
  it("follows HA's registry swap: defined again once HA's app has booted, and Lovelace's wait ends", async () => {
    const boot = window.customElements;
    class Card extends HTMLElement {}
    class Editor extends HTMLElement {}
    definePublicElement("forge-test-card", Card);
    definePublicElement("forge-test-card-editor", Editor);
    expect(boot.get("forge-test-card")).toBe(Card);

    // HA's app installs its registry, Lovelace asks it for the card and waits.
    const swapped = new SwappedRegistry();
    Object.defineProperty(window, "customElements", { value: swapped, configurable: true, writable: true });
    const lovelaceWait = swapped.whenDefined("forge-test-card");
    expect(swapped.get("forge-test-card")).toBeUndefined();

    // …then defines its root element, after the swap: the signal the card waits for.
    boot.define("home-assistant", class extends HTMLElement {});
    await settle();
    expect(swapped.get("forge-test-card")).toBe(Card);
    expect(swapped.get("forge-test-card-editor")).toBe(Editor);
    await expect(lovelaceWait).resolves.toBe(Card);

    // Nothing is defined twice when asked again (a later check, a second copy of the bundle).
    expect(() => followRegistry()).not.toThrow();
    class SecondCopy extends HTMLElement {}
    expect(() => definePublicElement("forge-test-card", SecondCopy)).not.toThrow();
    expect(swapped.get("forge-test-card")).toBe(Card);
    Object.defineProperty(window, "customElements", { value: boot, configurable: true, writable: true });
  });

  it("defines once, in place, when the registry is already HA's (the bundle ran late)", async () => {
    class Late extends HTMLElement {}
    definePublicElement("forge-late-card", Late);
    await settle();
    followRegistry();
    expect(window.customElements.get("forge-late-card")).toBe(Late);
  });
});
