// Routing rules, the one definition of which rule applies to a device (the sidecar's dispatch and the
// card's preview both use it). Rules are ordered: the first rule whose criteria all hold decides.
import type { RoutingRule } from "./settings.js";

/** What a rule looks at on a device. */
export interface RoutedDevice {
  id: string;
  name: string | null;
  platform: string | null;
  tags: readonly string[];
}

/** `*` any run of characters, `?` one character, everything else literal; case-insensitive, whole string. */
export function globMatches(glob: string, value: string): boolean {
  const source = glob
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "i").test(value);
}

export function ruleMatches(rule: RoutingRule, d: RoutedDevice): boolean {
  const m = rule.match;
  if (m.tags?.length && !m.tags.every((t) => d.tags.includes(t))) return false;
  if (m.platforms?.length && !(d.platform && m.platforms.some((p) => p.toLowerCase() === d.platform!.toLowerCase())))
    return false;
  if (m.name && !(globMatches(m.name, d.id) || (d.name != null && globMatches(m.name, d.name)))) return false;
  return true;
}

/** The rule that applies to a device: the first one that matches, if any. */
export function routingRuleFor(rules: readonly RoutingRule[], d: RoutedDevice): RoutingRule | undefined {
  return rules.find((r) => ruleMatches(r, d));
}
