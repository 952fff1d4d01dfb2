import { dateTime } from '../ui/format'
import type { Delivery, DeliveryOutcome } from './types'

const OUTCOME: Record<DeliveryOutcome, { label: string; cls: string; title: string }> = {
  delivered: { label: 'Delivered', cls: 'pill-ok', title: 'The channel took it.' },
  failed: { label: 'Failed', cls: 'pill-warn', title: 'This attempt failed; another follows.' },
  dead: { label: 'Dead', cls: 'pill-bad', title: 'The last attempt failed: dead-lettered.' },
  rate_limited: { label: 'Rate limited', cls: 'pill-warn', title: 'Held back by the route’s rate limit.' },
  held: { label: 'Held', cls: 'pill-info', title: 'Held by a maintenance window or a snooze; sent when it ends.' },
  grouped: { label: 'Grouped', cls: 'pill-info', title: 'Part of a storm: goes out in one digest at the window’s end.' },
  suppressed: { label: 'Suppressed', cls: '', title: 'Not sent, by design (see the detail).' },
}

/** A delivery's outcome: a word and a colour, never colour alone. */
export function OutcomeBadge({ outcome }: { outcome: string }) {
  const o = OUTCOME[outcome as DeliveryOutcome]
  return (
    <span className={`pill ${o?.cls ?? ''}`} title={o?.title}>
      {o?.label ?? outcome}
    </span>
  )
}

/** What else a delivery row says: a reminder's number, the digest that carries it, a hold's end. */
export function DeliveryMarks({ d }: { d: Pick<Delivery, 'reminder' | 'digestId' | 'heldUntil'> }) {
  return (
    <>
      {!!d.reminder && d.reminder > 0 && (
        <span className="pill" title="A re-notification of an alert still open">
          Reminder {d.reminder}
        </span>
      )}
      {d.digestId && (
        <span className="pill pill-info" title={`Carried by storm digest ${d.digestId}`}>
          In digest
        </span>
      )}
      {d.heldUntil && <span className="muted">held until {dateTime(d.heldUntil)}</span>}
    </>
  )
}
