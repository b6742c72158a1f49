# Raw client: 44-byte ConnectRequest (no readOnly, like go-zookeeper), then SetWatches (xid -8), then close.
import socket, struct, json
def s(x): b = x.encode(); return struct.pack('>i', len(b)) + b
def vec(l): return struct.pack('>i', len(l)) + b''.join(s(x) for x in l)
def frame(p): return struct.pack('>i', len(p)) + p
log = open('/tmp/zkj/raw.jsonl', 'w')
c = socket.create_connection(('127.0.0.1', 12181))
def send(p):
    f = frame(p); log.write(json.dumps({'dir': 'c2s', 'hex': f.hex()}) + '\n'); c.sendall(f)
def recv():
    h = b''
    while len(h) < 4: h += c.recv(4 - len(h))
    n = struct.unpack('>i', h)[0]; b = b''
    while len(b) < n: b += c.recv(n - len(b))
    log.write(json.dumps({'dir': 's2c', 'hex': (h + b).hex()}) + '\n'); return b
send(struct.pack('>iqiq', 0, 0, 6000, 0) + struct.pack('>i', 16) + bytes(16))
recv()
send(struct.pack('>ii', -8, 101) + struct.pack('>q', 0) + vec(['/golden']) + vec(['/nothere', '/golden/child']) + vec(['/golden']))
for _ in range(4): recv()
send(struct.pack('>ii', 1, -11)); recv()
