// The baseline for the rendezvous load bench: a plain `ws` server that only accepts connections on
// /ws and answers {"t":"ping"} with {"t":"pong"} (what a rendezvous does for a heartbeat), nothing
// else. No permessage-deflate, 8 KiB messages at most, like the rendezvous. Prints {"port"} on
// stdout when it listens; exits when stdin ends.
import { createServer } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'

const server = createServer((_req, res) => { res.writeHead(426).end() })
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, maxPayload: 8192 })
wss.on('connection', (ws: WebSocket) => {
  ws.on('message', (data: Buffer) => {
    if (data.length === 12 && data.toString() === '{"t":"ping"}') ws.send('{"t":"pong"}')
  })
  ws.on('error', () => {})
})
server.listen(0, '127.0.0.1', () => {
  const addr = server.address()
  process.stdout.write(JSON.stringify({ port: typeof addr === 'object' && addr != null ? addr.port : 0, pid: process.pid }) + '\n')
})
process.stdin.resume()
process.stdin.on('end', () => { process.exit(0) })
