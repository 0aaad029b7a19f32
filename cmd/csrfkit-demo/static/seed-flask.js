// Our re-creation of the seed's Flask-side frontend (see the seed document): the
// token comes from the csrf_token cookie and goes out in X-CSRF-Token, with a
// JSON Content-Type, on every non-GET request. Written for the demo; only the
// names and the flow follow the seed.
(function () {
  function getCookie(name) {
    for (const part of document.cookie.split(';')) {
      const i = part.indexOf('=')
      if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim())
    }
    return ''
  }

  async function csrfFetch(url, options = {}) {
    if ((options.method || 'GET').toUpperCase() !== 'GET') {
      options.headers = {
        ...options.headers,
        'Content-Type': 'application/json',
        'X-CSRF-Token': getCookie('csrf_token'),
      }
    }
    return fetch(url, options)
  }

  const { $, json, show } = window.seedPage // static/seed-page.js
  async function balance() {
    const res = await fetch('/api/balance')
    if (res.ok) $('balance').textContent = (await res.json()).balance
  }

  window.seedTransfer = async function (to, amount) {
    $('result').dataset.state = 'pending'
    const res = await csrfFetch('/api/transfer', { method: 'POST', body: JSON.stringify({ to, amount: Number(amount) }) })
    const body = show(res.status, await json(res))
    await balance()
    return body
  }
  // The Flask side has no restore step in the seed; this asks csrfkit's restore
  // route (FlaskStyle answers it too), which also refreshes the csrf_token cookie.
  window.seedRestore = async function () {
    $('result').dataset.state = 'pending'
    const res = await csrfFetch('/api/csrf/restore')
    return show(res.status, await json(res))
  }

  $('btn-transfer').onclick = () => window.seedTransfer($('to').value, $('amount').value)
  $('btn-restore').onclick = () => window.seedRestore()
  document.body.dataset.ready = 'true'
})()
