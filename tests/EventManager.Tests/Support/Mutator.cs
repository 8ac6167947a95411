using System.Text;

namespace EventManager.Tests.Support;

/// <summary>
/// Seeded hostile inputs: valid JSON documents mutated by flipping, deleting, inserting, duplicating and truncating bytes,
/// splicing in JSON fragments, and plain random bytes. The same seed gives the same inputs, so a failure can be replayed.
/// </summary>
internal sealed class Mutator(int seed, IReadOnlyList<string> samples)
{
    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", ",", ":", "\"", "null", "true", "-0", "1e309", "-1e-400", "9223372036854775808", "\"\\u0000\"", "\"\\ud800\"",
        "\\ud800", "\\udfff", "\\ud83d\\ude00",
        "\"event_type\"", "\"data\"", "\"type\"", "\"payload\"", "\"event_types\"", "\"sequence\":-1", "\"timestamp\":\"nope\"",
        "{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}", new string('[', 200), "\"" + new string('x', 5000) + "\"", "\u00ff\u00fe", "\t\r\n ",
    ];

    private readonly Random _random = new(seed);

    public int Seed => seed;

    public byte[] Next()
    {
        if (_random.Next(20) == 0)
        {
            var noise = new byte[_random.Next(0, 300)];
            _random.NextBytes(noise);
            return noise;
        }

        var bytes = new List<byte>(Encoding.UTF8.GetBytes(samples[_random.Next(samples.Count)]));
        var edits = _random.Next(1, 6);
        for (var i = 0; i < edits; i++)
        {
            var at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] = (byte)_random.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, _random.Next(1, 20)));
                    break;
                case 2:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Fragments[_random.Next(Fragments.Length)]));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.InsertRange(at, bytes.GetRange(at, Math.Min(bytes.Count - at, _random.Next(1, 40))));
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    bytes.Insert(at, (byte)_random.Next(32, 127));
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>The seed for a fuzz test: EVENTMANAGER_SEED to replay one, else a new one, printed either way.</summary>
    public static int SeedFromEnvironment()
    {
        var seed = Environment.GetEnvironmentVariable("EVENTMANAGER_SEED") is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        TestContext.Out.WriteLine($"seed {seed} (set EVENTMANAGER_SEED to replay)");
        return seed;
    }
}
