// csrfkit browser client: the commented source. build.mjs (`npm run build`) generates the shipped
// files from it: csrfkit.js (ES module) and csrfkit.global.js (classic script, global `csrfkit`).
// Keep it small: the gzipped size of the shipped files is tested (test/size.test.js).

const g = globalThis
const cfg = {
  cookieName: ['csrf_token', 'XSRF-TOKEN'], // Flask preset, Express preset
  headerName: '', // '' = <meta name="csrf-header">, else X-CSRF-Token (accepted by both presets)
  metaName: 'csrf-token',
  fieldName: '', // '' = <meta name="csrf-field">, else csrf_token
  restorePath: '/api/csrf/restore',
  allowOrigins: [],
}
const SAFE = /^(get|head|options|trace)$/i
const RETRY = ['token-missing', 'token-invalid', 'token-expired', 'secret-missing']
const REASON = 'X-CSRF-Reason'

export function configure(o = {}) {
  const c = { ...cfg }
  for (const k in o) {
    // A misspelt option must fail loudly, not silently fall back to a default.
    if (!(k in c)) throw new TypeError('csrfkit: unknown option ' + k)
    c[k] = o[k]
  }
  c.cookieName = [].concat(c.cookieName)
  // Normalise to origins; a malformed entry ('*', 'localhost:3000') throws here, at configuration
  // time, and leaves the configuration unchanged.
  c.allowOrigins = c.allowOrigins.map(u => {
    const x = new URL(u).origin
    if (x == 'null') throw new TypeError('csrfkit: not an origin: ' + u)
    return x
  })
  Object.assign(cfg, c)
  return c
}

const meta = n => g.document?.querySelector(`meta[name="${n}"]`)?.content || ''
const header = () => cfg.headerName || meta('csrf-header') || 'X-CSRF-Token'
const field = () => cfg.fieldName || meta('csrf-field') || 'csrf_token'

function cookie() {
  const jar = (g.document?.cookie || '').split(/; */)
  for (const n of cfg.cookieName) for (const c of jar) {
    const i = c.indexOf('=') + 1
    if (c.slice(0, i) == n + '=') try { return decodeURIComponent(c.slice(i)) } catch { return c.slice(i) }
  }
  return ''
}

// Token sources: meta tag, readable cookie, restore route. Both the meta tag and the cookie are
// re-read on every call, and the source that changed most recently wins: a page rendered before
// a login rotation keeps a stale meta tag, so a token from restoreCSRF() (or a cookie the server
// refreshed later) must beat it, until the page itself puts a new token in the meta tag.
let restored = '', src = -1, seen = []
export function getToken() {
  const m = meta(cfg.metaName), c = cookie()
  if (c && c != seen[1]) src = 1
  if (m && m != seen[0]) src = 0 // checked last: on a first read the meta tag wins
  seen = [m, c]
  return [m, c, restored][src] || m || c || restored
}

// allowed reports whether the token may be sent to url: same origin, or listed in allowOrigins.
// Never to anything else (axios CVE-2023-45857). Opaque origins ("null") never match.
function allowed(url) {
  try {
    const o = new URL(url, g.document?.baseURI || g.location?.href).origin
    return o != 'null' && (o == g.location?.origin || cfg.allowOrigins.includes(o))
  } catch { return false }
}

const is = (v, n) => typeof g[n] == 'function' && v instanceof g[n]
const plain = b => b && typeof b == 'object' &&
  (Array.isArray(b) || [Object.prototype, null].includes(Object.getPrototypeOf(b)))
// Bodies that can be sent a second time. Streams (and anything unknown) cannot.
const replayable = b => b == null || typeof b == 'string' || ArrayBuffer.isView(b) ||
  ['FormData', 'URLSearchParams', 'Blob', 'ArrayBuffer'].some(n => is(b, n))

// reason reads the csrfkit failure code: the X-CSRF-Reason header, else the JSON body
// {"error":"csrf","reason":...} read from a clone, so the caller can still read the response.
async function reason(r) {
  let x = r.headers.get(REASON)
  if (!x && /json/.test(r.headers.get('content-type'))) try {
    const j = await r.clone().json()
    if (j.error == 'csrf') x = j.reason
  } catch {}
  return x || ''
}

function fail(r, what) {
  const e = new Error(`csrfkit: ${what} failed: ${r.status}`)
  e.response = r
  e.status = r.status
  return e
}

