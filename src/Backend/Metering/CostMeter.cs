using System.Collections.Concurrent;
using System.Globalization;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Metering;

/// <summary>
/// Counts the billable cloud calls a process makes, per ZooKeeper operation type, and prices them at
/// public AWS list prices (us-east-1, on-demand, as of 2026; <see cref="Prices"/>). The operation a
/// call belongs to is carried by an async-local scope (<see cref="Begin"/>), so every storage or queue
/// call made while serving a getData, or while the writer processes a setData, is charged to it; calls
/// outside any scope are charged to "background" (heartbeats, polling, lease renewals).
/// <para>
/// The counts are what the process sent, every attempt of a retried call included (the service
/// received them). DynamoDB is billed by the read and write capacity units it reports for each request
/// (ReturnConsumedCapacity), kept apart because they are priced apart; SQS per 64 KB chunk of payload;
/// S3 per request (AwsCostMetering in the AWS provider set says where units are computed instead).
/// </para>
/// </summary>
public sealed class CostMeter
{
    /// <summary>The process's meter: gateways and function hosts report it (mntr, logs).</summary>
    public static CostMeter Shared { get; } = new();

    private static readonly AsyncLocal<string?> CurrentOperation = new();

    private readonly ConcurrentDictionary<(string Operation, string Service, string Api), Counter> _counters = new();

    private sealed class Counter
    {
        public long Calls;
        public long Units;

        // DynamoDB's capacity units come in halves (eventually consistent reads): kept in thousandths.
        public long ReadMilli;
        public long WriteMilli;
    }

    /// <summary>The ZooKeeper operation the current call chain serves, if any.</summary>
    public static string Operation => CurrentOperation.Value ?? "background";

    /// <summary>
    /// Set by a deployment that makes billable calls (the AWS provider set); when false, scopes cost
    /// nothing, so the embedded deployment's hot path does not pay for an async-local.
    /// </summary>
    public static bool Enabled { get; set; }

    /// <summary>Charges the calls made until the scope is disposed to <paramref name="operation"/>.</summary>
    public static Scope Begin(string operation)
    {
        if (!Enabled)
        {
            return default;
        }
        var previous = CurrentOperation.Value;
        CurrentOperation.Value = operation;
        return new Scope(previous);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly string? _previous;
        private readonly bool _active;

        internal Scope(string? previous)
        {
            _previous = previous;
            _active = true;
        }

        public void Dispose()
        {
            if (_active)
            {
                CurrentOperation.Value = _previous;
            }
        }
    }

    /// <summary>ZooKeeper's name of a write operation, for charging.</summary>
    public static string NameOf(WriteOperation operation) => operation switch
    {
        CreateOperation or NullPathTtlCreateOperation => "create",
        DeleteOperation => "delete",
        SetDataOperation => "setData",
        SetAclOperation => "setACL",
        MultiOperation => "multi",
        SyncOperation => "sync",
        CloseSessionOperation => "closeSession",
        Functions.CreateSessionOperation => "createSession",
        DeleteContainerOperation => "deleteContainer",
        _ => "other",
    };

    /// <summary>One call to <paramref name="service"/>'s <paramref name="api"/>, billed as <paramref name="units"/> request units.</summary>
    public void Count(string service, string api, long units = 1)
    {
        var counter = _counters.GetOrAdd((Operation, service, api), _ => new Counter());
        Interlocked.Increment(ref counter.Calls);
        Interlocked.Add(ref counter.Units, units);
    }

    /// <summary>
    /// One call sent to <paramref name="service"/>'s <paramref name="api"/>, counted when it leaves (as the
    /// service sees it: a long poll in flight is a request already); its units follow with <see cref="AddUnits"/>.
    /// </summary>
    public void CountCall(string service, string api)
    {
        var counter = _counters.GetOrAdd((Operation, service, api), _ => new Counter());
        Interlocked.Increment(ref counter.Calls);
    }

    /// <summary>
    /// The billing units of a call counted by <see cref="CountCall"/>: request units (SQS chunks, S3
    /// requests) and DynamoDB's read and write capacity units.
    /// </summary>
    public void AddUnits(string service, string api, long units, double readUnits, double writeUnits)
    {
        var counter = _counters.GetOrAdd((Operation, service, api), _ => new Counter());
        Interlocked.Add(ref counter.Units, units);
        Interlocked.Add(ref counter.ReadMilli, (long)Math.Round(readUnits * 1000));
        Interlocked.Add(ref counter.WriteMilli, (long)Math.Round(writeUnits * 1000));
    }

    /// <summary>A function invocation of <paramref name="duration"/> at <paramref name="memoryMb"/> MB (Lambda bills GB-seconds).</summary>
    public void CountInvocation(string function, TimeSpan duration, int memoryMb)
    {
        Count("lambda", "Invoke:" + function);
        // Kept in micro-GB-seconds so that the counter stays an integer.
        long microGbSeconds = (long)Math.Ceiling(duration.TotalSeconds * memoryMb / 1024.0 * 1_000_000);
        Count("lambda", "GbSeconds:" + function, microGbSeconds);
    }

    /// <summary>
    /// One operation's calls to one API: request units (SQS chunks, S3 requests, Lambda), DynamoDB's read
    /// and write capacity units, and their price.
    /// </summary>
    public readonly record struct Line(string Operation, string Service, string Api, long Calls, long Units, decimal ReadUnits, decimal WriteUnits, decimal Usd);

