using System.Text;
using EventManager.Tests.Support;

namespace EventManager.Tests;

/// <summary>Tens of thousands of hostile inputs to the parsers: only the documented exception may escape.</summary>
public class FuzzTests
{
    private const int Inputs = 30_000;

    private static readonly string[] EventSamples =
    [
        Events.Message("hello there", "agent_7").ToJson(),
        new NetworkUpdateEvent([new NetworkConnection("a", "b", 0.5, true, ConnectionType.Emergency)], new Dictionary<string, CommunicationStats> { ["a"] = new(1, 2) }).ToJson(),
        new SystemStatusEvent(SystemHealthStatus.Warning, new Dictionary<string, double> { ["cpu_percent"] = 80, ["memory_percent"] = 20 }, 3, 1).ToJson(),
        CustomEvent.Create("tool_call", new { tool_name = "Edit", status = "completed", cost_tokens = 125, nested = new[] { 1, 2, 3 } }).ToJson(),
    ];

    [Test]
    public void Parse_MutatedAndRandomInput_OnlyEverThrowsEventFormatException()
    {
        var mutator = new Mutator(Mutator.SeedFromEnvironment(), EventSamples);
        var parsed = 0;
        for (var i = 0; i < Inputs; i++)
        {
            var input = mutator.Next();
            try
            {
                WebSocketEvent.Parse(input);
                parsed++;
            }
            catch (EventFormatException ex)
            {
                Assert.That(ex.Field, Is.Not.Empty);
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {mutator.Seed}, input {i}: {ex.GetType().Name}: {ex.Message}\n{Encoding.UTF8.GetString(input)}");
            }
        }

        TestContext.Out.WriteLine($"{parsed} of {Inputs} inputs were still valid events");
        Assert.That(parsed, Is.GreaterThan(0).And.LessThan(Inputs), "the inputs mix valid and invalid documents");
    }

    [Test]
    public void ParseThenSerialise_AnyInputThatParses_RoundTrips()
    {
        var mutator = new Mutator(Mutator.SeedFromEnvironment(), EventSamples);
        for (var i = 0; i < Inputs; i++)
        {
            var input = mutator.Next();
            WebSocketEvent evt;
            try
            {
                evt = WebSocketEvent.Parse(input);
            }
            catch (EventFormatException)
            {
                continue;
            }

            var again = WebSocketEvent.Parse(evt.ToJson());
            Assert.That(again, Is.EqualTo(evt), $"seed {mutator.Seed}, input {i}: {Encoding.UTF8.GetString(input)}");
        }
    }
}

/// <summary>What the fuzzer found, pinned down.</summary>
public class FuzzRegressionTests
{
    [Test]
    public void Parse_InvalidUtf8InsideAString_ThrowsEventFormatException()
    {
        var json = System.Text.Encoding.UTF8.GetBytes("""{"event_type":"x","timestamp":"2026-01-01T00:00:00Z","data":{}}""");
        json[33] = 0xF5;

        var error = Assert.Throws<EventFormatException>(() => WebSocketEvent.Parse(json))!;

        Assert.That(error.Field, Is.EqualTo("$"));
        Assert.That(error.Message, Does.Contain("UTF-8"));
    }

    [TestCase("""{"\ud800":1,"event_type":"x","data":{}}""")]
    [TestCase("""{"event_type":"x\udc00","data":{}}""")]
    [TestCase("""{"event_type":"x","data":{"text":"\ud83d"}}""")]
    [TestCase("""{"event_type":"x","data":{"text":"\ud83d\u0041"}}""")]
    [TestCase("""{"event_type":"agent_message","data":{"agent_id":"a","message":"\uDE00 low first","message_type":"chat"}}""")]
    public void Parse_UnpairedSurrogateEscape_ThrowsEventFormatException(string json)
    {
        var error = Assert.Throws<EventFormatException>(() => WebSocketEvent.Parse(System.Text.Encoding.UTF8.GetBytes(json)))!;

        Assert.That(error.Field, Is.EqualTo("$"));
        Assert.That(error.Message, Does.Contain("surrogate"));
    }

    [Test]
    public void Parse_PairedSurrogateEscape_ReadsTheCharacterAndRoundTrips()
    {
        var evt = WebSocketEvent.Parse("""{"event_type":"x\ud83d\ude00","data":{"text":"\\ud800 is text here, \ud83d\ude00"}}"""u8.ToArray());

        Assert.That(evt.EventType, Is.EqualTo("x\U0001F600"));
        Assert.That(WebSocketEvent.Parse(evt.ToUtf8Json()), Is.EqualTo(evt));
    }

    [TestCase(@"\", true, TestName = "SurrogatesArePaired_TrailingBackslash_LeavesTheSyntaxToTheParser")]
    [TestCase(@"""\u12", true, TestName = "SurrogatesArePaired_TruncatedEscape_LeavesTheSyntaxToTheParser")]
    [TestCase(@"""\\ud800""", true, TestName = "SurrogatesArePaired_EscapedBackslashBeforeU_IsText")]
    [TestCase(@"""\ud800\udc00 \u00e9""", true, TestName = "SurrogatesArePaired_PairAndBmpEscape_AreValid")]
    [TestCase(@"""\ud800""", false, TestName = "SurrogatesArePaired_LoneHigh_IsInvalid")]
    [TestCase(@"""\uDC00""", false, TestName = "SurrogatesArePaired_LoneLow_IsInvalid")]
    [TestCase(@"""\ud800\u0041""", false, TestName = "SurrogatesArePaired_HighThenNonSurrogate_IsInvalid")]
    [TestCase(@"""\ud800", false, TestName = "SurrogatesArePaired_HighAtTheEnd_IsInvalid")]
    public void SurrogatesArePaired_Cases(string json, bool expected)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Serialization.JsonText.SurrogatesArePaired(System.Text.Encoding.UTF8.GetBytes(json)), Is.EqualTo(expected), "UTF-8");
            Assert.That(Serialization.JsonText.SurrogatesArePaired(json.AsSpan()), Is.EqualTo(expected), "UTF-16");
        });
    }
}
