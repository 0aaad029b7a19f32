// Page helpers shared by the two seed frontends (/seed/flask, /seed/express): not part of
// the seed, only how the demo shows their answers. Load before the seed script.
window.seedPage = {
  $: id => document.getElementById(id),
  // json reads a Response as JSON, or describes what came instead.
  async json(res) {
    const t = await res.text()
    try { return JSON.parse(t) } catch { return { error: 'not json', status: res.status, text: t } }
  },
  // show puts an answer in #result (data-status, data-state="done") and returns it.
  show(status, body) {
    const el = document.getElementById('result')
    el.textContent = JSON.stringify(body)
    el.dataset.status = String(status)
    el.className = status >= 200 && status < 300 ? 'ok' : 'err'
    el.dataset.state = 'done'
    return body
  },
}
