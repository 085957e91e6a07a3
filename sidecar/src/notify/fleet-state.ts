// Small pieces of state the notifications keep across restarts (the webhook, the newest ESPHome
// release seen), as JSON values under a key in the `fleet_state` table.
import type { Db } from "../db/database.js";

export class FleetState {
  constructor(private readonly db: Db) {}

  get<T>(key: string): T | undefined {
    const row = this.db.prepare("SELECT value FROM fleet_state WHERE key = ?").get(key) as
      { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(key: string, value: unknown): void {
    this.db
      .prepare(
        "INSERT INTO fleet_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, JSON.stringify(value));
  }
}
