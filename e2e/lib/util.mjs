// Small helpers shared by the runner and the scenarios.
export const WAIT = Number(process.env.E2E_WAIT_MS || 15000) // every single wait is bounded by this
export const sleep = ms => new Promise(r => setTimeout(r, ms))

// within rejects when p has not settled after ms: a hang becomes a failure, not a stall.
export function within(ms, p, what) {
  let t
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms) }),
  ])
}

// A deterministic 32-bit xorshift stream, generated identically in Node and in the page, so a
// 20 MB upload needs no 20 MB transfer over the browser protocol.
export function xorshiftBytes(n, seed) {
  const words = new Uint32Array(Math.ceil(n / 4))
  let x = seed >>> 0
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    words[i] = x
  }
  return new Uint8Array(words.buffer, 0, n)
}

export function table(rows, cols) {
  const w = cols.map(c => Math.max(c.length, ...rows.map(r => String(r[c] ?? '').length)))
  const line = r => cols.map((c, i) => String(r[c] ?? '').padEnd(w[i])).join(' | ').trimEnd()
  return [line(Object.fromEntries(cols.map(c => [c, c]))), w.map(n => '-'.repeat(n)).join('-|-'), ...rows.map(line)].join('\n')
}
