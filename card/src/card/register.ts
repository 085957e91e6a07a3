// Makes the card appear in Lovelace's card picker (once, even if the module loads twice).
import { CARD_TYPE } from "./config.js";

interface CustomCardEntry {
  type: string;
  name: string;
  description: string;
  preview?: boolean;
  documentationURL?: string;
  getEntitySuggestion?: (hass: unknown, entityId: string) => unknown;
}

declare global {
  interface Window {
    customCards?: CustomCardEntry[];
  }
}

export function registerCustomCard(): void {
  const cards = (window.customCards = window.customCards ?? []);
  if (cards.some((c) => c.type === CARD_TYPE)) return;
  cards.push({
    type: CARD_TYPE,
    name: "Forge for ESPHome",
    description: "ESPHome firmware builds: devices, queue, workers and live build logs.",
    preview: true,
    // Suggest the card only for entities of our own integration.
    getEntitySuggestion: (hass, entityId) => {
      const entities = (hass as { entities?: Record<string, { platform?: string }> } | null)?.entities;
      return entities?.[entityId]?.platform === "esphome_forge" ? { type: `custom:${CARD_TYPE}` } : null;
    },
  });
}
