#!/usr/bin/python3
"""Compat scenarios on kazoo (Debian python3-kazoo 2.8.0); run with /usr/bin/python3.

usage: scenario.py <basic|resume|expiry|features> <direct hosts> <proxied hosts> <prefix>
Prints one deterministic transcript line per step. Lines starting with '@' ask the test harness to act on
the proxy (@cut, @blackhole, @restore); the harness answers 'ok' on stdin.
"""
import queue
import re
import sys
import threading

from kazoo.client import KazooClient, KazooState

SCENARIO, DIRECT, PROXIED, P = sys.argv[1:5]
WAIT = 20


def out(line):
    print(line, flush=True)


def harness(request):
    out("@" + request)
    if sys.stdin.readline().strip() != "ok":
        raise SystemExit("harness did not acknowledge " + request)


def name(e):
    return type(e).__name__


def attempt(label, fn):
    try:
        r = fn()
        out("%s -> %s" % (label, r))
        return r
    except Exception as e:  # noqa: BLE001 - the exception type is the transcript
        out("%s -> %s" % (label, name(e)))
        return None


class Events:
    def __init__(self):
        self.q = queue.Queue()

    def __call__(self, ev):
        self.q.put(ev)

    def next(self, label, wait=WAIT):
        """Prints the next node event; kazoo also hands connection-state events (type NONE) to watchers."""
        try:
            while True:
                ev = self.q.get(timeout=wait)
                if ev.type != "NONE":
                    break
                out("%s -> NONE %s" % (label, ev.state))
            out("%s -> %s %s" % (label, ev.type, ev.path))
        except queue.Empty:
            out("%s -> none" % label)


def client(hosts, timeout=10.0):
    zk = KazooClient(hosts=hosts, timeout=timeout)
    zk.start(timeout=15)
    return zk


def basic():
    zk = client(DIRECT)
    out("connect -> %s" % zk.state)
    attempt("create %s" % P, lambda: zk.create(P, b""))
    attempt("create %s/a" % P, lambda: zk.create(P + "/a", b"v1"))
    attempt("create %s/a again" % P, lambda: zk.create(P + "/a", b"v1"))
    data, st = zk.get(P + "/a")
    out("get %s/a -> %s version=%d dataLength=%d numChildren=%d" % (P, data.decode(), st.version, st.dataLength, st.numChildren))
    st2 = attempt("set %s/a v2 version 0" % P, lambda: zk.set(P + "/a", b"v2", version=0).version)
    _, st = zk.get(P + "/a")
    out("stat mzxid>czxid -> %s" % (st.mzxid > st.czxid))
    attempt("set %s/a bad version" % P, lambda: zk.set(P + "/a", b"x", version=7))
    attempt("delete %s/a bad version" % P, lambda: zk.delete(P + "/a", version=7))
    attempt("get %s/missing" % P, lambda: zk.get(P + "/missing"))
    attempt("delete %s/missing" % P, lambda: zk.delete(P + "/missing"))
    attempt("create %s/x/y no parent" % P, lambda: zk.create(P + "/x/y", b""))

    ev = Events()
    attempt("get with watch %s/a" % P, lambda: zk.get(P + "/a", watch=ev)[0].decode())
    attempt("set %s/a v3" % P, lambda: zk.set(P + "/a", b"v3").version)
    ev.next("watch event")
    attempt("exists with watch %s/b" % P, lambda: zk.exists(P + "/b", watch=ev))
    attempt("create %s/b" % P, lambda: zk.create(P + "/b", b"b"))
    ev.next("watch event")
    attempt("children with watch %s" % P, lambda: sorted(zk.get_children(P, watch=ev)))
    attempt("create %s/c" % P, lambda: zk.create(P + "/c", b""))
    ev.next("watch event")
    attempt("exists with watch %s/c" % P, lambda: zk.exists(P + "/c", watch=ev) is not None)
    attempt("delete %s/c" % P, lambda: zk.delete(P + "/c"))
    ev.next("watch event")

    attempt("create ephemeral %s/e" % P, lambda: zk.create(P + "/e", b"", ephemeral=True))
    st = zk.exists(P + "/e")
    out("ephemeralOwner is session -> %s" % (st.ephemeralOwner == zk.client_id[0]))
    attempt("create %s/seq" % P, lambda: zk.create(P + "/seq", b""))
    for i in range(2):
        attempt("create sequential %s/seq/s-" % P, lambda: zk.create(P + "/seq/s-", b"", sequence=True))
    r = attempt("create ephemeral sequential %s/seq/e-" % P,
                lambda: zk.create(P + "/seq/e-", b"", sequence=True, ephemeral=True))
    out("suffix is 10 digits -> %s" % bool(re.fullmatch(r".*/e-\d{10}", r or "")))
    attempt("children %s/seq" % P, lambda: sorted(zk.get_children(P + "/seq")))

    t = zk.transaction()
    t.create(P + "/m1", b"")
    t.set_data(P + "/a", b"m", version=99)
    t.create(P + "/m2", b"")
    attempt("multi create,set bad version,create -> results", lambda: [name(x) if isinstance(x, Exception) else x for x in t.commit()])
    attempt("exists %s/m1 after failed multi" % P, lambda: zk.exists(P + "/m1") is not None)
    t = zk.transaction()
    t.create(P + "/m1", b"")
    t.check(P + "/a", 2)
    t.set_data(P + "/a", b"m")
    t.delete(P + "/b")
    attempt("multi create,check,set,delete -> results",
            lambda: [name(x) if isinstance(x, Exception) else (x.version if hasattr(x, "version") else x) for x in t.commit()])
    attempt("children %s" % P, lambda: sorted(zk.get_children(P)))
    attempt("get %s/a" % P, lambda: zk.get(P + "/a")[0].decode())
    attempt("delete %s/a version 3" % P, lambda: zk.delete(P + "/a", version=3))
    attempt("delete %s non-empty" % P, lambda: zk.delete(P))
    zk.stop()
    zk.close()
    out("close -> ok")


