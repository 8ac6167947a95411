namespace EventManager.Client;

/// <summary>Turns the cancellation an <see cref="IdleTimeout"/> caused into a <see cref="TimeoutException"/> that says what happened.</summary>
internal static class IdleTimeoutException
{
    public static async Task<T> Guard<T>(Task<T> read, IdleTimeout idle, TimeSpan timeout, CancellationToken outer)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (idle.Token.IsCancellationRequested && !outer.IsCancellationRequested)
        {
            throw new TimeoutException($"Nothing arrived on the connection for {timeout} ({nameof(EventManagerClientOptions.IdleTimeout)}); it is taken for dead.");
        }
    }
}
