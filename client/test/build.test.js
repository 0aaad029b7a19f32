import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { createContext, runInContext } from 'node:vm'
import { outputs } from '../build.mjs'
import { FakeDocument } from './fake.js'

const read = f => readFileSync(new URL('../' + f, import.meta.url), 'utf8')
const LIMIT = 2560 // 2.5 KB, gzipped

test('shipped files are up to date with src/csrfkit.js (run `npm run build`)', () => {
  for (const [name, text] of Object.entries(outputs())) assert.equal(read(name), text, name)
})

for (const name of ['csrfkit.js', 'csrfkit.global.js']) {
  test(`${name} gzipped is at most 2.5 KB`, t => {
    const size = gzipSync(read(name), { level: 9 }).length
    t.diagnostic(`${name}: ${read(name).length} bytes, ${size} bytes gzipped (limit ${LIMIT})`)
    assert.ok(size <= LIMIT, `${name} is ${size} bytes gzipped, limit ${LIMIT}`)
  })
}

test('both builds export the same API', async () => {
  const esm = Object.keys(await import('../csrfkit.js')).sort()
  const ctx = createContext({ URL, Headers, Request, Response, FormData, Blob, URLSearchParams, ArrayBuffer })
  runInContext(read('csrfkit.global.js'), ctx)
  assert.deepEqual(Object.keys(ctx.csrfkit).sort(), esm)
  assert.deepEqual(esm, ['configure', 'csrfFetch', 'getToken', 'protectForms', 'request', 'restoreCSRF'])
})

test('classic script: the global csrfkit works in a page, as a non-module script', async () => {
  const document = new FakeDocument('https://app.example/')
  document.setMeta('csrf-token', 'TOK')
  const calls = []
  const ctx = createContext({
    URL, Headers, Request, Response, FormData, Blob, URLSearchParams, ArrayBuffer,
    document,
    location: { href: 'https://app.example/', origin: 'https://app.example' },
    fetch: async (url, init) => (calls.push([url, new Headers(init.headers)]), new Response('ok')),
  })
  runInContext(read('csrfkit.global.js'), ctx, { filename: 'csrfkit.global.js' })
  assert.equal(typeof ctx.csrfkit.csrfFetch, 'function')
  await ctx.csrfkit.csrfFetch('/x', { method: 'POST' })
  assert.equal(calls[0][1].get('x-csrf-token'), 'TOK')
  assert.equal(document.listenerCount('htmx:configRequest'), 1)
  // Nothing but `csrfkit` leaks into the global scope.
  const leaked = Object.keys(ctx).filter(k => !['URL', 'Headers', 'Request', 'Response', 'FormData', 'Blob',
    'URLSearchParams', 'ArrayBuffer', 'document', 'location', 'fetch', 'csrfkit'].includes(k))
  assert.deepEqual(leaked, [])
})

test('package.json: exports with types first, no runtime dependencies, shipped files listed', () => {
  const pkg = JSON.parse(read('package.json'))
  assert.equal(pkg.name, 'csrfkit')
  assert.equal(pkg.sideEffects, false)
  assert.deepEqual(Object.keys(pkg.exports['.']), ['types', 'default'])
  assert.equal(pkg.dependencies, undefined)
  assert.deepEqual(Object.keys(pkg.devDependencies), ['typescript'])
  for (const f of ['csrfkit.js', 'csrfkit.d.ts', 'csrfkit.global.js', 'csrfkit.global.d.ts']) {
    assert.ok(pkg.files.includes(f), f)
  }
})

test('csrfkit.d.ts declares exactly the runtime exports', async () => {
  const declared = [...read('csrfkit.d.ts').matchAll(/^export function (\w+)/gm)].map(m => m[1])
  assert.deepEqual([...new Set(declared)].sort(), Object.keys(await import('../csrfkit.js')).sort())
})
