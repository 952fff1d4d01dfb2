// Dark and light themes. The choice is the one thing the dashboard keeps in
// localStorage; "system" follows prefers-color-scheme through CSS alone.

export type Theme = 'system' | 'light' | 'dark'
const KEY = 'breeze.theme'

export function loadTheme(): Theme {
  try {
    const v = window.localStorage.getItem(KEY)
    return v === 'light' || v === 'dark' ? v : 'system'
  } catch {
    return 'system'
  }
}

export function applyTheme(t: Theme): void {
  const root = document.documentElement
  if (t === 'system') delete root.dataset.theme
  else root.dataset.theme = t
}

export function saveTheme(t: Theme): void {
  try {
    if (t === 'system') window.localStorage.removeItem(KEY)
    else window.localStorage.setItem(KEY, t)
  } catch {
    // storage disabled: the choice lasts for this page only
  }
  applyTheme(t)
}
