import org.apache.zookeeper.*;
import org.apache.zookeeper.data.*;
import java.util.*;
public class G {
  public static void main(String[] a) throws Exception {
    java.util.concurrent.CountDownLatch l = new java.util.concurrent.CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper("127.0.0.1:12184", 10000, e -> { if (e.getState()==Watcher.Event.KeeperState.SyncConnected) l.countDown(); });
    l.await();
    Stat s = new Stat();
    zk.create("/jm", "d".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, s);  // create2
    zk.create("/jm/e", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
    try { zk.multi(Arrays.asList(Op.create("/jm/a", new byte[]{1}, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
        Op.setData("/jm", "v".getBytes(), -1), Op.delete("/jm/nope", -1), Op.check("/jm", 0))); } catch (KeeperException e) { System.out.println(e); }
    List<OpResult> ok = zk.multi(Arrays.asList(Op.create("/jm/b", new byte[]{2}, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL),
        Op.setData("/jm", "v".getBytes(), -1), Op.check("/jm", 1), Op.delete("/jm/e", -1)));
    System.out.println(ok.size());
    List<OpResult> rd = zk.multi(Arrays.asList(Op.getChildren("/jm"), Op.getData("/jm"), Op.getData("/nope")));
    System.out.println(rd.size());
    System.out.println(zk.getAllChildrenNumber("/jm"));
    zk.create("/jm/e2", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
    System.out.println(zk.getEphemerals("/jm"));
    zk.exists("/jm", true);
    try { zk.removeWatches("/jm", e -> {}, Watcher.WatcherType.Children, false); } catch (KeeperException e) { System.out.println(e); }
    zk.setACL("/jm", ZooDefs.Ids.OPEN_ACL_UNSAFE, 0);
    zk.close();
  }
}
