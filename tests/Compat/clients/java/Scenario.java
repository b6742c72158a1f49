// Compat scenarios on the official Java client (ZooKeeper 3.8.0 jar from Debian), run with the source launcher:
//   java -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar Scenario.java <basic|resume|expiry> <direct> <proxied> <prefix>
// Prints one deterministic transcript line per step. Lines starting with '@' ask the test harness to act on the
// proxy (@cut, @blackhole, @restore); the harness answers "ok" on stdin.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

public class Scenario {
    static String P;
    static final BufferedReader STDIN = new BufferedReader(new InputStreamReader(System.in));
    static final int WAIT = 20;

    interface Step { Object run() throws Exception; }

    static void out(String s) { System.out.println(s); System.out.flush(); }

    static void harness(String req) throws Exception {
        out("@" + req);
        String ack = STDIN.readLine();
        if (!"ok".equals(ack)) throw new IllegalStateException("harness did not acknowledge " + req);
    }

    static Object attempt(String label, Step s) {
        try {
            Object r = s.run();
            out(label + " -> " + r);
            return r;
        } catch (KeeperException e) {
            out(label + " -> " + e.getClass().getSimpleName());
        } catch (Exception e) {
            out(label + " -> " + e.getClass().getSimpleName());
        }
        return null;
    }

