using System.Diagnostics;
using System.Globalization;
using EventManager;
using EventManager.Soak;

// The soak: two instances sharing a real redis-server, publishers at a fixed rate, WebSocket and SSE clients dropped and
// resumed at random, a client that reads slowly, one that does not read at all, one that sends garbage, and Redis killed
// and restarted on a schedule. It prints what it checked and exits non-zero if any check fails.
// Usage: dotnet run -c Release --project tests/EventManager.Soak -- [--minutes 2] [--rate 1000] [--clients 100] [--restart-seconds 60]
//        [--inject-fault mirror-drop|replay-skip|frame-duplicate|gap-miscount]
// --inject-fault switches on one deliberate defect in the library (see InjectedFault) to show that a check catches it. It
// is set before the library is first used, as the library reads it once.
string[] faults = ["mirror-drop", "replay-skip", "frame-duplicate", "gap-miscount"];
var faultIndex = Array.IndexOf(args, "--inject-fault");
var fault = faultIndex >= 0 ? args.ElementAtOrDefault(faultIndex + 1) ?? "" : null;
if (fault is not null)
{
    if (!faults.Contains(fault))
    {
        Console.Error.WriteLine($"--inject-fault: unknown fault '{fault}'; one of {string.Join(", ", faults)}.");
        return 2;
    }

    AppContext.SetData("EventManager.InjectFault", fault);
}

var minutes = Option("--minutes", 2.0);
var rate = Option("--rate", 1000.0);
var clientCount = (int)Option("--clients", 100.0);
var duration = TimeSpan.FromMinutes(minutes);
var restartEvery = TimeSpan.FromSeconds(Option("--restart-seconds", Math.Min(60, duration.TotalSeconds / 3)));
const int Publishers = 4;
var historyCapacity = (int)Math.Max(10_000, rate * 20);

var unobserved = 0L;
TaskScheduler.UnobservedTaskException += (_, e) =>
{
    Interlocked.Increment(ref unobserved);
    Console.WriteLine("unobserved task exception: " + e.Exception.GetBaseException().Message);
};
using var starvation = new StarvationListener();

using var redis = new RedisProcess();
await redis.StartAsync();
var channel = "soak:" + Guid.NewGuid().ToString("N");
var sendTimeout = duration + TimeSpan.FromMinutes(10);
await using var a = await SoakHost.StartAsync(redis.Configuration, channel, Publishers, historyCapacity, sendTimeout);
await using var b = await SoakHost.StartAsync(redis.Configuration, channel, Publishers, historyCapacity, sendTimeout);
SoakHost[] hosts = [a, b];
await using var acknowledged = new AcknowledgedEvents(redis.Configuration, channel, Publishers);
await acknowledged.StartAsync();
Console.WriteLine($"soak: 2 instances, {clientCount} clients, {rate:N0} events/s from {Publishers} publishers for {duration}, Redis restarted every {restartEvery}, history {historyCapacity:N0}{(fault is null ? "" : ", injected fault " + fault)}");

using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
var clients = new List<SoakClient>();
for (var i = 0; i < clientCount; i++)
{
    var host = hosts[i % 2];
    clients.Add(i / 2 % 2 == 0 ? new WebSocketSoakClient(host, Publishers) : new ServerSentEventSoakClient(host, Publishers, http));
}

var slow = new WebSocketSoakClient(a, Publishers, pause: TimeSpan.FromMilliseconds(200));
var stalled = new WebSocketSoakClient(b, Publishers, holdUntilReleased: true);
var garbage = new GarbageClient(a, seed: 17);

using var stopClients = new CancellationTokenSource();
var clientTasks = clients.Append(slow).Append(stalled).Select(c => Task.Run(() => c.RunAsync(stopClients.Token))).ToList();

// Every receiver exists before the first event: the trackers count a receiver's loss from number 0.
await WaitUntil(() => hosts.Sum(h => h.Broadcaster.ClientCount) == clientCount + 2 && clients.Append(slow).All(c => c.ConnectionId is not null), TimeSpan.FromMinutes(1), "clients connected");
var garbageTask = Task.Run(() => garbage.RunAsync(stopClients.Token));

