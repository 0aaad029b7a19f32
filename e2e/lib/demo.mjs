// Building, starting and talking to the demo (cmd/csrfkit-demo) from Node.
import { spawn, execFileSync } from 'node:child_process'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'

export function buildDemo(root, out) {
  execFileSync('go', ['build', '-o', out, './cmd/csrfkit-demo'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
}

// freePorts binds n listeners on 127.0.0.1:0 at once (so the ports differ), then closes them.
export async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((res, rej) => {
    const s = net.createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => res(s))
  })))
  const ports = servers.map(s => s.address().port)
  await Promise.all(servers.map(s => new Promise(r => s.close(r))))
  return ports
}

// request sends one request to an origin whose host name may only exist in the browsers'
// host mapping: it always connects to 127.0.0.1 and sends the origin's host in Host/SNI.
export function request(origin, path, { method = 'GET', headers = {}, body, ca, timeout = 10000 } = {}) {
  const u = new URL(path, origin)
  const tls = u.protocol === 'https:'
  const mod = tls ? https : http
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: '127.0.0.1', port: u.port || (tls ? 443 : 80), path: u.pathname + u.search, method,
      headers: { Host: u.host, ...headers }, servername: tls ? u.hostname : undefined, ca, timeout,
    }, res => {
      const chunks = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${u}`)))
    req.on('error', reject)
    req.end(body)
  })
}

// Demo is one running demo process with its log captured line by line.
export class Demo {
  constructor(bin, args, cwd) {
    this.args = args
    this.lines = []
    this.exited = null
    this.proc = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    for (const s of [this.proc.stdout, this.proc.stderr]) {
      let buf = ''
      s.setEncoding('utf8')
      s.on('data', d => {
        buf += d
        let i
        while ((i = buf.indexOf('\n')) >= 0) {
          this.lines.push(buf.slice(0, i))
          buf = buf.slice(i + 1)
        }
      })
    }
    this.proc.on('exit', (code, sig) => { this.exited = { code, sig } })
  }

  mark() { return this.lines.length }
  since(mark) { return this.lines.slice(mark) }

  // waitHealthy waits for 200 from /healthz on each app, and for any answer from the others.
  async waitHealthy(apps, others, ca, ms = 15000) {
    const end = Date.now() + ms
    for (const o of [...apps, ...others]) {
      const any = !apps.includes(o)
      for (;;) {
        if (this.exited) throw new Error(`demo exited (${JSON.stringify(this.exited)}):\n${this.lines.slice(-20).join('\n')}`)
        try {
          const r = await request(o, '/healthz', { ca, timeout: 2000 })
          if (r.status === 200 || (any && r.status < 500)) break
        } catch {}
        if (Date.now() > end) throw new Error(`demo not healthy at ${o} after ${ms} ms:\n${this.lines.slice(-20).join('\n')}`)
        await new Promise(r => setTimeout(r, 100))
      }
    }
  }

  async stop() {
    if (this.exited) return
    const done = new Promise(r => this.proc.once('exit', r))
    this.proc.kill('SIGINT')
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000)
    await done
    clearTimeout(t)
  }
}