def resume():
    zk = client(PROXIED, timeout=10.0)
    states = queue.Queue()
    zk.add_listener(lambda s: states.put(s))
    out("connect -> %s" % zk.state)
    sid = zk.client_id[0]
    attempt("create %s" % P, lambda: zk.create(P, b""))
    attempt("create ephemeral %s/eph" % P, lambda: zk.create(P + "/eph", b"", ephemeral=True))
    attempt("create %s/w" % P, lambda: zk.create(P + "/w", b"1"))
    ev = Events()
    attempt("get with watch %s/w" % P, lambda: zk.get(P + "/w", watch=ev)[0].decode())
    harness("cut")
    seen = []
    while True:
        try:
            s = states.get(timeout=WAIT)
        except queue.Empty:
            break
        seen.append(s)
        if s == KazooState.CONNECTED:
            break
    out("states after cut -> %s" % seen)
    out("same session -> %s" % (zk.client_id[0] == sid))
    attempt("exists %s/eph" % P, lambda: zk.exists(P + "/eph") is not None)
    attempt("set %s/w" % P, lambda: zk.set(P + "/w", b"2").version)
    # kazoo does not re-register watches after a reconnect (no SetWatches): it hands the watcher a NONE event
    # and the later change fires nothing, so a short wait is enough to show that.
    ev.next("watch event after reconnect", wait=3)
    zk.stop()
    zk.close()
    out("close -> ok")


def expiry():
    w = client(DIRECT)
    e = KazooClient(hosts=PROXIED, timeout=4.0)
    states = queue.Queue()
    e.add_listener(lambda s: states.put(s))
    e.start(timeout=15)
    out("connect watcher -> %s" % w.state)
    out("connect short session -> %s" % e.state)
    attempt("create %s" % P, lambda: e.create(P, b""))
    attempt("create ephemeral %s/eph" % P, lambda: e.create(P + "/eph", b"", ephemeral=True))
    ev = Events()
    attempt("watcher exists with watch %s/eph" % P, lambda: w.exists(P + "/eph", watch=ev) is not None)
    harness("blackhole")
    ev.next("watcher event")
    attempt("watcher exists %s/eph" % P, lambda: w.exists(P + "/eph") is not None)
    harness("restore")
    lost = False
    while True:
        try:
            s = states.get(timeout=WAIT)
        except queue.Empty:
            break
        if s == KazooState.LOST:
            lost = True
            break
    out("short session observed -> %s" % ("LOST" if lost else "nothing"))
    e.stop()
    e.close()
    w.stop()
    w.close()
    out("close -> ok")


def acls(lst):
    return [("%s:%s:%d" % (a.id.scheme, a.id.id, a.perms)) for a in lst]


