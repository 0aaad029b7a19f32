// Launching Debian's Chromium and Firefox ESR with puppeteer-core, fresh profile each time.
import puppeteer from 'puppeteer-core'

export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium'
export const FIREFOX = process.env.E2E_FIREFOX || '/usr/bin/firefox-esr'

// Preferences for a quiet Firefox: no updates, telemetry, safe-browsing lists, captive-portal or
// connectivity probes, no HTTPS-First upgrade of the plain-HTTP transport, no HTTP/3.
const FIREFOX_PREFS = {
  'app.update.enabled': false,
  'app.update.auto': false,
  'app.normandy.enabled': false,
  'browser.discovery.enabled': false,
  'browser.newtabpage.enabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.search.update': false,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'devtools.jsonview.enabled': false, // JSON answers render as plain text, as in Chromium
  'dom.security.https_first': false,
  'dom.security.https_first_pbm': false,
  'dom.security.https_first_schemeless': false,
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.http.http3.enable': false,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.server': '',
}

// launch starts one browser for one transport. For HTTPS, hosts maps the suite's names to
// 127.0.0.1 and spki (Chromium) or acceptInsecureCerts (Firefox) makes the run's CA certificate
// accepted while pages stay secure contexts.
export function launch(name, { hosts = [], spki } = {}) {
  const common = { headless: true, protocolTimeout: 30000, timeout: 30000, dumpio: !!process.env.E2E_DUMPIO }
  if (name === 'chromium') {
    const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-domain-reliability', '--metrics-recording-only',
      '--disable-dev-shm-usage']
    if (hosts.length) args.push('--host-resolver-rules=' + ['MAP *.test 127.0.0.1', ...hosts.map(h => `MAP ${h} 127.0.0.1`)].join(', '))
    if (spki) args.push('--ignore-certificate-errors-spki-list=' + spki)
    return puppeteer.launch({ ...common, executablePath: CHROMIUM, args })
  }
  if (name === 'firefox') {
    const prefs = { ...FIREFOX_PREFS }
    if (hosts.length) prefs['network.dns.localDomains'] = hosts.join(',')
    return puppeteer.launch({ ...common, browser: 'firefox', executablePath: FIREFOX, acceptInsecureCerts: !!spki, extraPrefsFirefox: prefs })
  }
  throw new Error('unknown browser ' + name)
}
