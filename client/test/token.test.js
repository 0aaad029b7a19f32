import { test } from 'node:test'
import assert from 'node:assert/strict'
import { install, load, restored } from './fake.js'

const H = 'x-csrf-token'
const isRestore = c => c.url === '/api/csrf/restore'

test('token source order: meta tag, then readable cookie', async () => {
  const { document } = install()
  const k = await load()
  assert.equal(k.getToken(), '')
  document.cookie = 'other=1; XSRF-TOKEN=EXPRESS'
  assert.equal(k.getToken(), 'EXPRESS')
  document.cookie = 'XSRF-TOKEN=EXPRESS; csrf_token=FLASK'
  assert.equal(k.getToken(), 'FLASK', 'csrf_token is tried before XSRF-TOKEN')
})

test('meta tag beats the cookie on first read', async () => {
  const { document } = install()
  document.cookie = 'csrf_token=COOKIE'
  document.setMeta('csrf-token', 'META')
  const k = await load()
  assert.equal(k.getToken(), 'META')
})

test('cookie values are URI-decoded, malformed ones kept raw', async () => {
  const { document } = install()
  const k = await load()
  document.cookie = 'csrf_token=a%2Bb'
  assert.equal(k.getToken(), 'a+b')
  document.cookie = 'csrf_token=a%zz'
  assert.equal(k.getToken(), 'a%zz')
  document.cookie = 'csrf_tokenX; csrf_token2=Y; csrf_token'
  assert.equal(k.getToken(), '', 'nameless and prefix-similar cookies do not match')
})

test('configure cookieName and metaName', async () => {
  const { document } = install()
  const k = await load()
  document.cookie = 'csrf_token=A; mine=B'
  k.configure({ cookieName: 'mine' })
  assert.equal(k.getToken(), 'B')
  document.setMeta('my-meta', 'M')
  k.configure({ metaName: 'my-meta' })
  assert.equal(k.getToken(), 'M')
})

test('no meta and no cookie: the restore route supplies the token before sending', async () => {
  const { calls } = install({ respond: c => isRestore(c) ? restored('FROM-RESTORE') : undefined })
  const k = await load()
  await k.csrfFetch('/api/x', { method: 'POST' })
  assert.equal(calls.length, 2)
  assert.ok(isRestore(calls[0]))
  assert.equal(calls[1].headers.get(H), 'FROM-RESTORE')
  // Stored: the next request needs no restore.
  await k.csrfFetch('/api/x', { method: 'POST' })
  assert.equal(calls.length, 3)
  assert.equal(calls[2].headers.get(H), 'FROM-RESTORE')
})

test('a cookie refreshed by the server is picked up on the next request', async () => {
  const { document, calls } = install()
  const k = await load()
  document.cookie = 'csrf_token=ONE'
  await k.csrfFetch('/x', { method: 'POST' })
  document.cookie = 'csrf_token=TWO'
  await k.csrfFetch('/x', { method: 'POST' })
  assert.deepEqual(calls.map(c => c.headers.get(H)), ['ONE', 'TWO'])
})

test('restored token beats a stale meta tag until the page changes the meta tag', async () => {
  const { document } = install({ respond: c => isRestore(c) ? restored('FRESH') : undefined })
  document.setMeta('csrf-token', 'STALE') // page rendered before a login rotation
  document.cookie = 'csrf_token=STALE-COOKIE'
  const k = await load()
  assert.equal(k.getToken(), 'STALE')
  assert.equal(await k.restoreCSRF(), 'FRESH')
  assert.equal(k.getToken(), 'FRESH')
  assert.equal(k.getToken(), 'FRESH', 'stable across reads')
  document.setMeta('csrf-token', 'NEW-PAGE') // e.g. an htmx swap brought a new meta tag
  assert.equal(k.getToken(), 'NEW-PAGE')
})

test('a cookie changed after a restore beats the restored token', async () => {
  const { document } = install({
    respond: c => {
      if (!isRestore(c)) return
      document.cookie = 'csrf_token=R-COOKIE' // the restore response refreshes the readable cookie
      return restored('R-JSON')
    },
  })
  document.setMeta('csrf-token', 'STALE')
  const k = await load()
  await k.restoreCSRF()
  assert.equal(k.getToken(), 'R-JSON')
  document.cookie = 'csrf_token=LATER' // login in this tab rotated the session again
  assert.equal(k.getToken(), 'LATER')
})

test('a stale meta tag loses to a cookie the server changed later', async () => {
  const { document } = install()
  document.setMeta('csrf-token', 'STALE')
  document.cookie = 'csrf_token=OLD'
  const k = await load()
  assert.equal(k.getToken(), 'STALE')
  document.cookie = 'csrf_token=ROTATED'
  assert.equal(k.getToken(), 'ROTATED')
})

test('restoreCSRF: request shape, return value, shared in-flight restore', async () => {
  let resolve
  const gate = new Promise(r => (resolve = r))
  const { calls } = install({ respond: async c => (await gate, restored('T1')) })
  const k = await load()
  const a = k.restoreCSRF(), b = k.restoreCSRF()
  resolve()
  assert.deepEqual(await Promise.all([a, b]), ['T1', 'T1'])
  assert.equal(calls.length, 1, 'concurrent restores share one request')
  assert.equal(calls[0].method, 'GET')
  assert.equal(calls[0].init.cache, 'no-store')
  assert.equal(calls[0].headers.get('accept'), 'application/json')
  await k.restoreCSRF()
  assert.equal(calls.length, 2, 'a later restore makes a new request')
})

test('restoreCSRF: seed-style {} body falls back to the refreshed cookie', async () => {
  const { document } = install({
    respond: () => {
      document.cookie = 'XSRF-TOKEN=COOKIE-ONLY'
      return new Response('{}', { headers: { 'Content-Type': 'application/json' } })
    },
  })
  const k = await load()
  assert.equal(await k.restoreCSRF(), 'COOKIE-ONLY')
  assert.equal(k.getToken(), 'COOKIE-ONLY')
})

test('restoreCSRF: configured path; rejects with the Response on failure', async () => {
  const { calls } = install({ respond: () => new Response('nope', { status: 404 }) })
  const k = await load()
  k.configure({ restorePath: '/csrf/restore' })
  await assert.rejects(k.restoreCSRF(), e => e.status === 404 && e.response instanceof Response)
  assert.equal(calls[0].url, '/csrf/restore')
})
