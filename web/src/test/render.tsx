import { render } from '@testing-library/react'
import { App, makeQueryClient } from '../App'

/** Renders the whole app at path with a fresh cache (retries off, so errors show at once). */
export function renderApp(path: string) {
  const client = makeQueryClient()
  client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retry: false } })
  return { client, ...render(<App client={client} initialPath={path} />) }
}
