using EventManager.Redis.Diagnostics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace EventManager.Redis;

/// <summary>
/// The mirror's connection to Redis: connects without ever failing the start, subscribes to the channel (and the session
/// pattern), knows whether the server has those subscriptions and renews them when StackExchange.Redis does not, and picks
/// the channel an event is published on. Reports connection losses and returns through the counters and
/// <c>onStateChanged</c>.
/// </summary>
internal sealed class MirrorConnection
{
    private readonly ConfigurationOptions _configuration;
    private readonly string _channelName;
    private readonly string? _sessionChannelPrefix;
    private readonly RedisChannel _sessionPattern;
    private readonly MirrorCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Action _onStateChanged;
    private ConnectionMultiplexer? _multiplexer;
    private ISubscriber? _subscriber;

    // Written on StackExchange.Redis's threads as connections fail and come back, read by anyone. An endpoint's logged
    // failures are forgotten when a connection to it comes back, so that each outage is logged once however often reconnects
    // fail, also when several endpoints fail in turn (a cluster's dead node, or two of a configuration's endpoints).
    private string? _lastFailure;
    private readonly HashSet<string> _loggedFailures = new(StringComparer.Ordinal);

    private const int MaxRememberedFailures = 64;

    // Longer than StackExchange.Redis takes to renew subscriptions after an ordinary reconnect.
    private static readonly TimeSpan SubscriptionRenewalPatience = TimeSpan.FromSeconds(1);

    // Set once, when stopping.
    private bool _unsubscribed;

    // The health loop only: when it first found the connection up but a subscription missing, and whether it has said so.
    private long _subscriptionMissingSince = long.MinValue;
    private bool _renewalLogged;

    public MirrorConnection(RedisMirrorOptions options, MirrorCounters counters, ILogger logger, TimeProvider time, Action onStateChanged)
    {
        _configuration = options.ParsedConfiguration();
        _channelName = options.Channel;
        // On a cluster a key-routed channel is published and subscribed on the primary that owns its slot, as a sharded one
        // is, so a publish counts every mirror's subscription there (classic pub/sub still reaches subscribers on any node).
        // On one server routing changes nothing.
        Channel = options.PubSubMode == RedisPubSubMode.Sharded
            ? RedisChannel.Sharded(options.Channel)
            : RedisChannel.Literal(options.Channel).WithKeyRouting();
        if (options.UseSessionChannels)
        {
            _sessionChannelPrefix = options.Channel + ":session:";
            _sessionPattern = new RedisChannel(_sessionChannelPrefix + "*", RedisChannel.PatternMode.Pattern);
        }

        _counters = counters;
        _logger = logger;
        _time = time;
        _onStateChanged = onStateChanged;
    }

    /// <summary>The shared channel, sharded under <see cref="RedisPubSubMode.Sharded"/>.</summary>
    public RedisChannel Channel { get; }

    /// <summary>Whether the mirror uses sharded pub/sub (<c>SPUBLISH</c>/<c>SSUBSCRIBE</c>).</summary>
    public bool IsSharded => Channel.IsSharded;

    public bool IsConnected => _multiplexer?.IsConnected == true;

    /// <summary>The last connection failure reported: the endpoint and the cause. <see langword="null"/> before any.</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Why the mirror has no connection now: the last failure, or the endpoints it has not reached yet.</summary>
    public string DescribeOutage() => LastFailure ?? $"no connection to {string.Join(", ", _configuration.EndPoints)} yet";

    /// <summary>The database, once connected; commands on it fail fast while the connection is down.</summary>
    public IDatabase Database => _multiplexer!.GetDatabase();

    /// <summary>
    /// Connects and subscribes, delivering each message to <paramref name="onMessage"/>. When Redis is unreachable this
    /// returns after the configuration's connect timeout and StackExchange.Redis keeps trying in the background.
    /// </summary>
    public async Task ConnectAsync(Action<RedisChannel, RedisValue> onMessage, CancellationToken cancellationToken)
    {
        _configuration.LoggerFactory = new ConnectionFailureLog(RecordFailure);
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration).WaitAsync(cancellationToken).ConfigureAwait(false);

