// Workers that proved their key but wait for the admin's decision: their sockets stay open and
// carry nothing — no job, no bundle, no secret — until approval turns one into a session (the hub
// welcomes it) or rejection closes it with the reason. One socket per worker id (a newer one replaces
// the older), a few per credential, a bounded total.
import type { WebSocket } from "ws";
import type { HelloMessage } from "@esphome-forge/shared";
import { closeReason } from "./close-reason.js";

export interface Waiting {
  ws: WebSocket;
  tokenId: string;
  hello: HelloMessage;
  /** The key hint it proved (the one waiting for approval). */
  keyHint: string;
}

const MAX_WAITING = 256;
const MAX_WAITING_PER_TOKEN = 8;

export class PendingRoom {
  private readonly waiting = new Map<string, Waiting>();

  /** Null when it may wait here; else why not. */
  admit(w: Waiting): string | null {
    const sameToken = [...this.waiting.values()].filter(
      (x) => x.tokenId === w.tokenId && x.hello.workerId !== w.hello.workerId,
    ).length;
    if (sameToken >= MAX_WAITING_PER_TOKEN)
      return `${sameToken} workers with this credential already wait for approval`;
    if (this.waiting.size >= MAX_WAITING && !this.waiting.has(w.hello.workerId))
      return "too many workers wait for approval; try again later";
    const previous = this.waiting.get(w.hello.workerId);
    if (previous && previous.ws !== w.ws) close(previous.ws, 4009, "replaced by a new connection of the same worker");
    this.waiting.set(w.hello.workerId, w);
    w.ws.once("close", () => {
      if (this.waiting.get(w.hello.workerId) === w) this.waiting.delete(w.hello.workerId);
    });
    return null;
  }

  /** Removes and returns the worker's waiting socket (to welcome it). */
  take(workerId: string): Waiting | undefined {
    const w = this.waiting.get(workerId);
    this.waiting.delete(workerId);
    return w;
  }

  close(workerId: string, code: number, reason: string): void {
    const w = this.take(workerId);
    if (w) close(w.ws, code, reason);
  }

  closeToken(tokenId: string, code: number, reason: string): void {
    for (const w of [...this.waiting.values()]) if (w.tokenId === tokenId) this.close(w.hello.workerId, code, reason);
  }

  closeAll(code: number, reason: string): void {
    for (const id of [...this.waiting.keys()]) this.close(id, code, reason);
  }
}

function close(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.send(JSON.stringify({ type: "error", code: "closed", message: reason }));
    ws.close(code, closeReason(reason));
  } catch {
    ws.terminate();
  }
}
