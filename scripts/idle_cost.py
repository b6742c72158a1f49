#!/usr/bin/python3
"""The idle bill of the serverless deployment, measured on the AWS API emulators (issue 11).

Run by scripts/idle-cost.sh, which installs and starts the emulators, builds the binaries and exports
ZKGW_AWS_DYNAMODB/S3/SQS. This driver provisions a fresh deployment, starts the function host and one
gateway, lets them sit quiet (no session; then one kazoo session holding one data watch), reads every
billable request from the cost meters (the gateway's mntr zk_cost_*, the function host's `cost` lines at
SIGTERM), extrapolates to a day, adds what AWS bills for the Lambda side (the heartbeat's schedule, the
SQS event-source mappings' long polls) and prints the table of docs/serverless.md, "Idle cost".

Counted as on AWS, not as our function host polls: on Lambda the writer and distributor are invoked by
event-source mappings, whose pollers keep long polls open on each queue even when nothing arrives; the
host's own polls of those queues are shown apart (a container deployment pays them instead).
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

# Public list prices, us-east-1 (src/Backend/Metering/CostMeter.cs, Prices).
DDB_WRITE = 1.25e-6       # per write request unit
DDB_READ = 0.25e-6        # per read request unit
SQS_FIFO = 0.50e-6        # per request (64 KB chunk)
LAMBDA_INVOKE = 0.20e-6   # per invocation
LAMBDA_GB_S = 0.0000166667
DAY = 86400.0

# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html: "For standard queues, Lambda
# uses long polling to poll a queue until it becomes active. When messages are available, Lambda starts
# processing five batches at a time with five concurrent invocations of your function. [...] When traffic
# is low, Lambda scales back the processing to five concurrent batches, and can optimize to as few as 2
# concurrent batches to reduce the SQS calls and corresponding costs."
ESM_POLLERS = 5
ESM_POLLERS_LOW = 2
LONG_POLL_S = 20
SCHEDULE_RUNS = 1440      # EventBridge rate(1 minute), deploy/aws/template.yaml


def log(msg):
    print("idle-cost: " + msg, file=sys.stderr, flush=True)


def four_letter(port, word, timeout=5.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(word.encode())
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode()


def mntr_calls(port):
    """zk_cost_<service>_<Api>_calls -> {"service.Api": calls} (lambda and per-operation keys left out)."""
    calls = {}
    for line in four_letter(port, "mntr").splitlines():
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        key, value = parts[0].strip(), parts[1].strip()
        if not key.startswith("zk_cost_") or not key.endswith("_calls") or key.startswith("zk_cost_op_"):
            continue
        name = key[len("zk_cost_"):-len("_calls")]
        service, api = name.split("_", 1)
        if service != "lambda":
            calls[service + "." + api] = int(value)
    return calls


def diff(after, before):
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before) if after.get(k, 0) != before.get(k, 0)}


class Process:
    def __init__(self, name, args, workdir, env):
        self.name = name
        self.log_path = os.path.join(workdir, name + ".log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=workdir, env=env, start_new_session=True)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for(self, ready, what, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"idle-cost: {self.name} exited ({self.proc.returncode}) before {what}; log {self.log_path}")
            if ready():
                return
            time.sleep(0.1)
        raise SystemExit(f"idle-cost: {self.name}: no {what} in {timeout} s; log {self.log_path}")

    def terminate(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def cost_lines(text):
    """`cost <operation> <service>.<Api> calls=N units=U usd=D` -> {(operation, "service.Api"): (calls, units)}."""
    lines = {}
    for line in text.splitlines():
        parts = line.strip().split(" ")
        if len(parts) == 6 and parts[0] == "cost" and not parts[2].startswith("lambda."):
            lines[(parts[1], parts[2])] = (int(parts[3][len("calls="):]), int(parts[4][len("units="):]))
    return lines


def price(api, units):
    service, name = api.split(".", 1)
    if service == "sqs":
        return 0.0 if name in ("CreateQueue", "DeleteQueue", "GetQueueUrl", "GetQueueAttributes") else units * SQS_FIFO
    if service == "dynamodb":
        if name in ("GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"):
            return units * DDB_READ
        return units * DDB_WRITE
    if service == "s3":
        return units * (0.0004e-3 if name in ("GetObject", "HeadObject") else 0.005e-3)
    return 0.0


def gateway_component(api):
    if api in ("sqs.ReceiveMessage", "sqs.DeleteMessageBatch"):
        return "inbox"
    if api in ("dynamodb.PutItem", "dynamodb.UpdateItem", "dynamodb.DeleteItem", "dynamodb.TransactWriteItems"):
        return "liveness"
    if api == "dynamodb.GetItem":
        return "probe"   # mntr's own reads of the counts and the zxid (at most one each a second)
    return "other"


def host_component(operation, api, scoped):
    """The function host's idle calls: its own queue polls, the heartbeat, the reaper. A build that
    charges the passes to their own operations is read by operation (`scoped`); an earlier one charged
    everything to 'background', so by API there."""
    if operation == "heartbeat":
        return "heartbeat"
    if operation == "reaper":
        return "reaper"
    if operation != "background":
        return None      # the session's creation and close: work, not idle
    if api == "sqs.ReceiveMessage":
        return "polling"
    if api == "sqs.DeleteMessageBatch":
        return None      # acknowledging the session's messages: work
    if not scoped and api in ("dynamodb.Scan", "dynamodb.GetItem"):
        return "heartbeat"
    if not scoped and api == "dynamodb.Query":
        return "reaper"
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quiet", type=int, default=120, help="seconds of each quiet interval (at least 60)")
    ap.add_argument("--gateway-dll", required=True)
    ap.add_argument("--host-dll", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--user-storage", default="persistent")
    ap.add_argument("--host-pass-ms", type=int, default=10000,
                    help="the host's heartbeat and reaper interval here: many passes give a per-pass average; on Lambda they run once a minute")
    # Two reads in sequence (the liveness item, the reap index) at FaaSKeeper's measured ~5 ms per
    # DynamoDB read on AWS, plus the runtime's round trip; Lambda bills by the millisecond.
    ap.add_argument("--lambda-ms", type=float, default=20.0, help="modeled billed duration of one scheduled invocation")
    ap.add_argument("--lambda-mb", type=int, default=256, help="the heartbeat function's memory (template parameter HeartbeatMemory)")
    ap.add_argument("--gateway-arg", action="append", default=[], help="more --key=value for the gateway")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    if a.quiet < 60:
        raise SystemExit("idle-cost: --quiet must be at least 60 s")

    deployment = "idle-" + uuid.uuid4().hex[:8]
    env = dict(os.environ, ZKGW_AWS_DEPLOYMENT=deployment, ZKGW_AWS_ACCESS_KEY="test", ZKGW_AWS_SECRET_KEY="test",
               ZKGW_AWS_USER_STORAGE=a.user_storage)
    # The host's passes: our build reads heartbeatIntervalMs; an earlier one ran its heartbeat every tickTime.
    pass_args = [f"--heartbeatIntervalMs={a.host_pass_ms}", f"--tickTime={a.host_pass_ms}", f"--znode.container.checkIntervalMs={a.host_pass_ms}"]
    os.makedirs(a.workdir, exist_ok=True)
    ready = "functions ready"

    log(f"deployment {deployment}: provisioning")
    p = Process("host-provision", ["dotnet", a.host_dll, "host", "--provision"], a.workdir, env)
    p.wait_for(lambda: ready in p.text(), "'functions ready'")
    p.terminate()

    # The start-up's own calls (bootstrap reads, the first poll of each queue), to subtract.
    p = Process("host-baseline", ["dotnet", a.host_dll, "host"] + pass_args, a.workdir, env)
    p.wait_for(lambda: ready in p.text(), "'functions ready'")
    p.terminate()
    baseline = cost_lines(p.text())

    host = Process("host", ["dotnet", a.host_dll, "host"] + pass_args, a.workdir, env)
    host.wait_for(lambda: ready in host.text(), "'functions ready'")
    host_started = time.time()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gw = Process("gateway", ["dotnet", a.gateway_dll, f"--clientPort={port}", "--clientPortAddress=127.0.0.1", "--backend=aws",
                             f"--dataDir={a.workdir}/data", "--tickTime=2000", "--4lw.commands.whitelist=*"] + a.gateway_arg,
                 a.workdir, env)

    def imok():
        try:
            return four_letter(port, "ruok", 2) == "imok"
        except OSError:
            return False
    gw.wait_for(imok, "imok")

    def quiet(what):
        time.sleep(5)   # whatever the start or the session's creation set off has settled
        before = mntr_calls(port)
        log(f"{what}: quiet for {a.quiet} s")
        time.sleep(a.quiet)
        return diff(mntr_calls(port), before)

    no_session = quiet("gateway with no session")

    from kazoo.client import KazooClient
    zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10)
    zk.start(timeout=30)
    fired = []
    zk.get("/", watch=lambda event: fired.append(event))
    with_session = quiet("gateway with one session (10 s timeout) holding one data watch")
    zk.stop()
    zk.close()
    time.sleep(3)   # the close goes through the writer

    # The host first: the gateway's sign-off at its stop would make the next heartbeat pass scan for a
    # lapsed owner, which is not idle work.
    host_elapsed = time.time() - host_started
    host.terminate()
    gw.terminate()
    run = cost_lines(host.text())

    # ---- the function host: per-pass costs of the heartbeat and reaper, its own polls ----------------
    host_idle = {}
    scoped = any(op in ("heartbeat", "reaper") for op, _ in run)
    for key in set(run) | set(baseline):
        calls = run.get(key, (0, 0))[0] - baseline.get(key, (0, 0))[0]
        units = run.get(key, (0, 0))[1] - baseline.get(key, (0, 0))[1]
        component = host_component(key[0], key[1], scoped)
        if component is None or calls == 0:
            continue
        c = host_idle.setdefault(component, {})
        prev = c.get(key[1], (0, 0))
        c[key[1]] = (prev[0] + calls, prev[1] + units)
    passes = max(1, int(host_elapsed * 1000 // a.host_pass_ms))

    def usd(apis):
        return sum(price(api, units) for api, (calls, units) in apis.items())

    def calls_of(apis):
        return sum(calls for calls, _ in apis.values())

    scheduled = {}
    for component in ("heartbeat", "reaper"):
        for api, (calls, units) in host_idle.get(component, {}).items():
            prev = scheduled.get(api, (0, 0))
            scheduled[api] = (prev[0] + calls, prev[1] + units)
    per_pass_calls = calls_of(scheduled) / passes
    per_pass_usd = usd(scheduled) / passes

    # ---- rows ----------------------------------------------------------------------------------------
    rows = []

    def gateway_rows(measured, scenario):
        by = {}
        for api, calls in measured.items():
            by.setdefault(gateway_component(api), {})[api] = (calls, calls)
        for component, title in (("liveness", "liveness and lease writes"), ("inbox", "inbox long polls"), ("other", "other calls")):
            apis = by.get(component, {})
            if component == "other" and not apis:
                continue
            n = calls_of(apis)
            detail = ", ".join(f"{api} {c}" for api, (c, _) in sorted(apis.items())) or "none"
            rows.append((f"gateway ({scenario}): {title}", n * DAY / a.quiet, usd(apis) * DAY / a.quiet,
                         f"measured: {detail} in {a.quiet} s"))
        probe = calls_of(by.get("probe", {}))
        return probe

    probe_a = gateway_rows(no_session, "no session")
    probe_b = gateway_rows(with_session, "1 session, 1 watch")

    detail = ", ".join(f"{api} {c / passes:.2f}" for api, (c, _) in sorted(scheduled.items())) or "none"
    rows.append(("heartbeat + reaper on Lambda: DynamoDB", per_pass_calls * SCHEDULE_RUNS, per_pass_usd * SCHEDULE_RUNS,
                 f"measured per pass ({passes} passes in {host_elapsed:.0f} s): {detail}; x {SCHEDULE_RUNS} runs a day"))
    gb_s = SCHEDULE_RUNS * a.lambda_ms / 1000.0 * a.lambda_mb / 1024.0
    rows.append(("heartbeat + reaper on Lambda: invocations and GB-s", SCHEDULE_RUNS, SCHEDULE_RUNS * LAMBDA_INVOKE + gb_s * LAMBDA_GB_S,
                 f"modeled: {SCHEDULE_RUNS} invocations, {a.lambda_ms:.0f} ms each at {a.lambda_mb} MB = {gb_s:.1f} GB-s"))
    rows.append(("EventBridge schedule rate(1 minute)", SCHEDULE_RUNS, 0.0, "scheduled rule events are not billed (EventBridge Scheduler: 14 M invocations a month free)"))
    esm = ESM_POLLERS * DAY / LONG_POLL_S
    for queue in ("writer", "distributor"):
        rows.append((f"SQS event-source mapping, {queue} queue", esm, esm * SQS_FIFO,
                     f"modeled: {ESM_POLLERS} pollers x one {LONG_POLL_S} s long poll each ({ESM_POLLERS_LOW} at best: {ESM_POLLERS_LOW * DAY / LONG_POLL_S:.0f}/day, ${ESM_POLLERS_LOW * DAY / LONG_POLL_S * SQS_FIFO:.4f})"))
    polling = host_idle.get("polling", {})
    host_other = host_idle.get("other", {})

    def row(name):
        return next(r for r in rows if r[0] == name)

    def total(names):
        return (sum(row(n)[1] for n in names), sum(row(n)[2] for n in names))

    gw_a = ["gateway (no session): liveness and lease writes", "gateway (no session): inbox long polls"]
    gw_b = ["gateway (1 session, 1 watch): liveness and lease writes", "gateway (1 session, 1 watch): inbox long polls"]
    sched = ["heartbeat + reaper on Lambda: DynamoDB", "heartbeat + reaper on Lambda: invocations and GB-s", "EventBridge schedule rate(1 minute)"]
    esms = ["SQS event-source mapping, writer queue", "SQS event-source mapping, distributor queue"]
    totals = [
        ("**total, today's queue path (two ESMs), 1 session + 1 watch**", total(gw_b + sched + esms)),
        ("**total, today's queue path, no session**", total(gw_a + sched + esms)),
        ("**total, without the two ESMs, 1 session + 1 watch**", total(gw_b + sched)),
        ("**total, without the two ESMs, no session**", total(gw_a + sched)),
    ]

    out = []
    out.append(f"Idle cost{(' (' + a.label + ')') if a.label else ''}: user storage {a.user_storage}, quiet intervals of {a.quiet} s, "
               f"extrapolated to a day ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    out.append("")
    out.append("| component | requests/day | $/day | basis |")
    out.append("|---|---|---|---|")
    for name, requests, dollars, basis in rows:
        out.append(f"| {name} | {requests:,.0f} | {dollars:.5f} | {basis} |")
    for name, (requests, dollars) in totals:
        out.append(f"| {name} | {requests:,.0f} | **{dollars:.5f}** | |")
    out.append("")
    poll_detail = ", ".join(f"{api} {c}" for api, (c, _) in sorted(polling.items())) or "none"
    out.append(f"Not on Lambda: the function host polling its two queues itself (a container deployment) made {poll_detail} "
               f"in {host_elapsed:.0f} s = {calls_of(polling) * DAY / host_elapsed:,.0f} requests/day, ${usd(polling) * DAY / host_elapsed:.5f}/day."
               + (f" Other host calls: {host_other}." if host_other else ""))
    out.append(f"Left out: the mntr probe's own reads ({probe_a} and {probe_b} GetItem), the session's creation and close.")
    text = "\n".join(out)
    print(text)
    with open(os.path.join(a.workdir, "idle-cost.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
