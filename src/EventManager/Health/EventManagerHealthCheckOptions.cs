namespace EventManager;

/// <summary>
/// Thresholds of the health checks that <c>AddEventManager</c> registers: one for the manager, and one each for a Redis
/// mirror and a socket broadcaster when they are registered.
/// </summary>
public sealed class EventManagerHealthCheckOptions : IValidatable
{
    /// <summary>The default of <see cref="DegradedQueueFill"/>.</summary>
    public const double DefaultDegradedQueueFill = 0.8;

    /// <summary>The default of <see cref="DropWindow"/>.</summary>
    public static readonly TimeSpan DefaultDropWindow = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How full the fullest queue of the manager (its ingress or a listener's) may be, as a fraction of its capacity, before
    /// the manager reports <c>Degraded</c>: a queue that full is close to dropping or, under <see cref="OverflowPolicy.Wait"/>,
    /// to holding publishers back. Default <see cref="DefaultDegradedQueueFill"/>; above 0 and at most 1.
    /// </summary>
    public double DegradedQueueFill { get; set; } = DefaultDegradedQueueFill;

    /// <summary>
    /// How long a part stays <c>Unhealthy</c> (the manager, the mirror) or <c>Degraded</c> (the broadcaster) after a check
    /// saw its drop count rise. A check compares each count with the one the previous check saw; drops before the first
    /// check count as seen by it. Default <see cref="DefaultDropWindow"/>; at least one second.
    /// </summary>
    public TimeSpan DropWindow { get; set; } = DefaultDropWindow;

    void IValidatable.Validate() => Validate();

    internal void Validate()
    {
        if (!(DegradedQueueFill > 0 && DegradedQueueFill <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(DegradedQueueFill), DegradedQueueFill, $"{nameof(EventManagerHealthCheckOptions)}.{nameof(DegradedQueueFill)} must be above 0 and at most 1.");
        }

        if (DropWindow < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(DropWindow), DropWindow, $"{nameof(EventManagerHealthCheckOptions)}.{nameof(DropWindow)} must be at least one second.");
        }
    }
}
