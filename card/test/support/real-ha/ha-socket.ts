// A small client for Home Assistant's WebSocket API (auth, then id-numbered commands), for the
// harness's own setup calls: Lovelace config, users, the integration's commands.
export class HaSocket {
  private nextId = 1;
  private readonly pending = new Map<number, { ok(v: unknown): void; fail(e: Error): void }>();

  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener("message", (e) => {
      const msg = JSON.parse(String(e.data)) as {
        id?: number;
        type: string;
        success?: boolean;
        result?: unknown;
        error?: { code: string; message: string };
      };
      if (msg.type !== "result" || msg.id == null) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.success) p.ok(msg.result);
      else p.fail(new Error(`${msg.error?.code}: ${msg.error?.message}`));
    });
    ws.addEventListener("close", () => {
      for (const p of this.pending.values()) p.fail(new Error("Home Assistant closed the WebSocket"));
      this.pending.clear();
    });
  }

  static connect(url: string, token: string): Promise<HaSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/websocket`);
    return new Promise((done, fail) => {
      ws.addEventListener("error", () => fail(new Error("WebSocket error")));
      ws.addEventListener("message", function onAuth(e) {
        const msg = JSON.parse(String(e.data)) as { type: string; message?: string };
        if (msg.type === "auth_required") ws.send(JSON.stringify({ type: "auth", access_token: token }));
        else if (msg.type === "auth_ok") {
          ws.removeEventListener("message", onAuth);
          done(new HaSocket(ws));
        } else if (msg.type === "auth_invalid") fail(new Error(`auth_invalid: ${msg.message}`));
      });
    });
  }

  call<T>(message: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((ok, fail) => {
      this.pending.set(id, { ok: ok as (v: unknown) => void, fail });
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