        _multiplexer.ConnectionFailed += OnConnectionFailed;
        _multiplexer.ConnectionRestored += OnConnectionRestored;
        _subscriber = _multiplexer.GetSubscriber();

        // StackExchange.Redis keeps these subscriptions and renews them on every reconnect, including a first connection
        // made after a start that found no server. Each is read through a queue, which delivers one message at a time in
        // the order they arrived: a subscription handler is called on the thread pool, so messages overtake each other.
        SubscribeInOrder(Channel, onMessage);
        if (_sessionChannelPrefix is not null)
        {
            SubscribeInOrder(_sessionPattern, onMessage);
        }

        // The subscribes are sent without waiting for the server, which StackExchange.Redis would otherwise do until its
        // sync timeout when no server is up yet (it subscribes later, once it connects). Messages published before the
        // server has them are never seen, so start only once it does, or after the connect timeout with the server
        // unreachable. A ping on the subscription connection is answered after the subscribes that went before it; should
        // it not settle it, StackExchange.Redis raises no event for a subscription, so this polls, on the manager's clock
        // like every other wait of the mirror.
        if (_multiplexer.IsConnected)
        {
            try
            {
                await _subscriber.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Lost meanwhile: StackExchange.Redis subscribes again once it reconnects.
            }
        }

        var started = _time.GetTimestamp();
        while (!IsSubscribed() && _multiplexer.IsConnected && _time.GetElapsedTime(started) < TimeSpan.FromMilliseconds(_configuration.ConnectTimeout))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Subscribes without waiting for the server, reading the messages through the subscription's ordered queue. That queue
    /// is unbounded; its loop only hands each message on to the receiver's bounded queue, which is what bounds memory
    /// (<see cref="RedisMirrorOptions.InboundBufferSize"/>) when the manager falls behind.
    /// </summary>
    private void SubscribeInOrder(RedisChannel channel, Action<RedisChannel, RedisValue> onMessage) =>
        _subscriber!.Subscribe(channel, CommandFlags.FireAndForget).OnMessage(message => onMessage(message.Channel, message.Message));

    /// <summary>Whether the connection is up and the server has this mirror's subscriptions, so that it receives what is published.</summary>
    public bool IsSubscribed()
    {
        var subscriber = _subscriber;
        return IsConnected
            && subscriber is not null
            && subscriber.SubscribedEndpoint(Channel) is not null
            && subscriber.IsConnected(Channel)
            && (_sessionChannelPrefix is null || subscriber.SubscribedEndpoint(_sessionPattern) is not null);
    }

    /// <summary>The channel an event goes to: its session's when session channels are on and it has one, else the shared one.</summary>
    public RedisChannel ChannelFor(WebSocketEvent evt) => _sessionChannelPrefix is not null && evt.SessionId is not null
        ? new RedisChannel(_sessionChannelPrefix + evt.SessionId, RedisChannel.PatternMode.Literal)
        : Channel;

    /// <summary>Whether the event goes to the shared channel, whose receivers are counted to know when peers are back.</summary>
    public bool UsesSharedChannel(WebSocketEvent evt) => _sessionChannelPrefix is null || evt.SessionId is null;

    public Task<long> PublishAsync(RedisChannel channel, ReadOnlyMemory<byte> payload) => _subscriber!.PublishAsync(channel, payload);

    /// <summary>How many clients the server has subscribed to the shared channel.</summary>
    public async Task<long> SubscriberCountAsync()
    {
        // The async form: the synchronous IdentifyEndpoint waits for Redis on a thread-pool thread, which the soak caught
        // starving the pool during reconnects.
        var endpoint = await _subscriber!.IdentifyEndpointAsync(Channel).ConfigureAwait(false) ?? _multiplexer!.GetEndPoints()[0];
        var server = _multiplexer!.GetServer(endpoint);
        if (!IsSharded)
        {
            return await server.SubscriptionSubscriberCountAsync(Channel).ConfigureAwait(false);
        }

        // StackExchange.Redis counts only classic subscribers; the shard that owns the channel counts the sharded ones.
        var reply = (RedisResult[])(await server.ExecuteAsync("PUBSUB", "SHARDNUMSUB", _channelName).ConfigureAwait(false))!;
        return (long)reply[1];
    }

