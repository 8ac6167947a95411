using System.Net.WebSockets;
using System.Text;

namespace EventManager.Sockets.Tests;

/// <summary>The parts a client is made of, each on its own: the command parser, the rate limiter and the frame reader.</summary>
public sealed class ClientPartsTests
{
    [Test]
    public void Parse_ResumeWithAnIdAndAGarbageEpoch_KeepsTheIdAndDropsTheEpoch()
    {
        var error = ClientCommandParser.Parse("""{"type":"resume","payload":{"last_event_id":"019a8f3c7e0f7c22b1d4a6f9e0c2b3d5","epoch":"<x>"}}"""u8.ToArray(), out var command);

        Assert.That(error, Is.Null);
        Assert.That(command, Is.EqualTo(new ClientCommand(ClientCommandKind.Resume, LastEventId: "019a8f3c7e0f7c22b1d4a6f9e0c2b3d5")));
    }

    [Test]
    public void Parse_UnsubscribeWithoutPayload_RemovesEveryType()
    {
        var error = ClientCommandParser.Parse("""{"type":"unsubscribe"}"""u8.ToArray(), out var command);

        Assert.That(error, Is.Null);
        Assert.That(command.Kind, Is.EqualTo(ClientCommandKind.Unsubscribe));
        Assert.That(command.EventTypes, Is.Null);
    }

    [Test]
    public void Parse_SubscribeWithANonStringType_NamesTheElement()
    {
        var error = ClientCommandParser.Parse("""{"type":"subscribe","payload":{"event_types":["a","b",3]}}"""u8.ToArray(), out _);

        Assert.That(error, Is.EqualTo(new ClientFrameError("invalid_field", "event types are strings", "payload.event_types[2]")));
    }

    [Test]
    public void SentSequences_RunsWithAHole_ContainExactlyWhatWasAdded()
    {
        var sent = new SentSequences();
        foreach (var sequence in new long[] { 1, 2, 3, 7, 8, 5, 4 })
        {
            sent.Add(sequence);
        }

        Assert.That(Enumerable.Range(0, 10).Where(i => sent.Contains(i)), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 7, 8 }));
    }

    [Test]
    public void TryTake_OverTheRate_RefusesUntilTimeRefillsTheBucket()
    {
        var time = new ManualTimeProvider();
        var limiter = new FrameRateLimiter(3, time);

        var burst = Enumerable.Range(0, 4).Select(_ => limiter.TryTake()).ToList();
        time.Advance(TimeSpan.FromMilliseconds(340));

        Assert.That(burst, Is.EqualTo(new[] { true, true, true, false }));
        Assert.That(limiter.TryTake(), Is.True, "a third of a second refills one of three tokens a second");
        Assert.That(limiter.TryTake(), Is.False);
    }

    [Test]
    public async Task ReadAsync_AMessageInFragments_IsHandedOverWhole()
    {
        await using var pair = await LoopbackWebSockets.CreateAsync();
        var reader = new WebSocketFrameReader(pair.Server, maxFrameBytes: 64 * 1024);
        var text = "{\"type\":\"ping\",\"pad\":\"" + new string('x', 10_000) + "\"}";
        var bytes = Encoding.UTF8.GetBytes(text);

        for (var at = 0; at < bytes.Length; at += 3_000)
        {
            var end = Math.Min(bytes.Length, at + 3_000);
            await pair.Client.SendAsync(bytes.AsMemory(at, end - at), WebSocketMessageType.Text, end == bytes.Length, CancellationToken.None);
        }

        await using var frames = reader.ReadAsync().GetAsyncEnumerator();
        Assert.That(await Eventually.Within(frames.MoveNextAsync().AsTask(), "the message"), Is.True);
        Assert.That(frames.Current.Kind, Is.EqualTo(ReceivedFrameKind.Text));
        Assert.That(Encoding.UTF8.GetString(frames.Current.Text.Span), Is.EqualTo(text));
    }

    [Test]
    public async Task ReadAsync_AMessageOverTheLimitThenAGoodOne_SaysTooBigOnceAndReadsTheNextWhole()
    {
        await using var pair = await LoopbackWebSockets.CreateAsync();
        var reader = new WebSocketFrameReader(pair.Server, maxFrameBytes: 1_000);
        var big = new byte[20_000];
        big.AsSpan().Fill((byte)'x');

        await pair.Client.SendAsync(big, WebSocketMessageType.Text, true, CancellationToken.None);
        await pair.Client.SendAsync("{\"type\":\"ping\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

        await using var frames = reader.ReadAsync().GetAsyncEnumerator();
        Assert.That(await Eventually.Within(frames.MoveNextAsync().AsTask(), "the first item"), Is.True);
        Assert.That(frames.Current.Kind, Is.EqualTo(ReceivedFrameKind.TooBig));
        Assert.That(await Eventually.Within(frames.MoveNextAsync().AsTask(), "the second item"), Is.True);
        Assert.That(frames.Current.Kind, Is.EqualTo(ReceivedFrameKind.Text), "the rest of the big message was passed over");
        Assert.That(Encoding.UTF8.GetString(frames.Current.Text.Span), Is.EqualTo("{\"type\":\"ping\"}"));
    }
}
