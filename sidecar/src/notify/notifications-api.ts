// What the REST routes reach of the notifications: the active alerts, the webhook, the release check.
import type { Alert } from "@esphome-forge/shared";
import type { ReleaseWatch } from "./release-watch.js";
import type { WebhookSink } from "./webhook.js";

export interface NotificationsApi {
  alerts(): Alert[];
  webhook: Pick<WebhookSink, "view" | "configure" | "notify">;
  release: Pick<ReleaseWatch, "current" | "check">;
}
