// `npm run -w card build`: the card bundle into the integration, the page into sidecar/public.
import { build } from "vite";
import { cardConfig, pageConfig } from "./configs.ts";

await build(cardConfig());
await build(pageConfig());
console.log("card: built custom_components/esphome_forge/frontend/esphome-forge-card.js and sidecar/public/");
