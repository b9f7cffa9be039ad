// Drives an unmodified Baileys against openwa-sim: 7.0.0-rc14 (npm alias `baileys7`) by default,
// 6.17.16 (`baileys`) with BAILEYS_PKG=baileys (see baileys-pkg.mjs).
// Usage: node sim-baileys.mjs <scenario> <json-args>
//   pair    {ws, admin, phone, auth}                 QR pairing through the admin API, 515, login
//   login   {ws, auth}                               log in with stored credentials
//   send    {ws, auth, to, text}                     log in, send a text message (prints its id)
//   receive {ws, auth, text}                         log in, wait for a text message with that body
// Prints one JSON line per milestone on stdout and exits 0 when the scenario completed.
import { baileys } from './baileys-pkg.mjs'

const { makeWASocket, useMultiFileAuthState, DisconnectReason } = baileys

const [scenario, rawArgs] = process.argv.slice(2)
const args = JSON.parse(rawArgs ?? '{}')
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const silent = { level: 'silent', child() { return silent }, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} }
const verbose = process.env.SIM_BAILEYS_DEBUG ? {
  level: 'debug', child() { return verbose },
  trace() {}, debug(...a) { console.error('debug', JSON.stringify(a).slice(0, 500)) }, info(...a) { console.error('info', JSON.stringify(a).slice(0, 500)) },
  warn(...a) { console.error('warn', JSON.stringify(a).slice(0, 800)) }, error(...a) { console.error('error', JSON.stringify(a).slice(0, 800)) }, fatal(...a) { console.error('fatal', a) },
} : silent

let done = false
const deadline = setTimeout(() => { say({ event: 'timeout' }); process.exit(3) }, 60_000)

async function open(onSocket) {
  const { state, saveCreds } = await useMultiFileAuthState(args.auth)
  const sock = makeWASocket({
    waWebSocketUrl: args.ws,
    auth: state,
    logger: verbose,
    printQRInTerminal: false,
    markOnlineOnConnect: false,
    shouldSyncHistoryMessage: () => false,
    syncFullHistory: false,
  })
  sock.ev.on('creds.update', saveCreds)
  sock.ev.on('connection.update', async (update) => {
    const { connection, lastDisconnect, qr } = update
    if (qr && scenario === 'pair') {
      say({ event: 'qr' })
      const res = await fetch(`${args.admin}/admin/accounts/${args.phone}/link`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ qr }),
      })
      say({ event: 'linked', status: res.status, body: await res.json() })
    }
    if (connection === 'close') {
      const code = lastDisconnect?.error?.output?.statusCode
      say({ event: 'close', code })
      if (done) {
        return
      } else if (code === DisconnectReason.restartRequired) {
        open(onSocket)
      } else {
        process.exit(2)
      }
    }
    if (connection === 'open') {
      say({ event: 'open', id: sock.user?.id, lid: sock.user?.lid })
      await onSocket(sock)
    }
  })
  return sock
}

const finish = (sock) => { done = true; clearTimeout(deadline); sock.end(undefined); setTimeout(() => process.exit(0), 1000) }

switch (scenario) {
  case 'pair':
  case 'login':
    await open(async (sock) => finish(sock))
    break
  case 'send':
    await open(async (sock) => {
      const sent = await sock.sendMessage(args.to, { text: args.text })
      say({ event: 'sent', id: sent.key.id })
      setTimeout(() => finish(sock), 1000)
    })
    break
  case 'receive':
    await open(async (sock) => {
      sock.ev.on('messages.upsert', ({ messages }) => {
        for (const m of messages) {
          const text = m.message?.conversation ?? m.message?.extendedTextMessage?.text
          say({ event: 'message', from: m.key.remoteJid, text })
          if (text === args.text) finish(sock)
        }
      })
    })
    break
  default:
    say({ event: 'error', message: `unknown scenario ${scenario}` })
    process.exit(1)
}
