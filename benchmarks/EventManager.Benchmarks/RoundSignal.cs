using System.Threading.Channels;

namespace EventManager.Benchmarks;

/// <summary>
/// Lets a benchmark publish in rounds and wait until every consumer has a whole round, so no bounded queue overflows
/// and every event is delivered.
/// </summary>
/// <param name="size">Events per round.</param>
internal sealed class RoundSignal(int size) : IDisposable
{
    private readonly SemaphoreSlim _done = new(0);

    /// <summary>On a consumer: counts one event in that consumer's own tally, signalling at the end of each round.</summary>
    public void Counted(ref int seen)
    {
        if (++seen % size == 0)
        {
            _done.Release();
        }
    }

    /// <summary>On the publisher: waits until each of <paramref name="consumers"/> has received the round.</summary>
    public void Await(int consumers)
    {
        for (var i = 0; i < consumers; i++)
        {
            _done.Wait();
        }
    }

    /// <summary>A reader loop that counts what <paramref name="channel"/> delivers, until it is completed.</summary>
    public Task Pump(Channel<WebSocketEvent> channel) => Task.Run(async () =>
    {
        var seen = 0;
        while (await channel.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (channel.Reader.TryRead(out _))
            {
                Counted(ref seen);
            }
        }
    });

    public void Dispose() => _done.Dispose();
}
