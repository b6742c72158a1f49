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
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
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
}
