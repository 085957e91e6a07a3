// ESPHome's downgrade protection compares `esphome: project: version:` strings the way the device
// does: dotted numbers, component by component, a missing component counting as 0 ("1.2" equals
// "1.2.0"); comparison stops at anything that is neither a digit nor a dot. Only dotted-numeric
// versions are accepted in a config with protection on, so the odd cases never reach a device.

/** Dotted-numeric, as ESPHome requires for downgrade protection ("1", "1.2.3"). */
export const DOTTED_NUMERIC = /^\d+(\.\d+)*$/;

/** Whether `candidate` is older than `reference` by the device's rule. */
export function versionIsOlder(candidate: string, reference: string): boolean {
  let a = 0;
  let b = 0;
  for (;;) {
    let x = 0;
    while (a < candidate.length && candidate[a]! >= "0" && candidate[a]! <= "9") x = x * 10 + Number(candidate[a++]);
    let y = 0;
    while (b < reference.length && reference[b]! >= "0" && reference[b]! <= "9") y = y * 10 + Number(reference[b++]);
    if (x !== y) return x < y;
    const aMore = candidate[a] === ".";
    const bMore = reference[b] === ".";
    if (aMore) a++;
    if (bMore) b++;
    if (!aMore && !bMore) return false;
  }
}
