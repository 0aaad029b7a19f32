// Takes the README screenshots of the demo: docs/demo.png (the bank's transfer page after a
// login and one transfer) and docs/attacker.png (the attacker's auto-submitting form, with the
// bank's refusal in the frame).
//
// Run from the repository root, after `make deps` (or `cd e2e && npm ci`) has installed
// puppeteer-core into e2e/node_modules:
//
//   node docs/screenshot.mjs
//
// It uses Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) with a fresh profile in /tmp and
// no network access beyond loopback. If a demo already answers on 127.0.0.1:18080, 18081 and
// 18666 it is used as it is; otherwise the script builds cmd/csrfkit-demo, starts it on those
// ports, and stops it at the end.
import { spawn, execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(join(root, 'e2e', 'package.json'))
const { default: puppeteer } = await import(pathToFileURL(require.resolve('puppeteer-core')).href)

const AUTO = 'http://localhost:18080'
const ATTACKER = 'http://127.0.0.1:18666'
const PORTS = { auto: '127.0.0.1:18080', explicit: '127.0.0.1:18081', attacker: '127.0.0.1:18666' }

async function healthy(url) {
  try { return (await fetch(url + '/healthz', { signal: AbortSignal.timeout(1000) })).ok } catch { return false }
}

async function startDemo(tmp) {
  if (await healthy('http://127.0.0.1:18080') && await healthy(ATTACKER)) return null
  const bin = join(tmp, 'csrfkit-demo')
  execFileSync('go', ['build', '-o', bin, './cmd/csrfkit-demo'], { cwd: root, stdio: 'inherit' })
  const proc = spawn(bin, ['-auto', PORTS.auto, '-explicit', PORTS.explicit, '-attacker', PORTS.attacker],
    { cwd: root, stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    if (await healthy('http://127.0.0.1:18080') && await healthy(ATTACKER)) return proc
    await new Promise(r => setTimeout(r, 100))
  }
  proc.kill('SIGKILL')
  throw new Error('the demo did not start on ' + Object.values(PORTS).join(', '))
}

const tmp = mkdtempSync(join(tmpdir(), 'csrfkit-shot-'))
let demo = null, browser = null
try {
  demo = await startDemo(tmp)
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${join(tmp, 'profile')}`],
  })
  const page = await browser.newPage()
  await page.setViewport({ width: 1200, height: 640 })

  // Log in (any user name, any non-empty password): the app redirects to /transfer.
  await page.goto(AUTO + '/login', { waitUntil: 'load' })
  await page.type('#username', 'alice')
  await page.type('#password', 'demo')
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#login-submit')])

  // One transfer through the form, so the page shows the token round trip working.
  await page.$eval('#amount', el => { el.value = '25' })
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#transfer-submit')])
  await page.screenshot({ path: join(root, 'docs', 'demo.png') })

  // The attacker's forged form POST, with the bank's refusal loaded in the frame.
  await page.setViewport({ width: 1200, height: 580 })
  await page.goto(`${ATTACKER}/attack/form?target=${encodeURIComponent(AUTO)}`, { waitUntil: 'load' })
  await page.waitForFunction(() => document.title === 'done', { timeout: 15000 })
  await new Promise(r => setTimeout(r, 300)) // let the frame paint
  await page.screenshot({ path: join(root, 'docs', 'attacker.png') })
  console.log('wrote docs/demo.png and docs/attacker.png')
} finally {
  if (browser) await browser.close()
  if (demo) demo.kill('SIGINT')
  rmSync(tmp, { recursive: true, force: true })
}
