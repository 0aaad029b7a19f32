// Compiled with `tsc -p test/tsconfig.json` (npm test): checks csrfkit.d.ts through the package's
// own `exports` (self-reference by name), as a user would import it.
import { csrfFetch, request, restoreCSRF, configure, getToken, protectForms } from 'csrfkit'
import type { CsrfkitError, CsrfReason, CsrfkitConfig } from 'csrfkit'

async function usage(): Promise<void> {
  const cfg: CsrfkitConfig = configure({
    cookieName: ['csrf_token', 'XSRF-TOKEN'],
    headerName: 'X-CSRF-Token',
    metaName: 'csrf-token',
    fieldName: '_csrf',
    restorePath: '/api/csrf/restore',
    allowOrigins: ['https://api.example.com'],
  })
  configure({ cookieName: 'XSRF-TOKEN' })
  const names: string[] = cfg.cookieName

  // fetch-compatible
  const r1: Response = await csrfFetch('/api/items', { method: 'POST', body: { name: 'x', tags: ['a'] } })
  await csrfFetch('/api/items', { method: 'POST', body: [1, 2, 3] })
  await csrfFetch(new URL('https://app.example/x'), { method: 'PUT', body: new FormData() })
  await csrfFetch(new Request('/x'), null)
  await csrfFetch('/x', { method: 'POST', body: new URLSearchParams('a=1'), headers: { Accept: 'text/html' } })
  await csrfFetch('/x', { method: 'POST', body: new Blob(['x']), credentials: 'include' })
  await csrfFetch('/x')
  // seed Express call shape
  await csrfFetch('/api/session', 'POST', { credential: 'demo', password: 'pw' })
  await csrfFetch('/api/session', 'DELETE')

  const r2: Response = await request('/api/session', 'POST', { credential: 'demo' })
  await request('/api/session')
  try {
    await request('/api/x', 'DELETE')
  } catch (err) {
    const e = err as CsrfkitError
    const status: number = e.status
    const res: Response = e.response
    const reason: CsrfReason | '' | undefined = e.reason
    void [status, res, reason]
  }

  const token: string = await restoreCSRF()
  const now: string = getToken()
  protectForms()
  void [r1, r2, token, now, names]

  // @ts-expect-error unknown option
  configure({ headername: 'X' })
  // @ts-expect-error allowOrigins is a list
  configure({ allowOrigins: 'https://api.example.com' })
  // @ts-expect-error numbers are not bodies
  await csrfFetch('/x', { method: 'POST', body: 42 })
  // @ts-expect-error getToken is synchronous
  const p: Promise<string> = getToken()
  void p
}
void usage
