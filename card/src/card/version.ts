/** Kept equal to card/package.json's version (a unit test checks). */
export const CARD_VERSION = "0.1.0";
