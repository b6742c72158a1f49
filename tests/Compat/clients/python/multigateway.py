#!/usr/bin/python3
"""Two gateways on one serverless backend, driven by kazoo (Debian python3-kazoo 2.8.0).

usage: multigateway.py <gateway A via proxy> <gateway A direct> <gateway B> <prefix>
Prints one transcript line per step; '@' lines ask the harness to act and wait for 'ok' on stdin:
  @drop-a   the proxy in front of gateway A goes away (its connections are cut, new ones refused)
  @kill-b   gateway B is killed (SIGKILL)

1. move:   a client holding an ephemeral node and a data watch through gateway A loses A and moves to B
           with the same session; the ephemeral survives; the watch fires exactly once.
2. expiry: a 4 s session on gateway B owns an ephemeral; a watcher on A holds an exists watch on it;
           B is killed; the backend expires the session and the watcher is told.
"""
import sys
import threading
import time

from kazoo.client import KazooClient, KazooState

PROXY_A, DIRECT_A, GATEWAY_B, P = sys.argv[1:5]


def out(line):
    print(line, flush=True)


def harness(request):
    out("@" + request)
    if sys.stdin.readline().strip() != "ok":
        raise SystemExit("harness did not acknowledge " + request)


watcher = KazooClient(hosts=DIRECT_A, timeout=10)
watcher.start(timeout=20)
watcher.create(P, b"")
watcher.create(P + "/data", b"v0")

# ---- 1. move ----------------------------------------------------------------------------------
mover = KazooClient(hosts=PROXY_A + "," + GATEWAY_B, randomize_hosts=False, timeout=10)
reconnected = threading.Event()
lost = threading.Event()


def on_state(state):
    if state == KazooState.SUSPENDED:
        lost.set()
    elif state == KazooState.CONNECTED and lost.is_set():
        reconnected.set()


mover.add_listener(on_state)
mover.start(timeout=20)
session = mover.client_id[0]
mover.create(P + "/eph", b"", ephemeral=True)
events = []


def record(into):
    return lambda e: into.append((e.type, e.path.replace(P, "/T") if e.path else None))


mover.get(P + "/data", watch=record(events))
out("mover connected through A, ephemeral and data watch set")

harness("drop-a")
out("mover reconnected: %s" % reconnected.wait(40))
out("same session: %s" % (mover.client_id[0] == session))
stat = watcher.exists(P + "/eph")
out("ephemeral survives: %s" % (stat is not None and stat.ephemeralOwner == session))
# kazoo 2.8 sends no SetWatches: at the connection loss it hands its watchers one NONE event (as it does
# with real ZooKeeper, see expected/python-resume.txt), so the watch is set again through gateway B.
out("watch events at the move: %s" % events)
rearmed = []
mover.get(P + "/data", watch=record(rearmed))
watcher.set(P + "/data", b"v1")
watcher.set(P + "/data", b"v2")
deadline = time.time() + 10
while not rearmed and time.time() < deadline:
    time.sleep(0.05)
time.sleep(2)  # a duplicate would arrive in this time
out("watch events after the move: %s" % rearmed)
out("first watch after the move: %s" % events)
out("mover reads: %s" % mover.get(P + "/data")[0].decode())
mover.stop()
mover.close()

# ---- 2. a gateway dies ------------------------------------------------------------------------
short = KazooClient(hosts=GATEWAY_B, timeout=4)
short.start(timeout=20)
short.create(P + "/e2", b"", ephemeral=True)
told = threading.Event()
seen = []


def on_e2(event):
    seen.append((event.type, event.path.replace(P, "/T")))
    told.set()


watcher.exists(P + "/e2", watch=on_e2)
out("short session owns an ephemeral on B; watcher on A")
harness("kill-b")
out("watcher told: %s %s" % (told.wait(60), seen))
out("ephemeral after expiry: %s" % watcher.exists(P + "/e2"))
threading.Thread(target=short.stop, daemon=True).start()

watcher.delete(P, recursive=True)
watcher.stop()
watcher.close()
out("done")
