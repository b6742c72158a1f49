#!/usr/bin/env python3
"""Start-up time of one server: spawn the command, then poll 127.0.0.1:PORT until a TCP connect
succeeds and until 'ruok' is answered with 'imok'; stop the process (SIGTERM, then SIGKILL) and
print one JSON line {"connect_ms": .., "imok_ms": ..}. Only the process it spawned is killed.

    python3 scripts/bench_startup.py PORT LOGFILE -- command args...
"""
import json, signal, socket, subprocess, sys, time

def main():
    port, logfile = int(sys.argv[1]), sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    log = open(logfile, "wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    connect_ms = imok_ms = None
    deadline = t0 + 30
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    if connect_ms is None:
                        connect_ms = (time.monotonic() - t0) * 1000
                    s.sendall(b"ruok")
                    # short: a server that accepts before it can answer 4lw is asked again soon
                    s.settimeout(0.1)
                    data = b""
                    while True:
                        chunk = s.recv(64)
                        if not chunk:
                            break
                        data += chunk
                    if b"imok" in data:
                        imok_ms = (time.monotonic() - t0) * 1000
                        break
            except OSError:
                pass
            time.sleep(0.002)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print(json.dumps({"connect_ms": connect_ms, "imok_ms": imok_ms, "pid": proc.pid}))
    return 0 if imok_ms is not None else 1

sys.exit(main())
