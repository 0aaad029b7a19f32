// A small fake browser: location, document (cookie, meta tags, events, forms) and fetch.
// Just enough DOM for csrfkit.js; no jsdom.

let seq = 0

export class FakeElement {
  constructor(tag, attrs = {}) {
    this.tagName = tag.toUpperCase()
    this.attrs = { ...attrs }
    this.children = []
  }
  getAttribute(a) { return a in this.attrs ? this.attrs[a] : null }
  setAttribute(a, v) { this.attrs[a] = String(v) }
  // name/content/type/value behave like reflected attributes.
  get name() { return this.attrs.name ?? '' }
  set name(v) { this.attrs.name = v }
  get content() { return this.attrs.content ?? '' }
  set content(v) { this.attrs.content = v }
  get type() { return this.attrs.type ?? '' }
  set type(v) { this.attrs.type = v }
  get value() { return this.attrs.value ?? '' }
  set value(v) { this.attrs.value = v }
  appendChild(c) { this.children.push(c); c.parentNode = this; return c }
  prepend(c) { this.children.unshift(c); c.parentNode = this }
  remove() {
    const p = this.parentNode
    if (p) p.children.splice(p.children.indexOf(this), 1), this.parentNode = null
  }
  // Supports the selectors csrfkit uses: tag[name="x"].
  querySelector(sel) {
    const m = /^(\w+)\[name="([^"]*)"\]$/.exec(sel)
    if (!m) throw new Error('fake querySelector: unsupported selector ' + sel)
    const find = el => {
      for (const c of el.children) {
        if (c.tagName === m[1].toUpperCase() && c.attrs.name === m[2]) return c
        const d = find(c)
        if (d) return d
      }
      return null
    }
    return find(this)
  }
}

export class FakeDocument extends FakeElement {
  constructor(href) {
    super('#document')
    this.baseURI = href
    this.cookie = ''
    this.listeners = []
    this.head = this.appendChild(new FakeElement('head'))
    this.body = this.appendChild(new FakeElement('body'))
  }
  createElement(tag) { return new FakeElement(tag) }
  addEventListener(type, fn, capture) { this.listeners.push({ type, fn, capture }) }
  dispatch(type, props = {}) {
    const e = { type, defaultPrevented: false, preventDefault() { this.defaultPrevented = true }, ...props }
    for (const l of this.listeners) if (l.type === type) l.fn(e)
    return e
  }
  listenerCount(type) { return this.listeners.filter(l => l.type === type).length }
  setMeta(name, content) {
    let m = this.querySelector(`meta[name="${name}"]`)
    if (!m) m = this.head.appendChild(new FakeElement('meta', { name }))
    m.content = content
    return m
  }
}

// install replaces globalThis.location/document/fetch with fakes. respond(call, calls) returns
// the Response for each fetch; every call is recorded in calls (url, method, headers, body).
export function install({ href = 'https://app.example/page', respond } = {}) {
  const u = new URL(href)
  const document = new FakeDocument(href)
  const calls = []
  globalThis.location = { href, origin: u.origin }
  globalThis.document = document
  globalThis.fetch = async (input, init = {}) => {
    const req = input instanceof Request
    const call = {
      url: req ? input.url : String(input),
      method: (init.method || (req ? input.method : 'GET')).toUpperCase(),
      headers: new Headers(init.headers || (req ? input.headers : undefined)),
      body: init.body,
      init,
    }
    calls.push(call)
    const r = respond ? await respond(call, calls) : undefined
    return r || new Response('ok')
  }
  return { document, calls }
}

// load imports a fresh instance of the shipped module (its state starts empty, and its htmx
// hook binds to the current fake document).
export function load() {
  return import(`../csrfkit.js?instance=${++seq}`)
}

export function csrfReject(reason, { status = 403, header = true, json = true } = {}) {
  const headers = { 'Content-Type': json ? 'application/json' : 'text/html' }
  if (header) headers['X-CSRF-Reason'] = reason
  return new Response(json ? JSON.stringify({ error: 'csrf', reason }) : '<h1>Forbidden</h1>', { status, headers })
}

export function restored(token, extra = {}) {
  return new Response(JSON.stringify({ csrfToken: token }), {
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...extra },
  })
}
