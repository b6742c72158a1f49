// A byte-for-byte TCP forwarder: node forward.mjs <listen> <target>, each either
// "tcp:HOST:PORT" or "unix:/path/to.sock". scripts/aws-emulators.sh runs two of them to reach
// DynamoDB Local, which cannot bind 127.0.0.1 only and so runs in a private network namespace:
//   inside the namespace: unix:DIR/ddb.sock -> tcp:127.0.0.1:8000
//   root namespace:       tcp:127.0.0.1:P   -> unix:DIR/ddb.sock
// Unix sockets live in the file system, not in a network namespace, so the socket file is the only
// bridge, and nothing outside the machine can reach the emulator. One long-lived process per side (no
// process per connection), so pooled SDK connections cost nothing extra.
import net from "node:net";
import fs from "node:fs";

function parse(spec) {
  if (spec.startsWith("unix:")) return { path: spec.slice(5) };
  const m = /^tcp:(.+):(\d+)$/.exec(spec);
  if (!m) throw new Error(`bad address ${spec} (want tcp:HOST:PORT or unix:PATH)`);
  return { host: m[1], port: Number(m[2]) };
}

const [listenSpec, targetSpec] = process.argv.slice(2);
const listen = parse(listenSpec);
const target = parse(targetSpec);
if (listen.path) fs.rmSync(listen.path, { force: true });

const server = net.createServer((client) => {
  const upstream = net.connect(target);
  // No Nagle on the TCP legs (a no-op on the unix socket): with the peer's delayed ACKs, Nagle held
  // 15-30% of DynamoDB calls back by ~45 ms on a loaded machine, which the latency trace would count.
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on("error", close);
  upstream.on("error", close);
  client.on("close", close);
  upstream.on("close", close);
});
server.listen(listen, () => {
  // Only the owner may connect through the socket file.
  if (listen.path) fs.chmodSync(listen.path, 0o600);
  process.stdout.write(`forwarding ${listenSpec} -> ${targetSpec}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
