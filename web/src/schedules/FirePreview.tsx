import { errorMessage } from '../api/client'
import { useDebounced } from '../ui/useDebounced'
import type { PreviewRequest } from './types'
import { usePreview } from './useSchedules'
import { formatInZone } from './zoned'

export const PREVIEW_COUNT = 5

/**
 * The next fire times of a timing, in its zone, from POST /schedules/preview
 * (the server's calendar, daylight-saving changes included), asked once
 * typing pauses. A bad expression or zone shows the server's message.
 */
export function FirePreview({ body, delayMs = 400 }: { body: PreviewRequest | null; delayMs?: number }) {
  const asked = useDebounced(body ? JSON.stringify(body) : '', delayMs)
  const preview = usePreview(asked ? (JSON.parse(asked) as PreviewRequest) : null)
  const zone = body?.timezone ?? ''
  let content
  if (!body) content = <p className="hint">Complete the timing to see when it runs.</p>
  else if (!asked || preview.isPending) content = <p className="hint">Working out the next fire times…</p>
  else if (preview.isError)
    content = (
      <p className="form-error" role="alert">
        {errorMessage(preview.error)}
      </p>
    )
  else if (preview.data.fireTimes.length === 0) content = <p className="hint">It never fires again.</p>
  else
    content = (
      <ol className="fire-times">
        {preview.data.fireTimes.map((t) => (
          <li key={t}>
            <time dateTime={t}>{formatInZone(t, zone)}</time>
          </li>
        ))}
      </ol>
    )
  return (
    <section aria-label="Next fire times" aria-live="polite">
      <h3 className="field-label">Next fire times ({zone || 'no zone'})</h3>
      {content}
    </section>
  )
}
