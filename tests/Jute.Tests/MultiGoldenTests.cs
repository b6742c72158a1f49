using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using static ZkGateway.Jute.Tests.Golden.GoldenFrames;

namespace ZkGateway.Jute.Tests;

public class MultiGoldenTests
{
    private static (RequestHeader Header, MultiRequest Body) ReadMulti(string frame)
    {
        var payload = Wire.Payload(frame);
        var reader = new JuteReader(payload);
        var header = RequestHeader.Read(ref reader);
        var body = MultiRequest.Read(ref reader, header.Type);
        Assert.True(reader.IsAtEnd);
        return (header, body);
    }

    [Fact]
    public void A_kazoo_multi_with_a_failing_check_answers_error_results_with_code_0_for_the_ops_before_it()
    {
        var (header, multi) = ReadMulti(KazooMultiRequest);
        Assert.Equal(new RequestHeader(6, OpCode.Multi), header);
        Assert.Equal(2, multi.Ops.Count);
        Assert.Equal(OpCode.Create, multi.Ops[0].Type);
        var create = Assert.IsType<CreateRequest>(multi.Ops[0].Record);
        Assert.Equal("/golden/m1", create.Path);
        Assert.Equal("x", Wire.Utf8(create.Data));
        Assert.Equal(OpCode.Check, multi.Ops[1].Type);
        Assert.Equal(new CheckVersionRequest("/golden", 99), multi.Ops[1].Record);
        Assert.Equal(KazooMultiRequest, Wire.Frame(header, multi));

        var (reply, response) = Wire.Reply<MultiResponse>(KazooMultiReply);
        // A failed multi still has err 0 in its ReplyHeader; the failed write consumed zxid 5.
        Assert.Equal(new ReplyHeader(6, 5, ErrorCode.Ok), reply);
        // The op before the failure is not a create result: it is an error result with code 0.
        Assert.Equal([MultiResult.Error(ErrorCode.Ok), MultiResult.Error(ErrorCode.BadVersion)], response.Results);
        Assert.Equal(KazooMultiReply, Wire.Frame(reply, response));
        // Built from factories, as the gateway will, the bytes are the same.
        Assert.Equal(KazooMultiReply, Wire.Frame(reply, new MultiResponse([MultiResult.Error(ErrorCode.Ok), MultiResult.Error(ErrorCode.BadVersion)])));
    }

    [Fact]
    public void In_a_failing_java_multi_the_ops_after_the_failure_are_RuntimeInconsistency()
    {
        var (header, multi) = ReadMulti(ApiMultiFailRequest);
        Assert.Equal(new RequestHeader(3, OpCode.Multi), header);
        Assert.Equal([OpCode.Create, OpCode.SetData, OpCode.Delete, OpCode.Check], multi.Ops.Select(o => o.Type));
        Assert.Equal(new byte[] { 1 }, Assert.IsType<CreateRequest>(multi.Ops[0].Record).Data);
        var setData = Assert.IsType<SetDataRequest>(multi.Ops[1].Record);
        Assert.Equal(("/jm", "v", -1), (setData.Path, Wire.Utf8(setData.Data), setData.Version));
        Assert.Equal(new DeleteRequest("/jm/nope", -1), multi.Ops[2].Record);
        Assert.Equal(new CheckVersionRequest("/jm", 0), multi.Ops[3].Record);
        Assert.Equal(ApiMultiFailRequest, Wire.Frame(header, multi));

        var (reply, response) = Wire.Reply<MultiResponse>(ApiMultiFailReply);
        Assert.Equal(ErrorCode.Ok, reply.Err);
        MultiResult[] expected =
        [
            MultiResult.Error(ErrorCode.Ok),
            MultiResult.Error(ErrorCode.Ok),
            MultiResult.Error(ErrorCode.NoNode),
            MultiResult.Error(ErrorCode.RuntimeInconsistency),
        ];
        Assert.Equal(expected, response.Results);
        Assert.Equal(ApiMultiFailReply, Wire.Frame(reply, new MultiResponse(expected)));
    }

