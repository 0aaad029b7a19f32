import { test } from 'node:test'
import assert from 'node:assert/strict'
import { install, load, restored, csrfReject, FakeElement } from './fake.js'

const form = (attrs, ...children) => {
  const f = new FakeElement('form', attrs)
  for (const c of children) f.appendChild(c)
  return f
}
const input = attrs => new FakeElement('input', attrs)
const hidden = f => f.children.filter(c => c.attrs.type === 'hidden')

async function forms() {
  const env = install({ href: 'https://app.example/dir/page' })
  env.document.setMeta('csrf-token', 'TOK')
  const k = await load()
  k.protectForms()
  k.protectForms() // idempotent
  assert.equal(env.document.listenerCount('submit'), 1)
  const submit = (f, submitter) => env.document.dispatch('submit', { target: f, submitter })
  return { ...env, k, submit }
}

test('protectForms adds the hidden field to same-origin POST forms', async () => {
  const { submit } = await forms()
  for (const action of [undefined, '', '/login', 'rel', 'https://app.example/x']) {
    const f = form({ method: 'POST', action })
    if (action === undefined) delete f.attrs.action
    submit(f)
    assert.deepEqual(hidden(f).map(i => [i.name, i.value]), [['csrf_token', 'TOK']], String(action))
  }
})

test('protectForms leaves GET, dialog, cross-origin and already-protected forms alone', async () => {
  const { submit } = await forms()
  const cases = [
    form({}), // method defaults to GET
    form({ method: 'get' }),
    form({ method: 'dialog' }),
    form({ method: 'post', action: 'https://evil.example/x' }),
    form({ method: 'post', action: '//evil.example/x' }),
    form({ method: 'post', action: 'http://app.example/x' }),
  ]
  for (const f of cases) {
    submit(f)
    assert.equal(f.children.length, 0, JSON.stringify(f.attrs))
  }
  const own = input({ type: 'hidden', name: 'csrf_token', value: 'SERVER' })
  const f = form({ method: 'post' }, own)
  submit(f)
  assert.equal(f.children.length, 1)
  assert.equal(own.value, 'SERVER', 'a server-rendered field is kept as is')
})

test('protectForms puts the field before file inputs (multipart: the token must precede files)', async () => {
  const { submit } = await forms()
  const f = form({ method: 'post', enctype: 'multipart/form-data' }, input({ name: 'title' }), input({ type: 'file', name: 'up' }))
  submit(f)
  assert.deepEqual(f.children.map(c => c.name), ['csrf_token', 'title', 'up'])
})

test('protectForms takes its field out before a submit to another origin', async () => {
  const { submit } = await forms()
  // The page stays (target=_blank), then the same form posts elsewhere.
  const f = form({ method: 'post', action: '/save', target: '_blank' })
  submit(f)
  assert.equal(hidden(f).length, 1)
  submit(f, input({ type: 'submit', formaction: 'https://partner.example/x' }))
  assert.equal(f.children.length, 0, 'token field left in a cross-origin submit')
  f.attrs.action = 'https://partner.example/y' // or a script changes the action
  submit(f)
  submit(f)
  assert.equal(f.children.length, 0)
  // A server-rendered field is the page's business, and is left alone.
  const own = input({ type: 'hidden', name: 'csrf_token', value: 'SERVER' })
  const g = form({ method: 'post', action: 'https://partner.example/x' }, own)
  submit(g)
  assert.deepEqual(g.children, [own])
})

test('protectForms: submitter formmethod/formaction override the form', async () => {
  const { submit } = await forms()
  const f1 = form({ method: 'get' })
  submit(f1, input({ type: 'submit', formmethod: 'post' }))
  assert.equal(hidden(f1).length, 1)
  const f2 = form({ method: 'post' })
  submit(f2, input({ type: 'submit', formaction: 'https://evil.example/x' }))
  assert.equal(f2.children.length, 0)
})

test('protectForms is not fooled by inputs named "method" or "action"', async () => {
  const { submit } = await forms()
  const f = form({ method: 'post', action: 'https://evil.example/x' })
  f.method = input({ name: 'method' }) // what the DOM does for <input name="method">
  f.action = input({ name: 'action' })
  submit(f)
  assert.equal(f.children.length, 0)
})

test('protectForms updates its own field on a later submit; honours csrf-field and fieldName', async () => {
  const { submit, document, k } = await forms()
  const f = form({ method: 'post' })
  submit(f)
  document.setMeta('csrf-token', 'TOK2')
  submit(f)
  assert.deepEqual(hidden(f).map(i => i.value), ['TOK2'])

  document.setMeta('csrf-field', '_csrf')
  const g = form({ method: 'post' })
  submit(g)
  assert.deepEqual(hidden(g).map(i => i.name), ['_csrf'])

  k.configure({ fieldName: 'tok' })
  const h = form({ method: 'post' })
  submit(h)
  assert.deepEqual(hidden(h).map(i => i.name), ['tok'])
})

