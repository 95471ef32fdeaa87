/** Whether the app is in dark mode (the `dark` class on <html>, set by the theme toggle). */
import { useSyncExternalStore } from "react";

function subscribe(onChange: () => void) {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  return () => observer.disconnect();
}

const isDark = () => document.documentElement.classList.contains("dark");

export function useDarkMode(): boolean {
  return useSyncExternalStore(subscribe, isDark, () => false);
}
