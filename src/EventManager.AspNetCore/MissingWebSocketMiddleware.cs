using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace EventManager.AspNetCore;

/// <summary>
/// Tells a WebSocket upgrade refused because <c>app.UseWebSockets()</c> is missing from one that was never an upgrade, and logs
/// the fix once per app at Warning: without the middleware every client would get a 400 and the server would say nothing.
/// A singleton registered by <c>AddEventSockets()</c>.
/// </summary>
internal sealed partial class MissingWebSocketMiddleware(ILoggerFactory? loggers = null)
{
    public const string Message = "WebSocket upgrades are not enabled on this server: the app must call app.UseWebSockets() before mapping MapEventWebSocket.";

    private int _logged;

    /// <summary>Whether the request asks for a WebSocket upgrade that nothing in the pipeline can accept; logs the first time.</summary>
    public bool Detects(HttpContext context)
    {
        var asksForUpgrade = context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
        if (!asksForUpgrade || context.Features.Get<IHttpWebSocketFeature>() is not null)
        {
            return false;
        }

        if (Interlocked.Exchange(ref _logged, 1) == 0 && loggers is not null)
        {
            LogMissing(loggers.CreateLogger("EventManager.AspNetCore.EventEndpoints"), context.Request.Path);
        }

        return true;
    }

    [LoggerMessage(201, LogLevel.Warning, "A WebSocket upgrade to {Path} was refused with 400 because app.UseWebSockets() is missing: call it before mapping MapEventWebSocket. Logged once.")]
    private static partial void LogMissing(ILogger logger, string path);
}