def features():
    """kazoo 2.8.0 exposes digest auth (add_auth), ACLs (create acl=, get_acls, set_acls) and sync.
    Not exposed: containers (create has no container flag), addWatch (no add_watch), removeWatches /
    checkWatches, multiRead (transactions take only writes), whoAmI, getEphemerals, getAllChildrenNumber."""
    from kazoo.security import ACL, CREATOR_ALL_ACL, Id, OPEN_ACL_UNSAFE, Permissions, make_digest_acl
    zk = client(DIRECT)
    out("connect -> %s" % zk.state)
    attempt("create %s" % P, lambda: zk.create(P, b""))
    attempt("create creator-all without auth", lambda: zk.create(P + "/x", b"x", acl=CREATOR_ALL_ACL))
    attempt("addauth digest alice", lambda: zk.add_auth("digest", "alice:secret"))
    attempt("create %s/acl creator-all" % P, lambda: zk.create(P + "/acl", b"a", acl=CREATOR_ALL_ACL))

    def get_acls(c, path):
        lst, st = c.get_acls(path)
        return "%s aversion=%d version=%d" % (acls(lst), st.aversion, st.version)

    attempt("getACL %s/acl" % P, lambda: get_acls(zk, P + "/acl"))
    alice = make_digest_acl("alice", "secret", all=True)
    nxt = [alice, ACL(Permissions.READ, Id("world", "anyone"))]
    attempt("digest acl made by kazoo", lambda: acls([alice]))
    attempt("setACL %s/acl aversion 5" % P, lambda: zk.set_acls(P + "/acl", nxt, version=5).aversion)
    attempt("setACL %s/acl aversion 0" % P, lambda: zk.set_acls(P + "/acl", nxt, version=0).aversion)
    attempt("setACL %s/acl invalid scheme" % P, lambda: zk.set_acls(P + "/acl", [ACL(Permissions.ALL, Id("nosuch", "x"))]))
    attempt("getACL %s/acl after setACL" % P, lambda: get_acls(zk, P + "/acl"))
    other = client(DIRECT)
    out("connect second session (no auth) -> %s" % other.state)
    attempt("second get %s/acl" % P, lambda: other.get(P + "/acl")[0].decode())
    attempt("second getACL %s/acl (masked)" % P, lambda: get_acls(other, P + "/acl"))
    attempt("second set %s/acl" % P, lambda: other.set(P + "/acl", b"b").version)
    attempt("second create %s/acl/c" % P, lambda: other.create(P + "/acl/c", b"c"))
    attempt("second setACL %s/acl" % P, lambda: other.set_acls(P + "/acl", OPEN_ACL_UNSAFE).aversion)
    attempt("second delete %s/acl/none (NoAuth before NoNode)" % P, lambda: other.delete(P + "/acl/none"))
    attempt("create %s/secret alice only" % P, lambda: zk.create(P + "/secret", b"s", acl=[alice]))
    attempt("second get %s/secret" % P, lambda: other.get(P + "/secret")[0].decode())
    attempt("second getACL %s/secret" % P, lambda: get_acls(other, P + "/secret"))
    attempt("second exists %s/secret" % P, lambda: other.exists(P + "/secret") is not None)
    attempt("second getChildren %s/secret" % P, lambda: other.get_children(P + "/secret"))
    attempt("second addauth digest alice wrong password", lambda: other.add_auth("digest", "alice:wrong"))
    attempt("second get %s/secret after wrong password" % P, lambda: other.get(P + "/secret")[0].decode())
    attempt("second addauth digest alice", lambda: other.add_auth("digest", "alice:secret"))
    attempt("second get %s/secret after alice" % P, lambda: other.get(P + "/secret")[0].decode())
    attempt("second set %s/secret version 0" % P, lambda: other.set(P + "/secret", b"t", version=0).version)
    attempt("sync %s/secret" % P, lambda: zk.sync(P + "/secret"))
    attempt("get %s/secret after sync" % P, lambda: zk.get(P + "/secret")[0].decode())
    attempt("sync %s/missing" % P, lambda: zk.sync(P + "/missing"))
    other.stop()
    other.close()
    zk.stop()
    zk.close()
    out("close -> ok")


def tls_client(cert, wait=15):
    """A kazoo client over TLS with that certificate (ZKGW_TLS_DIR), or None when not connected in time.
    cert None: a plaintext client."""
    import os
    d = os.environ.get("ZKGW_TLS_DIR", "")
    kw = {} if cert is None else dict(use_ssl=True, certfile="%s/%s.pem" % (d, cert),
                                      keyfile="%s/%s.key" % (d, cert), ca="%s/ca.pem" % d)
    zk = KazooClient(hosts=DIRECT, timeout=10.0, **kw)
    try:
        zk.start(timeout=wait)
        return zk
    except Exception:  # noqa: BLE001 - not connected is the transcript
        zk.stop()
        zk.close()
        return None