let pending
export function restoreCSRF() {
  // Concurrent callers (several requests failing at once) share one restore.
  return pending ||= (async () => {
    try {
      const r = await g.fetch(cfg.restorePath, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      if (!r.ok) throw fail(r, 'restore')
      let t
      try { t = (await r.json()).csrfToken } catch {}
      getToken() // note the meta tag and the cookie as they are now (the response refreshed the cookie)
      if (t ||= cookie()) restored = t, src = 2
      return t || ''
    } finally { pending = null }
  })()
}
const restore = () => restoreCSRF().catch(() => '')

export async function csrfFetch(input, init, body) {
  if (typeof init == 'string') return request(input, init, body) // seed Express call shape
  init ||= {}
  const req = is(input, 'Request')
  const h = new Headers(init.headers || (req ? input.headers : undefined))
  let b = init.body, tried = 0
  if (plain(b)) {
    b = JSON.stringify(b)
    h.has('content-type') || h.set('Content-Type', 'application/json')
  }
  const guard = !SAFE.test(init.method || (req ? input.method : 'GET')) && allowed(req ? input.url : input)
  const send = async () => {
    let t = guard && getToken()
    if (guard && !t) tried = 1, t = await restore()
    if (t) h.set(header(), t)
    return g.fetch(input, { ...init, headers: h, body: b })
  }
  const r = await send()
  // Restore once and retry once, only when the server said the token was the problem, only if
  // this call has not restored already, and only when the body can be sent again.
  return guard && !tried && r.status == 403 && replayable(b) && !(req && input.body) &&
    RETRY.includes(await reason(r)) && await restore() ? send() : r
}

export async function request(endpoint, method = 'GET', body = null) {
  const r = await csrfFetch(endpoint, { method, credentials: 'include', body })
  if (r.status >= 400) {
    const e = fail(r, method + ' ' + endpoint)
    e.reason = await reason(r)
    throw e
  }
  return r
}

// protectForms adds the hidden token field, at submit time, to same-origin POST forms lacking it.
// The field goes first, so that in a multipart body it precedes any file (the server reads no
// further than the token), and it is taken out again before a submit that must not carry it.
let onSubmit
export function protectForms() {
  const d = g.document
  if (d && !onSubmit) d.addEventListener('submit', onSubmit = e => {
    // getAttribute, not form.method/form.action: an <input name="action"> would shadow those.
    const f = e.target, s = e.submitter, n = field(), at = (x, a) => x?.getAttribute?.(a)
    let i = f.querySelector(`input[name="${n}"]`), t = getToken()
    if (!/^post$/i.test(at(s, 'formmethod') || at(f, 'method')) ||
      !allowed(at(s, 'formaction') || at(f, 'action') || d.baseURI || g.location?.href) || !t) {
      // A field added for an earlier same-origin submit must not go to another origin.
      if (i?.csrfkit) i.remove()
      return
    }
    if (i && !i.csrfkit) return // the server rendered one
    if (!i) {
      i = d.createElement('input')
      i.type = 'hidden', i.name = n, i.csrfkit = 1
      f.prepend(i)
    }
    i.value = t
  }, true)
}

// htmx: listening on document is harmless when htmx is absent, so this runs on load.
function htmx(d) {
  const on = (n, f) => d.addEventListener('htmx:' + n, e => f(e.detail || {}))
  on('configRequest', x => {
    const t = !SAFE.test(x.verb) && allowed(x.path) && getToken()
    if (t) x.headers[header()] = t
  })
  // Boosted navigation swaps the body only, leaving the old <meta> in <head>: take the token
  // from the response page. Then re-read the sources so a changed cookie takes precedence.
  on('afterSwap', x => {
    const m = d.querySelector(`meta[name="${cfg.metaName}"]`), html = x.xhr?.responseText
    if (m && html?.includes(cfg.metaName) && allowed(x.xhr.responseURL) && g.DOMParser) {
      const t = new DOMParser().parseFromString(html, 'text/html').querySelector(`meta[name="${cfg.metaName}"]`)?.content
      if (t) m.content = t
    }
    getToken()
  })
  on('afterSettle', getToken)
  // A token rejection: restore now so that the next request carries a fresh token.
  on('responseError', x => {
    const r = x.xhr
    let c = r?.status == 403 && r.getResponseHeader(REASON)
    if (c == null) try { const j = JSON.parse(r.responseText); if (j.error == 'csrf') c = j.reason } catch {}
    if (RETRY.includes(c)) restore()
  })
}
if (g.document?.addEventListener) htmx(g.document)
