// The /htmx page. Importing csrfkit.js installs its htmx hook (the token header on
// same-origin unsafe requests). Ids are documented at the top of templates/htmx.html.
import '/csrfkit.js'

const result = document.getElementById('result')
document.addEventListener('htmx:beforeRequest', () => {
  result.dataset.state = 'pending'
  result.textContent = '…'
})
document.addEventListener('htmx:afterRequest', e => {
  const x = e.detail.xhr
  result.dataset.status = String(x ? x.status : 0)
  if (!e.detail.successful) {
    let reason = x && x.getResponseHeader('X-CSRF-Reason') || ''
    if (!reason) try { reason = JSON.parse(x.responseText).reason || x.responseText } catch { reason = x ? x.responseText : '' }
    result.textContent = `error ${x ? x.status : 0} ${reason}`.trim()
    result.className = 'card err'
  } else {
    result.className = 'card ok'
  }
  result.dataset.state = 'done'
})
document.body.dataset.ready = String(typeof window.htmx === 'object')
