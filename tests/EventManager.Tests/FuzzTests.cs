using System.Text;
using EventManager.Sockets;
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

    [Test]
    public void FilterParse_MutatedInput_OnlyEverThrowsEventFormatException()
    {
        var mutator = new Mutator(Mutator.SeedFromEnvironment(), ["""{"event_types":["tool_call","voice.*"],"session_id":"s-1","tool_names":["Edit"],"statuses":["done"],"cost_threshold_tokens":100,"feature_ids":["f"]}"""]);
        for (var i = 0; i < Inputs; i++)
        {
            var input = Encoding.UTF8.GetString(mutator.Next());
            try
            {
                EventFilter.Parse(input);
            }
            catch (EventFormatException)
            {
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {mutator.Seed}, input {i}: {ex.GetType().Name}: {ex.Message}\n{input}");
            }
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
}
