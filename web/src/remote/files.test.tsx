import { describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { json, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'
import { dispositionName, pathProblem, sha256Hex } from './files'

const d = device(6, { hostname: 'web-06', status: 'online', os: 'linux' })

// XMLHttpRequest stand-in: records the request, reports progress, answers as told.
class FakeXhr {
  static last: FakeXhr | null = null
  static answer: { status: number; body: unknown } = { status: 201, body: {} }
  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: unknown
  status = 0
  statusText = ''
  responseText = ''
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  open(m: string, u: string) {
    this.method = m
    this.url = u
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v
  }
  getResponseHeader() {
    return null
  }
  abort() {}
  send(body: Blob) {
    FakeXhr.last = this
    this.body = body
    setTimeout(() => {
      this.upload.onprogress?.({ loaded: body.size / 2, total: body.size, lengthComputable: true })
      this.status = FakeXhr.answer.status
      this.responseText = JSON.stringify(FakeXhr.answer.body)
      this.onload?.()
    }, 0)
  }
}

describe('file helpers', () => {
  it('checks paths like the server', () => {
    expect(pathProblem('/var/log/syslog')).toBeNull()
    expect(pathProblem('C:\\Windows\\Temp\\a.txt')).toBeNull()
    expect(pathProblem('relative/file')).toMatch(/absolute/)
    expect(pathProblem('/etc/../etc/shadow')).toMatch(/\.\./)
    expect(pathProblem('/a\0b')).toMatch(/NUL/)
  })
  it('reads the file name of Content-Disposition, never a path', () => {
    expect(dispositionName('attachment; filename="syslog"')).toBe('syslog')
    expect(dispositionName("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt")).toBe('résumé.txt')
    expect(dispositionName('attachment; filename="../../etc/passwd"')).toBe('passwd')
    expect(dispositionName(null)).toBeNull()
  })
  it('hashes with SHA-256', async () =>
    expect(await sha256Hex(new Blob(['abc']))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'))
})

describe('the Files tab', () => {
  it('downloads a file and hands it to the browser as a save', async () => {
    const created: Blob[] = []
    // jsdom has no object URLs
    const U = URL as unknown as Record<string, unknown>
    U.createObjectURL = (b: Blob) => (created.push(b), 'blob:x')
    U.revokeObjectURL = () => {}
    const clicks: string[] = []
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download)
    })
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': () => json(d),
      'GET /devices/:id/files': (c) =>
        c.query.get('path') === '/var/log/missing'
          ? { status: 404, body: { error: { code: 'not_found', message: 'no such file on the device' } } }
          : { status: 200, body: 'hello', headers: { 'Content-Disposition': 'attachment; filename="syslog"', 'Content-Type': 'application/octet-stream' } },
    })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=files`)
    const form = (await screen.findByRole('heading', { name: 'Download a file' })).closest('form')!
    const path = within(form).getByLabelText('Path on the device')
    await user.type(path, 'var/log')
    await user.click(within(form).getByRole('button', { name: 'Download' }))
    expect(await within(form).findByText(/must be absolute/)).toBeTruthy()
    await user.clear(path)
    await user.type(path, '/var/log/syslog')
    await user.click(within(form).getByRole('button', { name: 'Download' }))
    await waitFor(() => expect(clicks).toEqual(['syslog']))
    expect(await created[0]!.text()).toBe('"hello"') // the fake API JSON-encodes bodies
    const get = calls.find((c) => c.path.endsWith('/files'))!
    expect(get.query.get('path')).toBe('/var/log/syslog')
    expect(get.headers.Authorization).toBe('Bearer tok-1')
    expect(await within(form).findByText('Downloaded syslog')).toBeTruthy()

    await user.clear(path)
    await user.type(path, '/var/log/missing')
    await user.click(within(form).getByRole('button', { name: 'Download' }))
    expect((await within(form).findByRole('alert')).textContent).toBe('no such file on the device')
    click.mockRestore()
    delete U.createObjectURL
    delete U.revokeObjectURL
  })

  it('uploads a file with its SHA-256 and shows the result or the error', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr)
    mockApi({ ...sessionRoutes(), 'GET /devices/:id': () => json(d) })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=files`)
    const form = (await screen.findByRole('heading', { name: 'Upload a file' })).closest('form')!
    const file = new File(['abc'], 'notes.txt', { type: 'text/plain' })
    await user.upload(within(form).getByLabelText('File'), file)
    const dest = within(form).getByLabelText('Destination path on the device') as HTMLInputElement
    expect(dest.value).toBe('/tmp/notes.txt')
    await user.click(within(form).getByLabelText('Replace the file if it exists'))
    FakeXhr.answer = { status: 201, body: { path: '/tmp/notes.txt', size: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' } }
    await user.click(within(form).getByRole('button', { name: 'Upload' }))
    expect(await within(form).findByText('Uploaded to /tmp/notes.txt')).toBeTruthy()
    const x = FakeXhr.last!
    expect(x.method).toBe('POST')
    const url = new URL(x.url, 'http://x')
    expect(url.pathname).toBe(`/api/v1/devices/${d.id}/files`)
    expect(url.searchParams.get('path')).toBe('/tmp/notes.txt')
    expect(url.searchParams.get('overwrite')).toBe('true')
    expect(x.headers['X-Content-SHA256']).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(x.headers.Authorization).toBe('Bearer tok-1')
    expect(x.body).toBe(file)

    FakeXhr.answer = { status: 409, body: { error: { code: 'conflict', message: 'the file exists' } } }
    await user.click(within(form).getByLabelText('Replace the file if it exists'))
    await user.click(within(form).getByRole('button', { name: 'Upload' }))
    expect((await within(form).findByRole('alert')).textContent).toBe('the file exists')
  })
})
