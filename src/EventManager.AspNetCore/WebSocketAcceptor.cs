using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using EventManager.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EventManager.AspNetCore;

/// <summary>
/// Accepts a WebSocket request that <c>UseWebSockets()</c> has already checked. An HTTP/1.1 upgrade without compression is
/// answered here, and the socket is made over a <see cref="FramedTransport"/>, so the client's event frames go to the connection
/// without being copied again (benchmarks/README.md); anything else (compression negotiated, a WebSocket over HTTP/2) is accepted
/// by ASP.NET Core.
/// </summary>
internal static class WebSocketAcceptor
{
    // RFC 6455, section 1.3: appended to the client's key to prove the server read it.
    private const string KeyGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static async Task<(WebSocket Socket, FramedTransport? Transport)> AcceptAsync(HttpContext context, bool enableCompression)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var key = context.Request.Headers.SecWebSocketKey.ToString();
        if (upgrade is not { IsUpgradableRequest: true } || key.Length == 0 || (enableCompression && OffersCompression(context.Request)))
        {
            var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = enableCompression }).ConfigureAwait(false);
            return (socket, null);
        }

        var headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(key);
        var upgraded = await upgrade.UpgradeAsync().ConfigureAwait(false);

        // As ASP.NET Core's own accept does: a request timeout must not cut off a connection meant to stay open.
        context.Features.Get<IHttpRequestTimeoutFeature>()?.DisableTimeout();

        // The keep-alive settings of UseWebSockets(), when they come from the container (UseWebSockets() without arguments,
        // or services.Configure<WebSocketOptions>); the event protocol's heartbeats keep a connection alive in any case.
        var settings = context.RequestServices.GetService<IOptions<WebSocketOptions>>()?.Value ?? new WebSocketOptions();
        return FramedTransport.CreateServerSocket(upgraded, context.Abort, settings.KeepAliveInterval, settings.KeepAliveTimeout);
    }

    /// <summary>The <c>Sec-WebSocket-Accept</c> answer to <paramref name="key"/>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "RFC 6455 defines the handshake with SHA-1; it protects nothing secret.")]
    internal static string AcceptKey(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + KeyGuid)));

    private static bool OffersCompression(HttpRequest request)
    {
        foreach (var offer in request.Headers.SecWebSocketExtensions)
        {
            if (offer is not null && offer.Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
