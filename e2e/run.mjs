// csrfkit real-browser suite: builds cmd/csrfkit-demo, runs it once per transport (plain HTTP on
// localhost, HTTPS with host names and a CA made for the run), and drives Debian's Chromium and
// Firefox ESR through legitimate flows and CSRF attacks against both apps.
//
//   npm test                                  everything
//   E2E_BROWSERS=firefox E2E_TRANSPORTS=https E2E_ONLY='ATTACK|login' npm test
//   E2E_APPS=auto  E2E_DEMO=/path/to/prebuilt/demo  E2E_DUMPIO=1 (browser stderr)
//   E2E_NO_CONTROL=1  skip the control pass (the attacks against the demo run with -unprotected)
//
// Prints a table (scenario x app x browser x transport -> expected, got), writes results.json
// next to this file, ends with "N passed, M failed", and exits non-zero on any mismatch.
import { createHash } from 'node:crypto'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeCerts } from './lib/certs.mjs'
import { buildDemo, Demo, freePorts } from './lib/demo.mjs'
import { launch } from './lib/browsers.mjs'
import { SCENARIOS } from './lib/scenarios.mjs'
import { table, within, xorshiftBytes } from './lib/util.mjs'

process.env.PUPPETEER_SKIP_DOWNLOAD = '1'
const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..')
const list = (v, d) => (v || d).split(',').map(s => s.trim()).filter(Boolean)
const BROWSERS = list(process.env.E2E_BROWSERS, 'chromium,firefox')
const TRANSPORTS = list(process.env.E2E_TRANSPORTS, 'http,https')
const APPS = list(process.env.E2E_APPS, 'auto,explicit')
const ONLY = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY, 'i') : null
const SCENARIO_MS = 60000
const HTMX = join(HERE, 'node_modules/htmx.org/dist/htmx.min.js')

const started = Date.now()
const tmp = mkdtempSync(join(tmpdir(), 'csrfkit-e2e-'))
const rows = []
const record = (r) => {
  r.pass = r.got === r.expected
  rows.push(r)
  const mark = r.pass ? 'pass' : 'FAIL'
  console.log(`${mark}  ${r.transport} ${r.browser} ${r.app}${r.csrfkit === 'off' ? ' (no csrfkit)' : ''}  ${r.scenario}: ${r.got} (${r.ms} ms)${r.pass && !process.env.E2E_VERBOSE ? '' : '\n      ' + r.detail}`)
}

// The upload file: 20 MiB of deterministic bytes, and its SHA-256.
function makeUpload() {
  const bytes = xorshiftBytes(20 << 20, 0xC5F4)
  const path = join(tmp, 'upload-20MiB.bin')
  writeFileSync(path, bytes)
  return { path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }
}

function origins(transport, ports) {
  const [pa, pe, pk] = ports
  if (transport === 'https') {
    return {
      apps: { auto: `https://app.test:${pa}`, explicit: `https://app.test:${pe}` },
      attacker: `https://evil.test:${pk}`,
      siblingApps: { auto: `https://app.test:${pa}`, explicit: `https://app.test:${pe}` },
      sibling: `https://sub.app.test:${pk}`,
    }
  }
  // Plain HTTP: localhost vs 127.0.0.1 are two sites. For the same-site sibling, *.localhost
  // resolves to loopback in both browsers: app.localhost and sub.app.localhost are same-site
  // (the default public-suffix rule makes "localhost" the suffix), like app.test/sub.app.test.
  return {
    apps: { auto: `http://localhost:${pa}`, explicit: `http://localhost:${pe}` },
    attacker: `http://127.0.0.1:${pk}`,
    siblingApps: { auto: `http://app.localhost:${pa}`, explicit: `http://app.localhost:${pe}` },
    sibling: `http://sub.app.localhost:${pk}`,
  }
}

