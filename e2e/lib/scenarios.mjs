// The scenarios. Each runs in a fresh browser context (no cookies, no storage) against one app
// ("auto" = FlaskStyle, "explicit" = ExpressStyle) and returns { got, detail }; the runner
// compares got with the scenario's expected value.
//
// The test context t has: app (the app's origin), appName, attacker (cross-site attacker origin),
// sibling (same-site sibling attacker origin, or null) and siblingApp (the app's origin as seen
// from that sibling), transport, browser, ctx (the browser context), demo (log access),
// newPage(), user(prefix) (a fresh user name: every user starts with 1000), upload (a file).
import { WAIT, sleep, within } from './util.mjs'
import { request } from './demo.mjs'

export const PRESET = {
  auto: { tokenCookie: 'csrf_token', field: 'csrf_token', header: 'X-CSRF-Token' },
  explicit: { tokenCookie: 'XSRF-TOKEN', field: '_csrf', header: 'XSRF-Token' },
}

// Element ids of the demo's pages, as documented at the top of cmd/csrfkit-demo/templates/*.html.
export const SPA = {
  to: '#to', amount: '#amount', fetchButton: '#btn-fetch', requestButton: '#btn-request', result: '#result',
  uploadFile: '#upload-file', uploadButton: '#btn-upload', uploadResult: '#upload-result',
}
export const HTMX = { to: '#to', amount: '#amount', button: '#htmx-submit', result: '#result' }
const READY = 'body[data-ready="true"]'
const DONE = sel => `${sel}[data-state="done"]`

const submitIn = form => `${form} button:not([type=button]):not([type=reset]), ${form} input[type=submit]`

async function submit(page, form) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ timeout: WAIT, waitUntil: 'load' }),
    page.click(submitIn(form)),
  ])
  return resp
}

async function fill(page, sel, value) {
  await page.waitForSelector(sel, { timeout: WAIT })
  await page.$eval(sel, e => { e.value = '' })
  await page.type(sel, String(value))
}

export async function login(page, origin, user, password = 'pw-' + user) {
  const got = await page.goto(origin + '/login', { waitUntil: 'load' })
  if (got && got.status() !== 200) throw new Error(`GET ${origin}/login answered ${got.status()}`)
  const form = 'form:has(input[name=password])'
  await fill(page, `${form} input[name=username]`, user)
  await fill(page, `${form} input[name=password]`, password)
  const resp = await submit(page, form)
  return resp
}

// balance reads /api/balance from a page on the app's origin.
export function balance(page) {
  return within(WAIT, page.evaluate(async () => {
    const r = await fetch('/api/balance', { credentials: 'same-origin', cache: 'no-store' })
    let json = null
    try { json = await r.json() } catch {}
    return { status: r.status, user: json?.user ?? null, balance: json?.balance ?? null }
  }), 'GET /api/balance')
}

const fmt = b => `${b.user ?? '-'}:${b.balance ?? '-'}(${b.status})`

async function loggedIn(t, origin = t.app) {
  const page = await t.newPage()
  const user = t.user('u')
  await login(page, origin, user)
  const b = await balance(page)
  if (b.user !== user || b.balance !== 1000) throw new Error(`login as ${user} did not work: ${fmt(b)} at ${page.url()}`)
  return { page, user, b }
}

// expectDrop checks that the balance went down by exactly amount.
async function expectDrop(page, before, amount, what) {
  const after = await balance(page)
  if (after.user === before.user && after.balance === before.balance - amount) return { got: 'ok', detail: `${what}: ${fmt(before)} -> ${fmt(after)}` }
  return { got: 'FAILED', detail: `${what}: expected balance ${before.balance - amount}, have ${fmt(after)}` }
}

function logLines(t, mark, re) {
  return t.demo.since(mark).filter(l => re.test(l))
}

// ---- legitimate flows ---------------------------------------------------------------------

async function loginForm(t) {
  const page = await t.newPage()
  const user = t.user('u')
  const resp = await login(page, t.app, user)
  const b = await balance(page)
  const path = new URL(page.url()).pathname
  if (b.user === user && path === '/transfer') return { got: 'ok', detail: `landed on ${path} as ${b.user}` }
  return { got: 'FAILED', detail: `after login: ${page.url()} (${resp?.status()}), balance ${fmt(b)}` }
}

