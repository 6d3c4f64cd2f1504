// Stock Yjs clients for the live-notes benchmarks and fault tests, driven over stdin/stdout (JSON lines).
//
//   node bench/node/clients.mjs '<config JSON>'      config: {kind: "yws"|"hocuspocus", url, room, origin,
//                                                             clients: [{index, cookie}], reportEach}
//   node bench/node/clients.mjs stored <url> <cookie>  prints the tags of GET <url> (a notes.yjs) as JSON
//
// "yws" clients are y-websocket 1.5's WebsocketProvider on the `ws` package with ws's default options, so
// permessage-deflate is offered as a browser offers it; "hocuspocus" clients are @hocuspocus/provider 2.x (the
// only client that speaks Hocuspocus's protocol). Every client owns its Y.Doc and decodes every frame it is sent.
// The one non-default option is disableBc / broadcast: false — several clients of one room share this process,
// and BroadcastChannel would let them talk past the server.
//
// An edit appends the tag "<client index>:<k>:<send time, epoch ms>" to the Y.Array "edits"; whoever sees a tag
// knows when it was sent (all processes share the machine's clock).
//
// Commands (stdin):  {cmd: "connect"} | {cmd: "type", start, count, interval} | {cmd: "stop"} | {cmd: "state"}
//                    {cmd: "drain", total, timeout} | {cmd: "late", total, timeout} | {cmd: "close"}
// Events (stdout):   {ev: "loaded"} {ev: "synced", ms: [...]} {ev: "t", i, k} (with reportEach) {ev: "typed"}
//                    {ev: "state", clients} {ev: "drained", clients} {ev: "late", ...}
import { createRequire } from 'node:module'
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..', '..')
// The project's own copies (package.json at the root): the same yjs the editor ships.
const fromRoot = createRequire(path.join(root, 'package.json'))
// Hocuspocus's provider and the yjs it resolves (bench/node/package.json pins the same yjs).
const fromBench = createRequire(path.join(here, 'package.json'))

const now = () => performance.timeOrigin + performance.now()
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

function tagsOf (doc) {
  return doc.getArray('edits').toArray()
}

function digest (tags) {
  return createHash('sha1').update(JSON.stringify(tags)).digest('hex').slice(0, 16)
}

async function stored (url, cookie) {
  const Y = fromRoot('yjs')
  const response = await fetch(url, { headers: { Cookie: cookie } })
  if (!response.ok) {
    out({ error: `GET ${url}: ${response.status}` })
    process.exit(1)
  }
  const doc = new Y.Doc()
  Y.applyUpdate(doc, new Uint8Array(await response.arrayBuffer()))
  const tags = tagsOf(doc)
  out({ tags, digest: digest(tags) })
}

function makeClient (config, spec, libs) {
  const { Y, WS } = libs
  const doc = new Y.Doc()
  const edits = doc.getArray('edits')
  const prefix = `${spec.index}:`
  const client = { index: spec.index, doc, edits, seen: new Map(), typed: 0, synced: false, created: now() }
  edits.observe((event) => {
    const t = now()
    for (const d of event.changes.delta) {
      if (!d.insert) continue
      for (const tag of d.insert) {
        if (typeof tag === 'string' && !tag.startsWith(prefix) && !client.seen.has(tag)) client.seen.set(tag, t)
      }
    }
  })
  // The browser sends its cookie and Origin; ws takes them as options of the constructor.
  class CookieWS extends WS {
    constructor (url, protocols) {
      const headers = spec.cookie ? { Cookie: spec.cookie } : {}
      super(url, protocols, { headers, origin: config.origin })
    }
  }
  const onSynced = () => {
    if (!client.synced) {
      client.synced = true
      client.syncedAt = now()
      libs.onSynced()
    }
  }
  if (config.kind === 'hocuspocus') {
    const { HocuspocusProvider, HocuspocusProviderWebsocket } = libs
    // One socket per client, as one browser tab has (2.x takes the polyfill only on the socket object).
    const websocketProvider = new HocuspocusProviderWebsocket({ url: config.url, WebSocketPolyfill: CookieWS })
    client.provider = new HocuspocusProvider({ websocketProvider, name: config.room, document: doc, broadcast: false })
    const destroy = client.provider.destroy.bind(client.provider)
    client.provider.destroy = () => { destroy(); websocketProvider.destroy() }
    client.provider.on('synced', onSynced)
  } else {
    const { WebsocketProvider } = libs
    client.provider = new WebsocketProvider(config.url, config.room, doc, { WebSocketPolyfill: CookieWS, disableBc: true })
    client.provider.on('sync', (isSynced) => { if (isSynced) onSynced() })
  }
  return client
}

