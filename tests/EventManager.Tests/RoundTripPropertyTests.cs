using System.Text;
using System.Text.Json;

namespace EventManager.Tests;

/// <summary>Random events of every kind survive ToJson and Parse unchanged. The seed is printed so a failure can be replayed.</summary>
public class RoundTripPropertyTests
{
    private const int Cases = 2_000;

    [Test]
    public void ParseToJson_RandomEvents_RoundTripExactly()
    {
        var seed = Environment.GetEnvironmentVariable("EVENTMANAGER_SEED") is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        TestContext.Out.WriteLine($"seed {seed} (set EVENTMANAGER_SEED to replay)");
        var random = new Random(seed);

        for (var i = 0; i < Cases; i++)
        {
            var evt = RandomEvent(random);
            var json = evt.ToJson();

            var parsed = WebSocketEvent.Parse(json);

            Assert.That(parsed, Is.EqualTo(evt), $"seed {seed}, case {i}: {json}");
            Assert.That(parsed.ToJson(), Is.EqualTo(json), $"seed {seed}, case {i}");
        }
    }

    private static WebSocketEvent RandomEvent(Random random)
    {
        WebSocketEvent evt = random.Next(4) switch
        {
            0 => new AgentMessageEvent(
                Text(random, 1),
                Text(random, 1),
                Text(random, 0),
                new Sentiment(Math.Round(random.NextDouble() * 2 - 1, random.Next(1, 16)), (SentimentLabel)random.Next(3)),
                Fields(random)),
            1 => new NetworkUpdateEvent(
                [.. Enumerable.Range(0, random.Next(4)).Select(_ => new NetworkConnection(Text(random, 1), Text(random, 1), random.NextDouble(), random.Next(2) == 0, (ConnectionType)random.Next(2)))],
                Enumerable.Range(0, random.Next(3)).ToDictionary(i => $"agent_{i}_{Text(random, 0)}", _ => new CommunicationStats(random.Next(), random.Next())),
                random.Next(2) == 0 ? null : Text(random, 1),
                random.Next(2) == 0 ? null : Fields(random)),
            2 => new SystemStatusEvent(
                (SystemHealthStatus)random.Next(3),
                new Dictionary<string, double> { ["cpu_percent"] = random.NextDouble() * 100, ["memory_percent"] = random.NextDouble() * 100, [Text(random, 1)] = random.Next() },
                random.Next(1000),
                random.Next(1000),
                Fields(random)),
            _ => new CustomEvent("custom." + random.Next(1_000), EventData.ToElement(Fields(random))),
        };

        return evt with
        {
            Timestamp = new DateTimeOffset(random.NextInt64(DateTimeOffset.UnixEpoch.Ticks, new DateTime(2100, 1, 1).Ticks), TimeSpan.Zero),
            SessionId = random.Next(2) == 0 ? null : Text(random, 1),
        };
    }

    private static Dictionary<string, JsonElement> Fields(Random random) =>
        Enumerable.Range(0, random.Next(4)).ToDictionary(
            i => $"{i}{Text(random, 0)}",
            _ => EventData.ToElement(random.Next(5) switch
            {
                0 => Text(random, 0),
                1 => random.NextDouble() * 1e6 - 5e5,
                2 => random.Next(2) == 0,
                3 => (object?)null,
                _ => new Dictionary<string, object?> { ["nested"] = new[] { random.Next(), random.Next() }, ["text"] = Text(random, 0) },
            }));

    /// <summary>Strings that stress escaping: quotes, backslashes, control characters, HTML, astral-plane characters.</summary>
    private static string Text(Random random, int minLength)
    {
        const string alphabet = "aZ09 _-.\"\\/<>&'\n\t\u0001\u007f\u00e9\u4e2d\u2028";
        var builder = new StringBuilder();
        var length = random.Next(minLength, 12);
        while (builder.Length < length)
        {
            if (random.Next(10) == 0)
            {
                builder.Append(char.ConvertFromUtf32(0x1F600 + random.Next(50)));
            }
            else
            {
                builder.Append(alphabet[random.Next(alphabet.Length)]);
            }
        }

        var text = builder.ToString();
        return minLength > 0 && string.IsNullOrWhiteSpace(text) ? "x" + text : text;
    }
}
