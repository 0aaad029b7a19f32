import { test } from 'node:test'
import assert from 'node:assert/strict'
import { install, load, restored, csrfReject } from './fake.js'

const H = 'x-csrf-token'
const isRestore = c => c.url === '/api/csrf/restore'

// server: restore hands out FRESH; other requests are rejected with `reason` unless they carry
// FRESH (or always, when `always` is set).
async function setup({ reason = 'token-invalid', always = false, reject = csrfReject, restore = () => restored('FRESH') } = {}) {
  const env = install({
    respond: c => {
      if (isRestore(c)) return restore(c)
      if (always || c.headers.get(H) !== 'FRESH') return reject(reason)
      return new Response('done')
    },
  })
  env.document.setMeta('csrf-token', 'STALE')
  return { ...env, k: await load() }
}

for (const reason of ['token-missing', 'token-invalid', 'token-expired', 'secret-missing']) {
  test(`403 ${reason}: restore once, retry once`, async () => {
    const { k, calls } = await setup({ reason })
    const r = await k.csrfFetch('/api/x', { method: 'POST', body: { a: 1 } })
    assert.equal(r.status, 200)
    assert.equal(await r.text(), 'done')
    assert.deepEqual(calls.map(c => [c.url, c.headers.get(H)]), [
      ['/api/x', 'STALE'], ['/api/csrf/restore', null], ['/api/x', 'FRESH'],
    ])
    assert.equal(calls[2].body, '{"a":1}')
    assert.equal(calls[2].headers.get('content-type'), 'application/json')
    // Later requests use the restored token straight away, despite the stale meta tag.
    await k.csrfFetch('/api/y', { method: 'POST' })
    assert.equal(calls.length, 4)
    assert.equal(calls[3].headers.get(H), 'FRESH')
  })
}

test('retries only once: a second rejection is returned, no loop', async () => {
  const { k, calls } = await setup({ always: true })
  const r = await k.csrfFetch('/api/x', { method: 'POST', body: 'x' })
  assert.equal(r.status, 403)
  assert.equal(calls.length, 3)
  assert.equal((await r.json()).reason, 'token-invalid', 'body still readable')
})

test('reason from the JSON body when the header is absent; caller can still read the body', async () => {
  const { k, calls } = await setup({ always: true, reject: r => csrfReject(r, { header: false }) })
  const r = await k.csrfFetch('/api/x', { method: 'POST' })
  assert.equal(calls.length, 3, 'retried on the JSON reason')
  assert.deepEqual(await r.json(), { error: 'csrf', reason: 'token-invalid' })
})

test('JSON without error:"csrf" is not a csrfkit rejection', async () => {
  const { k, calls } = await setup({
    reject: () => new Response('{"reason":"token-invalid"}', { status: 403, headers: { 'Content-Type': 'application/json' } }),
  })
  const r = await k.csrfFetch('/api/x', { method: 'POST' })
  assert.equal(r.status, 403)
  assert.equal(calls.length, 1)
})

for (const reason of ['cross-site', 'origin-mismatch', 'null-origin', 'referer-missing', 'referer-mismatch', 'token-after-file', 'body-malformed', '']) {
  test(`no retry for 403 ${reason || 'without a reason'}`, async () => {
    const { k, calls } = await setup({ reason })
    const r = await k.csrfFetch('/api/x', { method: 'POST' })
    assert.equal(r.status, 403)
    assert.equal(calls.length, 1)
  })
}

test('no retry for 413 body-too-large, nor for a retry-worthy reason on another status', async () => {
  const { k, calls } = await setup({ reject: r => csrfReject(r === 'token-invalid' ? 'body-too-large' : r, { status: 413 }) })
  assert.equal((await k.csrfFetch('/api/x', { method: 'POST' })).status, 413)
  const b = await setup({ reject: r => csrfReject(r, { status: 400 }) })
  assert.equal((await b.k.csrfFetch('/api/x', { method: 'POST' })).status, 400)
  assert.equal(calls.length + b.calls.length, 2)
})

test('no retry for stream bodies', async () => {
  const { k, calls } = await setup()
  const body = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.close() } })
  const r = await k.csrfFetch('/api/x', { method: 'POST', body, duplex: 'half' })
  assert.equal(r.status, 403)
  assert.equal(calls.length, 1)
})

test('no retry for a Request that carries a body (it is consumed)', async () => {
  const { k, calls } = await setup()
  const r = await k.csrfFetch(new Request('https://app.example/api/x', { method: 'POST', body: 'x' }))
  assert.equal(r.status, 403)
  assert.equal(calls.length, 1)
})

test('replayable bodies are retried: FormData, URLSearchParams, Blob, string', async () => {
  for (const body of [new FormData(), new URLSearchParams('a=1'), new Blob(['b']), 's']) {
    const { k, calls } = await setup()
    assert.equal((await k.csrfFetch('/api/x', { method: 'POST', body })).status, 200)
    assert.equal(calls.length, 3)
    assert.equal(calls[2].body, body)
  }
})

test('no retry when the restore fails: the original response is returned', async () => {
  const { k, calls } = await setup({ restore: () => new Response('', { status: 404 }) })
  const r = await k.csrfFetch('/api/x', { method: 'POST' })
  assert.equal(r.status, 403)
  assert.equal(calls.length, 2)
})

test('no retry when this call already restored before sending', async () => {
  const env = install({ respond: c => isRestore(c) ? restored('R') : csrfReject('token-invalid') })
  const k = await load()
  const r = await k.csrfFetch('/api/x', { method: 'POST' })
  assert.equal(r.status, 403)
  assert.deepEqual(env.calls.map(c => c.url), ['/api/csrf/restore', '/api/x'])
})

test('no token, no restore, no retry for cross-origin requests', async () => {
  const { k, calls } = await setup()
  const r = await k.csrfFetch('https://evil.example/x', { method: 'POST' })
  assert.equal(r.status, 403)
  assert.equal(calls.length, 1)
  assert.equal(calls[0].headers.get(H), null)
})

test('concurrent failures share one restore', async () => {
  const { k, calls } = await setup()
  const rs = await Promise.all([1, 2, 3].map(() => k.csrfFetch('/api/x', { method: 'POST' })))
  assert.deepEqual(rs.map(r => r.status), [200, 200, 200])
  assert.equal(calls.filter(isRestore).length, 1)
})
