using System.Buffers;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Tests.Golden;

namespace ZkGateway.Jute.Tests;

/// <summary>
/// Every golden frame through <see cref="FrameReader"/>: whole, split in two at every offset, one byte
/// at a time, and all of them back to back.
/// </summary>
public class FramingTests
{
    public static TheoryData<string> Frames()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in GoldenFrames.All)
        {
            data.Add(name);
        }
        return data;
    }

    private static byte[] FrameBytes(string name) => Wire.Bytes(GoldenFrames.All.Single(f => f.Name == name).Hex);

    private static void AssertSingleFrame(ReadOnlySequence<byte> sequence, byte[] frame, string context)
    {
        Assert.True(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out var payload), context);
        Assert.Equal(frame.AsSpan(FrameReader.LengthPrefixSize).ToArray(), payload.ToArray());
        Assert.True(sequence.IsEmpty, context);
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Each_golden_frame_whole_reads_as_one_frame_with_nothing_left(string name)
    {
        var frame = FrameBytes(name);
        AssertSingleFrame(new ReadOnlySequence<byte>(frame), frame, "whole");
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Each_golden_frame_split_in_two_at_every_offset_reads_as_one_frame(string name)
    {
        var frame = FrameBytes(name);
        for (int cut = 0; cut <= frame.Length; cut++)
        {
            var sequence = Segment.Join(frame[..cut], frame[cut..]);
            Assert.False(sequence.IsSingleSegment && cut > 0 && cut < frame.Length);
            AssertSingleFrame(sequence, frame, $"cut at {cut}");
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Each_golden_frame_fed_one_byte_at_a_time_consumes_nothing_until_its_last_byte(string name)
    {
        var frame = FrameBytes(name);
        var singles = frame.Select(b => new[] { b }).ToArray();
        // Every strict prefix asks for more and consumes nothing.
        for (int available = 0; available < frame.Length; available++)
        {
            var partial = Segment.Join(singles[..available]);
            var before = partial;
            Assert.False(FrameReader.TryRead(ref partial, JuteLimits.DefaultMaxBuffer, out _), $"{available} bytes");
            Assert.Equal(before.Length, partial.Length);
        }
        AssertSingleFrame(Segment.Join(singles), frame, "all single bytes");
    }

    [Fact]
    public void All_golden_frames_back_to_back_split_every_seven_bytes_read_in_order()
    {
        var frames = GoldenFrames.All.Select(f => Wire.Bytes(f.Hex)).ToArray();
        var stream = frames.SelectMany(f => f).ToArray();
        for (int cut = 0; cut <= stream.Length; cut += 7)
        {
            var sequence = Segment.Join(stream[..cut], stream[cut..]);
            for (int i = 0; i < frames.Length; i++)
            {
                Assert.True(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out var payload), $"frame {i}, cut {cut}");
                Assert.Equal(frames[i].AsSpan(4).ToArray(), payload.ToArray());
            }
            Assert.True(sequence.IsEmpty);
            Assert.False(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out _));
        }
    }

    [Fact]
    public void A_frame_followed_by_part_of_another_is_read_and_the_part_is_left()
    {
        var first = Wire.Bytes(GoldenFrames.KazooCreateRequest);
        var second = Wire.Bytes(GoldenFrames.KazooGetDataWatchRequest);
        var sequence = Segment.Join(first, second[..10]);
        Assert.True(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out _));
        Assert.Equal(10, sequence.Length);
        Assert.False(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out _));
        Assert.Equal(10, sequence.Length);
    }

    [Fact]
    public void A_pooled_frame_buffer_holds_no_array_until_written_and_none_after_release()
    {
        var buffer = FrameBuffer.Pooled();
        Assert.Equal(0, buffer.Capacity);

        // Two frames, the second past the first array, so that it grows by renting.
        var payload = Enumerable.Range(0, 2000).Select(i => (byte)i).ToArray();
        foreach (int length in new[] { 10, 2000 })
        {
            buffer.BeginFrame();
            payload.AsSpan(0, length).CopyTo(buffer.GetSpan(length));
            buffer.Advance(length);
            buffer.EndFrame();
        }
        var sequence = new System.Buffers.ReadOnlySequence<byte>(buffer.WrittenMemory.ToArray());
        Assert.True(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out var first));
        Assert.Equal(payload[..10], first.ToArray());
        Assert.True(FrameReader.TryRead(ref sequence, JuteLimits.DefaultMaxBuffer, out var second));
        Assert.Equal(payload, second.ToArray());

        buffer.Release();
        Assert.Equal(0, buffer.Capacity);
        Assert.Equal(0, buffer.WrittenCount);
    }
}
