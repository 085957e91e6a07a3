// Entry of the card bundle (custom_components/esphome_forge/frontend/esphome-forge-card.js).
import "./ha-code-editor.js";
import "./forge-card.js";
import { registerCustomCard } from "./register.js";
import { CARD_VERSION } from "./version.js";

registerCustomCard();
console.info(
  `%c Forge for ESPHome card %c ${CARD_VERSION} `,
  "background:#03a9f4;color:#fff;border-radius:3px 0 0 3px",
  "background:#455a64;color:#fff;border-radius:0 3px 3px 0",
);
