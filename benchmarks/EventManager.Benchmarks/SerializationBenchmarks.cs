using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using EventManager;

namespace EventManager.Benchmarks;

/// <summary>
/// Serialising and parsing one agent_message in the seed's schema. The baseline is System.Text.Json's reflection-free
/// writer of a JsonDocument holding the same event, the cheapest generic way to produce the same bytes.
/// </summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private AgentMessageEvent _event = null!;
    private string _json = null!;
    private JsonDocument _document = null!;

    [GlobalSetup]
    public void Setup()
    {
        _event = new AgentMessageEvent(
            "agent_1",
            "CognitivePsychologist",
            "I believe we should explore the underlying assumptions before we decide.",
            new Sentiment(0.75, SentimentLabel.Positive),
            EventData.FromObject(new Dictionary<string, object?> { ["interaction_count"] = 5, ["has_memory"] = true }));
        _json = _event.ToJson();
        _document = JsonDocument.Parse(_json);
    }

    [GlobalCleanup]
    public void Cleanup() => _document.Dispose();

    /// <summary>Writing an equivalent generic JSON document: the same bytes without any event model.</summary>
    [Benchmark(Baseline = true)]
    public int WriteJsonDocument()
    {
        _buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_buffer);
        _document.WriteTo(writer);
        writer.Flush();
        return _buffer.WrittenCount;
    }

    /// <summary>Serialising the event to a reused buffer, as the socket adapters do.</summary>
    [Benchmark]
    public int WriteTo()
    {
        _buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_buffer);
        _event.WriteTo(writer);
        writer.Flush();
        return _buffer.WrittenCount;
    }

    /// <summary>Serialising the event to a new string.</summary>
    [Benchmark]
    public string ToJson() => _event.ToJson();

    /// <summary>Parsing the event from its JSON text, with full validation.</summary>
    [Benchmark]
    public WebSocketEvent Parse() => WebSocketEvent.Parse(_json);
}