async function transferForm(t) {
  const { page, b } = await loggedIn(t)
  await page.goto(t.app + '/transfer')
  const form = 'form:has(input[name=amount])'
  await fill(page, `${form} input[name=to]`, 'bob')
  await fill(page, `${form} input[name=amount]`, 7)
  const resp = await submit(page, form)
  const r = await expectDrop(page, b, 7, `form POST -> ${resp?.status()}`)
  return r
}

async function spaClick(t, button, { stale = false } = {}) {
  const { page, user, b } = await loggedIn(t)
  await page.goto(t.app + '/spa')
  await page.waitForSelector(READY, { timeout: WAIT })
  const mark = t.demo.mark()
  if (stale) {
    // Tab B logs in again: the session changes and the CSRF secret rotates. Tab A's page (and
    // any token it holds) is now stale; its next transfer must recover by restore-and-retry.
    const tabB = await t.newPage()
    await login(tabB, t.app, user)
    await tabB.close()
  }
  await page.bringToFront()
  await fill(page, SPA.to, 'bob')
  await fill(page, SPA.amount, 11)
  await page.click(button)
  await page.waitForSelector(DONE(SPA.result), { timeout: WAIT })
  const text = (await page.$eval(SPA.result, e => e.dataset.status + ' ' + e.textContent.replace(/\s+/g, ''))).slice(0, 120)
  const r = await expectDrop(page, b, 11, `#result ${text}`)
  const seen = logLines(t, mark, /\/api\/(transfer|csrf\/restore)/).map(l => l.replace(/\s+/g, ' ').trim())
  if (seen.length) r.detail += ' | log: ' + seen.join(' ; ')
  return r
}

// uploadSPA: the /spa page's own file input (filled from disk by the browser automation) and
// its Upload button: csrfFetch with a FormData body, the token in a header.
async function uploadSPA(t) {
  const { page } = await loggedIn(t)
  await page.goto(t.app + '/spa')
  await page.waitForSelector(READY, { timeout: WAIT })
  const input = await page.$(SPA.uploadFile)
  await input.uploadFile(t.upload.path)
  await page.click(SPA.uploadButton)
  await page.waitForSelector(DONE(SPA.uploadResult), { timeout: 60000 })
  const [status, text] = await page.$eval(SPA.uploadResult, e => [e.dataset.status, e.textContent])
  return checkUpload(t, Number(status), text)
}

function checkUpload(t, status, text) {
  let j = null
  try { j = JSON.parse(text) } catch {}
  if (status === 200 && j && j.sha256 === t.upload.sha256 && j.size === t.upload.size) {
    return { got: 'ok', detail: `${j.size} bytes, sha256 ${j.sha256.slice(0, 16)}… matches` }
  }
  return { got: 'FAILED', detail: `status ${status}: ${String(text).slice(0, 200)} (want size ${t.upload.size} sha256 ${t.upload.sha256})` }
}

// uploadField: a file input fed from disk, then a plain fetch of FormData with the token in the
// form field placed before the file and no header: csrfkit must find the token in the
// multipart body and leave every byte of the 20 MB file to the handler.
async function uploadField(t) {
  const { page } = await loggedIn(t)
  await page.goto(t.app + '/spa')
  await page.evaluate(() => {
    const i = document.createElement('input')
    i.type = 'file'; i.id = 'e2e-file'; i.style.display = 'none'
    document.body.appendChild(i)
  })
  const input = await page.$('#e2e-file')
  await input.uploadFile(t.upload.path)
  const res = await within(60000, page.evaluate(async (field) => {
    const f = document.getElementById('e2e-file').files[0]
    if (!f) return { error: 'no file in input' }
    const tok = (await (await fetch('/api/csrf/restore', { credentials: 'same-origin', cache: 'no-store' })).json()).csrfToken
    const fd = new FormData()
    fd.append('note', 'e2e upload')
    fd.append(field, tok)
    fd.append('file', f, f.name)
    const r = await fetch('/upload', { method: 'POST', body: fd, credentials: 'same-origin' })
    const text = await r.text()
    return { status: r.status, text, size: f.size }
  }, PRESET[t.appName].field), 'upload')
  if (res.error) return { got: 'FAILED', detail: res.error }
  return checkUpload(t, res.status, res.text)
}

