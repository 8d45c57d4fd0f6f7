// Usage: node await_startup_sweep.mjs CONTROL_SOCKET DAEMON_PID
//
// Returns (exit 0) once the daemon on CONTROL_SOCKET has finished its
// startup sweep, so rows added afterwards are found only by the sweeps the
// browser asks for. It asks the control socket's status with `unchanged` and
// `wait_ms` (docs/daemon.md): the daemon answers when its status changes,
// so nothing polls on a timer but the connect while the daemon starts.
// Exit 1 with one line when the daemon exits or 60 s pass.
import net from 'node:net';

const [socketPath, pidText] = process.argv.slice(2);
const deadline = Date.now() + 60000;

function fail(words) {
  console.error(`page test: ${words}`);
  process.exit(1);
}

function daemonAlive() {
  try {
    process.kill(Number(pidText), 0);
    return true;
  } catch {
    return false;
  }
}

// One request, one answer line; rejects when nobody listens yet.
function ask(request) {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socketPath);
    let buffer = '';
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${JSON.stringify(request)}\n`));
    conn.on('data', (chunk) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      conn.end();
      try {
        resolve(JSON.parse(buffer.slice(0, newline)));
      } catch (e) {
        reject(e);
      }
    });
    conn.on('error', reject);
  });
}

function startupSweepOver(status) {
  return status.ok && status.sweep && status.sweep.last && !status.sweep.running;
}

let status = null;
while (!status) {
  if (!daemonAlive()) fail('recsync run exited before it answered on its control socket');
  if (Date.now() > deadline) fail(`no answer on ${socketPath} within 60 s`);
  try {
    status = await ask({ cmd: 'status' });
  } catch {
    // Not listening yet: the daemon opens the socket after the journal.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
while (!startupSweepOver(status)) {
  if (!daemonAlive()) fail('recsync run exited during its startup sweep');
  if (Date.now() > deadline) fail(`the startup sweep did not finish within 60 s: ${JSON.stringify(status.sweep)}`);
  status = await ask({ cmd: 'status', unchanged: status, wait_ms: 5000 });
}
if (status.sweep.last.ok === false) fail(`the startup sweep failed: ${status.sweep.last.error}`);
