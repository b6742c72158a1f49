using Microsoft.Extensions.Logging;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Tests.Support;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Tests.Connections;

/// <summary>
/// A client connection from its first byte, over an in-memory pipe: the handshake, the replies and
/// events the client reads, and when the server closes. Each case is what ZooKeeper 3.8.0 does
/// (tests/Compat/Protocol/RawProtocolScenarios.cs checks the same against the real server).
/// </summary>
public sealed class ConnectionHandlerTests
{
    private readonly InMemoryGateway _gateway = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_new_session_is_granted_and_a_client_that_sent_readOnly_gets_readOnly_false(bool asksReadOnly)
    {
        var connection = _gateway.Open();
        await connection.Client.SendConnectAsync(readOnly: asksReadOnly, timeoutMs: 30_000);

        var response = await connection.Client.ReadConnectResponseAsync();
        Assert.NotNull(response);
        Assert.NotEqual(0, response.SessionId);
        Assert.Equal(16, response.Passwd!.Length);
        Assert.Equal(30_000, response.TimeOut);
        // A standalone server is never read-only (ConnectResponse.readOnly = this instanceof ReadOnlyZooKeeperServer).
        Assert.Equal(false, response.ReadOnly);
    }

    [Fact]
    public async Task An_old_client_without_the_readOnly_byte_gets_a_response_without_it()
    {
        var connection = _gateway.Open();
        await connection.Client.SendConnectAsync(readOnly: null);

        var response = await connection.Client.ReadConnectResponseAsync();
        Assert.NotNull(response);
        Assert.False(response.HasReadOnly);
    }

    [Fact]
    public async Task The_session_timeout_is_clamped_to_two_and_twenty_ticks()
    {
        var low = _gateway.Open();
        await low.Client.SendConnectAsync(timeoutMs: 1);
        var high = _gateway.Open();
        await high.Client.SendConnectAsync(timeoutMs: 1_000_000);

        Assert.Equal(4000, (await low.Client.ReadConnectResponseAsync())!.TimeOut);
        Assert.Equal(40_000, (await high.Client.ReadConnectResponseAsync())!.TimeOut);
    }

    [Fact]
    public async Task A_session_resumed_with_its_password_keeps_its_id()
    {
        var first = await _gateway.ConnectAsync();
        var granted = first.Handshake!;

        var second = _gateway.Open();
        var resumed = await second.Client.ConnectAsync(granted.SessionId, granted.Passwd);

        Assert.Equal(granted.SessionId, resumed.SessionId);
        Assert.Equal(granted.Passwd, resumed.Passwd);
        // The session's previous connection is closed (ZooKeeper does the same).
        await first.Client.AssertClosedAsync();
    }

    [Fact]
    public async Task A_resume_with_a_wrong_password_gets_the_zeroed_response_then_close()
    {
        var first = await _gateway.ConnectAsync();
        var granted = first.Handshake!;

        var second = _gateway.Open();
        await second.Client.SendConnectAsync(granted.SessionId, new byte[16]);

        var response = await second.Client.ReadConnectResponseAsync();
        Assert.NotNull(response);
        Assert.Equal((0, 0L), (response.TimeOut, response.SessionId));
        Assert.Equal(new byte[16], response.Passwd);
        await second.Client.AssertClosedAsync();
    }

    [Fact]
    public async Task A_resume_of_an_unknown_session_gets_the_zeroed_response_then_close()
    {
        var connection = _gateway.Open();
        await connection.Client.SendConnectAsync(0x7123456789, new byte[16]);

        var response = await connection.Client.ReadConnectResponseAsync();
        Assert.Equal(0L, response!.SessionId);
        await connection.Client.AssertClosedAsync();
    }