function report (client, withLatency) {
  const tags = tagsOf(client.doc)
  const row = { index: client.index, typed: client.typed, len: tags.length, digest: digest(tags), seen: client.seen.size }
  if (withLatency) {
    const lat = []
    for (const [tag, t] of client.seen) {
      const sent = Number(tag.split(':')[2])
      lat.push(Math.round((t - sent) * 100) / 100)
    }
    row.latencies = lat
  }
  return row
}

async function main () {
  if (process.argv[2] === 'stored') {
    await stored(process.argv[3], process.argv[4] || '')
    return
  }
  const config = JSON.parse(process.argv[2])
  const hocus = config.kind === 'hocuspocus'
  const req = hocus ? fromBench : fromRoot
  const libs = { Y: req('yjs'), WS: fromRoot('ws') }
  if (hocus) Object.assign(libs, fromBench('@hocuspocus/provider'))
  else libs.WebsocketProvider = fromRoot('y-websocket').WebsocketProvider
  let clients = []
  let waitingSync = null
  libs.onSynced = () => {
    if (waitingSync && clients.every((c) => c.synced)) {
      const start = waitingSync
      waitingSync = null
      out({ ev: 'synced', ms: clients.map((c) => c.syncedAt - start) })
    }
  }
  const waitFor = (pred, timeout) => new Promise((resolve) => {
    const deadline = now() + timeout
    const check = () => {
      if (pred()) resolve(true)
      else if (now() > deadline) resolve(false)
      else setTimeout(check, 20)
    }
    check()
  })

  let stopped = false
  const commands = {
    connect () {
      waitingSync = now()
      clients = config.clients.map((spec) => makeClient(config, spec, libs))
    },
    type ({ start, count, interval }) {
      let running = clients.length
      for (const client of clients) {
        // Clients start a fraction of an interval apart, as people do; each keeps its own 30 ms rhythm.
        let base = start + (client.index * 7.3) % interval
        let k = 0
        const step = () => {
          if (stopped) {
            if (--running === 0) out({ ev: 'typed' })
            return
          }
          const t = now()
          client.edits.push([`${client.index}:${k}:${t.toFixed(2)}`])
          client.typed = ++k
          if (config.reportEach) out({ ev: 't', i: client.index, k })
          if (k >= count) {
            if (--running === 0) out({ ev: 'typed' })
            return
          }
          // Drift-corrected: the k-th edit is due at base + k * interval. A process that was stopped (or starved)
          // does not catch up in a burst, as a person would not: its rhythm starts again from now.
          const late = now() - (base + k * interval)
          if (late > interval) base += late
          setTimeout(step, Math.max(0, base + k * interval - now()))
        }
        setTimeout(step, Math.max(0, base - now()))
      }
    },
    stop () {
      // Ends typing now (a soak's meeting ends by the clock even when a starved process typed fewer edits)
      stopped = true
    },
    state () {
      out({ ev: 'state', clients: clients.map((c) => report(c, false)) })
    },
    async drain ({ total, timeout }) {
      await waitFor(() => clients.every((c) => c.edits.length >= total), timeout)
      out({ ev: 'drained', clients: clients.map((c) => report(c, true)) })
    },
    async tags () {
      out({ ev: 'tags', clients: clients.map((c) => ({ index: c.index, tags: tagsOf(c.doc) })) })
    },
    async late ({ total, timeout, cookie }) {
      const start = now()
      const late = makeClient(config, { index: 100000 + clients.length, cookie: cookie || config.clients[0].cookie }, libs)
      const ok = await waitFor(() => late.edits.length >= total, timeout)
      const tags = tagsOf(late.doc)
      out({ ev: 'late', ok, ms: now() - start, len: tags.length, digest: digest(tags) })
      late.provider.destroy()
    },
    close () {
      for (const c of clients) c.provider.destroy()
      setTimeout(() => process.exit(0), 100)
    }
  }
  const rl = createInterface({ input: process.stdin })
  rl.on('line', async (line) => {
    if (!line.trim()) return
    const msg = JSON.parse(line)
    await commands[msg.cmd](msg)
  })
  rl.on('close', () => process.exit(0))
  out({ ev: 'loaded' })
}

main().catch((err) => {
  out({ error: String(err && err.stack) })
  process.exit(1)
})
