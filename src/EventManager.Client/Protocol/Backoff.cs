namespace EventManager.Client;

/// <summary>Exponential backoff with jitter, so clients that lost one server do not all come back in the same instant.</summary>
internal static class Backoff
{
    /// <summary>The delay before attempt <paramref name="failures"/> (1 for the first): doubling from <paramref name="first"/> up to <paramref name="most"/>, less up to half at random.</summary>
    public static TimeSpan Delay(int failures, TimeSpan first, TimeSpan most)
    {
        var doubled = first.Ticks * Math.Pow(2, Math.Min(failures - 1, 30));
        var capped = Math.Min(doubled, most.Ticks);
        return TimeSpan.FromTicks((long)(capped * (1 - (Random.Shared.NextDouble() / 2))));
    }
}
