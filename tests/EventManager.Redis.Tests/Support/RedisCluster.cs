using System.Globalization;

namespace EventManager.Redis.Tests.Support;

/// <summary>
/// A private Redis Cluster on loopback: six <c>redis-server --cluster-enabled yes</c> joined by
/// <c>redis-cli --cluster create ... --cluster-replicas 1</c>, three primaries with a replica each.
/// </summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    private const int Nodes = 6;

    // Each check runs redis-cli against every node; checking every 5 ms would crowd the nodes' own failure detection.
    private static readonly TimeSpan CliPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _directory;
    private readonly List<RedisServer> _servers;

    private RedisCluster(string directory, List<RedisServer> servers)
    {
        _directory = directory;
        _servers = servers;
    }

    /// <summary>The usual StackExchange.Redis endpoint list of a cluster, with short timeouts.</summary>
    public string Configuration =>
        string.Join(",", _servers.Select(s => $"127.0.0.1:{s.Port}")) + ",connectTimeout=2000,syncTimeout=5000,connectRetry=1";

    public static async Task<RedisCluster> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("eventmanager-cluster-").FullName;
        var servers = new List<RedisServer>();
        var cluster = new RedisCluster(directory, servers);
        try
        {
            for (var i = 0; i < Nodes; i++)
            {
                servers.Add(await RedisServer.StartAsync(
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", $"nodes-{i}.conf",
                    "--cluster-node-timeout", "2000",
                    // A replica's first sync would otherwise wait 5 s for more replicas to share it, and a replica that has
                    // never synced may not take over.
                    "--repl-diskless-sync-delay", "0",
                    "--dir", directory));
            }

            var create = new List<string> { "--cluster", "create" };
            create.AddRange(servers.Select(s => $"127.0.0.1:{s.Port}"));
            create.AddRange(["--cluster-replicas", "1", "--cluster-yes"]);
            await servers[0].CliAsync([.. create]);
            await Eventually.Until(async () => await cluster.AllLiveNodesOkAsync() && await cluster.ReplicasInSyncAsync(), "every node sees the cluster as ok and every replica is in sync", TimeSpan.FromMinutes(1), CliPollInterval);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Classic and sharded subscribers of the channel, as the primary that owns its slot counts them.</summary>
    public async Task<(long Classic, long Sharded)> SubscribersAsync(string channel)
    {
        var ownerPort = await PrimaryOfSlotAsync(AnyLive, await SlotOfAsync(channel));
        var owner = _servers.Single(s => s.Port == ownerPort);
        var classic = (await owner.CliAsync("PUBSUB", "NUMSUB", channel)).Split('\n')[^1];
        var sharded = (await owner.CliAsync("PUBSUB", "SHARDNUMSUB", channel)).Split('\n')[^1];
        return (long.Parse(classic, CultureInfo.InvariantCulture), long.Parse(sharded, CultureInfo.InvariantCulture));
    }

    /// <summary>Kills the primary that owns the channel's slot, as a crash would. Start it again with <see cref="RejoinAsync"/>.</summary>
    public async Task<RedisServer> KillPrimaryOfAsync(string channel)
    {
        var primaryPort = await PrimaryOfSlotAsync(AnyLive, await SlotOfAsync(channel));
        var primary = _servers.Single(s => s.Port == primaryPort);
        primary.Kill();
        return primary;
    }

    /// <summary>Returns once a replica has taken the channel's slot over from a killed primary and every live node sees the cluster as ok.</summary>
    public async Task AwaitTakeoverAsync(string channel, RedisServer killed)
    {
        var slot = await SlotOfAsync(channel);
        await Eventually.Until(
            async () => await PrimaryOfSlotAsync(AnyLive, slot) is var port && port > 0 && port != killed.Port && await AllLiveNodesOkAsync(),
            $"a replica took over slot {slot} from the killed primary on port {killed.Port}",
            TimeSpan.FromMinutes(1), CliPollInterval);
    }

    /// <summary>Starts a killed node again; it rejoins as a replica of the node that took its slots over.</summary>
    public async Task RejoinAsync(RedisServer node)
    {
        await node.RestartAsync();
        await Eventually.Until(
            async () => await AllLiveNodesOkAsync() && await ReplicasInSyncAsync(),
            $"the node on port {node.Port} rejoined as a replica",
            TimeSpan.FromMinutes(1), CliPollInterval);
    }

    private RedisServer AnyLive => _servers.First(s => s.IsRunning);

    private async Task<int> SlotOfAsync(string channel) =>
        int.Parse(await AnyLive.CliAsync("CLUSTER", "KEYSLOT", channel), CultureInfo.InvariantCulture);

    private async Task<bool> ReplicasInSyncAsync()
    {
        var replicas = 0;
        foreach (var server in _servers.Where(s => s.IsRunning))
        {
            var replication = await server.CliAsync("INFO", "replication");
            if (replication.Contains("role:slave", StringComparison.Ordinal))
            {
                if (!replication.Contains("master_link_status:up", StringComparison.Ordinal))
                {
                    return false;
                }

                replicas++;
            }
        }

        return replicas == Nodes / 2;
    }

    private async Task<bool> AllLiveNodesOkAsync()
    {
        foreach (var server in _servers.Where(s => s.IsRunning))
        {
            if (!(await server.CliAsync("CLUSTER", "INFO")).Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The port of the primary <c>CLUSTER NODES</c>, as <paramref name="node"/> sees it, gives the slot to.</summary>
    private static async Task<int> PrimaryOfSlotAsync(RedisServer node, int slot)
    {
        foreach (var line in (await node.CliAsync("CLUSTER", "NODES")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // <id> <ip:port@cport> <flags> <primary> <ping> <pong> <epoch> <state> <slot ranges...>
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!fields[2].Contains("master", StringComparison.Ordinal) || fields[2].Contains("fail", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var range in fields.Skip(8))
            {
                var bounds = range.Split('-');
                var from = int.Parse(bounds[0], CultureInfo.InvariantCulture);
                var to = bounds.Length > 1 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : from;
                if (slot >= from && slot <= to)
                {
                    return int.Parse(fields[1].Split('@')[0].Split(':')[1], CultureInfo.InvariantCulture);
                }
            }
        }

        return -1;
    }
}
