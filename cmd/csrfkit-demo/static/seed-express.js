// Our re-creation of the seed's Express-side frontend (see the seed document):
// csrfFetch(endpoint, method, body) sends the XSRF-TOKEN cookie in the XSRF-Token
// header with credentials included and throws the Response on errors;
// restoreCSRF() asks /api/csrf/restore, once at start-up. Written for the demo;
// only the names and the flow follow the seed.
(function () {
  const Cookies = {
    get(name) {
      for (const part of document.cookie.split(';')) {
        const i = part.indexOf('=')
        if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim())
      }
      return undefined
    },
  }

  async function csrfFetch(endpoint, method = 'GET', body = null) {
    const options = { method, headers: {}, credentials: 'include' }
    if (method.toUpperCase() !== 'GET') {
      options.headers['XSRF-Token'] = Cookies.get('XSRF-TOKEN') || ''
      if (body) {
        options.headers['Content-Type'] = 'application/json'
        options.body = JSON.stringify(body)
      }
    }
    const res = await fetch(endpoint, options)
    if (res.status >= 400) throw res
    return res
  }

  function restoreCSRF() {
    return csrfFetch('/api/csrf/restore')
  }

  const { $, json, show } = window.seedPage // static/seed-page.js
  // call runs a seed call and returns the JSON answer, also when it was thrown.
  async function call(p) {
    $('result').dataset.state = 'pending'
    let res
    try {
      res = await p()
    } catch (e) {
      if (!(e instanceof Response)) return show(0, { error: String(e && e.message || e) })
      res = e
    }
    return show(res.status, await json(res))
  }
  async function balance() {
    try { $('balance').textContent = (await (await csrfFetch('/api/balance')).json()).balance } catch {}
  }

  window.seedTransfer = async function (to, amount) {
    const body = await call(() => csrfFetch('/api/transfer', 'POST', { to, amount: Number(amount) }))
    await balance()
    return body
  }
  window.seedRestore = () => call(restoreCSRF)

  $('btn-transfer').onclick = () => window.seedTransfer($('to').value, $('amount').value)
  $('btn-restore').onclick = () => window.seedRestore()
  restoreCSRF().catch(() => {}).finally(() => { document.body.dataset.ready = 'true' })
})()