// uploadFormPost: the /upload page's plain HTML form, submitted by the browser itself (a
// multipart navigation with the 20 MB file). form is '#upload-form' (the server rendered the
// token field first) or '#upload-form-js' (no field: protectForms() adds it at submit time).
async function uploadFormPost(t, form) {
  const { page } = await loggedIn(t)
  await page.goto(t.app + '/upload')
  await page.waitForSelector(READY, { timeout: WAIT })
  const input = await page.$(`${form} input[type=file]`)
  await input.uploadFile(t.upload.path)
  const [resp] = await Promise.all([
    page.waitForNavigation({ timeout: 60000, waitUntil: 'load' }),
    page.click(`${form} button[type=submit]`),
  ])
  const text = await page.evaluate(() => document.body.innerText)
  return checkUpload(t, resp?.status() ?? 0, text.trim())
}

async function htmx(t) {
  const { page, b } = await loggedIn(t)
  await page.goto(t.app + '/htmx')
  await page.waitForSelector(READY, { timeout: WAIT }).catch(() => {})
  const ok = await page.evaluate(() => typeof window.htmx === 'object')
  if (!ok) return { got: 'FAILED', detail: 'window.htmx missing on /htmx (is -htmx passed?)' }
  await fill(page, HTMX.to, 'bob')
  await fill(page, HTMX.amount, 13)
  await page.click(HTMX.button)
  await page.waitForSelector(DONE(HTMX.result), { timeout: WAIT })
  const text = (await page.$eval(HTMX.result, e => e.dataset.status + ' ' + e.textContent)).trim().replace(/\s+/g, ' ').slice(0, 100)
  return expectDrop(page, b, 13, `htmx #result "${text}"`)
}

async function wsSameOrigin(t) {
  const { page } = await loggedIn(t)
  const res = await within(WAIT, page.evaluate(() => new Promise(resolve => {
    const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws')
    const stop = setTimeout(() => resolve({ ok: false, why: 'no answer in 10 s' }), 10000)
    ws.onopen = () => ws.send('hello from e2e')
    ws.onmessage = e => { clearTimeout(stop); resolve({ ok: true, why: String(e.data).slice(0, 80) }); ws.close() }
    ws.onerror = () => { clearTimeout(stop); resolve({ ok: false, why: 'error event' }) }
    ws.onclose = e => { clearTimeout(stop); resolve({ ok: false, why: 'closed ' + e.code }) }
  })), 'same-origin websocket')
  return res.ok ? { got: 'ok', detail: `answer: ${res.why}` } : { got: 'FAILED', detail: res.why }
}

// The seed's frontends re-created by the demo: /seed/flask (cookie csrf_token -> X-CSRF-Token)
// and /seed/express (restoreCSRF at start-up, cookie XSRF-TOKEN -> XSRF-Token). Against its own
// preset each must work. Against the other preset the seed's cookie name is never issued, so
// it sends an empty token: that must be a clean 403 (token-missing) with no money moved.
function seed(kind) {
  return async t => {
    const { page, b } = await loggedIn(t)
    await page.goto(`${t.app}/seed/${kind}`)
    await page.waitForSelector(READY, { timeout: WAIT })
    const out = await within(WAIT, page.evaluate(async () => {
      const body = await window.seedTransfer('bob', 17)
      const el = document.getElementById('result')
      return { status: Number(el.dataset.status), body }
    }), `seed ${kind}`)
    const desc = `seed ${kind}: ${out.status} ${JSON.stringify(out.body).slice(0, 100)}`
    const own = (kind === 'flask') === (t.appName === 'auto')
    if (own) return expectDrop(page, b, 17, desc)
    const after = await balance(page)
    if (out.status === 403 && after.balance === b.balance) return { got: 'refused', detail: `${desc}; balance ${fmt(after)}` }
    return { got: 'UNEXPECTED', detail: `${desc}; balance ${fmt(b)} -> ${fmt(after)}` }
  }
}

// ---- checks -------------------------------------------------------------------------------

