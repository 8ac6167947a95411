namespace EventManager.Redis;

/// <summary>The mirror's one way to wait: on the manager's clock, cut short (without throwing) when stopping aborts.</summary>
internal static class Pause
{
    public static async Task ForAsync(TimeSpan delay, TimeProvider time, CancellationToken abort)
    {
        try
        {
            await Task.Delay(delay, time, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping cut the wait short; the caller checks the abort token.
        }
    }
}
