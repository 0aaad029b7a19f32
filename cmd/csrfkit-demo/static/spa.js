// The /spa page: every unsafe request goes through csrfkit.js. Element ids are
// documented at the top of templates/spa.html.
import { csrfFetch, request, restoreCSRF } from '/csrfkit.js'

const $ = id => document.getElementById(id)

async function body(res) {
  const text = await res.text()
  try { return JSON.parse(text) } catch { return { text } }
}

// run marks el pending, awaits op() → {status, body}, shows it and marks it done.
async function run(el, op) {
  el.dataset.state = 'pending'
  el.textContent = '…'
  let out
  try {
    out = await op()
  } catch (e) {
    out = { status: 0, body: { error: String(e && e.message || e) } }
  }
  el.textContent = JSON.stringify(out.body, null, 1)
  el.dataset.status = String(out.status)
  el.className = out.status >= 200 && out.status < 300 ? 'ok' : 'err'
  el.dataset.state = 'done'
  return out
}

async function balance() {
  const res = await fetch('/api/balance', { headers: { Accept: 'application/json' } })
  const b = await body(res)
  if (res.ok) $('balance').textContent = b.balance
  return { status: res.status, body: b }
}

const num = v => Number(v)

function transferFetch(to = $('to').value, amount = $('amount').value) {
  return run($('result'), async () => {
    const res = await csrfFetch('/api/transfer', { method: 'POST', body: { to, amount: num(amount) } })
    const out = { status: res.status, body: await body(res) }
    await balance()
    return out
  })
}

// The seed's Express flow with csrfkit's helpers: restore first, then request().
function transferRequest(to = $('to').value, amount = $('amount').value) {
  return run($('result'), async () => {
    try {
      await restoreCSRF()
      const res = await request('/api/transfer', 'POST', { to, amount: num(amount) })
      return { status: res.status, body: await body(res) }
    } catch (e) {
      if (!e.response) throw e
      return { status: e.status, body: await body(e.response) }
    } finally {
      await balance()
    }
  })
}

function restore() {
  return run($('result'), async () => ({ status: 200, body: { csrfToken: await restoreCSRF() } }))
}

function upload(file = $('upload-file').files[0], note = $('upload-note').value) {
  return run($('upload-result'), async () => {
    if (!file) return { status: 0, body: { error: 'choose a file first' } }
    const fd = new FormData()
    fd.append('note', note)
    fd.append('file', file, file.name)
    const res = await csrfFetch('/upload', { method: 'POST', body: fd })
    return { status: res.status, body: await body(res) }
  })
}

function ws(message = $('ws-message').value) {
  const el = $('ws-result')
  el.dataset.state = 'pending'
  el.textContent = '…'
  const url = location.origin.replace(/^http/, 'ws') + '/ws'
  return new Promise(resolve => {
    const s = new WebSocket(url)
    const done = (text, ok) => {
      el.textContent = text
      el.className = ok ? 'ok' : 'err'
      el.dataset.state = 'done'
      resolve(text)
    }
    s.onopen = () => s.send(message)
    s.onmessage = e => { done(e.data, true); s.close(1000) }
    s.onerror = () => done('error', false)
  })
}

window.spa = { balance, transferFetch, transferRequest, restore, upload, ws }
$('btn-fetch').onclick = () => transferFetch()
$('btn-request').onclick = () => transferRequest()
$('btn-restore').onclick = () => restore()
$('btn-upload').onclick = () => upload()
$('btn-ws').onclick = () => ws()
document.body.dataset.ready = 'true'