def tls():
    """kazoo 2.8.0 over TLS (use_ssl, certfile/keyfile, ca) on the secure port (<direct>): create/get, an x509
    ACL (the same certificate reads, another cannot), an untrusted certificate and a plaintext client refused.
    kazoo has no whoAmI."""
    from kazoo.security import make_acl
    me = "CN=client,OU=test,O=zkgw"
    zk = tls_client("client")
    if zk is None:
        raise SystemExit("no connection over TLS")
    out("connect over TLS -> %s" % zk.state)
    attempt("create %s" % P, lambda: zk.create(P, b""))
    attempt("create %s/data" % P, lambda: zk.create(P + "/data", b"v1"))
    attempt("get %s/data" % P, lambda: zk.get(P + "/data")[0].decode())
    attempt("create %s/mine x509 acl" % P, lambda: zk.create(P + "/mine", b"secret", acl=[make_acl("x509", me, all=True)]))
    attempt("getACL %s/mine" % P, lambda: acls(zk.get_acls(P + "/mine")[0]))
    attempt("get %s/mine" % P, lambda: zk.get(P + "/mine")[0].decode())
    other = tls_client("other")
    out("other connect -> %s" % ("not connected" if other is None else other.state))
    if other is not None:
        attempt("other get %s/mine" % P, lambda: other.get(P + "/mine")[0].decode())
        attempt("other set %s/mine" % P, lambda: other.set(P + "/mine", b"x").version)
        attempt("other get %s/data" % P, lambda: other.get(P + "/data")[0].decode())
        other.stop()
        other.close()
    rogue = tls_client("rogue", wait=5)
    out("untrusted certificate (same subject) connect -> %s" % ("not connected" if rogue is None else "connected"))
    plain = tls_client(None, wait=5)
    out("plaintext client on the secure port connect -> %s" % ("not connected" if plain is None else "connected"))
    for c in (rogue, plain):
        if c is not None:
            c.stop()
            c.close()
    attempt("delete %s recursive" % P, lambda: zk.delete(P, recursive=True))
    zk.stop()
    zk.close()
    out("close -> ok")


def sasl_client(user, password):
    """A kazoo client with SASL DIGEST-MD5 (pure-sasl) as that user (None: no SASL), started; None when
    start fails. kazoo reports CONNECTED before it authenticates, so a failure shows on the next request."""
    kw = {} if user is None else dict(sasl_options={"mechanism": "DIGEST-MD5", "username": user, "password": password})
    return started(KazooClient(hosts=DIRECT, timeout=10.0, **kw), user)


def started(zk, label):
    """zk, started; None when start fails, with a transcript line saying how."""
    try:
        zk.start(timeout=15)
        return zk
    except Exception as e:  # noqa: BLE001 - not connected is the transcript
        out("%s start -> %s" % (label, name(e)))
        zk.stop()
        zk.close()
        return None


def sasl_acl_steps(zk, sasl_id):
    """P/mine with the ACL sasl:<sasl_id>:cdrwa and P/auth with auth (the creator's ids), each read back."""
    from kazoo.security import make_acl
    attempt("create %s/mine sasl acl" % P, lambda: zk.create(P + "/mine", b"secret", acl=[make_acl("sasl", sasl_id, all=True)]))
    attempt("getACL %s/mine" % P, lambda: acls(zk.get_acls(P + "/mine")[0]))
    attempt("get %s/mine" % P, lambda: zk.get(P + "/mine")[0].decode())
    attempt("create %s/auth creator-all" % P, lambda: zk.create(P + "/auth", b"a", acl=[make_acl("auth", "", all=True)]))
    attempt("getACL %s/auth" % P, lambda: acls(zk.get_acls(P + "/auth")[0]))


def done(*clients):
    for c in clients:
        if c is not None:
            c.stop()
            c.close()


