namespace EventManager;

/// <summary>
/// A manager's running totals, read without an allocation or a snapshot of every listener (unlike
/// <see cref="EventManagerMetrics"/>): for a caller that polls them, such as a component waiting for the dispatcher to
/// catch up. Every accepted event is, in the end, either dispatched (given a sequence number) or dropped at the ingress.
/// </summary>
/// <param name="Published">Events accepted by <c>Publish</c>, <c>TryPublish</c> and <c>PublishAsync</c>.</param>
/// <param name="Dispatched">The sequence number of the event the dispatcher is handing to the listeners, or handed last.</param>
/// <param name="IngressDropped">Accepted events that will never be dispatched: dropped by a full ingress queue, published twice, or abandoned by shutdown.</param>
/// <param name="QueueDepth">Events waiting in the ingress queue.</param>
public readonly record struct EventManagerTotals(long Published, long Dispatched, long IngressDropped, int QueueDepth);
