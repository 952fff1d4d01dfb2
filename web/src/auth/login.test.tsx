import { describe, expect, it } from 'vitest'
import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { apiError, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'

const tokens = { accessToken: 'tok', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 }

describe('sign-in', () => {
  it('asks for the second factor when the API answers totp_required, then signs in', async () => {
    const base = sessionRoutes()
    const { calls } = mockApi({
      ...base,
      'POST /auth/refresh': () => apiError(401, 'unauthenticated'), // no cookie yet
      'POST /auth/login': (c) => {
        const b = c.body as { password: string; totp?: string }
        if (b.password !== 'correct horse battery') return apiError(401, 'unauthenticated', 'invalid credentials')
        if (!b.totp) return apiError(401, 'totp_required', 'a second-factor code is required')
        return b.totp === '123456' ? json({ ...tokens, user: makeMe().user, mustEnrollTotp: false }) : apiError(401, 'unauthenticated')
      },
      'GET /devices': () => json({ items: [], nextCursor: '' }),
    })
    const user = userEvent.setup()
    renderApp('/devices')
    await user.type(await screen.findByLabelText('Email'), 'admin@demo.breeze.local')
    await user.type(screen.getByLabelText('Password'), 'wrong password!')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'Email or password is wrong.')

    await user.clear(screen.getByLabelText('Password'))
    await user.type(screen.getByLabelText('Password'), 'correct horse battery')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    const code = await screen.findByLabelText('Authentication code')
    await user.type(code, '000000')
    await user.click(screen.getByRole('button', { name: 'Verify' }))
    expect((await screen.findByRole('alert')).textContent).toBe('That code is wrong or has expired.')
    await user.clear(code)
    await user.type(code, '123456')
    await user.click(screen.getByRole('button', { name: 'Verify' }))

    // back where the user wanted to go
    expect(await screen.findByRole('heading', { name: 'Devices' })).toBeTruthy()
    const logins = calls.filter((c) => c.path === '/auth/login')
    expect(logins.at(-1)!.body).toEqual({ email: 'admin@demo.breeze.local', password: 'correct horse battery', totp: '123456' })
    // the token is used from memory and never stored
    expect(calls.find((c) => c.path === '/me')!.headers.Authorization).toBe('Bearer tok')
    expect(window.localStorage.length).toBe(0)
    expect(window.sessionStorage.length).toBe(0)
  })

  it('sends a user whose partner requires 2FA to the enrolment screen', async () => {
    mockApi({
      ...sessionRoutes(makeMe({ mustEnrollTotp: true })),
      'POST /auth/totp/enroll': () => json({ secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: 'otpauth://totp/Breeze:admin?secret=JBSWY3DPEHPK3PXP' }),
    })
    const user = userEvent.setup()
    renderApp('/devices')
    expect(await screen.findByText(/requires a second factor/)).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Begin' }))
    expect(await screen.findByText('JBSWY3DPEHPK3PXP')).toBeTruthy()
    expect(await screen.findByRole('img', { name: /QR code/ })).toBeTruthy()
    expect(screen.queryByRole('heading', { name: 'Devices' })).toBeNull()
  })

  it('confirms the second factor with the code only: the server made and keeps the secret', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(makeMe({ mustEnrollTotp: true })),
      'POST /auth/totp/enroll': () => json({ secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: 'otpauth://totp/Breeze:admin?secret=JBSWY3DPEHPK3PXP' }),
      'POST /auth/totp/confirm': () => ({ status: 204 }),
    })
    const user = userEvent.setup()
    renderApp('/devices')
    await user.click(await screen.findByRole('button', { name: 'Begin' }))
    await user.type(await screen.findByLabelText('Code from the new authenticator'), '123456')
    await user.click(screen.getByRole('button', { name: 'Confirm' }))
    await waitFor(() => expect(calls.find((c) => c.path === '/auth/totp/confirm')?.body).toEqual({ code: '123456' }))
  })

  it('restores the session from the refresh cookie on reload', async () => {
    const { calls } = mockApi({ ...sessionRoutes(), 'GET /devices': () => json({ items: [], nextCursor: '' }) })
    renderApp('/devices')
    expect(await screen.findByRole('heading', { name: 'Devices' })).toBeTruthy()
    const refresh = calls.find((c) => c.path === '/auth/refresh')!
    expect(refresh.method).toBe('POST')
    expect(refresh.body).toEqual({})
    await waitFor(() => expect(calls.some((c) => c.path === '/me')).toBe(true))
  })

  it('signs out: calls logout and returns to the sign-in page', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /devices': () => json({ items: [], nextCursor: '' }),
      'POST /auth/logout': () => ({ status: 204 }),
    })
    const user = userEvent.setup()
    renderApp('/devices')
    await user.click(await screen.findByRole('button', { name: 'Sign out' }))
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeTruthy()
    expect(calls.some((c) => c.path === '/auth/logout' && c.headers.Authorization === 'Bearer tok-1')).toBe(true)
  })
})
