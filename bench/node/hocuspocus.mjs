// Hocuspocus 2.x as a plain in-memory collaboration server (no extensions), like the reference y-websocket server:
//   node bench/node/hocuspocus.mjs <port>
import { Server } from '@hocuspocus/server'

const server = Server.configure({ port: Number(process.argv[2]), address: '127.0.0.1', quiet: true })
await server.listen()
