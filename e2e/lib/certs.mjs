// A certificate authority made for one run, and a leaf certificate for the suite's
// host names, both with the openssl command line into a temporary directory.
import { execFileSync } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

// makeCerts writes ca.pem, leaf.pem (certificate) and leaf.key into dir and returns their paths,
// the CA PEM text and the base64 SHA-256 of the leaf's SubjectPublicKeyInfo (what Chromium's
// --ignore-certificate-errors-spki-list takes).
export function makeCerts(dir, names) {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=csrfkit e2e CA (this run only)',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=' + names[0]])
  writeFileSync(join(dir, 'leaf.ext'), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=' + names.map(n => 'DNS:' + n).join(',') + ',IP:127.0.0.1',
  ].join('\n') + '\n')
  openssl(dir, ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext'])
  const leaf = new X509Certificate(readFileSync(join(dir, 'leaf.pem')))
  const spki = leaf.publicKey.export({ type: 'spki', format: 'der' })
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    cert: join(dir, 'leaf.pem'),
    key: join(dir, 'leaf.key'),
    spki: createHash('sha256').update(spki).digest('base64'),
  }
}
