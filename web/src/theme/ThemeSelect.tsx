import { useState } from 'react'
import { loadTheme, saveTheme, type Theme } from './theme'

export function ThemeSelect() {
  const [theme, setTheme] = useState<Theme>(loadTheme)
  return (
    <label className="theme-select">
      <span className="visually-hidden">Theme</span>
      <select
        value={theme}
        onChange={(e) => {
          const t = e.target.value as Theme
          setTheme(t)
          saveTheme(t)
        }}
      >
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  )
}
