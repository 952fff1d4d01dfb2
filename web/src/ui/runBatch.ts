/** Runs fn over items, a few at a time, reporting progress; never stops at the first failure. */
export async function runBatch<T>(
  items: T[],
  fn: (item: T) => Promise<unknown>,
  onProgress: (done: number, failed: number) => void,
  concurrency = 4,
): Promise<{ failed: { item: T; error: unknown }[] }> {
  const failed: { item: T; error: unknown }[] = []
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!
      try {
        await fn(item)
      } catch (error) {
        failed.push({ item, error })
      }
      done++
      onProgress(done, failed.length)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return { failed }
}
