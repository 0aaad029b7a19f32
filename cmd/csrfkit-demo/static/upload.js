// The /upload page: protectForms() gives the second form, which has no server-rendered token
// field, the hidden field at submit time (first in the form, so it precedes the file).
import { protectForms } from '/csrfkit.js'

protectForms()
document.body.dataset.ready = 'true'
