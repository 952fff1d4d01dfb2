// A simulated agent for the browser test: it enrolls with a key, links over
// the agent protocol (protocol/*.go: hello → welcome, heartbeats, pongs) and
// reports the CPU figure its parent sets, so a rule's threshold can be
// crossed and cleared on cue (a real machine's CPU cannot be).
//
// Run as a child process (Node 20 has WebSocket behind
// --experimental-websocket): argv server URL, enrollment key, hostname,
// heartbeat ms. Messages from the parent: {cpu: N}. To the parent:
// {linked: deviceId} once linked, {error} when enrolment fails.

const [server, key, hostname, beatMs] = process.argv.slice(2)
let cpu = 5
process.on('message', (m) => {
  if (typeof m?.cpu === 'number') cpu = m.cpu
})
process.on('disconnect', () => process.exit(0))

const res = await fetch(`${server}/api/v1/agents/enroll`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ enrollmentKey: key, hostname, os: 'linux', arch: 'amd64', agentVersion: '0.0.0-e2e' }),
})
if (res.status !== 201) {
  process.send({ error: `enroll answered ${res.status}: ${await res.text()}` })
  process.exit(1)
}
const { agentToken, deviceId } = await res.json()
const wsUrl = server.replace(/^http/, 'ws') + `/api/v1/agents/${deviceId}/ws`

function link() {
  const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${agentToken}` } })
  let timer = null
  const beat = () =>
    ws.send(
      JSON.stringify({
        type: 'heartbeat',
        at: new Date().toISOString(),
        cpuPercent: cpu,
        memoryTotal: 8 * 2 ** 30,
        memoryUsed: 2 * 2 ** 30,
        disks: [{ mount: '/', fsType: 'ext4', total: 100 * 2 ** 30, used: 40 * 2 ** 30 }],
        load1: 0.2,
        load5: 0.2,
        load15: 0.2,
      }),
    )
  ws.onopen = () =>
    ws.send(
      JSON.stringify({
        type: 'hello',
        id: 'h',
        protocolVersion: 1,
        agentVersion: '0.0.0-e2e',
        hostname,
        os: 'linux',
        arch: 'amd64',
        capabilities: ['heartbeat'],
      }),
    )
  ws.onmessage = (e) => {
    const f = JSON.parse(typeof e.data === 'string' ? e.data : '{}')
    if (f.type === 'welcome') {
      beat()
      timer = setInterval(beat, Number(beatMs))
      process.send({ linked: deviceId })
    } else if (f.type === 'ping') {
      ws.send(JSON.stringify({ type: 'pong', id: f.id }))
    }
  }
  ws.onerror = () => {}
  ws.onclose = () => {
    clearInterval(timer)
    setTimeout(link, 300) // relink, like the real agent
  }
}
link()
