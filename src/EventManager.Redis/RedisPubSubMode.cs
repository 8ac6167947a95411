namespace EventManager.Redis;

/// <summary>Which Redis pub/sub the mirror uses: <see cref="RedisMirrorOptions.PubSubMode"/>.</summary>
public enum RedisPubSubMode
{
    /// <summary><c>PUBLISH</c>/<c>SUBSCRIBE</c>, on one server or a cluster, where every message is sent to every node.</summary>
    Classic,

    /// <summary>
    /// <c>SPUBLISH</c>/<c>SSUBSCRIBE</c> (Redis 7 or later): on a cluster a message stays on the shard that owns the channel's
    /// hash slot. Every instance and every foreign publisher must use it too (docs/redis.md).
    /// </summary>
    Sharded,
}
