// List helpers: every list route answers {items, nextCursor} pages.

import { api, type Query } from './client'
import type { Page } from './types'

export const MAX_PAGE = 500

/**
 * Reads every page of a list, up to cap items (the tenant switcher and the
 * name lookups need whole lists, which are small next to devices).
 */
export async function fetchAll<T>(path: string, query: Query = {}, cap = 5000, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = []
  let cursor = ''
  do {
    const page = await api.get<Page<T>>(path, { ...query, limit: MAX_PAGE, cursor }, signal)
    out.push(...page.items)
    cursor = page.nextCursor
  } while (cursor && out.length < cap)
  return out
}
