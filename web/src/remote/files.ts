// File transfer with a device (notes/api.md, "Files"): GET streams the bytes
// back, POST takes a raw body with its SHA-256 so the agent can verify it.

import { ApiError, buildUrl, errorFromBody, withAuth } from '../api/client'

export const MAX_FILE_BYTES = 256 * 1024 * 1024

/** The reasons the server would refuse a path, checked before asking it. */
export function pathProblem(p: string): string | null {
  if (!p) return 'Enter a path.'
  if (p.includes('\0')) return 'The path contains a NUL character.'
  const absolute = p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')
  if (!absolute) return 'The path must be absolute (/var/log/syslog or C:\\Windows\\…).'
  if (p.split(/[\\/]/).includes('..')) return 'The path must not contain "..".'
  return null
}

export function baseName(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean)
  return parts.at(-1) ?? 'download'
}

/** The name of Content-Disposition: attachment; filename="..." (or filename*=UTF-8''...). */
export function dispositionName(h: string | null): string | null {
  if (!h) return null
  const star = h.match(/filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/)
  if (star) {
    try {
      return baseName(decodeURIComponent(star[1]!.trim()))
    } catch {
      // fall through
    }
  }
  const plain = h.match(/filename\s*=\s*"?([^";]+)"?/)
  return plain ? baseName(plain[1]!.trim()) : null
}

export async function sha256Hex(data: Blob | ArrayBuffer): Promise<string> {
  const buf = data instanceof Blob ? await data.arrayBuffer() : data
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(buf))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function filesPath(deviceId: string): string {
  return `/devices/${encodeURIComponent(deviceId)}/files`
}

export interface Downloaded {
  blob: Blob
  name: string
  sha256?: string
}

/** Reads a device file, reporting (received, total) as it streams. */
export async function downloadFile(
  deviceId: string,
  path: string,
  onProgress: (received: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Downloaded> {
  let res: Response
  try {
    res = await withAuth((headers) =>
      fetch(buildUrl(filesPath(deviceId), { path }), { headers, credentials: 'same-origin', signal, cache: 'no-store' }),
    )
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.')
  }
  if (!res.ok) throw errorFromBody(res.status, res.statusText, await res.text().catch(() => ''), res.headers.get('X-Request-ID') ?? undefined)
  const total = Number(res.headers.get('Content-Length')) || 0
  const type = res.headers.get('Content-Type') || 'application/octet-stream'
  const chunks: BlobPart[] = []
  let received = 0
  if (res.body) {
    const reader = res.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      received += value.byteLength
      onProgress(received, total)
    }
  } else {
    const b = await res.arrayBuffer()
    chunks.push(b)
    received = b.byteLength
    onProgress(received, total)
  }
  return {
    blob: new Blob(chunks, { type }),
    name: dispositionName(res.headers.get('Content-Disposition')) ?? baseName(path),
    sha256: res.headers.get('X-Content-SHA256') ?? undefined,
  }
}

/** Hands a blob to the browser as a download (an <a download> click on an object URL). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

export interface Uploaded {
  path: string
  size: number
  sha256: string
}

/** Sends file to path on the device with its SHA-256; XHR for upload progress. */
export async function uploadFile(
  deviceId: string,
  path: string,
  file: Blob,
  opts: { overwrite: boolean; sha256: string; onProgress: (sent: number, total: number) => void; signal?: AbortSignal },
): Promise<Uploaded> {
  const url = buildUrl(filesPath(deviceId), { path, overwrite: opts.overwrite ? 'true' : undefined })
  const res = await withAuth(
    (headers) =>
      new Promise<{ status: number; statusText: string; text: string; requestId?: string }>((resolve, reject) => {
        const xhr = new XMLHttpRequest()
        xhr.open('POST', url)
        for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v)
        xhr.setRequestHeader('Accept', 'application/json')
        xhr.setRequestHeader('Content-Type', 'application/octet-stream')
        xhr.setRequestHeader('X-Content-SHA256', opts.sha256)
        xhr.upload.onprogress = (e) => opts.onProgress(e.loaded, e.lengthComputable ? e.total : file.size)
        xhr.onload = () =>
          resolve({ status: xhr.status, statusText: xhr.statusText, text: xhr.responseText, requestId: xhr.getResponseHeader('X-Request-ID') ?? undefined })
        xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload was interrupted. Check your connection and try again.'))
        xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'))
        opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true })
        xhr.send(file)
      }),
  )
  if (res.status < 200 || res.status >= 300) throw errorFromBody(res.status, res.statusText, res.text, res.requestId)
  return JSON.parse(res.text) as Uploaded
}

