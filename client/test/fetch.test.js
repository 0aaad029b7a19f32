import { test } from 'node:test'
import assert from 'node:assert/strict'
import { install, load } from './fake.js'

const H = 'x-csrf-token'

async function setup(opts) {
  const env = install(opts)
  env.document.setMeta('csrf-token', 'META')
  return { ...env, k: await load() }
}

test('token header only on unsafe methods', async () => {
  const { k, calls } = await setup()
  for (const method of ['GET', 'get', 'HEAD', 'OPTIONS', 'TRACE', undefined]) {
    await k.csrfFetch('/api/x', method ? { method } : undefined)
    assert.equal(calls.at(-1).headers.get(H), null, String(method))
  }
  for (const method of ['POST', 'post', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
    await k.csrfFetch('/api/x', { method })
    assert.equal(calls.at(-1).headers.get(H), 'META', method)
  }
})

test('token header only to the same origin, never to others', async () => {
  const { k, calls } = await setup({ href: 'https://app.example/dir/page' })
  const cases = [
    ['/api/x', true],
    ['api/x', true],
    ['../x', true],
    ['https://app.example/x', true],
    ['https://APP.example:443/x', true], // default port and case normalise to the same origin
    [new URL('https://app.example/x'), true],
    ['http://app.example/x', false], // scheme differs
    ['https://app.example:8443/x', false], // port differs
    ['https://api.app.example/x', false], // sibling subdomain
    ['https://app.example.evil.example/x', false], // prefix-similar host
    ['//evil.example/x', false], // protocol-relative
    ['https://evil.example/x', false],
    ['https://user@evil.example/x', false],
    ['data:text/plain,hi', false], // opaque origin
    ['http://[::1]/x', false],
  ]
  for (const [url, want] of cases) {
    await k.csrfFetch(url, { method: 'POST' })
    assert.equal(calls.at(-1).headers.get(H), want ? 'META' : null, String(url))
  }
})

test('opaque page origin never matches an opaque URL origin', async () => {
  const { k, calls } = await setup({ href: 'https://app.example/' })
  globalThis.location = { href: 'data:text/html,x', origin: 'null' }
  globalThis.document.baseURI = 'data:text/html,x'
  await k.csrfFetch('data:text/plain,hi', { method: 'POST' })
  assert.equal(calls.at(-1).headers.get(H), null)
})

test('allowOrigins lets the token go to listed origins only', async () => {
  const { k, calls } = await setup()
  const cfg = k.configure({ allowOrigins: ['https://api.example.com/'] })
  assert.deepEqual(cfg.allowOrigins, ['https://api.example.com'])
  await k.csrfFetch('https://api.example.com/v1', { method: 'POST' })
  assert.equal(calls.at(-1).headers.get(H), 'META')
  await k.csrfFetch('http://api.example.com/v1', { method: 'POST' })
  assert.equal(calls.at(-1).headers.get(H), null)
  await k.csrfFetch('https://api.example.com.evil.example/v1', { method: 'POST' })
  assert.equal(calls.at(-1).headers.get(H), null)
})

test('configure rejects unknown options and bad origins', async () => {
  const { k } = await setup()
  assert.throws(() => k.configure({ headername: 'X' }), /unknown option headername/)
  assert.throws(() => k.configure({ allowOrigins: ['*'] }), TypeError)
  assert.throws(() => k.configure({ allowOrigins: ['api.example.com'] }), TypeError)
  assert.throws(() => k.configure({ allowOrigins: ['localhost:3000'] }), /not an origin/)
  assert.throws(() => k.configure({ metaName: 'm', allowOrigins: ['*'] }), TypeError)
  const cfg = k.configure()
  assert.deepEqual(cfg.cookieName, ['csrf_token', 'XSRF-TOKEN'])
  assert.equal(cfg.restorePath, '/api/csrf/restore')
  assert.equal(cfg.metaName, 'csrf-token', 'a failed configure changes nothing')
  cfg.restorePath = '/mutated'
  assert.equal(k.configure().restorePath, '/api/csrf/restore', 'returns a copy')
})

test('plain-object and array bodies become JSON', async () => {
  const { k, calls } = await setup()
  await k.csrfFetch('/api/x', { method: 'POST', body: { a: 1, b: [true] } })
  assert.equal(calls.at(-1).body, '{"a":1,"b":[true]}')
  assert.equal(calls.at(-1).headers.get('content-type'), 'application/json')

  await k.csrfFetch('/api/x', { method: 'PUT', body: [1, 2] })
  assert.equal(calls.at(-1).body, '[1,2]')

  await k.csrfFetch('/api/x', { method: 'POST', body: Object.assign(Object.create(null), { n: 1 }) })
  assert.equal(calls.at(-1).body, '{"n":1}')

  // The caller's Content-Type is kept.
  await k.csrfFetch('/api/x', { method: 'POST', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { a: 1 } })
  assert.equal(calls.at(-1).headers.get('content-type'), 'application/merge-patch+json')
  assert.equal(calls.at(-1).headers.get(H), 'META')
})

test('FormData, URLSearchParams, Blob, strings and buffers pass through untouched', async () => {
  const { k, calls } = await setup()
  const bodies = [new FormData(), new URLSearchParams('a=1'), new Blob(['x']), 'raw', new Uint8Array([1]), new ArrayBuffer(2)]
  for (const body of bodies) {
    await k.csrfFetch('/api/x', { method: 'POST', body })
    assert.equal(calls.at(-1).body, body)
    assert.equal(calls.at(-1).headers.get('content-type'), null)
    assert.equal(calls.at(-1).headers.get(H), 'META')
  }
})

test('caller headers and other init fields are kept; caller init is not mutated', async () => {
  const { k, calls } = await setup()
  const init = { method: 'POST', headers: [['Accept', 'text/html'], ['X-Other', '1']], credentials: 'include', body: { a: 1 } }
  await k.csrfFetch('/api/x', init)
  const c = calls.at(-1)
  assert.equal(c.headers.get('accept'), 'text/html')
  assert.equal(c.headers.get('x-other'), '1')
  assert.equal(c.init.credentials, 'include')
  assert.deepEqual(init.body, { a: 1 })
  assert.equal(init.headers.length, 2)
})

test('Request input: method, URL and headers come from the Request', async () => {
  const { k, calls } = await setup()
  await k.csrfFetch(new Request('https://app.example/x', { method: 'DELETE', headers: { 'X-Keep': 'y' } }))
  assert.equal(calls.at(-1).headers.get(H), 'META')
  assert.equal(calls.at(-1).headers.get('x-keep'), 'y')
  await k.csrfFetch(new Request('https://evil.example/x', { method: 'POST' }))
  assert.equal(calls.at(-1).headers.get(H), null)
  await k.csrfFetch(new Request('https://app.example/x'))
  assert.equal(calls.at(-1).headers.get(H), null)
})

test('returns the fetch Response as is', async () => {
  const { k } = await setup({ respond: () => new Response('body', { status: 404 }) })
  const r = await k.csrfFetch('/x', { method: 'POST' })
  assert.equal(r.status, 404)
  assert.equal(await r.text(), 'body')
})

test('header name: configure wins, then <meta name="csrf-header">, then X-CSRF-Token', async () => {
  const { k, calls, document } = await setup()
  document.setMeta('csrf-header', 'X-XSRF-Token')
  await k.csrfFetch('/x', { method: 'POST' })
  assert.equal(calls.at(-1).headers.get('x-xsrf-token'), 'META')
  assert.equal(calls.at(-1).headers.get(H), null)
  k.configure({ headerName: 'CSRF-Token' })
  await k.csrfFetch('/x', { method: 'POST' })
  assert.equal(calls.at(-1).headers.get('csrf-token'), 'META')
})
