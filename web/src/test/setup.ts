import { afterEach, vi } from 'vitest'
import { cleanup, configure } from '@testing-library/react'
import { clearSession } from '../api/client'

// Lazy screens are transformed on first import: give them time on a busy 2-core machine.
configure({ asyncUtilTimeout: 5000 })

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  window.localStorage.clear()
  clearSession()
})

// jsdom lays nothing out: give elements a size so the virtualised grid
// renders rows as a browser would for a 1000 × 800 viewport.
Object.defineProperty(HTMLElement.prototype, 'offsetHeight', { configurable: true, get: () => 800 })
Object.defineProperty(HTMLElement.prototype, 'offsetWidth', { configurable: true, get: () => 1000 })
Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 800 })
Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1000 })
HTMLElement.prototype.scrollTo = function scrollTo() {}
HTMLElement.prototype.scrollIntoView = function scrollIntoView() {}