    /// <summary>
    /// Whether the number a publish returns counts every mirror's subscription, so that a drop means one is missing: yes, as
    /// the channel is published and subscribed on one node even on a cluster (the slot's primary), until this mirror ends its
    /// own subscriptions, stopping.
    /// </summary>
    public bool CountsEverySubscriber => !Volatile.Read(ref _unsubscribed);

    /// <summary>
    /// Renews the subscriptions when the connection is up but one has been missing for <see cref="SubscriptionRenewalPatience"/>.
    /// StackExchange.Redis renews them itself after a reconnect, but after a cluster failover it may try while its map of the
    /// slots still names the dead primary and then not try again; reloading the cluster's layout makes it subscribe where
    /// the slot now is. Called by the health loop, one call at a time; <paramref name="abort"/> ends a reload that hangs.
    /// </summary>
    public async Task RenewSubscriptionsIfLostAsync(CancellationToken abort)
    {
        if (_multiplexer is not { IsConnected: true } multiplexer || Volatile.Read(ref _unsubscribed) || IsSubscribed())
        {
            _subscriptionMissingSince = long.MinValue;
            _renewalLogged = false;
            return;
        }

        if (_subscriptionMissingSince == long.MinValue)
        {
            _subscriptionMissingSince = _time.GetTimestamp();
            return;
        }

        if (_time.GetElapsedTime(_subscriptionMissingSince) < SubscriptionRenewalPatience)
        {
            return;
        }

        if (!_renewalLogged)
        {
            _renewalLogged = true;
            Log.SubscriptionRenewed(_logger, _channelName, SubscriptionRenewalPatience);
        }

        _subscriptionMissingSince = _time.GetTimestamp();
        try
        {
            await multiplexer.ConfigureAsync().WaitAsync(abort).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Tried again after another wait.
            Interlocked.Increment(ref _counters.RedisErrors);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Ends the subscriptions, stopping; Redis being unreachable is no error here.</summary>
    public async Task UnsubscribeAllAsync()
    {
        Volatile.Write(ref _unsubscribed, true);
        if (_subscriber is null)
        {
            return;
        }

        try
        {
            await _subscriber.UnsubscribeAllAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Unreachable Redis has no subscription to end; the connection is closed next anyway.
        }
    }

    public async Task CloseAsync()
    {
        if (_multiplexer is null)
        {
            return;
        }

        _multiplexer.ConnectionFailed -= OnConnectionFailed;
        _multiplexer.ConnectionRestored -= OnConnectionRestored;
        await _multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        _multiplexer.Dispose();
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != StackExchange.Redis.ConnectionType.Interactive)
        {
            return;
        }

        Interlocked.Increment(ref _counters.RedisErrors);
        _onStateChanged();
    }

    /// <summary>Keeps the failure for <see cref="LastFailure"/> and logs it, once until a connection to its endpoint comes back.</summary>
    private void RecordFailure(string failure)
    {
        Volatile.Write(ref _lastFailure, failure);
        bool first;
        lock (_loggedFailures)
        {
            // Bounded, should the failures' texts vary without end: then a failure is logged again now and then.
            if (_loggedFailures.Count >= MaxRememberedFailures)
            {
                _loggedFailures.Clear();
            }

            first = _loggedFailures.Add(failure);
        }

        if (first)
        {
            Log.ConnectionFailed(_logger, failure);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // Only that endpoint's failures: another endpoint that still fails (a cluster's dead node) stays logged once.
        var endpoint = EndPointCollection.ToString(e.EndPoint) + " ";
        lock (_loggedFailures)
        {
            _loggedFailures.RemoveWhere(failure => failure.StartsWith(endpoint, StringComparison.Ordinal));
        }

        if (e.ConnectionType == StackExchange.Redis.ConnectionType.Interactive)
        {
            Interlocked.Increment(ref _counters.Reconnects);
        }

        _onStateChanged();
    }
}