using var stopPublishing = new CancellationTokenSource();
var published = new long[Publishers];
var publisherTasks = Enumerable.Range(0, Publishers).Select(p => Task.Run(() => Publish(p, hosts[p / 2].Manager, rate / Publishers, published, stopPublishing.Token))).ToList();

var clock = Stopwatch.StartNew();
var random = new Random(23);
var outages = 0;
var outagesSurvived = 0;
var nextRestart = restartEvery;
long warmWorkingSet = 0, peakWorkingSet = 0;
var dropsRequested = 0;

// When Redis was killed, in Unix ms: events it appended just before can be lost with it (see the checks below).
var kills = new List<long>();
while (clock.Elapsed < duration)
{
    await Task.Delay(500);
    peakWorkingSet = Math.Max(peakWorkingSet, Environment.WorkingSet);
    if (warmWorkingSet == 0 && clock.Elapsed > duration / 4)
    {
        warmWorkingSet = Environment.WorkingSet;
    }

    // A random client that is ready to be dropped (connected, and answered if it was resuming).
    dropsRequested++;
    var settled = clients.Where(c => c.Settled).ToList();
    if (settled.Count > 0)
    {
        settled[random.Next(settled.Count)].Drop();
    }

    if (clock.Elapsed >= nextRestart && clock.Elapsed < duration - TimeSpan.FromSeconds(15))
    {
        nextRestart += restartEvery;
        outages++;
        Console.WriteLine($"{clock.Elapsed:mm\\:ss} killing Redis");
        kills.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        redis.Kill();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await redis.StartAsync();
        if (await WaitUntil(() => hosts.All(h => h.Mirror.Health == EventManager.Redis.RedisMirrorHealth.Connected), TimeSpan.FromSeconds(30), "mirrors reconnected", fail: false))
        {
            outagesSurvived++;
            Console.WriteLine($"{clock.Elapsed:mm\\:ss} Redis back, both mirrors connected");
        }
    }
}

await stopPublishing.CancelAsync();
await Task.WhenAll(publisherTasks);
var total = published.Sum();
Console.WriteLine($"{clock.Elapsed:mm\\:ss} publishing stopped after {total:N0} events; waiting for every client to catch up");

// Every instance ends with the last number of every publisher, and every reading client with its instance's.
bool CaughtUp(Tracker tracker, SoakHost host) => Enumerable.Range(0, Publishers).All(p => tracker.Last(p) == host.Tracker.Last(p));
Tracker[] receivers = [a.Tracker, b.Tracker, acknowledged.Tracker];
await WaitUntil(() => receivers.All(r => Enumerable.Range(0, Publishers).All(p => r.Last(p) == published[p] - 1)), TimeSpan.FromMinutes(2), "Redis's stream and both instances have every publisher's last event");
var caughtUp = await WaitUntil(() => clients.All(c => CaughtUp(c.Tracker, c.Host)), TimeSpan.FromMinutes(2), "clients caught up", fail: false);
foreach (var lagging in clients.Where(c => !CaughtUp(c.Tracker, c.Host)))
{
    var behind = string.Join(", ", Enumerable.Range(0, Publishers).Select(p => $"p{p} {lagging.Tracker.Last(p)}/{lagging.Host.Tracker.Last(p)}"));
    Console.WriteLine($"  lagging {lagging.Kind} client {lagging.ConnectionId} on {(lagging.Host == a ? "A" : "B")}: {behind}; drops {lagging.Drops}, errors {lagging.Errors} {lagging.LastError}");
}

slow.Pause = TimeSpan.Zero;
stalled.Release();
await WaitUntil(() => CaughtUp(slow.Tracker, slow.Host) && CaughtUp(stalled.Tracker, stalled.Host), TimeSpan.FromMinutes(2), "slow clients drained");
long DroppedFor(SoakClient client) =>
    client.Host.Manager.GetMetrics().Listeners.FirstOrDefault(l => l.Name == "client:" + client.ConnectionId)?.Dropped ?? -1;

