namespace EventManager;

/// <summary>
/// A manager's running totals, read without a lock or an allocation (unlike <see cref="EventManagerMetrics"/>, which snapshots
/// every listener): for a caller that polls them, such as a component waiting for the dispatcher to catch up.
/// </summary>
/// <param name="Published">Events accepted by <c>Publish</c>, <c>TryPublish</c> and <c>PublishAsync</c>.</param>
/// <param name="Dispatched">Events the dispatcher has handed to the listeners; the sequence of the last one.</param>
/// <param name="QueueDepth">Events waiting in the ingress queue.</param>
public readonly record struct EventManagerTotals(long Published, long Dispatched, int QueueDepth);
