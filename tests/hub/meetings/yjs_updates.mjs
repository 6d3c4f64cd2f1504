// Random Yjs updates and what Yjs itself reads in them, for the update-walker property test
// (tests/hub/meetings/test_notes_walker.py). Uses the project's own yjs (the one the editor ships).
//
//   node tests/hub/meetings/yjs_updates.mjs generate <seed> <count>
//       prints one JSON line per case: {update (base64), structs: {client: [[clock, length, skip]...]},
//       ds: {client: [[clock, length]...]}}, as Y.decodeUpdate reports them
//   node tests/hub/meetings/yjs_updates.mjs decode            (stdin: one base64 update per line)
//       prints the same decoding for each given update
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const Y = createRequire(path.join(root, 'package.json'))('yjs')

function mulberry32 (seed) {
  return () => {
    seed |= 0
    seed = (seed + 0x6D2B79F5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function describe (update) {
  const { structs, ds } = Y.decodeUpdate(update)
  const byClient = {}
  for (const s of structs) {
    (byClient[s.id.client] ||= []).push([s.id.clock, s.length, s.constructor.name === 'Skip'])
  }
  const dels = {}
  for (const [client, items] of ds.clients) {
    dels[client] = items.map((d) => [d.clock, d.len])
  }
  return { update: Buffer.from(update).toString('base64'), structs: byClient, ds: dels }
}

const WORDS = ['质量', '圆桌', 'a', 'bc', '😀', '𠀀字', 'Ω', ' ', '\n', 'x'.repeat(40), '上海：会中意见']

function randomAny (rand, depth = 0) {
  const pick = Math.floor(rand() * (depth > 2 ? 8 : 10))
  switch (pick) {
    case 0: return null
    case 1: return ''
    case 2: return rand() < 0.5
    case 3: return Math.floor(rand() * 2 ** 31) * (rand() < 0.5 ? -1 : 1)
    case 4: return rand() * 1e6
    case 5: return WORDS[Math.floor(rand() * WORDS.length)]
    case 6: return 2 ** 53 - Math.floor(rand() * 10) // beyond 32 bits
    case 7: return new Uint8Array([1, 2, 3, Math.floor(rand() * 256)])
    case 8: return [randomAny(rand, depth + 1), randomAny(rand, depth + 1)]
    default: return { k: randomAny(rand, depth + 1), 名: randomAny(rand, depth + 1) }
  }
}

function randomOp (rand, doc) {
  const text = doc.getText('text')
  const arr = doc.getArray('arr')
  const map = doc.getMap('map')
  const frag = doc.getXmlFragment('default')
  const word = () => WORDS[Math.floor(rand() * WORDS.length)]
  const at = (len) => Math.floor(rand() * (len + 1))
  switch (Math.floor(rand() * 12)) {
    case 0: text.insert(at(text.length), word()); break
    case 1: text.insert(at(text.length), word(), { bold: true, colour: '#fff' }); break
    case 2: if (text.length) { const i = at(text.length - 1); text.delete(i, Math.min(text.length - i, 1 + Math.floor(rand() * 5))) } break
    case 3: if (text.length > 2) text.format(0, 2, { italic: rand() < 0.5 ? true : null }); break
    case 4: text.insertEmbed(at(text.length), { image: 'x.png' }); break
    case 5: arr.insert(at(arr.length), [randomAny(rand), randomAny(rand)]); break
    case 6: if (arr.length) arr.delete(at(arr.length - 1), 1); break
    case 7: map.set(word(), randomAny(rand)); break
    case 8: {
      const nested = rand() < 0.5 ? new Y.Map() : new Y.Array()
      arr.insert(at(arr.length), [nested])
      if (nested instanceof Y.Map) nested.set('n', randomAny(rand))
      else nested.insert(0, [randomAny(rand)])
      break
    }
    case 9: {
      const el = new Y.XmlElement(rand() < 0.5 ? 'paragraph' : 'heading')
      frag.insert(at(frag.length), [el])
      el.setAttribute('level', String(1 + Math.floor(rand() * 3)))
      const t = new Y.XmlText()
      el.insert(0, [t])
      t.insert(0, word())
      break
    }
    case 10: if (frag.length) frag.delete(at(frag.length - 1), 1); break
    default: if (rand() < 0.3) map.set('sub', new Y.Doc({ guid: 'sub-' + Math.floor(rand() * 1000) })); else map.delete(word())
  }
}

function generate (seed, count) {
  const rand = mulberry32(seed)
  for (let c = 0; c < count; c++) {
    const peers = []
    const n = 1 + Math.floor(rand() * 3)
    for (let i = 0; i < n; i++) {
      const doc = new Y.Doc({ gc: rand() < 0.7 })
      // Small ids, ids past 2^31 and 2^32 (varints of five bytes and more), as browsers draw them.
      doc.clientID = [Math.floor(rand() * 100), 2 ** 31 + Math.floor(rand() * 1e6), 2 ** 32 + 7, Math.floor(rand() * 2 ** 30)][Math.floor(rand() * 4)] + i
      const incremental = []
      doc.on('update', (u) => incremental.push(u))
      peers.push({ doc, incremental })
    }
    const steps = 1 + Math.floor(rand() * 25)
    for (let s = 0; s < steps; s++) {
      const p = peers[Math.floor(rand() * peers.length)]
      if (rand() < 0.3) {
        p.doc.transact(() => { randomOp(rand, p.doc); randomOp(rand, p.doc) })
      } else {
        randomOp(rand, p.doc)
      }
      if (rand() < 0.3 && peers.length > 1) {
        const q = peers[Math.floor(rand() * peers.length)]
        if (q !== p) Y.applyUpdate(q.doc, Y.encodeStateAsUpdate(p.doc, Y.encodeStateVector(q.doc)))
      }
    }
    const p = peers[Math.floor(rand() * peers.length)]
    let update
    const kind = Math.floor(rand() * 4)
    if (kind === 0 || !p.incremental.length) update = Y.encodeStateAsUpdate(p.doc)
    else if (kind === 1) update = p.incremental[Math.floor(rand() * p.incremental.length)]
    else if (kind === 2) {
      // Merged from a subset of the incremental updates: holes become Skip structs.
      const some = p.incremental.filter(() => rand() < 0.5)
      update = some.length ? Y.mergeUpdates(some) : p.incremental[0]
    } else {
      // What a peer lacks: a diff against an older state (structs may start mid-item).
      const old = new Y.Doc()
      const upto = p.incremental.slice(0, Math.floor(rand() * p.incremental.length))
      for (const u of upto) Y.applyUpdate(old, u)
      update = Y.encodeStateAsUpdate(p.doc, Y.encodeStateVector(old))
    }
    process.stdout.write(JSON.stringify(describe(update)) + '\n')
  }
}

const [mode, a, b] = process.argv.slice(2)
if (mode === 'generate') {
  generate(Number(a), Number(b))
} else if (mode === 'decode') {
  const rl = createInterface({ input: process.stdin })
  rl.on('line', (line) => {
    if (line.trim()) process.stdout.write(JSON.stringify(describe(new Uint8Array(Buffer.from(line.trim(), 'base64')))) + '\n')
  })
} else {
  process.stderr.write('usage: yjs_updates.mjs generate <seed> <count> | decode\n')
  process.exit(2)
}
