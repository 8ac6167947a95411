namespace EventManager.Client;

/// <summary>The server dropped events from this client's send queue because it read too slowly; they are not sent again.</summary>
/// <param name="Missed">Events dropped since the previous gap report.</param>
/// <param name="TotalMissed">Events dropped on this connection in all.</param>
public readonly record struct EventGap(long Missed, long TotalMissed);
