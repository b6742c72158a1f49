# Recording TCP proxy: listen on 12182, forward to 12181, log each frame as JSON lines.
import socket, threading, json, sys, struct, itertools
LISTEN, TARGET, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock(); conn_ids = itertools.count(1)
def pump(src, dst, cid, direction):
    buf = b''
    while True:
        try: data = src.recv(65536)
        except OSError: data = b''
        if not data:
            try: dst.shutdown(socket.SHUT_WR)
            except OSError: pass
            return
        dst.sendall(data); buf += data
        while len(buf) >= 4:
            n = struct.unpack('>i', buf[:4])[0]
            if len(buf) < 4 + n: break
            frame, buf = buf[:4+n], buf[4+n:]
            with lock, open(LOG, 'a') as f:
                f.write(json.dumps({'conn': cid, 'dir': direction, 'hex': frame.hex()}) + '\n')
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', LISTEN)); srv.listen(16)
while True:
    c, _ = srv.accept(); cid = next(conn_ids)
    u = socket.create_connection(('127.0.0.1', TARGET))
    threading.Thread(target=pump, args=(c, u, cid, 'c2s'), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, cid, 's2c'), daemon=True).start()