    [Fact]
    public async Task A_client_that_has_seen_a_newer_zxid_is_closed_without_a_reply()
    {
        var connection = _gateway.Open();
        await connection.Client.SendConnectAsync(lastZxidSeen: _gateway.Backend.LastZxid + 1);

        Assert.Null(await connection.Client.ReadConnectResponseAsync());
        await connection.Lifetime.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_connection_that_sends_no_ConnectRequest_is_closed_after_the_handshake_timeout()
    {
        var gateway = new InMemoryGateway(new GatewayOptions { HandshakeTimeoutMs = 100 });
        var connection = gateway.Open();

        Assert.Null(await connection.Client.ReadConnectResponseAsync());
    }

    [Fact]
    public async Task A_ping_is_answered_with_xid_minus_two_and_the_last_zxid()
    {
        var connection = await _gateway.ConnectAsync();
        await connection.Client.SendAsync(OpCode.Ping, xid: Xids.Ping);

        var reply = await connection.Client.ReadReplyAsync();
        Assert.Equal((Xids.Ping, ErrorCode.Ok, _gateway.Backend.LastAppliedZxid), (reply.Header.Xid, reply.Error, reply.Header.Zxid));
        Assert.Empty(reply.Body);
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_the_order_sent()
    {
        var connection = await _gateway.ConnectAsync();
        var client = connection.Client;
        await client.SendAsync(OpCode.Create, new CreateRequest("/a", [], Acl.OpenAclUnsafe, CreateMode.Persistent));
        await client.SendAsync(OpCode.GetData, new GetDataRequest("/a", false));
        await client.SendAsync(OpCode.Ping, xid: Xids.Ping);
        await client.SendAsync(OpCode.Delete, new DeleteRequest("/a", -1));
        await client.SendAsync(OpCode.Exists, new ExistsRequest("/a", false));

        Assert.Equal(["reply 1 Ok", "reply 2 Ok", "reply -2 Ok", "reply 3 Ok", "reply 4 NoNode"], await client.ReadDescribedAsync(5));
    }

    [Fact]
    public async Task A_watch_event_comes_after_the_reply_that_set_it_and_before_the_reply_of_the_change()
    {
        _gateway.Backend.Seed("/a", [0]);
        var connection = await _gateway.ConnectAsync();
        var client = connection.Client;
        await client.SendAsync(OpCode.GetData, new GetDataRequest("/a", true));
        await client.SendAsync(OpCode.SetData, new SetDataRequest("/a", [1], -1));

        Assert.Equal(["reply 1 Ok", "event NodeDataChanged /a", "reply 2 Ok"], await client.ReadDescribedAsync(3));
    }

    [Fact]
    public async Task CloseSession_is_answered_then_the_connection_closes_and_its_watches_are_dropped()
    {
        var connection = await _gateway.ConnectAsync();
        await connection.Client.SendAsync(OpCode.CloseSession);

        Assert.Equal(["reply 1 Ok"], await connection.Client.ReadDescribedAsync(1));
        await connection.Client.AssertClosedAsync();
        await connection.Lifetime.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["closeSession", "removeWatcher"], _gateway.Backend.Calls);
    }

    [Fact]
    public async Task Requests_sent_after_closeSession_are_not_answered()
    {
        var connection = await _gateway.ConnectAsync();
        await connection.Client.SendAsync(OpCode.CloseSession);
        await connection.Client.SendAsync(OpCode.Exists, new ExistsRequest("/a", false));

        Assert.Equal(["reply 1 Ok"], await connection.Client.ReadDescribedAsync(1));
        await connection.Client.AssertClosedAsync();
        Assert.DoesNotContain("exists /a", _gateway.Backend.Calls);
    }

    [Theory]
    [InlineData(JuteLimits.DefaultMaxBuffer + 1)]
    [InlineData(int.MaxValue)]
    [InlineData(-5)]
    public async Task A_frame_length_above_jute_maxbuffer_or_negative_closes_the_connection_without_a_reply(int length)
    {
        var connection = await _gateway.ConnectAsync();
        // Only the length is sent: the bound is checked before any body is awaited (NIOServerCnxn.readLength).
        await connection.Client.SendLengthOnlyAsync(length);

        await connection.Client.AssertClosedAsync();
        await connection.Lifetime.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(_gateway.Logger.Entries, e => e.EventId.Id == 1 && e.Level == LogLevel.Information);
    }

    [Fact]
    public async Task A_lower_jute_maxbuffer_is_the_bound()
    {
        var gateway = new InMemoryGateway(new GatewayOptions { JuteMaxBuffer = 1000 });
        var connection = await gateway.ConnectAsync();
        await connection.Client.SendLengthOnlyAsync(1001);

        await connection.Client.AssertClosedAsync();
    }

    [Fact]
    public async Task A_frame_too_short_for_its_request_header_closes_the_connection_without_a_reply()
    {
        var connection = await _gateway.ConnectAsync();
        // 3 bytes where the RequestHeader needs 8: ZooKeeper's header deserialize fails and it closes.
        await connection.Client.SendRawAsync([0, 0, 0, 3, 0, 0, 1]);

        await connection.Client.AssertClosedAsync();
    }

    [Fact]
    public async Task An_undecodable_body_gets_MarshallingError_and_the_connection_carries_on()
    {
        var connection = await _gateway.ConnectAsync();
        // getData whose path length says 100 bytes but only 3 follow.
        await connection.Client.SendRawAsync([0, 0, 0, 15, 0, 0, 0, 7, 0, 0, 0, 4, 0, 0, 0, 100, (byte)'/', (byte)'a', (byte)'b']);
        await connection.Client.SendAsync(OpCode.Ping, xid: Xids.Ping);

        Assert.Equal(["reply 7 MarshallingError", "reply -2 Ok"], await connection.Client.ReadDescribedAsync(2));
    }

    [Fact]
    public async Task An_unknown_opcode_gets_Unimplemented_with_zxid_minus_one_then_the_connection_closes()
    {
        var connection = await _gateway.ConnectAsync();
        await connection.Client.SendAsync((OpCode)999);

        var reply = await connection.Client.ReadReplyAsync();
        Assert.Equal((ErrorCode.Unimplemented, -1L), (reply.Error, reply.Header.Zxid));
        await connection.Client.AssertClosedAsync();
    }

    [Fact]
    public async Task A_four_letter_word_before_the_handshake_is_answered_and_the_connection_closed()
    {
        var gateway = new InMemoryGateway(ZooCfg.Parse(["--4lw.commands.whitelist=ruok"]));
        var connection = gateway.Open();
        await connection.Client.SendRawAsync("ruok"u8.ToArray());

        Assert.Equal("imok", await connection.Client.ReadTextToEndAsync());
    }
}
