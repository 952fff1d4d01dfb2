import { useRef, useState } from 'react'

/** A secret or command shown once, with a Copy button. */
export function CopyField({ value, label, multiline }: { value: string; label: string; multiline?: boolean }) {
  const ref = useRef<HTMLTextAreaElement & HTMLInputElement>(null)
  const [copied, setCopied] = useState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value)
    } catch {
      // clipboard refused (plain http, old browser): select it for Ctrl-C
      ref.current?.select()
      return
    }
    setCopied(true)
    window.setTimeout(() => setCopied(false), 2000)
  }
  return (
    <div className="copy-field">
      <label>
        <span className="field-label">{label}</span>
        {multiline ? (
          <textarea ref={ref} readOnly value={value} rows={3} className="mono" onFocus={(e) => e.currentTarget.select()} />
        ) : (
          <input ref={ref} readOnly value={value} className="mono" onFocus={(e) => e.currentTarget.select()} />
        )}
      </label>
      <button type="button" className="btn" onClick={copy}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  )
}
