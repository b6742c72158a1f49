using Amazon.DynamoDBv2.Model;

namespace ZkGateway.Backend.Aws;

/// <summary>The items of one request's TransactWriteItems, each with its kind (the cancellation reasons come back in item order).</summary>
internal sealed class CommitTransaction
{
    public List<TransactWriteItem> Items { get; } = [];

    public List<CommitItemKind> Kinds { get; } = [];

    public int Count => Items.Count;

    public void Add(TransactWriteItem item, CommitItemKind kind)
    {
        Items.Add(item);
        Kinds.Add(kind);
    }
}
