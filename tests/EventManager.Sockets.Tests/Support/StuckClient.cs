using EventManager.Sockets;

namespace EventManager.Tests.Support;

/// <summary>Drives a server whose one client has stopped reading until the send timeout cuts it off.</summary>
internal static class StuckClient
{
    /// <summary>
    /// Publishes more than both ends' socket buffers hold, so a send is left waiting for the client, then moves the clock by
    /// <paramref name="sendTimeout"/> at a time until the broadcaster has no client. The clock only moves here: a send is timed
    /// out by the clock, never by how long the test waits.
    /// </summary>
    public static async Task PublishUntilCutOffAsync(WebSocketEventManager manager, WebSocketBroadcaster broadcaster, ManualTimeProvider time, TimeSpan sendTimeout)
    {
        var payload = new string('p', 64 * 1024);
        for (var i = 0; i < 400; i++)
        {
            manager.Publish(CustomEvent.Create("big", new { payload }));
        }

        await Eventually.Until(
            () =>
            {
                time.Advance(sendTimeout);
                return broadcaster.ClientCount == 0;
            },
            "the stuck send was aborted");
    }
}
