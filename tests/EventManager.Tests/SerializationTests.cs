using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventManager.Tests;

public class SerializationTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    private static AgentMessageEvent Agent() =>
        new AgentMessageEvent(
            "agent_1",
            "CognitivePsychologist",
            "I believe we should explore...",
            new Sentiment(0.75, SentimentLabel.Positive),
            EventData.FromObject(new Dictionary<string, object?> { ["interaction_count"] = 5, ["has_memory"] = true }))
        { Timestamp = At, SessionId = "s-1" };

    private static NetworkUpdateEvent Network() =>
        new NetworkUpdateEvent(
            [new NetworkConnection("agent_1", "agent_2", 0.8, true, ConnectionType.Normal), new NetworkConnection("agent_2", "agent_3", 0.1, false, ConnectionType.Emergency)],
            new Dictionary<string, CommunicationStats> { ["agent_1"] = new(10, 5), ["agent_2"] = new(5, 10) },
            "message_sent",
            EventData.FromObject(new Dictionary<string, object?> { ["queue_size"] = 3, ["sentiment"] = 0.6 }))
        { Timestamp = At };

    private static SystemStatusEvent Status() =>
        new SystemStatusEvent(
            SystemHealthStatus.Warning,
            new Dictionary<string, double> { ["cpu_percent"] = 45.2, ["memory_percent"] = 62.1, ["thread_count"] = 12 },
            5,
            2,
            EventData.FromObject(new Dictionary<string, object?> { ["node"] = "simulation-1", ["uptime"] = 3600 }))
        { Timestamp = At };

    private static JsonNode Json(WebSocketEvent evt) => JsonNode.Parse(evt.ToJson())!;

    [Test]
    public void ToJson_AgentMessage_WritesSeedSchemaInSnakeCase()
    {
        var json = Json(Agent());

        Assert.Multiple(() =>
        {
            Assert.That((string?)json["event_type"], Is.EqualTo("agent_message"));
            Assert.That(json["data"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "agent_id", "agent_type", "message", "sentiment", "metadata" }));
            Assert.That((string?)json["data"]!["agent_id"], Is.EqualTo("agent_1"));
            Assert.That((string?)json["data"]!["agent_type"], Is.EqualTo("CognitivePsychologist"));
            Assert.That((double?)json["data"]!["sentiment"]!["score"], Is.EqualTo(0.75));
            Assert.That((string?)json["data"]!["sentiment"]!["label"], Is.EqualTo("positive"));
            Assert.That((int?)json["data"]!["metadata"]!["interaction_count"], Is.EqualTo(5));
            Assert.That((bool?)json["data"]!["metadata"]!["has_memory"], Is.True);
            Assert.That((string?)json["session_id"], Is.EqualTo("s-1"));
        });
    }

    [Test]
    public void ToJson_NetworkUpdate_WritesSeedSchemaInSnakeCase()
    {
        var json = Json(Network());
        var first = json["data"]!["connections"]![0]!;

        Assert.Multiple(() =>
        {
            Assert.That((string?)json["event_type"], Is.EqualTo("network_update"));
            Assert.That(first.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "from", "to", "strength", "is_active", "type" }));
            Assert.That((string?)first["type"], Is.EqualTo("normal"));
            Assert.That((string?)json["data"]!["connections"]![1]!["type"], Is.EqualTo("emergency"));
            Assert.That((bool?)first["is_active"], Is.True);
            Assert.That((int?)json["data"]!["communication_stats"]!["agent_1"]!["sent"], Is.EqualTo(10));
            Assert.That((int?)json["data"]!["communication_stats"]!["agent_2"]!["received"], Is.EqualTo(10));
            Assert.That((string?)json["data"]!["event_type"], Is.EqualTo("message_sent"));
            Assert.That((int?)json["data"]!["details"]!["queue_size"], Is.EqualTo(3));
        });
    }

    [Test]
    public void ToJson_SystemStatus_WritesSeedSchemaInSnakeCase()
    {
        var json = Json(Status());

        Assert.Multiple(() =>
        {
            Assert.That((string?)json["event_type"], Is.EqualTo("system_status"));
            Assert.That(json["data"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "health_status", "performance_metrics", "active_agents", "error_count", "metadata" }));
            Assert.That((string?)json["data"]!["health_status"], Is.EqualTo("warning"));
            Assert.That((double?)json["data"]!["performance_metrics"]!["cpu_percent"], Is.EqualTo(45.2));
            Assert.That((int?)json["data"]!["active_agents"], Is.EqualTo(5));
            Assert.That((int?)json["data"]!["error_count"], Is.EqualTo(2));
            Assert.That((string?)json["data"]!["metadata"]!["node"], Is.EqualTo("simulation-1"));
        });
    }

    [Test]
    public void ToJson_Timestamp_IsIso8601UtcEndingInZ()
    {
        var evt = Agent() with { Timestamp = new DateTimeOffset(2026, 3, 4, 7, 6, 7, TimeSpan.FromHours(2)) };

        Assert.That((string?)Json(evt)["timestamp"], Does.Match(@"^2026-03-04T05:06:07(\.\d+)?Z$"));
    }

    [Test]
    public void ToJson_UnpublishedEvent_OmitsSequenceAndOrigin()
    {
        var json = Json(Agent()).AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(json.ContainsKey("sequence"), Is.False);
            Assert.That(json.ContainsKey("origin_id"), Is.False);
            Assert.That((string?)json["event_id"], Is.Not.Empty);
        });
    }

    [Test]
    public void Parse_EachTypedEvent_RoundTrips()
    {
        foreach (WebSocketEvent evt in new WebSocketEvent[] { Agent(), Network(), Status() })
        {
            var parsed = WebSocketEvent.Parse(evt.ToJson());

            Assert.That(parsed, Is.EqualTo(evt), evt.EventType);
            Assert.That(parsed.ToJson(), Is.EqualTo(evt.ToJson()), evt.EventType);
        }
    }

    [Test]
    public void Parse_CustomEvent_RoundTripsArbitraryData()
    {
        var evt = CustomEvent.Create("session.connected", new { user = "ada", roles = new[] { "admin" }, nested = new { depth = 2 } }) with { SessionId = "abc" };

        var parsed = WebSocketEvent.Parse(evt.ToJson());

        Assert.That(parsed, Is.InstanceOf<CustomEvent>());
        Assert.That(parsed, Is.EqualTo(evt));
        Assert.That(((CustomEvent)parsed).Data.GetProperty("nested").GetProperty("depth").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public void Parse_PublishedEvent_KeepsSequenceOriginAndId()
    {
        const string json = """{"event_type":"system.alert","timestamp":"2026-01-01T00:00:00Z","event_id":"e-1","sequence":42,"origin_id":"node-a","data":{"level":"high"}}""";

        var parsed = WebSocketEvent.Parse(json);

        Assert.Multiple(() =>
        {
            Assert.That(parsed.EventId, Is.EqualTo("e-1"));
            Assert.That(parsed.Sequence, Is.EqualTo(42));
            Assert.That(parsed.OriginId, Is.EqualTo("node-a"));
            Assert.That(parsed.Timestamp, Is.EqualTo(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        });
    }

    [Test]
    public void Parse_ForeignMinimalAgentMessage_FillsDefaults()
    {
        const string json = """{"event_type":"agent_message","timestamp":"2026-01-01T12:00:00.123456","data":{"agent_id":"a","agent_type":"t","message":"m"}}""";

        var parsed = (AgentMessageEvent)WebSocketEvent.Parse(json);

        Assert.Multiple(() =>
        {
            Assert.That(parsed.Sentiment, Is.EqualTo(Sentiment.Neutral));
            Assert.That(parsed.Metadata, Is.Empty);
            Assert.That(parsed.Timestamp.Offset, Is.EqualTo(TimeSpan.Zero));
            Assert.That(parsed.Timestamp.Hour, Is.EqualTo(12));
            Assert.That(parsed.EventId, Is.Not.Empty);
        });
    }

    [TestCase("not json", "$")]
    [TestCase("[1,2]", "$")]
    [TestCase("""{"timestamp":"2026-01-01T00:00:00Z","data":{}}""", "event_type")]
    [TestCase("""{"event_type":7,"data":{}}""", "event_type")]
    [TestCase("""{"event_type":"x","timestamp":12}""", "timestamp")]
    [TestCase("""{"event_type":"x","sequence":"one"}""", "sequence")]
    [TestCase("""{"event_type":"agent_message"}""", "data")]
    [TestCase("""{"event_type":"agent_message","data":{"agent_type":"t","message":"m"}}""", "data.agent_id")]
    [TestCase("""{"event_type":"agent_message","data":{"agent_id":1,"agent_type":"t","message":"m"}}""", "data.agent_id")]
    [TestCase("""{"event_type":"agent_message","data":{"agent_id":"a","agent_type":"t","message":"m","sentiment":{"score":"high","label":"positive"}}}""", "data.sentiment.score")]
    [TestCase("""{"event_type":"agent_message","data":{"agent_id":"a","agent_type":"t","message":"m","sentiment":{"score":3,"label":"positive"}}}""", "data.sentiment.score")]
    [TestCase("""{"event_type":"agent_message","data":{"agent_id":"a","agent_type":"t","message":"m","sentiment":{"score":0,"label":"happy"}}}""", "data.sentiment.label")]
    [TestCase("""{"event_type":"agent_message","data":{"agent_id":"a","agent_type":"t","message":"m","metadata":[]}}""", "data.metadata")]
    [TestCase("""{"event_type":"network_update","data":{"connections":[{"from":"a","to":"b","strength":2,"is_active":true,"type":"normal"}]}}""", "data.connections[0].strength")]
    [TestCase("""{"event_type":"network_update","data":{"connections":[{"from":"a","to":"b","strength":1,"is_active":"yes","type":"normal"}]}}""", "data.connections[0].is_active")]
    [TestCase("""{"event_type":"network_update","data":{"connections":{}}}""", "data.connections")]
    [TestCase("""{"event_type":"network_update","data":{"connections":[],"communication_stats":{"a":{"sent":-1,"received":0}}}}""", "data.communication_stats.a.sent")]
    [TestCase("""{"event_type":"system_status","data":{"health_status":"fine","performance_metrics":{"cpu_percent":1,"memory_percent":1},"active_agents":0,"error_count":0}}""", "data.health_status")]
    [TestCase("""{"event_type":"system_status","data":{"health_status":"healthy","performance_metrics":{"cpu_percent":1},"active_agents":0,"error_count":0}}""", "data.performance_metrics.memory_percent")]
    [TestCase("""{"event_type":"system_status","data":{"health_status":"healthy","performance_metrics":{"cpu_percent":1,"memory_percent":1},"active_agents":1.5,"error_count":0}}""", "data.active_agents")]
    public void Parse_InvalidJson_ThrowsFormatExceptionNamingField(string json, string field)
    {
        var ex = Assert.Throws<EventFormatException>(() => WebSocketEvent.Parse(json));

        Assert.That(ex!.Field, Is.EqualTo(field));
        Assert.That(ex.Message, Does.Contain(field));
        Assert.That(ex, Is.InstanceOf<FormatException>());
    }

    [TestCase("""{"event_type":"bad\u0001type"}""", "event_type")]
    [TestCase("""{"event_type":"agent_message","data":{"agent_id":"   ","agent_type":"t","message":"m"}}""", "data.agent_id")]
    [TestCase("""{"event_type":"network_update","data":{"connections":[],"communication_stats":{"":{"sent":1,"received":1}}}}""", "data.communication_stats")]
    [TestCase("""{"event_type":"system_status","data":{"health_status":"healthy","performance_metrics":{"cpu_percent":1,"memory_percent":1," ":2},"active_agents":0,"error_count":0}}""", "data.performance_metrics")]
    public void Parse_ValueTheModelRejects_ThrowsFormatExceptionNamingField(string json, string field)
    {
        var ex = Assert.Throws<EventFormatException>(() => WebSocketEvent.Parse(json));

        Assert.That(ex!.Field, Is.EqualTo(field));
    }

    [Test]
    public void Parse_NestingBeyondLimit_ThrowsFormatExceptionAtDocument()
    {
        var json = """{"event_type":"deep","data":""" + new string('[', 500) + new string(']', 500) + "}";

        var ex = Assert.Throws<EventFormatException>(() => WebSocketEvent.Parse(json));

        Assert.That(ex!.Field, Is.EqualTo("$"));
    }

    [Test]
    public void ToUtf8Json_AfterPublish_IsComputedOnceAndShared()
    {
        var evt = Agent();
        Assert.That(evt.TryClaim() && evt.TryStamp(1, "node"), Is.True);

        var first = evt.ToUtf8Json();
        var second = evt.ToUtf8Json();

        Assert.That(second.Span == first.Span, Is.True, "the same cached buffer is returned");
        Assert.That((long?)JsonNode.Parse(first.Span)!["sequence"], Is.EqualTo(1));
    }

    [Test]
    public void ToUtf8Json_ManyPublishedEventsCachedFromSeveralThreads_EachKeepsItsOwnJson()
    {
        // Published events keep their JSON side by side in shared slabs (Utf8Slab); none may see another's bytes, whatever
        // thread cached it and however the slabs filled.
        var events = Enumerable.Range(1, 20_000)
            .Select(i => (WebSocketEvent)new AgentMessageEvent("agent-" + i, "kind", new string((char)('a' + (i % 26)), i % 700), null))
            .ToArray();
        for (var i = 0; i < events.Length; i++)
        {
            Assert.That(events[i].TryClaim() && events[i].TryStamp(i + 1, "node"), Is.True);
        }

        Parallel.For(0, 4, worker =>
        {
            for (var i = worker; i < events.Length; i += 4)
            {
                events[i].ToUtf8Json();
            }
        });

        var wrong = events.Count(evt => !WebSocketEvent.Parse(evt.ToUtf8Json()).Equals(evt));
        Assert.That(wrong, Is.Zero);
    }

    [Test]
    public void ToUtf8Json_OfAPublishedEventLargerThanASlabShare_IsWholeAndCached()
    {
        var evt = new AgentMessageEvent("agent", "kind", new string('x', 200_000), null);
        Assert.That(evt.TryClaim() && evt.TryStamp(1, "node"), Is.True);

        var first = evt.ToUtf8Json();

        Assert.Multiple(() =>
        {
            Assert.That(((AgentMessageEvent)WebSocketEvent.Parse(first)).Message, Has.Length.EqualTo(200_000));
            Assert.That(evt.ToUtf8Json().Span == first.Span, Is.True, "cached");
        });
    }

    [Test]
    public void WriteTo_InsideAnArray_WritesOneObjectPerEvent()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            Agent().WriteTo(writer);
            Status().WriteTo(writer);
            writer.WriteEndArray();
        }

        var array = JsonNode.Parse(stream.ToArray())!.AsArray();

        Assert.That(array.Select(e => (string?)e!["event_type"]), Is.EqualTo(new[] { "agent_message", "system_status" }));
    }

    [Test]
    public void Constructor_CallersDictionaryChangedLater_EventKeepsItsFields()
    {
        var metadata = new Dictionary<string, JsonElement> { ["n"] = EventData.ToElement(1) };
        var evt = new AgentMessageEvent("a", "t", "m", metadata: metadata);

        metadata["n"] = EventData.ToElement(2);
        metadata["extra"] = EventData.ToElement(true);

        Assert.That(evt.Metadata, Has.Count.EqualTo(1));
        Assert.That(evt.Metadata["n"].GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public void FromObject_MixedValues_ReadBackAsADictionaryOfTheSameJson()
    {
        var fields = EventData.FromObject(new Dictionary<string, object?>
        {
            ["text"] = "a <b>",
            ["count"] = 3,
            ["big"] = 1L << 40,
            ["ratio"] = 0.25,
            ["flag"] = true,
            ["none"] = null,
            ["nested"] = new { inner_value = new[] { 1, 2 } },
            ["element"] = JsonDocument.Parse("""{"x":[true]}""").RootElement,
        });

        Assert.Multiple(() =>
        {
            Assert.That(fields, Has.Count.EqualTo(8));
            Assert.That(fields["text"].GetString(), Is.EqualTo("a <b>"));
            Assert.That(fields["count"].GetInt32(), Is.EqualTo(3));
            Assert.That(fields["big"].GetInt64(), Is.EqualTo(1L << 40));
            Assert.That(fields["ratio"].GetDouble(), Is.EqualTo(0.25));
            Assert.That(fields["flag"].GetBoolean(), Is.True);
            Assert.That(fields["none"].ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(fields["nested"].GetRawText(), Is.EqualTo("""{"inner_value":[1,2]}"""));
            Assert.That(fields["element"].GetRawText(), Is.EqualTo("""{"x":[true]}"""));
            Assert.That(fields.Keys, Is.EqualTo(new[] { "text", "count", "big", "ratio", "flag", "none", "nested", "element" }));
        });
    }

    [Test]
    public void With_CopiesContentUnderANewEventId()
    {
        var original = Agent();

        var copy = original with { };

        Assert.That(copy.EventId, Is.Not.EqualTo(original.EventId));
        Assert.That(copy.Message, Is.EqualTo(original.Message));
    }
}