// The last gap frame follows the last drop; wait for it to be read rather than for a guessed time.
await WaitUntil(() => DroppedFor(slow) == slow.ToldMissed && DroppedFor(stalled) == stalled.ToldMissed, TimeSpan.FromSeconds(30), "slow clients were told of every drop", fail: false);
var slowDropped = DroppedFor(slow);
var stalledDropped = DroppedFor(stalled);

// What the slow clients lack of their instance's events, counted on their side: gap frames must tell exactly this.
var slowMissing = slow.Tracker.LostComparedWith(slow.Host.Tracker);
var stalledMissing = stalled.Tracker.LostComparedWith(stalled.Host.Tracker);

await WaitUntil(() => clients.All(c => c.Settled), TimeSpan.FromSeconds(30), "every client's last resume was answered", fail: false);
await stopClients.CancelAsync();
clients.ForEach(c => c.Close());
slow.Close();
stalled.Close();
await Task.WhenAll(clientTasks.Append(garbageTask)).WaitAsync(TimeSpan.FromSeconds(30));

// Aggressive: the collector also gives back the memory it keeps committed for later, which a working set would otherwise
// count as if the process still used it (a run measured 39 MB of live objects in 213 MB committed).
GC.Collect();
GC.WaitForPendingFinalizers();
GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
var finalWorkingSet = Environment.WorkingSet;

static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
List<SoakClient> everyClient = [.. clients, slow, stalled];
var lost = clients.Sum(c => c.Tracker.LostComparedWith(c.Host.Tracker));
var duplicates = everyClient.Sum(c => c.Tracker.Duplicates);
var drops = clients.Sum(c => c.Drops);
var recovered = clients.Sum(c => c.Recovered);
var notRecovered = clients.Sum(c => c.NotRecovered);

// Every reading client connected before publishing began, so with every resume recovered it has exactly what its instance has.
long Unique(Tracker tracker) => tracker.Received - tracker.Duplicates;
var shortOrOver = clients.Count(c => Unique(c.Tracker) != Unique(c.Host.Tracker));