    /** Collects watch events (one-shot watches) and connection states. */
    static final class Events implements Watcher {
        final BlockingQueue<WatchedEvent> nodes = new LinkedBlockingQueue<>();
        final BlockingQueue<Event.KeeperState> states = new LinkedBlockingQueue<>();
        public void process(WatchedEvent e) {
            if (e.getType() == Event.EventType.None) states.add(e.getState()); else nodes.add(e);
        }
        void next(String label) throws InterruptedException {
            WatchedEvent e = nodes.poll(WAIT, TimeUnit.SECONDS);
            out(label + " -> " + (e == null ? "none" : e.getType() + " " + e.getPath()));
        }
        Event.KeeperState waitState(Event.KeeperState... wanted) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
            while (System.nanoTime() < end) {
                Event.KeeperState s = states.poll(100, TimeUnit.MILLISECONDS);
                if (s == null) continue;
                for (Event.KeeperState w : wanted) if (s == w) return s;
            }
            return null;
        }
    }

    static ZooKeeper connect(String hosts, int timeout, Events ev) throws Exception {
        ZooKeeper zk = new ZooKeeper(hosts, timeout, ev);
        if (ev.waitState(Watcher.Event.KeeperState.SyncConnected) == null) throw new IllegalStateException("no SyncConnected");
        return zk;
    }

    static String create(ZooKeeper zk, String path, String data, CreateMode mode) throws Exception {
        return zk.create(path, data.getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, mode);
    }

    static List<String> sorted(List<String> l) { List<String> c = new ArrayList<>(l); Collections.sort(c); return c; }

    static String describe(List<OpResult> results) {
        List<String> s = new ArrayList<>();
        for (OpResult r : results) {
            if (r instanceof OpResult.ErrorResult) s.add("Error(" + KeeperException.Code.get(((OpResult.ErrorResult) r).getErr()) + ")");
            else if (r instanceof OpResult.CreateResult) s.add("Create(" + ((OpResult.CreateResult) r).getPath() + ")");
            else if (r instanceof OpResult.SetDataResult) s.add("SetData(version=" + ((OpResult.SetDataResult) r).getStat().getVersion() + ")");
            else s.add(r.getClass().getSimpleName());
        }
        return s.toString();
    }

    public static void main(String[] args) throws Exception {
        String scenario = args[0], direct = args[1], proxied = args[2];
        P = args[3];
        switch (scenario) {
            case "basic": basic(direct); break;
            case "resume": resume(proxied); break;
            case "expiry": expiry(direct, proxied); break;
            case "features": features(direct); break;
            case "tls": tls(direct); break;
            case "sasl": sasl(direct); break;
            case "sasl-enforced": saslEnforced(direct); break;
            // The same program on servers with and without allowSaslFailedClients: two transcripts.
            case "gssapi": case "gssapi-allowfailed": gssapi(direct); break;
            case "gssapi-rotated": gssapiRotatedService(direct); break;
            case "tls-unified": tlsUnified(direct); break;
            case "quota": quota(direct); break;
            default: throw new IllegalArgumentException(scenario);
        }
        System.exit(0);
    }

    static void basic(String hosts) throws Exception {
        Events conn = new Events();
        ZooKeeper zk = connect(hosts, 10000, conn);
        out("connect -> " + zk.getState());
        attempt("create " + P, () -> create(zk, P, "", CreateMode.PERSISTENT));
        attempt("create " + P + "/a", () -> create(zk, P + "/a", "v1", CreateMode.PERSISTENT));
        attempt("create " + P + "/a again", () -> create(zk, P + "/a", "v1", CreateMode.PERSISTENT));
        Stat st = new Stat();
        byte[] d = zk.getData(P + "/a", false, st);
        out("get " + P + "/a -> " + new String(d) + " version=" + st.getVersion() + " dataLength=" + st.getDataLength() + " numChildren=" + st.getNumChildren());
        attempt("set " + P + "/a v2 version 0", () -> zk.setData(P + "/a", "v2".getBytes(), 0).getVersion());
        Stat st2 = zk.exists(P + "/a", false);
        out("stat mzxid>czxid -> " + (st2.getMzxid() > st2.getCzxid()));
        attempt("set " + P + "/a bad version", () -> zk.setData(P + "/a", "x".getBytes(), 7));
        attempt("delete " + P + "/a bad version", () -> { zk.delete(P + "/a", 7); return "ok"; });
        attempt("get " + P + "/missing", () -> zk.getData(P + "/missing", false, null));
        attempt("delete " + P + "/missing", () -> { zk.delete(P + "/missing", -1); return "ok"; });
        attempt("exists " + P + "/missing", () -> zk.exists(P + "/missing", false));
        attempt("create " + P + "/x/y no parent", () -> create(zk, P + "/x/y", "", CreateMode.PERSISTENT));

        Events ev = new Events();
        attempt("get with watch " + P + "/a", () -> new String(zk.getData(P + "/a", ev, null)));
        attempt("set " + P + "/a v3", () -> zk.setData(P + "/a", "v3".getBytes(), -1).getVersion());
        ev.next("watch event");
        attempt("exists with watch " + P + "/b", () -> zk.exists(P + "/b", ev));
        attempt("create " + P + "/b", () -> create(zk, P + "/b", "b", CreateMode.PERSISTENT));
        ev.next("watch event");
        attempt("children with watch " + P, () -> sorted(zk.getChildren(P, ev)));
        attempt("create " + P + "/c", () -> create(zk, P + "/c", "", CreateMode.PERSISTENT));
        ev.next("watch event");
        attempt("exists with watch " + P + "/c", () -> zk.exists(P + "/c", ev) != null);
        attempt("delete " + P + "/c", () -> { zk.delete(P + "/c", -1); return "ok"; });
        ev.next("watch event");

        attempt("create ephemeral " + P + "/e", () -> create(zk, P + "/e", "", CreateMode.EPHEMERAL));
        out("ephemeralOwner is session -> " + (zk.exists(P + "/e", false).getEphemeralOwner() == zk.getSessionId()));
        attempt("create " + P + "/seq", () -> create(zk, P + "/seq", "", CreateMode.PERSISTENT));
        for (int i = 0; i < 2; i++) attempt("create sequential " + P + "/seq/s-", () -> create(zk, P + "/seq/s-", "", CreateMode.PERSISTENT_SEQUENTIAL));
        Object r = attempt("create ephemeral sequential " + P + "/seq/e-", () -> create(zk, P + "/seq/e-", "", CreateMode.EPHEMERAL_SEQUENTIAL));
        out("suffix is 10 digits -> " + String.valueOf(r).matches(".*/e-\\d{10}"));
        attempt("children " + P + "/seq", () -> sorted(zk.getChildren(P + "/seq", false)));

        try {
            zk.multi(List.of(Op.create(P + "/m1", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                             Op.setData(P + "/a", "m".getBytes(), 99),
                             Op.create(P + "/m2", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)));
            out("multi create,set bad version,create -> no exception");
        } catch (KeeperException e) {
            out("multi create,set bad version,create -> " + e.getClass().getSimpleName() + " " + describe(e.getResults()));
        }
        attempt("exists " + P + "/m1 after failed multi", () -> zk.exists(P + "/m1", false) != null);
        attempt("multi create,check,set,delete -> results", () -> describe(zk.multi(List.of(
            Op.create(P + "/m1", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
            Op.check(P + "/a", 2), Op.setData(P + "/a", "m".getBytes(), -1), Op.delete(P + "/b", -1)))));
        attempt("children " + P, () -> sorted(zk.getChildren(P, false)));
        attempt("get " + P + "/a", () -> new String(zk.getData(P + "/a", false, null)));
        attempt("delete " + P + "/a version 3", () -> { zk.delete(P + "/a", 3); return "ok"; });
        attempt("delete " + P + " non-empty", () -> { zk.delete(P, -1); return "ok"; });
        zk.close();
        out("close -> ok");
    }

    // Quotas through the client jar's own quota code (zkCli's SetQuotaCommand, ListQuotaCommand,
    // DelQuotaCommand); the server runs with zookeeper.enforceQuota=true.
    static void quota(String hosts) throws Exception {
        ZooKeeper zk = connect(hosts, 10000, new Events());
        attempt("create " + P, () -> create(zk, P, "root", CreateMode.PERSISTENT));
        attempt("create " + P + "/a", () -> create(zk, P + "/a", "12345", CreateMode.PERSISTENT));
        org.apache.zookeeper.StatsTrack limits = new org.apache.zookeeper.StatsTrack();
        limits.setCount(-1); limits.setBytes(-1L); limits.setCountHardLimit(4); limits.setByteHardLimit(30L);
        attempt("createQuota " + P, () -> org.apache.zookeeper.cli.SetQuotaCommand.createQuota(zk, P, limits));
        attempt("createQuota " + P + "/a (nested)", () -> org.apache.zookeeper.cli.SetQuotaCommand.createQuota(zk, P + "/a", limits));
        attempt("listQuota " + P, () -> org.apache.zookeeper.cli.ListQuotaCommand.listQuota(zk, P).toString());
        attempt("create " + P + "/b", () -> create(zk, P + "/b", "bb", CreateMode.PERSISTENT));
        attempt("create ephemeral " + P + "/e", () -> create(zk, P + "/e", "", CreateMode.EPHEMERAL));
        attempt("create " + P + "/c (count)", () -> create(zk, P + "/c", "", CreateMode.PERSISTENT));
        attempt("set " + P + "/a (bytes)", () -> zk.setData(P + "/a", new byte[25], -1).getVersion());
        attempt("set " + P + "/a (fits)", () -> zk.setData(P + "/a", new byte[24], -1).getVersion());
        try {
            zk.multi(List.of(Op.delete(P + "/b", -1), Op.create(P + "/c", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                             Op.create(P + "/d", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)));
            out("multi delete,create,create -> no exception");
        } catch (KeeperException e) {
            out("multi delete,create,create -> " + e.getClass().getSimpleName() + " " + describe(e.getResults()));
        }
        attempt("stats", () -> new String(zk.getData("/zookeeper/quota" + P + "/zookeeper_stats", false, null)));
        attempt("delete " + P + "/e", () -> { zk.delete(P + "/e", -1); return "ok"; });
        attempt("create " + P + "/c", () -> create(zk, P + "/c", "", CreateMode.PERSISTENT));
        attempt("stats", () -> new String(zk.getData("/zookeeper/quota" + P + "/zookeeper_stats", false, null)));
        attempt("delQuota " + P, () -> org.apache.zookeeper.cli.DelQuotaCommand.delQuota(zk, P, null));
        attempt("exists quota node", () -> zk.exists("/zookeeper/quota" + P, false) != null);
        attempt("create " + P + "/d", () -> create(zk, P + "/d", "", CreateMode.PERSISTENT));
        zk.close();
        out("close -> ok");
    }

    static void resume(String hosts) throws Exception {
        Events conn = new Events();
        ZooKeeper zk = connect(hosts, 10000, conn);
        out("connect -> " + zk.getState());
        long sid = zk.getSessionId();
        attempt("create " + P, () -> create(zk, P, "", CreateMode.PERSISTENT));
        attempt("create ephemeral " + P + "/eph", () -> create(zk, P + "/eph", "", CreateMode.EPHEMERAL));
        attempt("create " + P + "/w", () -> create(zk, P + "/w", "1", CreateMode.PERSISTENT));
        Events ev = new Events();
        attempt("get with watch " + P + "/w", () -> new String(zk.getData(P + "/w", ev, null)));
        harness("cut");
        out("state after cut -> " + conn.waitState(Watcher.Event.KeeperState.Disconnected));
        out("state after reconnect -> " + conn.waitState(Watcher.Event.KeeperState.SyncConnected, Watcher.Event.KeeperState.Expired));
        out("same session -> " + (zk.getSessionId() == sid));
        attempt("exists " + P + "/eph", () -> zk.exists(P + "/eph", false) != null);
        attempt("set " + P + "/w", () -> zk.setData(P + "/w", "2".getBytes(), -1).getVersion());
        ev.next("watch event after reconnect");
        zk.close();
        out("close -> ok");
    }

    static void expiry(String direct, String proxied) throws Exception {
        Events wc = new Events(), ec = new Events();
        ZooKeeper w = connect(direct, 10000, wc);
        ZooKeeper e = connect(proxied, 4000, ec);
        out("connect watcher -> " + w.getState());
        out("connect short session -> " + e.getState() + " timeout=" + e.getSessionTimeout());
        attempt("create " + P, () -> create(e, P, "", CreateMode.PERSISTENT));
        attempt("create ephemeral " + P + "/eph", () -> create(e, P + "/eph", "", CreateMode.EPHEMERAL));
        Events ev = new Events();
        attempt("watcher exists with watch " + P + "/eph", () -> w.exists(P + "/eph", ev) != null);
        harness("blackhole");
        ev.next("watcher event");
        attempt("watcher exists " + P + "/eph", () -> w.exists(P + "/eph", false) != null);
        harness("restore");
        out("short session observed -> " + ec.waitState(Watcher.Event.KeeperState.Expired));
        attempt("short session exists " + P, () -> e.exists(P, false) != null);
        e.close();
        w.close();
        out("close -> ok");
    }

    static String acls(List<ACL> l) {
        List<String> s = new ArrayList<>();
        for (ACL a : l) s.add(a.getId().getScheme() + ":" + a.getId().getId() + ":" + a.getPerms());
        return s.toString();
    }

    /** Collects the events of a persistent / recursive watcher as "type path". */
    static final class Persistent implements Watcher {
        final BlockingQueue<String> q = new LinkedBlockingQueue<>();
        public void process(WatchedEvent e) { if (e.getType() != Event.EventType.None) q.add(e.getType() + " " + e.getPath()); }
        void next(String label) throws InterruptedException {
            String e = q.poll(WAIT, TimeUnit.SECONDS);
            out(label + " -> " + (e == null ? "none" : e));
        }
    }

    // The Java client 3.8.0 exposes every feature: digest auth and ACLs, containers, addWatch (persistent and
    // persistent-recursive), removeWatches / removeAllWatches, multiRead (multi of getData/getChildren), whoAmI,
    // getEphemerals, getAllChildrenNumber and (async) sync.
    static void features(String hosts) throws Exception {
        Events conn = new Events();
        ZooKeeper zk = connect(hosts, 10000, conn);
        out("connect -> " + zk.getState());
        attempt("create " + P, () -> create(zk, P, "", CreateMode.PERSISTENT));
        attempt("whoami before auth", () -> whoAmI(zk));
        attempt("create creator-all without auth", () -> zk.create(P + "/x", "x".getBytes(), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
        zk.addAuthInfo("digest", "alice:secret".getBytes());
        attempt("whoami after addauth alice", () -> whoAmI(zk));
        attempt("create " + P + "/acl creator-all", () -> zk.create(P + "/acl", "a".getBytes(), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
        attempt("getACL " + P + "/acl", () -> { Stat st = new Stat(); List<ACL> l = zk.getACL(P + "/acl", st); return acls(l) + " aversion=" + st.getAversion(); });
        List<ACL> next = java.util.Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=")),
                                 new ACL(ZooDefs.Perms.READ, new Id("world", "anyone")));
        attempt("setACL " + P + "/acl aversion 5", () -> zk.setACL(P + "/acl", next, 5).getAversion());
        attempt("setACL " + P + "/acl aversion 0", () -> zk.setACL(P + "/acl", next, 0).getAversion());
        attempt("setACL " + P + "/acl invalid scheme", () -> zk.setACL(P + "/acl", java.util.Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("nosuch", "x"))), -1).getAversion());
        attempt("getACL " + P + "/acl after setACL", () -> { Stat st = new Stat(); List<ACL> l = zk.getACL(P + "/acl", st); return acls(l) + " aversion=" + st.getAversion() + " version=" + st.getVersion(); });
        Events conn2 = new Events();
        ZooKeeper other = connect(hosts, 10000, conn2);
        out("connect second session (no auth) -> " + other.getState());
        attempt("second get " + P + "/acl", () -> new String(other.getData(P + "/acl", false, null)));
        attempt("second getACL " + P + "/acl (masked)", () -> acls(other.getACL(P + "/acl", new Stat())));
        attempt("second set " + P + "/acl", () -> other.setData(P + "/acl", "b".getBytes(), -1).getVersion());
        attempt("second create " + P + "/acl/c", () -> create(other, P + "/acl/c", "c", CreateMode.PERSISTENT));
        attempt("second setACL " + P + "/acl", () -> other.setACL(P + "/acl", ZooDefs.Ids.OPEN_ACL_UNSAFE, -1).getAversion());
        attempt("create " + P + "/secret alice only", () -> zk.create(P + "/secret", "s".getBytes(), java.util.Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="))), CreateMode.PERSISTENT));
        attempt("second get " + P + "/secret", () -> new String(other.getData(P + "/secret", false, null)));
        attempt("second getACL " + P + "/secret", () -> acls(other.getACL(P + "/secret", new Stat())));
        attempt("second exists " + P + "/secret", () -> other.exists(P + "/secret", false) != null);
        attempt("second getAllChildrenNumber " + P + "/secret", () -> other.getAllChildrenNumber(P + "/secret"));
        other.addAuthInfo("digest", "alice:wrong".getBytes());
        attempt("second get " + P + "/secret after wrong password", () -> new String(other.getData(P + "/secret", false, null)));
        other.addAuthInfo("digest", "alice:secret".getBytes());
        attempt("second get " + P + "/secret after alice", () -> new String(other.getData(P + "/secret", false, null)));
        attempt("second whoami", () -> whoAmI(other));

        attempt("create container " + P + "/box", () -> create(zk, P + "/box", "k", CreateMode.CONTAINER));
        attempt("stat container " + P + "/box", () -> { Stat st = zk.exists(P + "/box", false); return "ephemeralOwner=" + st.getEphemeralOwner() + " numChildren=" + st.getNumChildren() + " dataLength=" + st.getDataLength(); });
        attempt("create " + P + "/box/item", () -> create(zk, P + "/box/item", "i", CreateMode.PERSISTENT));
        attempt("create container again", () -> create(zk, P + "/box", "k", CreateMode.CONTAINER));
        attempt("multi create container " + P + "/box2", () -> describe(zk.multi(List.of(Op.create(P + "/box2", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER)))));
        attempt("children " + P + "/box", () -> sorted(zk.getChildren(P + "/box", false)));

        attempt("create " + P + "/w", () -> create(zk, P + "/w", "0", CreateMode.PERSISTENT));
        attempt("create " + P + "/r", () -> create(zk, P + "/r", "0", CreateMode.PERSISTENT));
        Persistent pw = new Persistent(), rw = new Persistent();
        attempt("addWatch persistent " + P + "/w", () -> { zk.addWatch(P + "/w", pw, AddWatchMode.PERSISTENT); return "ok"; });
        attempt("addWatch persistent-recursive " + P + "/r", () -> { zk.addWatch(P + "/r", rw, AddWatchMode.PERSISTENT_RECURSIVE); return "ok"; });
        attempt("addWatch persistent " + P + "/nothere (no NoNode)", () -> { zk.addWatch(P + "/nothere", pw, AddWatchMode.PERSISTENT); return "ok"; });
        attempt("set " + P + "/w", () -> zk.setData(P + "/w", "1".getBytes(), -1).getVersion());
        pw.next("persistent event");
        attempt("create " + P + "/w/c", () -> create(zk, P + "/w/c", "", CreateMode.PERSISTENT));
        pw.next("persistent event");
        attempt("set " + P + "/w again", () -> zk.setData(P + "/w", "2".getBytes(), -1).getVersion());
        pw.next("persistent event (still active)");
        attempt("create " + P + "/nothere", () -> create(zk, P + "/nothere", "", CreateMode.PERSISTENT));
        pw.next("persistent event");
        attempt("set " + P + "/r", () -> zk.setData(P + "/r", "1".getBytes(), -1).getVersion());
        rw.next("recursive event");
        attempt("create " + P + "/r/c", () -> create(zk, P + "/r/c", "", CreateMode.PERSISTENT));
        rw.next("recursive event");
        attempt("create " + P + "/r/c/d", () -> create(zk, P + "/r/c/d", "", CreateMode.PERSISTENT));
        rw.next("recursive event");
        attempt("set " + P + "/r/c/d", () -> zk.setData(P + "/r/c/d", "x".getBytes(), -1).getVersion());
        rw.next("recursive event");
        attempt("delete " + P + "/r/c/d", () -> { zk.delete(P + "/r/c/d", -1); return "ok"; });
        rw.next("recursive event");
        attempt("removeWatches " + P + "/w persistent watcher Any", () -> { zk.removeWatches(P + "/w", pw, Watcher.WatcherType.Any, false); return "ok"; });
        attempt("removeWatches " + P + "/w persistent watcher again", () -> { zk.removeWatches(P + "/w", pw, Watcher.WatcherType.Any, false); return "ok"; });
        attempt("removeAllWatches " + P + "/r Any", () -> { zk.removeAllWatches(P + "/r", Watcher.WatcherType.Any, false); return "ok"; });
        Events one = new Events();
        attempt("get with watch " + P + "/w/c", () -> new String(zk.getData(P + "/w/c", one, null)));
        attempt("removeWatches " + P + "/w/c data watcher Data", () -> { zk.removeWatches(P + "/w/c", one, Watcher.WatcherType.Data, false); return "ok"; });
        attempt("removeAllWatches " + P + "/w/c Children (none)", () -> { zk.removeAllWatches(P + "/w/c", Watcher.WatcherType.Children, false); return "ok"; });
        attempt("set " + P + "/w after removes", () -> zk.setData(P + "/w", "3".getBytes(), -1).getVersion());
        attempt("set " + P + "/r/c after removes", () -> zk.setData(P + "/r/c", "y".getBytes(), -1).getVersion());
        attempt("set " + P + "/w/c after removes", () -> zk.setData(P + "/w/c", "y".getBytes(), -1).getVersion());
        Events marker = new Events();
        attempt("exists with watch " + P + "/marker", () -> zk.exists(P + "/marker", marker));
        attempt("create " + P + "/marker", () -> create(zk, P + "/marker", "", CreateMode.PERSISTENT));
        marker.next("marker event");
        out("persistent watcher got after remove -> " + drain(pw.q));
        out("recursive watcher got after remove -> " + drain(rw.q));
        List<String> o = new ArrayList<>();
        for (WatchedEvent e; (e = one.nodes.poll()) != null; ) o.add(e.getType() + " " + e.getPath());
        out("one-shot watcher got after remove -> " + o);

        // 3.8.0 keeps one mode per connection and path in each of its two watch tables: a one-shot watch on a
        // path with a persistent watch replaces the data side's mode; a recursive watch replaces a persistent one.
        attempt("create " + P + "/q", () -> create(zk, P + "/q", "0", CreateMode.PERSISTENT));
        Persistent pq = new Persistent();
        Events oneq = new Events();
        attempt("addWatch persistent " + P + "/q", () -> { zk.addWatch(P + "/q", pq, AddWatchMode.PERSISTENT); return "ok"; });
        attempt("get with one-shot watch " + P + "/q", () -> new String(zk.getData(P + "/q", oneq, null)));
        attempt("set " + P + "/q", () -> zk.setData(P + "/q", "1".getBytes(), -1).getVersion());
        oneq.next("one-shot event");
        pq.next("persistent event");
        attempt("set " + P + "/q again", () -> zk.setData(P + "/q", "2".getBytes(), -1).getVersion());
        attempt("create " + P + "/q/c", () -> create(zk, P + "/q/c", "", CreateMode.PERSISTENT));
        pq.next("persistent event (data side gone, children side persistent)");
        attempt("create " + P + "/pr", () -> create(zk, P + "/pr", "0", CreateMode.PERSISTENT));
        Persistent ppr = new Persistent(), rpr = new Persistent();
        attempt("addWatch persistent " + P + "/pr", () -> { zk.addWatch(P + "/pr", ppr, AddWatchMode.PERSISTENT); return "ok"; });
        attempt("addWatch persistent-recursive " + P + "/pr", () -> { zk.addWatch(P + "/pr", rpr, AddWatchMode.PERSISTENT_RECURSIVE); return "ok"; });
        attempt("create " + P + "/pr/c", () -> create(zk, P + "/pr/c", "", CreateMode.PERSISTENT));
        rpr.next("recursive event");
        attempt("set " + P + "/pr", () -> zk.setData(P + "/pr", "1".getBytes(), -1).getVersion());
        rpr.next("recursive event");
        ppr.next("persistent event");
        Events marker2 = new Events();
        attempt("exists with watch " + P + "/marker2", () -> zk.exists(P + "/marker2", marker2));
        attempt("create " + P + "/marker2", () -> create(zk, P + "/marker2", "", CreateMode.PERSISTENT));
        marker2.next("marker event");
        out("persistent " + P + "/q watcher also got -> " + drain(pq.q));
        out("persistent " + P + "/pr watcher also got -> " + drain(ppr.q));
        out("recursive " + P + "/pr watcher also got -> " + drain(rpr.q));
        attempt("removeAllWatches " + P + "/q Any", () -> { zk.removeAllWatches(P + "/q", Watcher.WatcherType.Any, false); return "ok"; });
        attempt("removeAllWatches " + P + "/pr Any", () -> { zk.removeAllWatches(P + "/pr", Watcher.WatcherType.Any, false); return "ok"; });

        attempt("multiRead getData,getChildren,getData missing", () -> {
            List<String> s = new ArrayList<>();
            for (OpResult r : zk.multi(List.of(Op.getData(P + "/acl"), Op.getChildren(P + "/w"), Op.getData(P + "/missing")))) {
                if (r instanceof OpResult.GetDataResult) s.add("Data(" + new String(((OpResult.GetDataResult) r).getData()) + " version=" + ((OpResult.GetDataResult) r).getStat().getVersion() + ")");
                else if (r instanceof OpResult.GetChildrenResult) s.add("Children(" + sorted(((OpResult.GetChildrenResult) r).getChildren()) + ")");
                else if (r instanceof OpResult.ErrorResult) s.add("Error(" + KeeperException.Code.get(((OpResult.ErrorResult) r).getErr()) + ")");
                else s.add(r.getClass().getSimpleName());
            }
            return s;
        });
        attempt("second multiRead getData " + P + "/secret (alice now)", () -> other.multi(List.of(Op.getData(P + "/secret"))).size());

        attempt("create ephemeral " + P + "/e1", () -> create(zk, P + "/e1", "", CreateMode.EPHEMERAL));
        attempt("create ephemeral " + P + "/w/e2", () -> create(zk, P + "/w/e2", "", CreateMode.EPHEMERAL));
        attempt("second create ephemeral " + P + "/e3", () -> create(other, P + "/e3", "", CreateMode.EPHEMERAL));
        attempt("getEphemerals " + P, () -> sorted(zk.getEphemerals(P)));
        attempt("getEphemerals " + P + "/w", () -> sorted(zk.getEphemerals(P + "/w")));
        attempt("second getEphemerals " + P, () -> sorted(other.getEphemerals(P)));
        attempt("getAllChildrenNumber " + P, () -> zk.getAllChildrenNumber(P));
        attempt("getAllChildrenNumber " + P + "/w", () -> zk.getAllChildrenNumber(P + "/w"));
        attempt("getAllChildrenNumber " + P + "/missing", () -> zk.getAllChildrenNumber(P + "/missing"));

        BlockingQueue<String> synced = new LinkedBlockingQueue<>();
        zk.sync(P + "/w", (rc, path, ctx) -> synced.add(KeeperException.Code.get(rc) + " " + path), null);
        out("sync " + P + "/w -> " + synced.poll(WAIT, TimeUnit.SECONDS));
        zk.sync(P + "/missing", (rc, path, ctx) -> synced.add(KeeperException.Code.get(rc) + " " + path), null);
        out("sync " + P + "/missing -> " + synced.poll(WAIT, TimeUnit.SECONDS));
        other.close();
        zk.close();
        out("close -> ok");
    }

    // TLS (zookeeper.client.secure with ClientCnxnSocketNetty) against a secure client port: <direct> is
    // 127.0.0.1:<secureClientPort>, ZKGW_TLS_DIR holds the test certificates (TlsCertificates.cs). x509 ids in
    // whoAmI and ACLs, the superUser, an untrusted certificate and a plaintext client refused.
    static ZKClientConfig tlsConfig(String cert) throws Exception {
        String dir = System.getenv("ZKGW_TLS_DIR");
        ZKClientConfig c = new ZKClientConfig();
        c.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNetty");
        if (cert == null) return c;
        c.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        c.setProperty("zookeeper.ssl.keyStore.location", dir + "/" + cert + ".p12");
        c.setProperty("zookeeper.ssl.keyStore.password", "testpass");
        c.setProperty("zookeeper.ssl.keyStore.type", "PKCS12");
        c.setProperty("zookeeper.ssl.trustStore.location", dir + "/ca.pem");
        c.setProperty("zookeeper.ssl.trustStore.type", "PEM");
        return c;
    }

    /** A client with that certificate (null: plaintext), or null when it is not connected within the wait. */
    static ZooKeeper tlsConnect(String hosts, String cert, int waitSeconds) throws Exception {
        Events ev = new Events();
        ZooKeeper zk = new ZooKeeper(hosts, 10000, ev, tlsConfig(cert));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        while (System.nanoTime() < end) {
            Watcher.Event.KeeperState s = ev.states.poll(100, TimeUnit.MILLISECONDS);
            if (s == Watcher.Event.KeeperState.SyncConnected) return zk;
        }
        zk.close();
        return null;
    }

    static void tls(String hosts) throws Exception {
        String me = "CN=client,OU=test,O=zkgw";
        ZooKeeper zk = tlsConnect(hosts, "client", WAIT);
        if (zk == null) throw new IllegalStateException("no SyncConnected over TLS");
        out("connect over TLS -> " + zk.getState());
        attempt("whoami", () -> whoAmI(zk));
        attempt("create " + P, () -> create(zk, P, "", CreateMode.PERSISTENT));
        attempt("create " + P + "/data", () -> create(zk, P + "/data", "v1", CreateMode.PERSISTENT));
        attempt("get " + P + "/data", () -> new String(zk.getData(P + "/data", false, null)));
        List<ACL> mine = java.util.Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("x509", me))); // the client calls acl.contains(null): no List.of
        attempt("create " + P + "/mine x509 acl", () -> zk.create(P + "/mine", "secret".getBytes(), mine, CreateMode.PERSISTENT));
        attempt("getACL " + P + "/mine", () -> acls(zk.getACL(P + "/mine", new Stat())));
        attempt("get " + P + "/mine", () -> new String(zk.getData(P + "/mine", false, null)));
        attempt("create " + P + "/auth creator-all", () -> zk.create(P + "/auth", "a".getBytes(), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
        attempt("getACL " + P + "/auth", () -> acls(zk.getACL(P + "/auth", new Stat())));
        attempt("create " + P + "/bad x509 acl", () -> zk.create(P + "/bad", "b".getBytes(), java.util.Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("x509", "CN=x,=broken"))), CreateMode.PERSISTENT));

        ZooKeeper other = tlsConnect(hosts, "other", WAIT);
        out("other connect -> " + (other == null ? "not connected" : other.getState()));
        if (other != null) {
            attempt("other whoami", () -> whoAmI(other));
            attempt("other get " + P + "/mine", () -> new String(other.getData(P + "/mine", false, null)));
            attempt("other getACL " + P + "/mine", () -> acls(other.getACL(P + "/mine", new Stat())));
            attempt("other set " + P + "/mine", () -> other.setData(P + "/mine", "x".getBytes(), -1).getVersion());
            attempt("other get " + P + "/data", () -> new String(other.getData(P + "/data", false, null)));
            other.close();
        }
        ZooKeeper admin = tlsConnect(hosts, "admin", WAIT);
        out("admin connect -> " + (admin == null ? "not connected" : admin.getState()));
        if (admin != null) {
            attempt("admin whoami", () -> whoAmI(admin));
            attempt("admin get " + P + "/mine", () -> new String(admin.getData(P + "/mine", false, null)));
            admin.close();
        }
        ZooKeeper rogue = tlsConnect(hosts, "rogue", 5);
        out("untrusted certificate (same subject) connect -> " + (rogue == null ? "not connected" : "connected"));
        if (rogue != null) rogue.close();
        ZooKeeper plain = tlsConnect(hosts, null, 5);
        out("plaintext client on the secure port connect -> " + (plain == null ? "not connected" : "connected"));
        if (plain != null) plain.close();

        attempt("delete " + P + "/auth", () -> { zk.delete(P + "/auth", -1); return "ok"; });
        attempt("delete " + P + "/mine", () -> { zk.delete(P + "/mine", -1); return "ok"; });
        attempt("delete " + P + "/data", () -> { zk.delete(P + "/data", -1); return "ok"; });
        attempt("delete " + P, () -> { zk.delete(P, -1); return "ok"; });
        zk.close();
        out("close -> ok");
    }

    // SASL DIGEST-MD5 with a JAAS file (ZKGW_JAAS, SaslFixture.cs): the section named by zookeeper.sasl.clientconfig
    // holds the user; null: a client with SASL off (zookeeper.sasl.client=false).
    static ZooKeeper saslClient(String hosts, String section, Events ev) throws Exception {
        return saslClient(hosts, section, null, ev);
    }

    // service: the Kerberos service name the client asks a ticket for (zookeeper.sasl.client.username), null: zookeeper.
    static ZooKeeper saslClient(String hosts, String section, String service, Events ev) throws Exception {
        System.setProperty("java.security.auth.login.config", System.getenv("ZKGW_JAAS"));
        ZKClientConfig c = new ZKClientConfig();
        if (section == null) c.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
        else c.setProperty(ZKClientConfig.LOGIN_CONTEXT_NAME_KEY, section);
        if (service != null) c.setProperty("zookeeper.sasl.client.username", service);
        return new ZooKeeper(hosts, 10000, ev, c);
    }

    // SASL GSSAPI with a JAAS file (ZKGW_JAAS) and the private KDC's krb5.conf (ZKGW_KRB5_CONF), GssapiScenarios.cs:
    // alice logs in from her keytab (Client); then clients that cannot authenticate: eve, whom the KDC does not
    // know (Unknown), mallory with a keytab older than her key (StaleClient), and alice asking for a ticket to
    // other/localhost, a service the server has no key for.
    static void gssapi(String hosts) throws Exception {
        System.setProperty("java.security.krb5.conf", System.getenv("ZKGW_KRB5_CONF"));
        String alice = "alice@ZKGW.TEST";
        Events ev = new Events();
        ZooKeeper zk = saslClient(hosts, "Client", ev);
        out("alice sasl -> " + saslOutcome(ev));
        attempt("alice whoami", () -> whoAmI(zk));
        attempt("create " + P, () -> create(zk, P, "open", CreateMode.PERSISTENT));
        saslAclSteps(zk, alice);
        attempt("set " + P + "/mine", () -> zk.setData(P + "/mine", "secret2".getBytes(), -1).getVersion());

        ZooKeeper anon = anonymous(hosts);
        attempt("anonymous get " + P + "/mine", () -> new String(anon.getData(P + "/mine", false, null)));
        attempt("anonymous set " + P + "/mine", () -> anon.setData(P + "/mine", "x".getBytes(), -1).getVersion());
        attempt("anonymous getACL " + P + "/mine", () -> acls(anon.getACL(P + "/mine", new Stat())));
        attempt("anonymous get " + P, () -> new String(anon.getData(P, false, null)));
        // Watch events need READ whatever the ACL's scheme: the change to the sasl node is not delivered, so the
        // first event is the one on the open parent, changed after it.
        Events watched = new Events();
        attempt("anonymous addWatch " + P + " recursive", () -> { anon.addWatch(P, watched, AddWatchMode.PERSISTENT_RECURSIVE); return "ok"; });
        attempt("set " + P + "/mine again", () -> zk.setData(P + "/mine", "secret3".getBytes(), -1).getVersion());
        attempt("set " + P, () -> zk.setData(P, "open2".getBytes(), -1).getVersion());
        watched.next("anonymous first event");
        anon.close();

        String[][] failing = {{"Unknown", null, "unknown principal"}, {"StaleClient", null, "stale client keytab"}, {"Client", "other", "wrong service"}};
        for (String[] f : failing) {
            String label = f[2];
            Events fev = new Events();
            ZooKeeper c = saslClient(hosts, f[0], f[1], fev);
            out(label + " sasl -> " + saslOutcome(fev));
            attempt(label + " whoami", () -> whoAmI(c));
            attempt(label + " get " + P, () -> new String(c.getData(P, false, null)));
            attempt(label + " get " + P + "/mine", () -> new String(c.getData(P + "/mine", false, null)));
            c.close();
        }

        cleanUp(zk, "auth", "mine");
    }

    // A server whose keytab is older than its service key (zkrotated/localhost, rotated with kadmin.local after the
    // keytab was exported): alice's ticket names a key version the server does not have.
    static void gssapiRotatedService(String hosts) throws Exception {
        System.setProperty("java.security.krb5.conf", System.getenv("ZKGW_KRB5_CONF"));
        Events ev = new Events();
        ZooKeeper c = saslClient(hosts, "Client", "zkrotated", ev);
        out("alice to zkrotated sasl -> " + saslOutcome(ev));
        attempt("alice to zkrotated whoami", () -> whoAmI(c));
        attempt("alice to zkrotated create " + P, () -> create(c, P, "v", CreateMode.PERSISTENT));
        attempt("alice to zkrotated delete " + P, () -> { c.delete(P, -1); return "ok"; });
        c.close();
        out("close -> ok");
    }

    static String saslOutcome(Events ev) throws InterruptedException {
        Watcher.Event.KeeperState s = ev.waitState(Watcher.Event.KeeperState.SaslAuthenticated, Watcher.Event.KeeperState.AuthFailed);
        return s == null ? "none" : s.toString();
    }

    static void sasl(String hosts) throws Exception {
        Events ev = new Events();
        ZooKeeper zk = saslClient(hosts, "Client", ev);
        out("bob sasl -> " + saslOutcome(ev));
        attempt("bob whoami", () -> whoAmI(zk));
        attempt("create " + P, () -> create(zk, P, "", CreateMode.PERSISTENT));
        attempt("create " + P + "/data", () -> create(zk, P + "/data", "v1", CreateMode.PERSISTENT));
        saslAclSteps(zk, "bob");
        attempt("create " + P + "/bad sasl acl", () -> zk.create(P + "/bad", "b".getBytes(), java.util.Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("sasl", "a@b@c"))), CreateMode.PERSISTENT));
        attempt("create " + P + "/realm sasl acl", () -> zk.create(P + "/realm", "r".getBytes(), java.util.Arrays.asList(new ACL(ZooDefs.Perms.READ, new Id("sasl", "zk/host@EXAMPLE.COM"))), CreateMode.PERSISTENT));
        attempt("get " + P + "/realm", () -> new String(zk.getData(P + "/realm", false, null)));

        ZooKeeper anon = anonymous(hosts);
        attempt("anonymous get " + P + "/mine", () -> new String(anon.getData(P + "/mine", false, null)));
        attempt("anonymous set " + P + "/mine", () -> anon.setData(P + "/mine", "x".getBytes(), -1).getVersion());
        attempt("anonymous get " + P + "/data", () -> new String(anon.getData(P + "/data", false, null)));
        anon.close();

        Events sev = new Events();
        ZooKeeper admin = saslClient(hosts, "Admin", sev);
        out("admin sasl -> " + saslOutcome(sev));
        attempt("admin whoami", () -> whoAmI(admin));
        attempt("admin get " + P + "/mine", () -> new String(admin.getData(P + "/mine", false, null)));
        attempt("admin get " + P + "/realm", () -> new String(admin.getData(P + "/realm", false, null)));
        admin.close();

        for (String section : new String[] {"WrongPassword", "Unknown"}) {
            Events wev = new Events();
            ZooKeeper wrong = saslClient(hosts, section, wev);
            out(section + " sasl -> " + saslOutcome(wev));
            attempt(section + " get " + P + "/data", () -> new String(wrong.getData(P + "/data", false, null)));
            wrong.close();
        }

        cleanUp(zk, "realm", "auth", "mine", "data");
    }

    // P/mine with the ACL sasl:<id>:cdrwa and P/auth with CREATOR_ALL (auth: the creator's ids), each read back.
    static void saslAclSteps(ZooKeeper zk, String id) {
        List<ACL> mine = java.util.Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("sasl", id)));
        attempt("create " + P + "/mine sasl acl", () -> zk.create(P + "/mine", "secret".getBytes(), mine, CreateMode.PERSISTENT));
        attempt("getACL " + P + "/mine", () -> acls(zk.getACL(P + "/mine", new Stat())));
        attempt("get " + P + "/mine", () -> new String(zk.getData(P + "/mine", false, null)));
        attempt("create " + P + "/auth creator-all", () -> zk.create(P + "/auth", "a".getBytes(), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
        attempt("getACL " + P + "/auth", () -> acls(zk.getACL(P + "/auth", new Stat())));
    }

    // A session with SASL off, connected, and its ids.
    static ZooKeeper anonymous(String hosts) throws Exception {
        Events ev = new Events();
        ZooKeeper anon = saslClient(hosts, null, ev);
        out("anonymous connect -> " + ev.waitState(Watcher.Event.KeeperState.SyncConnected));
        attempt("anonymous whoami", () -> whoAmI(anon));
        return anon;
    }

    // Deletes the named children of P in order, then P, a transcript line each; then closes the session.
    static void cleanUp(ZooKeeper zk, String... children) {
        for (String c : children) attempt("delete " + P + "/" + c, () -> { zk.delete(P + "/" + c, -1); return "ok"; });
        attempt("delete " + P, () -> { zk.delete(P, -1); return "ok"; });
        attempt("close", () -> { zk.close(); return "ok"; });
    }

    // enforce.auth.enabled with schemes=sasl: only SASL-authenticated sessions are served.
    static void saslEnforced(String hosts) throws Exception {
        Events ev = new Events();
        ZooKeeper zk = saslClient(hosts, "Client", ev);
        out("bob sasl -> " + saslOutcome(ev));
        attempt("create " + P, () -> create(zk, P, "v", CreateMode.PERSISTENT));
        attempt("get " + P, () -> new String(zk.getData(P, false, null)));

        Events aev = new Events();
        ZooKeeper anon = saslClient(hosts, null, aev);
        out("anonymous connect -> " + aev.waitState(Watcher.Event.KeeperState.SyncConnected));
        attempt("anonymous get " + P, () -> new String(anon.getData(P, false, null)));
        anon.close();

        Events dev = new Events();
        ZooKeeper digest = saslClient(hosts, null, dev);
        out("digest connect -> " + dev.waitState(Watcher.Event.KeeperState.SyncConnected));
        digest.addAuthInfo("digest", "carol:pw".getBytes());
        attempt("digest get " + P, () -> new String(digest.getData(P, false, null)));
        digest.close();

        Events wev = new Events();
        ZooKeeper wrong = saslClient(hosts, "WrongPassword", wev);
        out("WrongPassword sasl -> " + saslOutcome(wev));
        attempt("WrongPassword get " + P, () -> new String(wrong.getData(P, false, null)));
        wrong.close();

        attempt("delete " + P, () -> { zk.delete(P, -1); return "ok"; });
        zk.close();
        out("close -> ok");
    }

    // client.portUnification: <direct> is 127.0.0.1:<clientPort>, which takes TLS and plaintext clients alike
    // (TlsCertificates.cs; the x509 provider registered). Both kinds of client see the same tree; the TLS
    // one has its x509 id, the plaintext one only ip.
    static void tlsUnified(String hosts) throws Exception {
        String me = "CN=client,OU=test,O=zkgw";
        ZooKeeper zk = tlsConnect(hosts, "client", WAIT);
        if (zk == null) throw new IllegalStateException("no SyncConnected over TLS on the unified port");
        out("TLS client connect -> " + zk.getState());
        attempt("TLS whoami", () -> whoAmI(zk));
        attempt("TLS create " + P, () -> create(zk, P, "", CreateMode.PERSISTENT));
        List<ACL> mine = java.util.Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("x509", me)));
        attempt("TLS create " + P + "/mine x509 acl", () -> zk.create(P + "/mine", "secret".getBytes(), mine, CreateMode.PERSISTENT));

        ZooKeeper plain = tlsConnect(hosts, null, WAIT);
        out("plaintext client connect -> " + (plain == null ? "not connected" : plain.getState()));
        if (plain != null) {
            attempt("plaintext whoami", () -> whoAmI(plain));
            attempt("plaintext get " + P + "/mine", () -> new String(plain.getData(P + "/mine", false, null)));
            attempt("plaintext create " + P + "/open", () -> create(plain, P + "/open", "from plaintext", CreateMode.PERSISTENT));
            attempt("plaintext getChildren " + P, () -> sorted(plain.getChildren(P, false)));
            plain.close();
        }
        attempt("TLS get " + P + "/open", () -> new String(zk.getData(P + "/open", false, null)));
        attempt("TLS get " + P + "/mine", () -> new String(zk.getData(P + "/mine", false, null)));
        ZooKeeper rogue = tlsConnect(hosts, "rogue", 5);
        out("untrusted certificate connect -> " + (rogue == null ? "not connected" : "connected"));
        if (rogue != null) rogue.close();

        attempt("delete " + P + "/open", () -> { zk.delete(P + "/open", -1); return "ok"; });
        attempt("delete " + P + "/mine", () -> { zk.delete(P + "/mine", -1); return "ok"; });
        attempt("delete " + P, () -> { zk.delete(P, -1); return "ok"; });
        zk.close();
        out("close -> ok");
    }

    static List<String> drain(BlockingQueue<String> q) { List<String> l = new ArrayList<>(); q.drainTo(l); return l; }

    static List<String> whoAmI(ZooKeeper zk) throws Exception {
        List<String> s = new ArrayList<>();
        for (ClientInfo c : zk.whoAmI()) s.add(c.getAuthScheme() + "/" + c.getUser());
        return s;
    }
}
