#!/usr/bin/env python3
"""Probes for scripts/bench-scale.sh, one JSON line each (standard library only).

    bench_scale_probe.py first-read PORT PATH LOGFILE -- command args...
        spawns the server command (left running; its PID is in the output), then from the spawn on
        tries, every 2 ms, a session (ConnectRequest) and getData(PATH) until the read is answered
        with ZOK: {"first_read_ms": .., "pid": ..}. Recovery time as a client sees it.
    bench_scale_probe.py ready PORT
        waits (60 s at most) until a session is served and getData("/") answered: a server can answer
        'ruok' before it serves sessions.
    bench_scale_probe.py fdatasync DIR [COUNT]
        p50/p99 of a 4 KiB write + fdatasync appended to a file in DIR (the data directory's file
        system): {"fdatasync_p50_us": .., ...}
"""
import json, os, socket, struct, subprocess, sys, time


def frame(body):
    return struct.pack(">i", len(body)) + body


def zk_string(s):
    b = s.encode()
    return struct.pack(">i", len(b)) + b


def read_frame(sock):
    head = recv_exact(sock, 4)
    (n,) = struct.unpack(">i", head)
    return recv_exact(sock, n)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def try_read(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        # ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd (16 zero bytes)
        s.sendall(frame(struct.pack(">iqiq", 0, 0, 30000, 0) + struct.pack(">i", 16) + b"\0" * 16))
        read_frame(s)
        # getData: xid 1, op 4, path, watch false
        s.sendall(frame(struct.pack(">ii", 1, 4) + zk_string(path) + b"\0"))
        reply = read_frame(s)
        xid, zxid, err = struct.unpack(">iqi", reply[:16])
        return err == 0


def first_read(argv):
    port, path, logfile = int(argv[0]), argv[1], argv[2]
    cmd = argv[argv.index("--") + 1:]
    log = open(logfile, "ab")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    deadline = t0 + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if try_read(port, path):
                print(json.dumps({"first_read_ms": round((time.monotonic() - t0) * 1000, 1), "pid": proc.pid}))
                return 0
        except (OSError, struct.error):
            pass
        time.sleep(0.002)
    print(json.dumps({"first_read_ms": None, "pid": proc.pid}))
    return 1


def ready(argv):
    port, deadline = int(argv[0]), time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if try_read(port, "/"):
                return 0
        except (OSError, struct.error):
            pass
        time.sleep(0.02)
    return 1


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def fdatasync(argv):
    directory, count = argv[0], int(argv[1]) if len(argv) > 1 else 500
    path = os.path.join(directory, ".fdatasync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = b"\xab" * 4096
    times = []
    try:
        for _ in range(count):
            t = time.perf_counter_ns()
            os.write(fd, block)
            os.fdatasync(fd)
            times.append((time.perf_counter_ns() - t) / 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    print(json.dumps({"fdatasync_p50_us": round(percentile(times, 0.5), 1), "fdatasync_p99_us": round(percentile(times, 0.99), 1), "count": count}))
    return 0


if __name__ == "__main__":
    verb, rest = sys.argv[1], sys.argv[2:]
    sys.exit({"first-read": first_read, "ready": ready, "fdatasync": fdatasync}[verb](rest))
