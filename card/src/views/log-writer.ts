// Appends a (possibly huge) log to the DOM without freezing the page: text is queued, then
// converted and appended in slices within a per-frame time budget. Output goes into blocks of
// ~16 KB (CSS content-visibility skips the off-screen ones); a line is never split across blocks,
// and the page never re-renders what it already shows.
import { AnsiToHtml } from "../format/ansi.js";

export interface LogWriterOptions {
  /** Source characters per block before a new one starts (at the next line end). */
  blockChars?: number;
  /** Work per frame, in milliseconds. */
  budgetMs?: number;
  /** Characters converted per step inside a frame. */
  stepChars?: number;
  schedule?: (fn: () => void) => void;
}

type Item = { text: string } | { note: string };

const USER_EVENTS = ["wheel", "touchmove", "keydown", "pointerdown"] as const;

export class LogWriter {
  /** True while the view sticks to the newest output. */
  follow = true;
  private readonly queue: Item[] = [];
  private converter = new AnsiToHtml();
  private last: HTMLElement | null = null;
  private lastChars = 0;
  private lastOpen = false;
  private scheduled = false;
  private bytesShown = 0;
  private readonly blockChars: number;
  private readonly budgetMs: number;
  private readonly stepChars: number;
  private readonly schedule: (fn: () => void) => void;
  /** Until when a scroll counts as the user's (wheel, touch, keys, scrollbar drag just happened). */
  private userUntil = 0;
  private readonly resize: ResizeObserver | null;

  constructor(
    private readonly scroller: HTMLElement,
    private readonly content: HTMLElement,
    opts: LogWriterOptions = {},
    private readonly onFollowChange: (follow: boolean) => void = () => undefined,
  ) {
    this.blockChars = opts.blockChars ?? 16_384;
    this.budgetMs = opts.budgetMs ?? 8;
    this.stepChars = opts.stepChars ?? 16_384;
    this.schedule = opts.schedule ?? ((fn) => requestAnimationFrame(() => fn()));
    scroller.addEventListener("scroll", this.onScroll, { passive: true });
    for (const ev of USER_EVENTS) scroller.addEventListener(ev, this.markUser, { passive: true });
    // Layout changes (a narrower window, fonts) move the content; keep following the end.
    this.resize = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => this.stick());
    this.resize?.observe(scroller);
  }

  /** Characters appended to the DOM so far. */
  get shownChars(): number {
    return this.bytesShown;
  }

  /** Characters waiting to be appended. */
  get pendingChars(): number {
    return this.queue.reduce((n, i) => n + ("text" in i ? i.text.length : 0), 0);
  }

  write(text: string): void {
    if (!text) return;
    const tail = this.queue[this.queue.length - 1];
    // Coalesce small chunks so a burst of tiny messages costs one append.
    if (tail && "text" in tail && tail.text.length < this.stepChars) tail.text += text;
    else this.queue.push({ text });
    this.kick();
  }

  note(note: string): void {
    this.queue.push({ note });
    this.kick();
  }

  clear(): void {
    this.queue.length = 0;
    this.content.replaceChildren();
    this.converter = new AnsiToHtml();
    this.last = null;
    this.lastChars = 0;
    this.lastOpen = false;
    this.bytesShown = 0;
    this.setFollow(true);
  }

  dispose(): void {
    this.queue.length = 0;
    this.scroller.removeEventListener("scroll", this.onScroll);
    for (const ev of USER_EVENTS) this.scroller.removeEventListener(ev, this.markUser);
    this.resize?.disconnect();
  }

  scrollToEnd(): void {
    this.setFollow(true);
    this.stick();
  }

  /** Appends everything queued right now (tests; not for the UI thread with big logs). */
  flushAll(): void {
    while (this.queue.length) this.step();
    this.stick();
  }

  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    const start = performance.now();
    do this.step();
    while (this.queue.length && performance.now() - start < this.budgetMs);
    this.stick();
    if (this.queue.length) this.kick();
  }

  private step(): void {
    const item = this.queue[0];
    if (!item) return;
    if ("note" in item) {
      this.queue.shift();
      const div = document.createElement("div");
      div.className = "note";
      div.textContent = item.note;
      this.content.appendChild(div);
      this.last = null;
      return;
    }
    let text = item.text;
    if (text.length > this.stepChars) {
      item.text = text.slice(this.stepChars);
      text = text.slice(0, this.stepChars);
    } else this.queue.shift();
    this.bytesShown += text.length;
    while (text) {
      if (!this.last || (this.lastChars >= this.blockChars && !this.lastOpen)) this.newBlock();
      // Fill the current block up to its size, then finish the line it is on.
      const room = Math.max(0, this.blockChars - this.lastChars);
      let cut = room >= text.length ? text.length : text.indexOf("\n", Math.max(0, room - 1));
      cut = cut < 0 ? text.length : Math.min(text.length, cut + 1);
      const piece = text.slice(0, cut);
      text = text.slice(cut);
      this.last!.insertAdjacentHTML("beforeend", this.converter.push(piece));
      this.lastChars += piece.length;
      this.lastOpen = !piece.endsWith("\n");
    }
  }

  private newBlock(): void {
    const div = document.createElement("div");
    div.className = "blk";
    this.content.appendChild(div);
    this.last = div;
    this.lastChars = 0;
    this.lastOpen = false;
  }

  private stick(): void {
    if (!this.follow) return;
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  private readonly markUser = () => {
    this.userUntil = performance.now() + 800;
  };

  /** Reaching the end (by any means) resumes following; only the user's own scrolling stops it. */
  private readonly onScroll = () => {
    const gap = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight;
    if (gap < 24) this.setFollow(true);
    else if (performance.now() < this.userUntil) this.setFollow(false);
  };

  private setFollow(on: boolean): void {
    if (this.follow === on) return;
    this.follow = on;
    this.onFollowChange(on);
  }
}
