using System.Diagnostics.Metrics;

namespace EventManager.Redis.Diagnostics;

/// <summary>Publishes a mirror's counters on the <c>EventManager.Redis</c> meter, read from <see cref="RedisEventMirror.GetMetrics"/> when collected.</summary>
internal sealed class RedisMirrorInstruments : IDisposable
{
    public const string MeterName = "EventManager.Redis";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public RedisMirrorInstruments(RedisEventMirror mirror, IMeterFactory? meterFactory)
    {
        var options = new MeterOptions(MeterName)
        {
            Version = typeof(RedisEventMirror).Assembly.GetName().Version?.ToString(),
            Tags = [new("eventmanager.instance", mirror.InstanceId), new("eventmanager.redis.channel", mirror.Channel)],
        };
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(options) ?? new Meter(options);

        _meter.CreateObservableCounter("eventmanager.redis.mirrored_out", () => mirror.GetMetrics().MirroredOut, "{event}", "Local events written to Redis.");
        _meter.CreateObservableCounter("eventmanager.redis.mirrored_in", () => mirror.GetMetrics().MirroredIn, "{event}", "Events from other instances published locally.");
        _meter.CreateObservableCounter("eventmanager.redis.echoes_suppressed", () => mirror.GetMetrics().EchoesSuppressed, "{event}", "Own events that came back from Redis and were skipped.");
        _meter.CreateObservableCounter("eventmanager.redis.duplicates_suppressed", () => mirror.GetMetrics().DuplicatesSuppressed, "{event}", "Events received again with a recently seen event id.");
        _meter.CreateObservableCounter("eventmanager.redis.malformed_inbound", () => mirror.GetMetrics().MalformedInbound, "{message}", "Received messages that were not valid events or were too long.");
        _meter.CreateObservableCounter("eventmanager.redis.inbound_dropped", () => mirror.GetMetrics().InboundDropped, "{message}", "Received messages dropped because the inbound buffer was full.");
        _meter.CreateObservableCounter("eventmanager.redis.errors", () => mirror.GetMetrics().RedisErrors, "{error}", "Failed Redis operations.");
        _meter.CreateObservableCounter("eventmanager.redis.reconnects", () => mirror.GetMetrics().Reconnects, "{reconnect}", "Times the connection came back.");
        _meter.CreateObservableUpDownCounter("eventmanager.redis.outbound.depth", () => mirror.GetMetrics().OutboundBufferDepth, "{event}", "Local events waiting to be sent.");
        _meter.CreateObservableCounter("eventmanager.redis.outbound.dropped", () => mirror.GetMetrics().OutboundDropped, "{event}", "Local events never sent because the buffer overflowed or stopping timed out.");
        _meter.CreateObservableUpDownCounter("eventmanager.redis.health", () => (int)mirror.Health, "{state}", "0 Starting, 1 Connected, 2 Degraded, 3 LocalOnly, 4 Stopped.");
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
