using System.Diagnostics;

namespace EventManager.Benchmarks.Redis;

/// <summary>
/// A private Redis Cluster on loopback for the report: six <c>redis-server --cluster-enabled yes</c> joined by
/// <c>redis-cli --cluster create ... --cluster-replicas 1</c>, three primaries with a replica each, as the tests start it.
/// </summary>
internal sealed class LocalRedisCluster : IDisposable
{
    private readonly string _directory;
    private readonly List<LocalRedis> _nodes;

    private LocalRedisCluster(string directory, List<LocalRedis> nodes)
    {
        _directory = directory;
        _nodes = nodes;
    }

    /// <summary>The usual StackExchange.Redis endpoint list of a cluster.</summary>
    public string Configuration => string.Join(",", _nodes.Select(n => $"127.0.0.1:{n.Port}")) + ",syncTimeout=10000";

    public static LocalRedisCluster Start()
    {
        var directory = Directory.CreateTempSubdirectory("eventmanager-bench-cluster-").FullName;
        var nodes = new List<LocalRedis>();
        var cluster = new LocalRedisCluster(directory, nodes);
        try
        {
            for (var i = 0; i < 6; i++)
            {
                nodes.Add(LocalRedis.Start("--cluster-enabled", "yes", "--cluster-config-file", $"nodes-{i}.conf", "--repl-diskless-sync-delay", "0", "--dir", directory));
            }

            nodes[0].Cli(["--cluster", "create", .. nodes.Select(n => $"127.0.0.1:{n.Port}"), "--cluster-replicas", "1", "--cluster-yes"]);
            var started = Stopwatch.StartNew();
            while (!nodes.All(n => n.Cli("CLUSTER", "INFO").Contains("cluster_state:ok", StringComparison.Ordinal))
                || nodes.Count(n => n.Cli("INFO", "replication").Contains("master_link_status:up", StringComparison.Ordinal)) < 3)
            {
                if (started.Elapsed > TimeSpan.FromMinutes(1))
                {
                    throw new InvalidOperationException("The benchmark cluster did not become ok with its replicas in sync within a minute.");
                }

                Thread.Sleep(100);
            }

            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
