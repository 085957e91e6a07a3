// `npm run -w card build`: the card bundle into the integration, the page into sidecar/public.
// `node card/vite/build.ts page`: the standalone page only (what `npm start` needs; sub-second).
import { build } from "vite";
import { cardConfig, pageConfig } from "./configs.ts";

const only = process.argv[2];
if (only !== undefined && only !== "page" && only !== "card") {
  console.error(`usage: node card/vite/build.ts [page|card]  (got ${only})`);
  process.exit(2);
}
if (only !== "page") await build(cardConfig());
if (only !== "card") await build(pageConfig());
console.log(
  only === "page"
    ? "card: built the dashboard page into sidecar/public/"
    : only === "card"
      ? "card: built custom_components/esphome_forge/frontend/esphome-forge-card.js"
      : "card: built custom_components/esphome_forge/frontend/esphome-forge-card.js and sidecar/public/",
);