def sasl():
    """kazoo 2.8.0 with sasl_options DIGEST-MD5 (python3-pure-sasl), users from the servers' JAAS file
    (SaslFixture.cs): a sasl ACL obeyed, auth expanding to the sasl id, the super user, a wrong password
    and an unknown user refused. kazoo has no whoAmI."""
    zk = sasl_client("bob", "bob-secret")
    if zk is None:
        raise SystemExit("bob did not connect")
    attempt("create %s" % P, lambda: zk.create(P, b""))
    attempt("create %s/data" % P, lambda: zk.create(P + "/data", b"v1"))
    sasl_acl_steps(zk, "bob")
    anon = sasl_client(None, None)
    attempt("anonymous get %s/mine" % P, lambda: anon.get(P + "/mine")[0].decode())
    attempt("anonymous get %s/data" % P, lambda: anon.get(P + "/data")[0].decode())
    admin = sasl_client("admin", "admin secret")
    attempt("admin get %s/mine" % P, lambda: admin.get(P + "/mine")[0].decode())
    done(anon, admin)
    for user, password in (("bob", "not-bobs"), ("eve", "eve-secret")):
        wrong = sasl_client(user, password)
        if wrong is not None:
            attempt("%s/%s get %s/data" % (user, password, P), lambda: wrong.get(P + "/data")[0].decode())
            done(wrong)
    attempt("delete %s recursive" % P, lambda: zk.delete(P, recursive=True))
    done(zk)
    out("close -> ok")


def kerberos_client(service):
    """A kazoo client with SASL GSSAPI (pure-sasl over python3-kerberos) as alice, asking for a ticket to
    <service>/<host>; her key comes from KRB5_CLIENT_KTNAME (GssapiScenarios.cs), which MIT Kerberos reads to
    get her initial ticket. Started; None when start fails."""
    return started(KazooClient(hosts=DIRECT, timeout=10.0,
                               sasl_options={"mechanism": "GSSAPI", "service": service, "principal": "alice@ZKGW.TEST"}), service)


def gssapi():
    """kazoo 2.8.0 with GSSAPI against a private MIT KDC (GssapiScenarios.cs), <direct> naming the server as
    localhost so the service principal is zookeeper/localhost: a sasl ACL on alice's principal obeyed, an
    anonymous client refused by it, and a ticket for other/localhost (whose key the server lacks) failing."""
    zk = kerberos_client("zookeeper")
    if zk is None:
        raise SystemExit("alice did not connect")
    attempt("create %s" % P, lambda: zk.create(P, b"open"))
    sasl_acl_steps(zk, "alice@ZKGW.TEST")
    anon = sasl_client(None, None)
    attempt("anonymous get %s/mine" % P, lambda: anon.get(P + "/mine")[0].decode())
    attempt("anonymous set %s/mine" % P, lambda: anon.set(P + "/mine", b"x").version)
    attempt("anonymous get %s" % P, lambda: anon.get(P)[0].decode())
    done(anon)
    wrong = kerberos_client("other")
    if wrong is not None:
        attempt("wrong service get %s" % P, lambda: wrong.get(P)[0].decode())
        done(wrong)
    attempt("delete %s recursive" % P, lambda: zk.delete(P, recursive=True))
    done(zk)
    out("close -> ok")


def tls_unified():
    """client.portUnification: kazoo over TLS and in plaintext on the one client port (<direct>): both see the
    same tree; the x509-protected node is readable over TLS only; an untrusted certificate does not connect."""
    from kazoo.security import make_acl
    me = "CN=client,OU=test,O=zkgw"
    zk = tls_client("client")
    if zk is None:
        raise SystemExit("no connection over TLS on the unified port")
    out("TLS client connect -> %s" % zk.state)
    attempt("TLS create %s" % P, lambda: zk.create(P, b""))
    attempt("TLS create %s/mine x509 acl" % P, lambda: zk.create(P + "/mine", b"secret", acl=[make_acl("x509", me, all=True)]))
    plain = tls_client(None)
    out("plaintext client connect -> %s" % ("not connected" if plain is None else plain.state))
    if plain is not None:
        attempt("plaintext get %s/mine" % P, lambda: plain.get(P + "/mine")[0].decode())
        attempt("plaintext create %s/open" % P, lambda: plain.create(P + "/open", b"from plaintext"))
        attempt("plaintext getChildren %s" % P, lambda: sorted(plain.get_children(P)))
        plain.stop()
        plain.close()
    attempt("TLS get %s/open" % P, lambda: zk.get(P + "/open")[0].decode())
    attempt("TLS get %s/mine" % P, lambda: zk.get(P + "/mine")[0].decode())
    rogue = tls_client("rogue", wait=5)
    out("untrusted certificate connect -> %s" % ("not connected" if rogue is None else "connected"))
    if rogue is not None:
        rogue.stop()
        rogue.close()
    attempt("delete %s recursive" % P, lambda: zk.delete(P, recursive=True))
    zk.stop()
    zk.close()
    out("close -> ok")


{"basic": basic, "resume": resume, "expiry": expiry, "features": features, "tls": tls,
 "sasl": sasl, "gssapi": gssapi, "tls-unified": tls_unified}[SCENARIO]()
