#!/usr/bin/env python3
"""Cold start of the function host as a Lambda custom runtime.

Serves a minimal stand-in of the Lambda runtime API (2018-06-01) on 127.0.0.1, spawns the given
`bootstrap` with AWS_LAMBDA_RUNTIME_API pointing at it and _HANDLER=echo, and measures from just before
the spawn to (a) the first GET /runtime/invocation/next, (b) the first invocation's POST /response (one
echo round trip), and reads the process's peak RSS. Then it sends SIGTERM to the process it spawned (and only that one), and prints one JSON
line per run plus a summary line.

    python3 scripts/bench_coldstart.py [--runs N] [--label NAME] -- BOOTSTRAP [args...]
    python3 scripts/bench_coldstart.py [--runs N] LABEL=BOOTSTRAP [LABEL=BOOTSTRAP ...]

The second form interleaves the bootstraps run by run and ends with one summary line per label.
"""
import argparse, json, signal, statistics, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EVENT = b'{"cold":"start"}'


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the runtime is stopped with SIGTERM while its next poll is open

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.t0 = None
        self.first_next = None
        self.first_response = None
        self.response_body = None
        self.handed_out = False
        self.done = threading.Event()
        self.stop = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        s = self.server
        if self.path != "/2018-06-01/runtime/invocation/next":
            return self._reply(404, b"")
        now = time.monotonic()
        if s.first_next is None:
            s.first_next = now
        if not s.handed_out:
            s.handed_out = True
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Lambda-Runtime-Aws-Request-Id", "cold-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:bench")
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.send_header("Content-Length", str(len(EVENT)))
            self.end_headers()
            self.wfile.write(EVENT)
            return
        # Later polls wait (as Lambda's would) until the run is over.
        s.stop.wait(30)

    def do_POST(self):
        s = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/2018-06-01/runtime/invocation/cold-1/response":
            s.first_response = time.monotonic()
        s.response_body = body
        self._reply(202, b'{"status":"OK"}')
        s.done.set()

    def _reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def run_once(cmd):
    server = StandIn()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(__import__("os").environ,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}", _HANDLER="echo")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ok = server.done.wait(30)
    rss_mb = None
    try:  # peak resident memory so far (bootstrap scripts exec, so the PID is the runtime's)
        with open(f"/proc/{proc.pid}/status") as f:
            rss_mb = next(round(int(l.split()[1]) / 1024, 1) for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        pass
    proc.send_signal(signal.SIGTERM)
    server.stop.set()
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    server.shutdown()
    server.server_close()
    if not ok or server.response_body != EVENT:
        raise SystemExit(f"run failed: response={server.response_body!r} stderr={err.decode(errors='replace')}")
    return {"next_ms": round((server.first_next - t0) * 1000, 1),
            "response_ms": round((server.first_response - t0) * 1000, 1),
            "peak_rss_mb": rss_mb, "exit": proc.returncode}


def summary(label, results):
    def stats(key):
        xs = [r[key] for r in results if r[key] is not None]
        return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)} if xs else None
    return {"label": label, "runs": len(results), "next_ms": stats("next_ms"),
            "response_ms": stats("response_ms"), "peak_rss_mb": stats("peak_rss_mb")}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--label", default="")
    argv = sys.argv[1:]
    if "--" in argv:
        split = argv.index("--")
        args = ap.parse_args(argv[:split])
        commands = [(args.label, argv[split + 1:])]
    else:
        ap.add_argument("bootstraps", nargs="+", metavar="LABEL=BOOTSTRAP")
        args = ap.parse_args(argv)
        commands = [(b.split("=", 1)[0], [b.split("=", 1)[1]]) for b in args.bootstraps]
    print(json.dumps({"loadavg_before": loadavg()}), flush=True)
    results = {label: [] for label, _ in commands}
    # Round by round, so that load from other work on the machine falls on every command alike.
    for i in range(args.runs):
        for label, cmd in commands:
            r = run_once(cmd)
            results[label].append(r)
            print(json.dumps({"label": label, "run": i + 1, **r}), flush=True)
    print(json.dumps({"loadavg_after": loadavg()}), flush=True)
    for label, _ in commands:
        print(json.dumps(summary(label, results[label])), flush=True)


main()
