import { describe, expect, it } from 'vitest'
import { applyTheme, loadTheme, saveTheme } from './theme'

describe('themes', () => {
  it('stores only the theme choice and applies it to <html>', () => {
    expect(loadTheme()).toBe('system')
    saveTheme('dark')
    expect(document.documentElement.dataset.theme).toBe('dark')
    expect(window.localStorage.length).toBe(1)
    expect(loadTheme()).toBe('dark')
    saveTheme('system')
    expect(document.documentElement.dataset.theme).toBeUndefined()
    expect(window.localStorage.length).toBe(0)
  })
  it('ignores a tampered value', () => {
    window.localStorage.setItem('breeze.theme', '"><script>')
    expect(loadTheme()).toBe('system')
    applyTheme(loadTheme())
    expect(document.documentElement.hasAttribute('data-theme')).toBe(false)
  })
})