// An event an instance lacks was lost by a mirror, unless Redis appended it in the last half second before a kill: Redis
// answers a publish before it writes the message to its subscribers (and, with appendfsync always, only after an fsync),
// so it can take an event and die with it, which no client of Redis can see (docs/redis.md). An event Redis's stream
// lacks never reached Redis.
await acknowledged.StopAsync();
bool JustBeforeAKill(int publisher, long n) => acknowledged.AppendedAt(publisher, n) is { } at && kills.Any(k => at <= k && at > k - 500);
var missedByInstances = hosts.SelectMany(h => h.Tracker.Missed()).Where(m => acknowledged.Tracker.Saw(m.Publisher, m.N)).ToList();
var lostInRedisAtKill = missedByInstances.Count(m => JustBeforeAKill(m.Publisher, m.N));
var lostByMirrors = missedByInstances.Count - lostInRedisAtKill;
var neverReachedRedis = acknowledged.Tracker.Missed().Count();
var errors = hosts.Sum(h => h.Errors.Count);
var checks = new List<(string Name, string Value, bool Pass)>
{
    ("events published", Count(total), total > 0),
    ("events delivered to clients (each has all its instance has)", $"{Count(clients.Sum(c => c.Tracker.Received))}, {shortOrOver} clients short or over", shortOrOver == 0),
    ("client connections cut / resumed and recovered", $"{drops} / {recovered} (of {dropsRequested} drop ticks)", drops > 0 && recovered == drops),
    ("clients caught up with their instance", $"{clients.Count(c => CaughtUp(c.Tracker, c.Host))} of {clients.Count}", caughtUp),
    ("client errors (exceptions and disconnects not caused)", $"{everyClient.Sum(c => c.Errors)} {everyClient.FirstOrDefault(c => c.LastError is not null)?.LastError}", everyClient.Sum(c => c.Errors) == 0),
    ("events lost by clients (incl. resumed)", lost.ToString(CultureInfo.InvariantCulture), lost == 0),
    ("duplicates", duplicates.ToString(CultureInfo.InvariantCulture), duplicates == 0),
    ("resumes not recovered", notRecovered.ToString(CultureInfo.InvariantCulture), notRecovered == 0),
    ("slow client: dropped / told in gap frames / missing", $"{slowDropped} / {slow.ToldMissed} / {slowMissing}", slowDropped > 0 && slowDropped == slow.ToldMissed && slowMissing == slowDropped),
    ("non-reading client: dropped / told in gap frames / missing", $"{stalledDropped} / {stalled.ToldMissed} / {stalledMissing}", stalledDropped > 0 && stalledDropped == stalled.ToldMissed && stalledMissing == stalledDropped),
    ("garbage: frames / errors answered / closes, unexpected", garbage.Summary, garbage.FramesSent > 0 && garbage.ErrorsAnswered > 0 && garbage.UnexpectedCloses == 0),
    ("events that never reached Redis's stream", Count(neverReachedRedis), neverReachedRedis == 0),
    ("events lost by mirrors after Redis had them", $"{Count(lostByMirrors)} (and {lostInRedisAtKill} Redis took as it was killed)", lostByMirrors == 0),
    ("Redis outages survived", $"{outagesSurvived} of {outages} ({acknowledged.ReadFailures} stream reads failed meanwhile)", outagesSurvived == outages && (outages > 0 || restartEvery >= duration)),
    ("working set after warm-up / peak / final (MB)", $"{warmWorkingSet >> 20} / {peakWorkingSet >> 20} / {finalWorkingSet >> 20}", finalWorkingSet <= Math.Max(warmWorkingSet * 3 / 2, warmWorkingSet + (128L << 20))),
    ("unobserved task exceptions", unobserved.ToString(CultureInfo.InvariantCulture), unobserved == 0),
    ("thread-pool starvation adjustments", $"{starvation.Starvations} (at {string.Join(", ", starvation.Times.Select(t => t.ToString(@"mm\:ss", CultureInfo.InvariantCulture)))})", starvation.Starvations == 0),
    ("errors logged", errors.ToString(CultureInfo.InvariantCulture), errors == 0),
};

Console.WriteLine();
foreach (var (name, value, pass) in checks)
{
    Console.WriteLine($"{(pass ? "ok  " : "FAIL")} {name,-62} {value}");
}

foreach (var first in hosts.SelectMany(h => h.Errors.First))
{
    Console.WriteLine("  error: " + first);
}

var failed = checks.Count(c => !c.Pass);
Console.WriteLine(failed == 0 ? "soak: PASS" : $"soak: FAIL ({failed} checks)");
return failed == 0 ? 0 : 1;

double Option(string name, double fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? double.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

static async Task Publish(int publisher, WebSocketEventManager manager, double perSecond, long[] published, CancellationToken stop)
{
    var clock = Stopwatch.StartNew();
    long n = 0;
    while (!stop.IsCancellationRequested)
    {
        var due = (long)(clock.Elapsed.TotalSeconds * perSecond);
        while (n < due)
        {
            await manager.PublishAsync(CustomEvent.Create("soak.tick", new { p = publisher, n }), CancellationToken.None);
            n++;
            Volatile.Write(ref published[publisher], n);
        }

        try
        {
            await Task.Delay(5, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

static async Task<bool> WaitUntil(Func<bool> condition, TimeSpan limit, string what, bool fail = true)
{
    var clock = Stopwatch.StartNew();
    while (!condition())
    {
        if (clock.Elapsed > limit)
        {
            if (fail)
            {
                throw new TimeoutException($"soak: timed out after {limit} waiting until {what}.");
            }

            Console.WriteLine($"soak: timed out after {limit} waiting until {what}");
            return false;
        }

        await Task.Delay(100);
    }

    return true;
}
