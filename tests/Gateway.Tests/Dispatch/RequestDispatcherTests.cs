using Microsoft.Extensions.Logging;
using ZkGateway.Backend;
using ZkGateway.Backend.Functions;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Dispatch;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Tests.Support;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Tests.Dispatch;

/// <summary>
/// The dispatcher on one connection, its replies read from the connection's outbound queue: when each
/// request reaches the backend (ZooKeeper's FIFO client order), and how it is answered.
/// </summary>
public sealed class RequestDispatcherTests : IAsyncLifetime
{
    private readonly ConnectionRegistry _registry = new();
    private readonly ListLogger<RequestDispatcherTests> _logger = new();
    private FakeBackend _backend = null!;
    private RequestDispatcher _dispatcher = null!;
    private ZkConnection _connection = null!;
    private PipeClient _client = null!;
    private Task _writer = Task.CompletedTask;

    public Task InitializeAsync() => StartAsync(new GatewayOptions());

    private Task StartAsync(GatewayOptions options)
    {
        _backend = new FakeBackend(_registry);
        _dispatcher = new RequestDispatcher(_backend, options, _logger);
        var (transport, application) = DuplexPipe.CreateConnectionPair();
        _connection = new ZkConnection(_registry.NextConnectionId(), new TestConnectionContext(transport, application), _logger) { SessionId = 0x1234 };
        _registry.Add(_connection);
        _registry.AttachSession(_connection.SessionId, _connection);
        _client = new PipeClient(application);
        _writer = _connection.Outbound.RunAsync(transport.Output, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _connection.Outbound.Abort();
        await _writer;
    }

    private RequestDispatcher.Next Send(int xid, OpCode op, IJuteRecord? body = null)
    {
        byte[] frame = PipeClient.RequestFrame(xid, op, body);
        // The frame without its length prefix and RequestHeader (xid, type): what the read loop passes on.
        return _dispatcher.Dispatch(_connection, new RequestHeader(xid, op), frame.AsSpan(4 + 8));
    }

    private RequestDispatcher.Next SendRawBody(int xid, OpCode op, byte[] body) =>
        _dispatcher.Dispatch(_connection, new RequestHeader(xid, op), body);

    /// <summary>Lets whatever is already scheduled reach the backend, then reads what it has seen.</summary>
    private async Task<string[]> CallsAfterAWhileAsync()
    {
        await Task.Delay(100);
        return [.. _backend.Calls];
    }

    /// <summary>The writer stopped after the last reply read: the handler then closes the connection.</summary>
    private async Task AssertWriterStoppedAsync()
    {
        await _writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(_client.ReadyFrames());
    }

    [Fact]
    public async Task Read_after_write_waits_for_the_write_reply_and_sees_the_write()
    {
        _backend.Seed("/a", [0]);
        _backend.HoldWrites = true;
        Send(1, OpCode.SetData, new SetDataRequest("/a", [1], -1));
        Send(2, OpCode.GetData, new GetDataRequest("/a", false));

        Assert.Equal(["submit setData /a"], await CallsAfterAWhileAsync());
        Assert.Empty(_client.ReadyFrames());

        await _backend.ReleaseAsync(0, 1);
        var write = await _client.ReadReplyAsync();
        var read = await _client.ReadReplyAsync();
        Assert.Equal(["reply 1 Ok", "reply 2 Ok"], [PipeClient.Describe(write), PipeClient.Describe(read)]);
        Assert.Equal(["submit setData /a", "getData /a"], _backend.Calls);
        var data = read.Decode<GetDataResponse>();
        Assert.Equal([1], data.Data);
        Assert.Equal(1, data.Stat.Version);
    }

    [Fact]
    public async Task A_write_after_a_pending_read_reaches_the_backend_only_once_the_read_completed()
    {
        _backend.Seed("/a", [0]);
        _backend.HoldReads = true;
        Send(1, OpCode.GetData, new GetDataRequest("/a", false));
        Send(2, OpCode.SetData, new SetDataRequest("/a", [1], -1));

        Assert.Equal(["getData /a"], await CallsAfterAWhileAsync());

        await _backend.ReleaseAsync(0, 1);
        Assert.Equal(["reply 1 Ok", "reply 2 Ok"], await _client.ReadDescribedAsync(2));
        Assert.Equal(["getData /a", "submit setData /a"], _backend.Calls);
    }

    [Fact]
    public async Task Pipelined_writes_reach_the_backend_at_once_without_waiting_for_each_other()
    {
        _backend.HoldWrites = true;
        Send(1, OpCode.Create, new CreateRequest("/b", [], Acl.OpenAclUnsafe, CreateMode.Persistent));
        Send(2, OpCode.Create, new CreateRequest("/c", [], Acl.OpenAclUnsafe, CreateMode.Persistent));

        Assert.Equal(["submit create /b", "submit create /c"], await CallsAfterAWhileAsync());
    }

    [Fact]
    public async Task Replies_come_in_request_order_when_the_backend_completes_writes_out_of_order()
    {
        _backend.HoldWrites = true;
        Send(1, OpCode.Create, new CreateRequest("/b", [], Acl.OpenAclUnsafe, CreateMode.Persistent));
        Send(2, OpCode.Create, new CreateRequest("/c", [], Acl.OpenAclUnsafe, CreateMode.Persistent));
        Send(3, OpCode.Exists, new ExistsRequest("/c", false));

        await _backend.ReleaseAsync(1, 2);
        await Task.Delay(100);
        Assert.Empty(_client.ReadyFrames());

        await _backend.ReleaseAsync(0, 2);
        Assert.Equal(["reply 1 Ok", "reply 2 Ok", "reply 3 Ok"], await _client.ReadDescribedAsync(3));
    }

    [Fact]
    public async Task A_ping_is_answered_with_xid_minus_two_in_its_turn_after_a_pending_write()
    {
        _backend.HoldWrites = true;
        Send(1, OpCode.Create, new CreateRequest("/b", [], Acl.OpenAclUnsafe, CreateMode.Persistent));
        Assert.Equal(RequestDispatcher.Next.Continue, Send(Xids.Ping, OpCode.Ping));
        await Task.Delay(100);
        Assert.Empty(_client.ReadyFrames());

        await _backend.ReleaseAsync(0, 1);
        Assert.Equal(["reply 1 Ok", "reply -2 Ok"], await _client.ReadDescribedAsync(2));
    }

    [Fact]
    public async Task A_watch_event_is_written_before_a_pending_reply_that_may_show_the_change()
    {
        _backend.Seed("/a", [0]);
        Send(1, OpCode.GetData, new GetDataRequest("/a", true));
        Assert.Equal(["reply 1 Ok"], await _client.ReadDescribedAsync(1));

        // A read of this session is pending when another session's write fires the watch.
        _backend.HoldReads = true;
        Send(2, OpCode.GetData, new GetDataRequest("/a", false));
        await _backend.SubmitAsync(0x9999, new SetDataOperation("/a", [1], -1));
        await _backend.ReleaseAsync(0, 1);

        Assert.Equal(["event NodeDataChanged /a", "reply 2 Ok"], await _client.ReadDescribedAsync(2));
    }

    [Fact]
    public async Task A_request_that_faults_is_answered_SystemError_with_zxid_zero_logged_with_its_opcode_and_session()
    {
        _backend.Seed("/a", [0]);
        _backend.GetDataFault = new InvalidOperationException("storage is down");
        Assert.Equal(RequestDispatcher.Next.Continue, Send(1, OpCode.GetData, new GetDataRequest("/a", false)));

        var reply = await _client.ReadReplyAsync();
        Assert.Equal((ErrorCode.SystemError, 0L), (reply.Error, reply.Header.Zxid));
        var entry = Assert.Single(_logger.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal(4, entry.EventId.Id);
        Assert.Contains("0x0000000000001234", entry.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(OpCode.GetData), entry.Message, StringComparison.Ordinal);
        Assert.Equal("storage is down", entry.Exception?.Message);

        // The connection carries on.
        Send(2, OpCode.Exists, new ExistsRequest("/a", false));
        Assert.Equal(["reply 2 Ok"], await _client.ReadDescribedAsync(1));
    }

    [Fact]
    public async Task A_request_whose_storage_cannot_be_reached_gets_no_answer_and_its_connection_closes()
    {
        // A cloud store that dropped the connection (DynamoDB killed): ConnectionLoss, which clients
        // retry, not a SystemError, which they do not.
        _backend.Seed("/a", [0]);
        _backend.GetDataFault = new IOException("The response ended prematurely.");
        Send(1, OpCode.GetData, new GetDataRequest("/a", false));

        await AssertWriterStoppedAsync();
        Assert.DoesNotContain(_logger.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task An_undecodable_body_is_answered_MarshallingError_with_the_current_zxid_and_the_connection_carries_on()
    {
        _backend.Seed("/a", [0]);
        // A getData whose path length says 100 bytes when 2 follow.
        var next = SendRawBody(1, OpCode.GetData, [0, 0, 0, 100, (byte)'/', (byte)'a']);

        Assert.Equal(RequestDispatcher.Next.Continue, next);
        var reply = await _client.ReadReplyAsync();
        Assert.Equal((ErrorCode.MarshallingError, _backend.LastAppliedZxid), (reply.Error, reply.Header.Zxid));
        Assert.Empty(_backend.Calls);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(0)]
    [InlineData(50)]
    public async Task An_unknown_opcode_is_answered_Unimplemented_with_zxid_minus_one_and_closes_the_connection(int op)
    {
        Assert.Equal(RequestDispatcher.Next.Close, Send(1, (OpCode)op));

        var reply = await _client.ReadReplyAsync();
        Assert.Equal((ErrorCode.Unimplemented, -1L), (reply.Error, reply.Header.Zxid));
        await AssertWriterStoppedAsync();
    }

    [Fact]
    public async Task A_failing_top_level_check_is_answered_with_its_error_and_the_connection_carries_on()
    {
        Assert.Equal(RequestDispatcher.Next.Continue, Send(1, OpCode.Check, new CheckVersionRequest("/a", 0)));

        var reply = await _client.ReadReplyAsync();
        Assert.Equal((1, ErrorCode.NoNode), (reply.Header.Xid, reply.Error));
    }

    [Fact]
    public async Task A_passing_top_level_check_is_not_answered_and_the_next_reply_follows()
    {
        Send(1, OpCode.Create, new CreateRequest("/a", [], Acl.OpenAclUnsafe, CreateMode.Persistent));
        var created = await _client.ReadReplyAsync();
        Assert.Equal((1, ErrorCode.Ok), (created.Header.Xid, created.Error));
        Assert.Equal(RequestDispatcher.Next.Continue, Send(2, OpCode.Check, new CheckVersionRequest("/a", -1)));
        Assert.Equal(RequestDispatcher.Next.Continue, Send(3, OpCode.Exists, new ExistsRequest("/a", false)));

        var reply = await _client.ReadReplyAsync();
        Assert.Equal((3, ErrorCode.Ok), (reply.Header.Xid, reply.Error));
    }

    [Fact]
    public async Task CloseSession_is_answered_once_the_backend_closed_the_session_then_the_connection_closes()
    {
        Assert.Equal(RequestDispatcher.Next.Close, Send(1, OpCode.CloseSession));

        var reply = await _client.ReadReplyAsync();
        Assert.Equal(ErrorCode.Ok, reply.Error);
        Assert.Equal(_backend.LastZxid, reply.Header.Zxid);
        Assert.Equal(["closeSession"], _backend.Calls);
        await AssertWriterStoppedAsync();
    }

    [Fact]
    public async Task Digest_auth_is_answered_Ok_with_zxid_zero_and_adds_the_digest_id()
    {
        Assert.Equal(RequestDispatcher.Next.Continue, Send(1, OpCode.Auth, new AuthPacket(0, "digest", "alice:secret"u8.ToArray())));

        var reply = await _client.ReadReplyAsync();
        Assert.Equal((ErrorCode.Ok, 0L), (reply.Error, reply.Header.Zxid));
        Assert.Contains(new Id("digest", AclRules.Digest("alice:secret")), _connection.Caller.Ids);
        Assert.DoesNotContain(_connection.Caller.Ids, id => id.Scheme == "super");
    }

    [Fact]
    public async Task Digest_auth_with_the_configured_super_digest_adds_super_as_well()
    {
        await DisposeAsync();
        await StartAsync(ZooCfg.Parse([$"--{ZooCfg.Keys.SuperDigest}={AclRules.Digest("super:secret")}"]));

        Send(1, OpCode.Auth, new AuthPacket(0, "digest", "super:secret"u8.ToArray()));

        Assert.Equal(["reply 1 Ok"], await _client.ReadDescribedAsync(1));
        Assert.True(_connection.Caller.IsSuper);
        Assert.Contains(new Id("digest", AclRules.Digest("super:secret")), _connection.Caller.Ids);
    }

    [Fact]
    public async Task An_unknown_auth_scheme_is_answered_AuthFailed_with_zxid_zero_and_closes_the_connection()
    {
        Assert.Equal(RequestDispatcher.Next.Close, Send(1, OpCode.Auth, new AuthPacket(0, "kerberos", [1, 2])));

        var reply = await _client.ReadReplyAsync();
        Assert.Equal((ErrorCode.AuthFailed, 0L), (reply.Error, reply.Header.Zxid));
        await AssertWriterStoppedAsync();
    }
}
