using System.Globalization;
using System.Text;

namespace EventManager;

/// <summary>
/// A snapshot of a manager's counters. Every event accepted by a publish call is, in the end, dispatched or dropped;
/// every dispatched event is, for each listener whose filter accepts it, delivered, failed or dropped.
/// </summary>
/// <param name="Published">Events accepted by <c>Publish</c>, <c>TryPublish</c> or <c>PublishAsync</c>.</param>
/// <param name="Dispatched">Events the dispatcher has stamped with a sequence number and fanned out; equals the last sequence number.</param>
/// <param name="Delivered">Handler calls that completed, over all listeners including removed ones.</param>
/// <param name="Dropped">Events dropped anywhere: by the ingress queue's overflow policy, by listener queues, when a listener was removed with events queued, at a shutdown that timed out, or as the second of two simultaneous publications of one instance (logged).</param>
/// <param name="Rejected">Calls to <c>TryPublish</c> that returned <see langword="false"/> because the ingress queue was full.</param>
/// <param name="ListenerErrors">Handler calls and filters that threw.</param>
/// <param name="QueueDepth">Events waiting in the ingress queue.</param>
/// <param name="Listeners">Figures for each registered listener.</param>
public sealed record EventManagerMetrics(
    long Published,
    long Dispatched,
    long Delivered,
    long Dropped,
    long Rejected,
    long ListenerErrors,
    int QueueDepth,
    IReadOnlyList<ListenerMetrics> Listeners)
{
    // The compiler's version prints the list's type name; this prints each listener's figures.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Published = {Published}, Dispatched = {Dispatched}, Delivered = {Delivered}, Dropped = {Dropped}, ");
        builder.Append(CultureInfo.InvariantCulture, $"Rejected = {Rejected}, ListenerErrors = {ListenerErrors}, QueueDepth = {QueueDepth}, Listeners = [");
        builder.AppendJoin(", ", Listeners);
        builder.Append(']');
        return true;
    }
}

/// <summary>A snapshot of one listener's counters.</summary>
/// <param name="Id">The id returned by <c>AddListener</c>.</param>
/// <param name="Name">The name from <see cref="ListenerOptions.Name"/>, if any.</param>
/// <param name="Delivered">Handler calls that completed.</param>
/// <param name="Dropped">Events dropped by this listener's queue.</param>
/// <param name="Pending">Events waiting in this listener's queue.</param>
/// <param name="Errors">Handler calls and filter runs that threw.</param>
public sealed record ListenerMetrics(long Id, string? Name, long Delivered, long Dropped, int Pending, long Errors);
