namespace EventManager.Tests.Support;

/// <summary>Waits for a condition instead of sleeping for a guessed time.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task Until(Func<bool> condition, string because, TimeSpan? timeout = null)
    {
        var deadline = TimeProvider.System.GetTimestamp();
        var limit = timeout ?? DefaultTimeout;
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(deadline) > limit)
            {
                Assert.Fail($"Timed out after {limit} waiting until {because}.");
            }

            await Task.Delay(5);
        }
    }

    /// <param name="condition">Checked until it holds.</param>
    /// <param name="because">What is awaited, for the failure message.</param>
    /// <param name="timeout">How long to wait; <see cref="DefaultTimeout"/> when <see langword="null"/>.</param>
    /// <param name="interval">Between checks, for a condition that is costly to check (5 ms when <see langword="null"/>).</param>
    public static async Task Until(Func<Task<bool>> condition, string because, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        var deadline = TimeProvider.System.GetTimestamp();
        var limit = timeout ?? DefaultTimeout;
        while (!await condition())
        {
            if (TimeProvider.System.GetElapsedTime(deadline) > limit)
            {
                Assert.Fail($"Timed out after {limit} waiting until {because}.");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(5));
        }
    }

    public static async Task<T> Within<T>(Task<T> task, string because, TimeSpan? timeout = null)
    {
        try
        {
            return await task.WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Timed out waiting for {because}.");
            throw;
        }
    }

    public static async Task Within(Task task, string because, TimeSpan? timeout = null)
    {
        try
        {
            await task.WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Timed out waiting for {because}.");
        }
    }
}
