using System.Security.Claims;
using EventManager.Sockets;

namespace EventManager.AspNetCore;

/// <summary>Settings of the WebSocket and Server-Sent Events endpoints.</summary>
public sealed class EventSocketOptions : IValidatable
{
    /// <summary>
    /// Origins allowed to open a WebSocket, such as <c>https://dashboard.example.com</c>. An upgrade whose <c>Origin</c> header names
    /// another origin gets 403, which stops cross-site WebSocket hijacking. Requests without an <c>Origin</c> header (non-browser
    /// clients) are allowed. Default empty: every origin is allowed; set it in production.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// Whether to offer permessage-deflate compression to WebSocket clients that ask for it. Default <see langword="false"/>:
    /// compressing attacker-influenced content next to secrets can leak them (as in CRIME and BREACH), so enable it only for
    /// streams that carry no secrets.
    /// </summary>
    public bool EnableCompression { get; set; }

    /// <summary>The claim whose value is the user id that <see cref="WebSocketEvent.TargetUserId"/> is compared with. Default <see cref="ClaimTypes.NameIdentifier"/>, then the identity's name.</summary>
    public string UserIdClaimType { get; set; } = ClaimTypes.NameIdentifier;

    /// <summary>The broadcaster's settings: limits, queues, heartbeats, timeouts.</summary>
    public WebSocketBroadcasterOptions Broadcaster { get; set; } = new();

    void IValidatable.Validate() => Validate();

    internal void Validate()
    {
        foreach (var origin in AllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.GetLeftPart(UriPartial.Authority) != origin.TrimEnd('/'))
            {
                throw new ArgumentException($"{nameof(EventSocketOptions)}.{nameof(AllowedOrigins)} contains '{origin}', which is not an origin such as https://example.com:8443.", nameof(AllowedOrigins));
            }
        }

        if (string.IsNullOrWhiteSpace(UserIdClaimType))
        {
            throw new ArgumentException($"{nameof(EventSocketOptions)}.{nameof(UserIdClaimType)} must not be empty.", nameof(UserIdClaimType));
        }

        ArgumentNullException.ThrowIfNull(Broadcaster, nameof(Broadcaster));
        Broadcaster.Validate();
    }
}
