import { test } from 'node:test'
import assert from 'node:assert/strict'
import { install, load, restored, csrfReject } from './fake.js'

const H = 'x-csrf-token'

test('request: seed Express shape — credentials included, JSON body, token header', async () => {
  const { document, calls } = install()
  document.cookie = 'XSRF-TOKEN=EXP'
  const k = await load()
  const r = await k.request('/api/session', 'POST', { credential: 'demo', password: 'pw' })
  assert.equal(r.status, 200)
  const c = calls[0]
  assert.equal(c.method, 'POST')
  assert.equal(c.init.credentials, 'include')
  assert.equal(c.headers.get(H), 'EXP')
  assert.equal(c.headers.get('content-type'), 'application/json')
  assert.equal(c.body, '{"credential":"demo","password":"pw"}')
})

test('request: GET by default, no body, no token', async () => {
  const { document, calls } = install()
  document.cookie = 'XSRF-TOKEN=EXP'
  const k = await load()
  await k.request('/api/session')
  assert.equal(calls[0].method, 'GET')
  assert.equal(calls[0].body, null)
  assert.equal(calls[0].headers.get(H), null)
})

test('request: throws an Error carrying the Response on 4xx and 5xx', async () => {
  for (const status of [400, 401, 404, 422, 500]) {
    install({ respond: () => new Response('{"errors":["bad"]}', { status, headers: { 'Content-Type': 'application/json' } }) })
    const k = await load()
    await assert.rejects(k.request('/api/x', 'DELETE'), e => {
      assert.ok(e instanceof Error)
      assert.equal(e.status, status)
      assert.equal(e.response.status, status)
      assert.equal(e.reason, '')
      return true
    })
  }
  install({ respond: () => new Response('', { status: 399 }) })
  assert.equal((await (await load()).request('/x')).status, 399)
})

test('request: a CSRF rejection that survives the retry carries its reason; body still readable', async () => {
  install({ respond: c => c.url === '/api/csrf/restore' ? restored('R') : csrfReject('origin-mismatch') })
  globalThis.document.cookie = 'XSRF-TOKEN=EXP'
  const k = await load()
  const e = await k.request('/api/x', 'POST', { a: 1 }).catch(e => e)
  assert.ok(e instanceof Error)
  assert.equal(e.reason, 'origin-mismatch')
  assert.deepEqual(await e.response.json(), { error: 'csrf', reason: 'origin-mismatch' })
})

test('request: recovers from a rotated token (restore and retry)', async () => {
  const { calls } = install({
    respond: c => c.url === '/api/csrf/restore' ? restored('NEW') : c.headers.get(H) === 'NEW' ? new Response('ok') : csrfReject('token-invalid'),
  })
  globalThis.document.cookie = 'XSRF-TOKEN=OLD'
  const k = await load()
  assert.equal((await k.request('/api/x', 'PUT', { a: 1 })).status, 200)
  assert.equal(calls.length, 3)
})

test('csrfFetch(endpoint, method, body): the seed Express call shape maps to request()', async () => {
  const { calls } = install({ respond: () => new Response('', { status: 401 }) })
  globalThis.document.cookie = 'XSRF-TOKEN=EXP'
  const k = await load()
  await assert.rejects(k.csrfFetch('/api/session', 'POST', { a: 1 }), e => e.status === 401)
  assert.equal(calls[0].init.credentials, 'include')
  assert.equal(calls[0].body, '{"a":1}')
  assert.equal(calls[0].headers.get(H), 'EXP')
})
