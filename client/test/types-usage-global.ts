// The classic-script build's types: a global `csrfkit`.
/// <reference path="../csrfkit.global.d.ts" />
async function globalUsage(): Promise<string> {
  await csrfkit.csrfFetch('/x', { method: 'POST', body: { a: 1 } })
  return csrfkit.getToken()
}
void globalUsage
export {}