test('protectForms without a token adds nothing', async () => {
  install()
  const k = await load()
  k.protectForms()
  const f = form({ method: 'post' })
  globalThis.document.dispatch('submit', { target: f })
  assert.equal(f.children.length, 0)
})

// htmx

async function htmx(respond) {
  const env = install({ href: 'https://app.example/', respond })
  env.document.setMeta('csrf-token', 'TOK')
  const k = await load()
  return { ...env, k, fire: (name, detail) => env.document.dispatch('htmx:' + name, { detail }) }
}

test('htmx: configRequest adds the header to non-GET same-origin requests', async () => {
  const { fire } = await htmx()
  const cases = [
    ['post', '/x', true], ['put', '/x', true], ['patch', 'rel', true], ['delete', '/x', true],
    ['get', '/x', false], ['post', 'https://evil.example/x', false], ['post', '//evil.example/x', false],
  ]
  for (const [verb, path, want] of cases) {
    const d = { verb, path, headers: { 'HX-Request': 'true' }, parameters: {} }
    fire('configRequest', d)
    assert.equal(d.headers['X-CSRF-Token'], want ? 'TOK' : undefined, verb + ' ' + path)
    assert.equal(d.headers['HX-Request'], 'true')
  }
})

test('htmx: the module hooks itself up at load, once', async () => {
  const { document } = await htmx()
  for (const n of ['configRequest', 'afterSwap', 'afterSettle', 'responseError']) {
    assert.equal(document.listenerCount('htmx:' + n), 1, n)
  }
})

test('htmx: a swap that changes the meta tag is used by the next request', async () => {
  const { fire, document } = await htmx()
  document.setMeta('csrf-token', 'SWAPPED')
  fire('afterSettle', {})
  const d = { verb: 'post', path: '/x', headers: {} }
  fire('configRequest', d)
  assert.equal(d.headers['X-CSRF-Token'], 'SWAPPED')
})

test('htmx: boosted navigation takes the token from the response page <meta>', async () => {
  const { fire, document } = await htmx()
  globalThis.DOMParser = class {
    parseFromString(html) {
      const doc = new FakeElement('#document')
      for (const [, name, content] of html.matchAll(/<meta name="([^"]*)" content="([^"]*)">/g)) {
        doc.appendChild(new FakeElement('meta', { name, content }))
      }
      return doc
    }
  }
  try {
    const page = '<html><head><meta name="csrf-token" content="NEWPAGE"></head><body>hi</body></html>'
    fire('afterSwap', { boosted: true, xhr: { responseText: page, responseURL: 'https://evil.example/' } })
    assert.equal(document.querySelector('meta[name="csrf-token"]').content, 'TOK', 'cross-origin response ignored')
    fire('afterSwap', { boosted: true, xhr: { responseText: page, responseURL: 'https://app.example/next' } })
    assert.equal(document.querySelector('meta[name="csrf-token"]').content, 'NEWPAGE')
    const d = { verb: 'post', path: '/x', headers: {} }
    fire('configRequest', d)
    assert.equal(d.headers['X-CSRF-Token'], 'NEWPAGE')
    fire('afterSwap', { xhr: { responseText: '<p>fragment</p>', responseURL: 'https://app.example/f' } })
    assert.equal(document.querySelector('meta[name="csrf-token"]').content, 'NEWPAGE')
  } finally {
    delete globalThis.DOMParser
  }
})

test('htmx: a token rejection restores, so the next request carries a fresh token', async () => {
  const { fire, calls } = await htmx(c => c.url === '/api/csrf/restore' ? restored('FRESH') : undefined)
  const xhr = (status, headers, text = '') => ({
    status, responseText: text, getResponseHeader: n => headers[n.toLowerCase()] ?? null,
  })
  fire('responseError', { xhr: xhr(403, { 'x-csrf-reason': 'cross-site' }) })
  fire('responseError', { xhr: xhr(500, {}) })
  fire('responseError', { xhr: xhr(403, {}, 'Forbidden') })
  fire('responseError', { xhr: xhr(403, {}, '{"error":"app","reason":"token-invalid"}') })
  await new Promise(r => setTimeout(r, 10))
  assert.equal(calls.length, 0)

  fire('responseError', { xhr: xhr(403, { 'x-csrf-reason': 'token-invalid' }) })
  await new Promise(r => setTimeout(r, 10))
  assert.equal(calls.length, 1)
  const d = { verb: 'post', path: '/x', headers: {} }
  fire('configRequest', d)
  assert.equal(d.headers['X-CSRF-Token'], 'FRESH')

  fire('responseError', { xhr: xhr(403, {}, '{"error":"csrf","reason":"token-expired"}') })
  await new Promise(r => setTimeout(r, 10))
  assert.equal(calls.length, 2, 'JSON reason also understood')
})

test('htmx: a failing restore after a rejection is swallowed', async () => {
  const { fire, calls } = await htmx(() => csrfReject('x', { status: 500 }))
  fire('responseError', { xhr: { status: 403, getResponseHeader: () => 'token-missing' } })
  await new Promise(r => setTimeout(r, 10))
  assert.equal(calls.length, 1)
})