// secretCookie: the secret cookie's name and flags as the browser stored them, and whether a
// cross-site no-cors POST was refused by Sec-Fetch-Site (reason "cross-site") rather than by the
// Origin fallback ("origin-mismatch"), which proves the browser sent Fetch Metadata.
async function secretCookie(t) {
  const page = await t.newPage()
  await page.goto(t.app + '/login')
  const cookies = await t.ctx.cookies()
  const secret = cookies.find(c => /csrf_secret$/.test(c.name))
  const want = t.transport === 'https' ? '__Host-csrf_secret' : 'csrf_secret'
  const problems = []
  if (!secret) problems.push('no secret cookie; have ' + cookies.map(c => c.name).join(','))
  else {
    if (secret.name !== want) problems.push(`name ${secret.name}, want ${want}`)
    if (!secret.httpOnly) problems.push('not HttpOnly')
    if (t.transport === 'https' && !secret.secure) problems.push('not Secure')
    if (secret.path !== '/') problems.push('path ' + secret.path)
    if (String(secret.sameSite).toLowerCase() !== 'lax') problems.push('SameSite ' + secret.sameSite)
  }
  const readable = await page.evaluate(() => document.cookie)
  if (/csrf_secret=/.test(readable)) problems.push('secret readable from JS')
  // Fetch Metadata, seen through the demo's rejection reason.
  const evil = await t.newPage()
  await evil.goto(t.attacker + '/')
  const mark = t.demo.mark()
  await within(WAIT, evil.evaluate(u => fetch(u, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }).then(() => 1, () => 0), t.app + '/api/transfer'), 'no-cors probe')
  await sleep(300)
  const lines = logLines(t, mark, /\/api\/transfer/)
  const sfs = lines.some(l => /cross-site/.test(l))
  if (!sfs) problems.push('rejection not by Sec-Fetch-Site: ' + (lines.join(' ; ') || 'no log line'))
  const detail = `${secret ? `${secret.name} httpOnly=${secret.httpOnly} secure=${secret.secure} sameSite=${secret.sameSite}` : '-'}; log: ${lines.map(l => l.trim()).join(' ; ')}`
  return problems.length ? { got: 'FAILED', detail: problems.join('; ') + ' | ' + detail } : { got: 'ok', detail }
}

// ---- attacks ------------------------------------------------------------------------------

// attack logs a victim in (in this context, i.e. the victim's browser), opens the attacker's page
// in another tab of the same browser, waits for it to finish, and compares the victim's balance
// and identity before and after.
//
// top: the attack page submits its form as a top-level navigation (&top=1), so the request is a
// first-party one for the bank and carries SameSite=None cookies even where the browser keeps
// third-party cookies from framed or fetched requests.
function attack(kind, { sibling = false, extra, top = false } = {}) {
  return async t => {
    if (sibling && !t.sibling) return { got: 'n/a', detail: 'no same-site sibling host on this transport' }
    const appOrigin = sibling ? t.siblingApp : t.app
    const attacker = sibling ? t.sibling : t.attacker
    const { page: victim, b: before } = await loggedIn(t, appOrigin)
    const url = new URL(`/attack/${kind}`, attacker)
    url.searchParams.set('target', appOrigin)
    if (top) url.searchParams.set('top', '1')
    if (extra) for (const [k, v] of Object.entries(await extra(t, appOrigin))) url.searchParams.set(k, v)
    const mark = t.demo.mark()
    const evil = await t.newPage()
    await evil.goto(url.href)
    let finished = true
    try {
      if (top) {
        // The attack page is replaced by the bank's answer.
        await evil.waitForFunction(o => location.origin === o && document.readyState === 'complete', { timeout: WAIT }, appOrigin)
      } else {
        await evil.waitForFunction(() => document.title === 'done', { timeout: WAIT })
      }
    } catch { finished = false }
    const result = await evil.evaluate(top => (top ? document.querySelector('h1') : document.getElementById('result'))?.textContent.trim().replace(/\s+/g, ' '), top)
      .catch(() => null) ?? `(no result at ${evil.url()})`
    await sleep(300) // anything still in flight lands now
    await victim.bringToFront()
    const after = await balance(victim)
    const appLines = logLines(t, mark, new RegExp('^\\S+\\s+' + t.appName + '\\s')).map(l => l.trim())
    const detail = `${top ? 'bank page' : '#result'} "${result.slice(0, 140)}" | victim ${fmt(before)} -> ${fmt(after)} | log: ${appLines.slice(0, 4).join(' ; ') || 'no app request logged'}`
    if (after.user !== before.user || after.balance !== before.balance) return { got: 'NOT BLOCKED', detail }
    if (!finished) return { got: 'no verdict', detail: `attack page did not ${top ? 'reach the bank' : 'set title "done"'} in time | ` + detail }
    if (kind === 'ws' && result === 'open') return { got: 'NOT BLOCKED', detail }
    if (kind === 'ws' && !/^(error|closed)$/.test(result)) return { got: 'no verdict', detail }
    return { got: 'blocked', detail }
  }
}