    public IReadOnlyList<Line> Snapshot() =>
        [.. _counters
            .Select(kv => ToLine(kv.Key, kv.Value))
            .OrderBy(l => l.Operation, StringComparer.Ordinal).ThenBy(l => l.Service, StringComparer.Ordinal).ThenBy(l => l.Api, StringComparer.Ordinal)];

    private static Line ToLine((string Operation, string Service, string Api) key, Counter counter)
    {
        long units = Volatile.Read(ref counter.Units);
        decimal read = Volatile.Read(ref counter.ReadMilli) / 1000m;
        decimal write = Volatile.Read(ref counter.WriteMilli) / 1000m;
        return new Line(key.Operation, key.Service, key.Api, Volatile.Read(ref counter.Calls), units, read, write,
            Prices.Of(key.Service, key.Api, units) + Prices.OfCapacity(read, write));
    }

    /// <summary>Calls per service and API, summed over operations.</summary>
    public IReadOnlyDictionary<string, long> CallsByApi() =>
        Snapshot().Where(l => !l.Api.StartsWith("GbSeconds:", StringComparison.Ordinal))
            .GroupBy(l => $"{l.Service}.{l.Api}").ToDictionary(g => g.Key, g => g.Sum(l => l.Calls), StringComparer.Ordinal);

    /// <summary>mntr lines (without the zk_ prefix): calls per service/API and per operation, and the estimate.</summary>
    public IEnumerable<KeyValuePair<string, string>> MonitorValues()
    {
        var lines = Snapshot();
        foreach (var api in lines.GroupBy(l => $"cost_{l.Service}_{l.Api.Replace(':', '_')}").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            yield return new(api.Key + (api.Key.Contains("GbSeconds", StringComparison.Ordinal) ? "_micro" : "_calls"), api.Sum(l => l.Api.StartsWith("GbSeconds:", StringComparison.Ordinal) ? l.Units : l.Calls).ToString(CultureInfo.InvariantCulture));
            if (api.First().Service == "dynamodb")
            {
                yield return new(api.Key + "_rcu", api.Sum(l => l.ReadUnits).ToString("0.###", CultureInfo.InvariantCulture));
                yield return new(api.Key + "_wcu", api.Sum(l => l.WriteUnits).ToString("0.###", CultureInfo.InvariantCulture));
            }
            else if (!api.Key.Contains("GbSeconds", StringComparison.Ordinal))
            {
                yield return new(api.Key + "_units", api.Sum(l => l.Units).ToString(CultureInfo.InvariantCulture));
            }
        }
        foreach (var op in lines.GroupBy(l => l.Operation).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            yield return new($"cost_op_{op.Key}_calls", op.Where(l => !l.Api.StartsWith("GbSeconds:", StringComparison.Ordinal)).Sum(l => l.Calls).ToString(CultureInfo.InvariantCulture));
            yield return new($"cost_op_{op.Key}_usd", op.Sum(l => l.Usd).ToString("0.#########", CultureInfo.InvariantCulture));
        }
        yield return new("cost_estimated_usd", lines.Sum(l => l.Usd).ToString("0.#########", CultureInfo.InvariantCulture));
    }

    public void Reset() => _counters.Clear();
}

/// <summary>
/// Public on-demand list prices, us-east-1 (USD), used for the estimate: DynamoDB $1.25 per million
/// write request units and $0.25 per million read request units; S3 Standard $0.005 per 1,000
/// PUT/COPY/POST/LIST and $0.0004 per 1,000 GET (DELETE free); SQS FIFO $0.50 per million requests
/// (a request is each 64 KB chunk of its payload); Lambda $0.20 per million invocations and
/// $0.0000166667 per GB-second (x86).
/// </summary>
public static class Prices
{
    public const decimal DynamoReadUnit = 0.25m / 1_000_000m;
    public const decimal DynamoWriteUnit = 1.25m / 1_000_000m;

    /// <summary>DynamoDB: read and write capacity units, whatever the API that consumed them.</summary>
    public static decimal OfCapacity(decimal readUnits, decimal writeUnits) => readUnits * DynamoReadUnit + writeUnits * DynamoWriteUnit;

    /// <summary>Request units of SQS, S3 and Lambda (DynamoDB is priced by <see cref="OfCapacity"/>).</summary>
    public static decimal Of(string service, string api, long units) => service switch
    {
        "s3" when api is "GetObject" or "HeadObject" => units * 0.0004m / 1000m,
        "s3" when api is "PutObject" or "CopyObject" or "ListObjectsV2" or "ListObjects" or "CreateMultipartUpload" or "UploadPart" or "CompleteMultipartUpload" => units * 0.005m / 1000m,
        "sqs" when api is not ("CreateQueue" or "DeleteQueue" or "GetQueueUrl" or "GetQueueAttributes") => units * 0.50m / 1_000_000m,
        "lambda" when api.StartsWith("Invoke:", StringComparison.Ordinal) => units * 0.20m / 1_000_000m,
        "lambda" when api.StartsWith("GbSeconds:", StringComparison.Ordinal) => units / 1_000_000m * 0.0000166667m,
        _ => 0m,
    };

    public static bool IsDynamoRead(string api) => api is "GetItem" or "Query" or "Scan" or "BatchGetItem" or "TransactGetItems";

    public static bool IsDynamoWrite(string api) => api is "PutItem" or "UpdateItem" or "DeleteItem" or "BatchWriteItem" or "TransactWriteItems";
}
