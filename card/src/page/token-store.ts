// The admin token lives in this tab's session storage only: gone when the tab closes, never in
// a cookie or local storage. The theme choice (not a secret) is remembered in local storage.
const TOKEN_KEY = "esphome-forge.token";
const THEME_KEY = "esphome-forge.theme";

export type ThemeChoice = "auto" | "light" | "dark";

function storage(kind: "sessionStorage" | "localStorage"): Storage | null {
  try {
    return window[kind];
  } catch {
    return null; // storage disabled by the browser
  }
}

export const tokenStore = {
  get: (): string | null => storage("sessionStorage")?.getItem(TOKEN_KEY) ?? null,
  set: (token: string): void => storage("sessionStorage")?.setItem(TOKEN_KEY, token),
  clear: (): void => storage("sessionStorage")?.removeItem(TOKEN_KEY),
};

export const themeStore = {
  get: (): ThemeChoice => {
    const v = storage("localStorage")?.getItem(THEME_KEY);
    return v === "light" || v === "dark" ? v : "auto";
  },
  set: (v: ThemeChoice): void => storage("localStorage")?.setItem(THEME_KEY, v),
};

/** Applies a theme choice to <html data-theme>, following the OS setting for "auto". */
export function applyTheme(choice: ThemeChoice, prefersDark: boolean): "light" | "dark" {
  const theme = choice === "auto" ? (prefersDark ? "dark" : "light") : choice;
  document.documentElement.dataset.theme = theme;
  return theme;
}