// tossPair fetches, as the attacker would with their own browser, a valid secret cookie and a
// token from the app (not bound to the victim's session), for the sibling to plant.
async function tossPair(t, appOrigin) {
  const r = await request(appOrigin, '/api/csrf/restore', { ca: t.ca })
  const set = [].concat(r.headers['set-cookie'] || [])
  const sc = set.map(s => s.split(';')[0]).find(s => /csrf_secret=/.test(s)) || ''
  let token = ''
  try { token = JSON.parse(r.body).csrfToken || '' } catch {}
  return { secret: sc.slice(sc.indexOf('=') + 1), token }
}

export const SCENARIOS = [
  { name: 'login form', expect: 'ok', run: loginForm },
  { name: 'transfer form', expect: 'ok', run: transferForm },
  { name: 'SPA csrfFetch transfer', expect: 'ok', run: t => spaClick(t, SPA.fetchButton) },
  { name: 'SPA request+restoreCSRF', expect: 'ok', run: t => spaClick(t, SPA.requestButton) },
  { name: 'upload 20 MB (SPA, header)', expect: 'ok', run: uploadSPA, timeout: 120000 },
  { name: 'upload 20 MB (token field first)', expect: 'ok', run: uploadField, timeout: 120000 },
  { name: 'upload 20 MB (HTML form)', expect: 'ok', run: t => uploadFormPost(t, '#upload-form'), timeout: 120000 },
  { name: 'upload 20 MB (protectForms form)', expect: 'ok', run: t => uploadFormPost(t, '#upload-form-js'), timeout: 120000 },
  { name: 'stale tab restore+retry', expect: 'ok', run: t => spaClick(t, SPA.fetchButton, { stale: true }) },
  { name: 'htmx POST', expect: 'ok', run: htmx, needs: 'htmx' },
  { name: 'same-origin WebSocket', expect: 'ok', run: wsSameOrigin },
  { name: 'seed flask frontend', expect: { auto: 'ok', explicit: 'refused' }, run: seed('flask') },
  { name: 'seed express frontend', expect: { auto: 'refused', explicit: 'ok' }, run: seed('express') },
  { name: 'secret cookie + Fetch Metadata', expect: 'ok', run: secretCookie },
  // control: what the same attack does when the demo runs with -unprotected (no csrfkit; the
  // session cookie is SameSite=None). 'NOT BLOCKED' there proves the attack page works and that
  // csrfkit is what stops it. Attacks that the browser itself stops without csrfkit (framed and
  // no-cors requests lose third-party cookies in current Chromium and Firefox) have no control row.
  { name: 'ATTACK cross-site form POST', expect: 'blocked', run: attack('form') },
  { name: 'ATTACK cross-site form POST (top-level)', expect: 'blocked', control: 'NOT BLOCKED', run: attack('form', { top: true }) },
  { name: 'ATTACK cross-site no-cors POST', expect: 'blocked', run: attack('nocors') },
  { name: 'ATTACK same-site sibling form POST', expect: 'blocked', control: 'NOT BLOCKED', run: attack('form', { sibling: true }) },
  { name: 'ATTACK cookie tossing from sibling', expect: 'blocked', control: 'NOT BLOCKED', run: attack('toss', { sibling: true, extra: tossPair }) },
  { name: 'ATTACK login CSRF', expect: 'blocked', run: attack('login') },
  { name: 'ATTACK login CSRF (top-level)', expect: 'blocked', control: 'NOT BLOCKED', run: attack('login', { top: true }) },
  { name: 'ATTACK cross-site WebSocket', expect: 'blocked', control: 'NOT BLOCKED', run: attack('ws') },
  { name: 'ATTACK method override', expect: 'blocked', run: attack('override') },
  { name: 'ATTACK img GET (no effect)', expect: 'blocked', run: attack('img') },
]