// runTransport runs every scenario against one demo over one transport. With guarded false the
// demo runs with -unprotected (no csrfkit) and only the attacks with a control expectation run:
// they must succeed there, which proves the attack pages work and that csrfkit stops them.
async function runTransport(bin, transport, upload, guarded = true) {
  const scenarios = guarded ? SCENARIOS : SCENARIOS.filter(s => s.control)
  const csrfkit = guarded ? 'on' : 'off'
  const expected = (s, app) => !guarded ? s.control : typeof s.expect === 'object' ? s.expect[app] : s.expect
  const ports = await freePorts(3)
  const o = origins(transport, ports)
  const args = ['-auto', `127.0.0.1:${ports[0]}`, '-explicit', `127.0.0.1:${ports[1]}`, '-attacker', `127.0.0.1:${ports[2]}`]
  if (!guarded) args.push('-unprotected')
  let certs = null
  const htmx = existsSync(HTMX)
  if (htmx) args.push('-htmx', HTMX)
  if (transport === 'https') {
    const dir = join(tmp, 'certs')
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    certs = makeCerts(dir, ['app.test', 'sub.app.test', 'evil.test'])
    args.push('-cert', certs.cert, '-key', certs.key, '-app-host', 'app.test', '-attacker-host', 'evil.test')
  }
  const demo = new Demo(bin, args, ROOT)
  const logFile = join(tmp, `demo-${transport}${guarded ? '' : '-unprotected'}.log`)
  try {
    await demo.waitHealthy(Object.values(o.apps), [o.attacker], certs?.ca)
    for (const browser of BROWSERS) {
      let b = null
      const hosts = transport === 'https' ? ['app.test', 'sub.app.test', 'evil.test'] : []
      try {
        b = await within(45000, launch(browser, { hosts, spki: certs?.spki }), `launch ${browser}`)
      } catch (e) {
        for (const s of scenarios) for (const app of APPS) {
          if (ONLY && !ONLY.test(s.name)) continue
          record({ scenario: s.name, app, csrfkit, browser, transport, expected: expected(s, app), got: 'CRASH', detail: 'browser did not start: ' + e.message, ms: 0 })
        }
        continue
      }
      const version = await b.version().catch(() => '?')
      console.log(`# ${transport}: ${browser} ${version}; demo ${args.join(' ')}`)
      try {
        for (const s of scenarios) {
          if (ONLY && !ONLY.test(s.name)) continue
          for (const app of APPS) {
            const row = { scenario: s.name, app, csrfkit, browser, transport, expected: expected(s, app) }
            if (s.needs === 'htmx' && !htmx) {
              record({ ...row, got: 'n/a', expected: 'n/a', detail: 'htmx.org not installed in e2e/node_modules', ms: 0 })
              continue
            }
            if (demo.exited) {
              record({ ...row, got: 'CRASH', detail: 'demo exited: ' + JSON.stringify(demo.exited), ms: 0 })
              continue
            }
            const t0 = Date.now()
            let ctx = null
            let n = 0
            try {
              ctx = await within(15000, b.createBrowserContext(), 'createBrowserContext')
              const t = {
                app: o.apps[app], appName: app, attacker: o.attacker, sibling: o.sibling, siblingApp: o.siblingApps[app],
                transport, browser, ctx, demo, ca: certs?.ca, upload,
                user: p => `${p}${process.pid % 1000}${rows.length}${browser[0]}${transport[4] || 'p'}${app[0]}${n++}`,
                newPage: async () => {
                  const p = await ctx.newPage()
                  p.setDefaultTimeout(15000)
                  p.setDefaultNavigationTimeout(15000)
                  return p
                },
              }
              const res = await within(s.timeout || SCENARIO_MS, s.run(t), s.name)
              if (res.got === 'n/a') row.expected = 'n/a'
              record({ ...row, got: res.got, detail: res.detail, ms: Date.now() - t0 })
            } catch (e) {
              record({ ...row, got: 'ERROR', detail: String(e?.stack || e).split('\n').slice(0, 3).join(' / '), ms: Date.now() - t0 })
            } finally {
              if (ctx) await within(15000, ctx.close(), 'close context').catch(() => {})
            }
          }
        }
      } finally {
        await within(20000, b.close(), `close ${browser}`).catch(e => {
          console.log(`# ${browser} did not close: ${e.message}; killing it`)
          b.process()?.kill('SIGKILL')
        })
      }
    }
  } catch (e) {
    record({ scenario: 'demo start', app: '-', csrfkit, browser: '-', transport, expected: 'ok', got: 'CRASH', detail: String(e.message || e), ms: 0 })
  } finally {
    await demo.stop()
    writeFileSync(logFile, demo.lines.join('\n') + '\n')
  }
}

async function main() {
  const bin = process.env.E2E_DEMO || join(tmp, 'demo')
  try {
    if (!process.env.E2E_DEMO) buildDemo(ROOT, bin)
  } catch (e) {
    record({ scenario: 'go build ./cmd/csrfkit-demo', app: '-', csrfkit: '-', browser: '-', transport: '-', expected: 'ok', got: 'CRASH', detail: String(e.message), ms: 0 })
  }
  if (!rows.length) {
    const upload = makeUpload()
    for (const tr of TRANSPORTS) await runTransport(bin, tr, upload)
    if (!process.env.E2E_NO_CONTROL) for (const tr of TRANSPORTS) await runTransport(bin, tr, upload, false)
  }
  const secs = Math.round((Date.now() - started) / 1000)
  const cols = ['scenario', 'app', 'csrfkit', 'browser', 'transport', 'expected', 'got', 'result']
  console.log('\n' + table(rows.map(r => ({ ...r, result: r.pass ? 'pass' : 'FAIL' })), cols))
  const failed = rows.filter(r => !r.pass)
  if (failed.length) {
    console.log('\nFailures:')
    for (const r of failed) console.log(`- ${r.scenario} / ${r.app} / csrfkit ${r.csrfkit} / ${r.browser} / ${r.transport}: ${r.got}\n    ${r.detail}`)
  }
  writeFileSync(join(HERE, 'results.json'), JSON.stringify({
    date: new Date().toISOString(), seconds: secs, browsers: BROWSERS, transports: TRANSPORTS, apps: APPS,
    passed: rows.length - failed.length, failed: failed.length, results: rows,
  }, null, 2) + '\n')
  console.log(`\nDemo logs: ${tmp}/demo-*.log (kept only with E2E_KEEP=1); results: e2e/results.json; ${secs} s`)
  if (!process.env.E2E_KEEP) rmSync(tmp, { recursive: true, force: true })
  console.log(`${rows.length - failed.length} passed, ${failed.length} failed`)
  process.exitCode = failed.length || !rows.length ? 1 : 0
}

main().catch(e => {
  console.error(e)
  console.log('0 passed, 1 failed')
  process.exit(1)
})
