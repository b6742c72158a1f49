using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Migration;

/// <summary>
/// Applies a logged transaction to the tree as ZooKeeper 3.8 replays it (FileTxnSnapLog.processTransaction,
/// DataTree.processTxn): the record of each type (zookeeper.jute's CreateTxn, CreateContainerTxn,
/// CreateTTLTxn, DeleteTxn, SetDataTxn, SetACLTxn, MultiTxn…), errors from a fuzzy snapshot ignored, a
/// multi with a failed op applying none of them. A type it does not know is an
/// <see cref="InvalidDataException"/> naming the file and offset.
/// </summary>
internal static class ZooKeeperTxnReplay
{
    // ZooDefs.OpCode values that appear in logs.
    private const int Create = 1, Delete = 2, SetData = 5, SetAcl = 7, Check = 13, Multi = 14, Create2 = 15, Reconfig = 16,
        CreateContainer = 19, DeleteContainer = 20, CreateTtl = 21, CreateSession = -10, CloseSession = -11, Error = -1;

    public static void Apply(ZooKeeperTree tree, ZooKeeperTxn txn)
    {
        try
        {
            if (txn.Type == Multi)
            {
                ApplyMulti(tree, txn);
                return;
            }
            var reader = new JuteReader(txn.Record);
            ApplyOne(tree, txn, txn.Type, ref reader);
        }
        catch (JuteFormatException e)
        {
            throw new InvalidDataException($"{txn.File}: offset {txn.Offset}: transaction 0x{txn.Zxid:x} (type {txn.Type}) cannot be read ({e.Message})", e);
        }
    }

    private static void ApplyMulti(ZooKeeperTree tree, ZooKeeperTxn txn)
    {
        var reader = new JuteReader(txn.Record);
        int count = reader.ReadVectorCount(8);
        var ops = new List<(int Type, byte[] Data)>(Math.Max(0, count));
        for (int i = 0; i < count; i++)
        {
            int type = reader.ReadInt();
            ops.Add((type, reader.ReadBuffer() ?? []));
        }
        // A multi that failed is logged with error ops and changed nothing.
        if (ops.Any(op => op.Type == Error))
        {
            return;
        }
        foreach (var (type, data) in ops)
        {
            if (type == SetAcl || type == Multi || type == CreateSession || type == CloseSession)
            {
                throw new InvalidDataException($"{txn.File}: offset {txn.Offset}: transaction 0x{txn.Zxid:x}: op type {type} inside a multi");
            }
            var op = new JuteReader(data);
            ApplyOne(tree, txn, type, ref op);
        }
    }

    private static void ApplyOne(ZooKeeperTree tree, ZooKeeperTxn txn, int type, ref JuteReader reader)
    {
        switch (type)
        {
            case Create or Create2:
                {
                    string path = Path(ref reader);
                    byte[]? data = reader.ReadBuffer();
                    var acl = Acls(ref reader);
                    bool ephemeral = reader.ReadBool();
                    int parentCversion = reader.ReadInt();
                    tree.Create(path, data, acl, ephemeral ? txn.ClientId : 0, parentCversion, txn.Zxid, txn.Time, fixParentWhenExists: type == Create);
                    break;
                }
            case CreateContainer:
                {
                    string path = Path(ref reader);
                    byte[]? data = reader.ReadBuffer();
                    var acl = Acls(ref reader);
                    int parentCversion = reader.ReadInt();
                    tree.Create(path, data, acl, NodeKinds.ContainerMarker, parentCversion, txn.Zxid, txn.Time, fixParentWhenExists: false);
                    break;
                }
            case CreateTtl:
                {
                    string path = Path(ref reader);
                    byte[]? data = reader.ReadBuffer();
                    var acl = Acls(ref reader);
                    int parentCversion = reader.ReadInt();
                    long ttl = reader.ReadLong();
                    // EphemeralType.TTL.toEphemeralOwner: 0xFF in the top byte, the TTL in the low 40 bits.
                    long owner = unchecked((long)0xFF00000000000000UL) | ttl;
                    tree.Create(path, data, acl, owner, parentCversion, txn.Zxid, txn.Time, fixParentWhenExists: false);
                    break;
                }
            case Delete or DeleteContainer:
                tree.Delete(Path(ref reader), txn.Zxid);
                break;
            case SetData or Reconfig:
                {
                    string path = Path(ref reader);
                    byte[]? data = reader.ReadBuffer();
                    tree.SetData(path, data, reader.ReadInt(), txn.Zxid, txn.Time);
                    break;
                }
            case SetAcl:
                {
                    string path = Path(ref reader);
                    var acl = Acls(ref reader);
                    tree.SetAcl(path, acl, reader.ReadInt());
                    break;
                }
            case CloseSession:
                tree.CloseSession(txn.ClientId, txn.Zxid);
                break;
            case CreateSession or Error or Check:
                break;
            default:
                throw new InvalidDataException($"{txn.File}: offset {txn.Offset}: transaction 0x{txn.Zxid:x} has type {type}, which this import does not know");
        }
    }

    private static string Path(ref JuteReader reader) => reader.ReadString() ?? throw new JuteFormatException("a null path");

    private static IReadOnlyList<Acl> Acls(ref JuteReader reader) => Acl.ReadList(ref reader) ?? [];
}