    [Fact]
    public void In_a_successful_java_multi_the_result_types_mirror_the_ops()
    {
        var (header, multi) = ReadMulti(ApiMultiOkRequest);
        Assert.Equal(new RequestHeader(4, OpCode.Multi), header);
        var create = Assert.IsType<CreateRequest>(multi.Ops[0].Record);
        Assert.Equal(CreateMode.PersistentSequential, create.Flags);
        Assert.Equal(new CheckVersionRequest("/jm", 1), multi.Ops[2].Record);
        Assert.Equal(new DeleteRequest("/jm/e", -1), multi.Ops[3].Record);
        Assert.Equal(ApiMultiOkRequest, Wire.Frame(header, multi));

        var (reply, response) = Wire.Reply<MultiResponse>(ApiMultiOkReply);
        Assert.Equal(new ReplyHeader(4, 0x13, ErrorCode.Ok), reply);
        Assert.Equal(4, response.Results.Count);
        Assert.Equal(MultiResult.Create("/jm/b0000000001").Body, response.Results[0].Body);
        Assert.Equal(OpCode.Create, response.Results[0].Type);
        var setData = Assert.IsType<SetDataResponse>(response.Results[1].Body);
        Assert.Equal(OpCode.SetData, response.Results[1].Type);
        Assert.Equal(new Stat(16, 19, 1795717959024, 1795717959051, 1, 2, 0, 0, 1, 2, 19), setData.Stat);
        Assert.Equal(MultiResult.Check(), response.Results[2]);
        Assert.Equal(MultiResult.Delete(), response.Results[3]);
        Assert.Equal(ApiMultiOkReply, Wire.Frame(reply, response));

        var rebuilt = new MultiResponse(
        [
            MultiResult.Create("/jm/b0000000001"),
            MultiResult.SetData(setData.Stat),
            MultiResult.Check(),
            MultiResult.Delete(),
        ]);
        Assert.Equal(ApiMultiOkReply, Wire.Frame(reply, rebuilt));
    }

    [Fact]
    public void A_java_multiRead_answers_each_op_with_its_own_result_or_error()
    {
        var (header, multi) = ReadMulti(ApiMultiReadRequest);
        Assert.Equal(new RequestHeader(5, OpCode.MultiRead), header);
        Assert.Equal(
            [new MultiOp(OpCode.GetChildren, new GetChildrenRequest("/jm", false)),
             new MultiOp(OpCode.GetData, new GetDataRequest("/jm", false)),
             new MultiOp(OpCode.GetData, new GetDataRequest("/nope", false))],
            multi.Ops);
        Assert.Equal(ApiMultiReadRequest, Wire.Frame(header, multi));

        var (reply, response) = Wire.Reply<MultiResponse>(ApiMultiReadReply);
        Assert.Equal(3, response.Results.Count);
        Assert.Equal(["b0000000001"], Assert.IsType<GetChildrenResponse>(response.Results[0].Body).Children!);
        var data = Assert.IsType<GetDataResponse>(response.Results[1].Body);
        Assert.Equal("v", Wire.Utf8(data.Data));
        Assert.Equal(MultiResult.Error(ErrorCode.NoNode), response.Results[2]);
        Assert.Equal(ApiMultiReadReply, Wire.Frame(reply, response));
        Assert.Equal(ApiMultiReadReply, Wire.Frame(reply, new MultiResponse(
            [MultiResult.GetChildren(["b0000000001"]), MultiResult.GetData(data.Data, data.Stat), MultiResult.Error(ErrorCode.NoNode)])));
    }

    [Fact]
    public void A_multi_body_refuses_read_ops_and_a_multiRead_body_refuses_write_ops()
    {
        var multiPayload = Wire.Payload(ApiMultiOkRequest).AsSpan(RequestHeader.Size).ToArray();
        var readPayload = Wire.Payload(ApiMultiReadRequest).AsSpan(RequestHeader.Size).ToArray();
        Assert.Throws<JuteFormatException>(() =>
        {
            var reader = new JuteReader(multiPayload);
            MultiRequest.ReadMultiRead(ref reader);
        });
        Assert.Throws<JuteFormatException>(() =>
        {
            var reader = new JuteReader(readPayload);
            MultiRequest.Read(ref reader);
        });
    }
}
