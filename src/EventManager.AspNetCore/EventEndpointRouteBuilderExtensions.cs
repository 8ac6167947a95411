using EventManager;
using EventManager.AspNetCore;
using EventManager.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the WebSocket and Server-Sent Events endpoints and the browser client.</summary>
public static class EventEndpointRouteBuilderExtensions
{
    private const string SessionRouteValue = "sessionId";

    /// <summary>
    /// Maps a WebSocket endpoint speaking the protocol of <c>docs/protocol.md</c>, for example <c>"/ws/events"</c> or
    /// <c>"/ws/events/{sessionId}"</c> (the client then receives only that session's events). Needs <c>app.UseWebSockets()</c>
    /// and <c>AddEventSockets()</c>. Answers 400 to a request that is not a WebSocket upgrade or has a malformed query, 403 to
    /// a disallowed <c>Origin</c>, 503 when the client limits are reached.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The route pattern.</param>
    /// <returns>A builder to add authorization, CORS and other conventions.</returns>
    /// <exception cref="InvalidOperationException"><c>AddEventSockets()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapEventWebSocket(this IEndpointRouteBuilder endpoints, string pattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        EnsureRegistered(endpoints, nameof(MapEventWebSocket));
        return endpoints.Map(pattern, HandleWebSocketAsync).WithDisplayName("EventManager WebSocket " + pattern);
    }

    /// <summary>
    /// Maps a Server-Sent Events endpoint, for example <c>"/events"</c> or <c>"/events/{sessionId}"</c>: <c>text/event-stream</c>
    /// with <c>session_stream_started</c> first, then each event as <c>event: &lt;event_type&gt;</c>, <c>id: &lt;event_id&gt;</c>,
    /// <c>data: &lt;json&gt;</c>, keep-alive comments while idle, and the same <c>filter</c> query parameter as the WebSocket.
    /// Needs <c>AddEventSockets()</c>.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The route pattern.</param>
    /// <returns>A builder to add authorization, CORS and other conventions.</returns>
    /// <exception cref="InvalidOperationException"><c>AddEventSockets()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapEventStream(this IEndpointRouteBuilder endpoints, string pattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        EnsureRegistered(endpoints, nameof(MapEventStream));
        return endpoints.MapGet(pattern, HandleStreamAsync).WithDisplayName("EventManager SSE " + pattern);
    }

    /// <summary>Serves the browser client <c>eventmanager.js</c> (see <c>docs/protocol.md</c>), by default at <c>/eventmanager.js</c>.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The route pattern.</param>
    /// <returns>A builder for further conventions.</returns>
    public static IEndpointConventionBuilder MapEventManagerClient(this IEndpointRouteBuilder endpoints, string pattern = "/eventmanager.js")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        var script = ClientScript.Value;
        return endpoints.MapGet(pattern, (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(script, "text/javascript; charset=utf-8");
        }).WithDisplayName("EventManager client script");
    }

    private static readonly Lazy<byte[]> ClientScript = new(() =>
    {
        using var stream = typeof(EventEndpointRouteBuilderExtensions).Assembly.GetManifestResourceStream("eventmanager.js")
            ?? throw new InvalidOperationException("eventmanager.js is missing from the EventManager.AspNetCore assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    private static async Task HandleWebSocketAsync(HttpContext context)
    {
        var (broadcaster, options) = Services(context);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            if (context.RequestServices.GetRequiredService<MissingWebSocketMiddleware>().Detects(context))
            {
                await Problem(context, StatusCodes.Status400BadRequest, "websockets_not_enabled", MissingWebSocketMiddleware.Message).ConfigureAwait(false);
                return;
            }

            await Problem(context, StatusCodes.Status400BadRequest, "not_websocket", "This endpoint expects a WebSocket upgrade (and the app must call UseWebSockets()).").ConfigureAwait(false);
            return;
        }

        if (!OriginAllowed(context, options))
        {
            await Problem(context, StatusCodes.Status403Forbidden, "origin_not_allowed", "WebSocket connections from this origin are not allowed.").ConfigureAwait(false);
            return;
        }

        var clientOptions = await AdmitAsync(context, broadcaster, options).ConfigureAwait(false);
        if (clientOptions is null)
        {
            return;
        }

        var (socket, transport) = await WebSocketAcceptor.AcceptAsync(context, options.EnableCompression).ConfigureAwait(false);
        using (socket)
        {
            await broadcaster.ConnectClientAsync(socket, transport, clientOptions, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static async Task HandleStreamAsync(HttpContext context)
    {
        var (broadcaster, options) = Services(context);
        var clientOptions = await AdmitAsync(context, broadcaster, options).ConfigureAwait(false);
        if (clientOptions is null)
        {
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await broadcaster.StreamServerSentEventsAsync(context.Response.Body, clientOptions, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Reads the client's options from the query and checks the limits; answers 400 or 503 and returns null when it cannot connect.</summary>
    private static async Task<ClientConnectionOptions?> AdmitAsync(HttpContext context, WebSocketBroadcaster broadcaster, EventSocketOptions options)
    {
        if (!TryReadOptions(context, options, out var clientOptions, out var error))
        {
            await Problem(context, StatusCodes.Status400BadRequest, "invalid_query", error.Message, error.Field).ConfigureAwait(false);
            return null;
        }

        if (!broadcaster.AdmitOrRefuse(clientOptions.SessionId))
        {
            await Problem(context, StatusCodes.Status503ServiceUnavailable, "try_again_later", "The server has its maximum number of clients.").ConfigureAwait(false);
            return null;
        }

        return clientOptions;
    }

    private static (WebSocketBroadcaster Broadcaster, EventSocketOptions Options) Services(HttpContext context) =>
        (context.RequestServices.GetRequiredService<WebSocketBroadcaster>(), context.RequestServices.GetRequiredService<IOptions<EventSocketOptions>>().Value);

    /// <summary>Fails while the app is being built, as ASP.NET Core's <c>MapHub</c> does, rather than with a 500 at the first request.</summary>
    private static void EnsureRegistered(IEndpointRouteBuilder endpoints, string method)
    {
        var registered = endpoints.ServiceProvider.GetService<IServiceProviderIsService>()?.IsService(typeof(WebSocketBroadcaster))
            ?? endpoints.ServiceProvider.GetService<WebSocketBroadcaster>() is not null;
        if (!registered)
        {
            throw new InvalidOperationException(
                $"{method} needs the event socket services: call builder.Services.AddWebSocketEventManager().AddEventSockets() before building the app.");
        }
    }

    private static bool OriginAllowed(HttpContext context, EventSocketOptions options)
    {
        if (options.AllowedOrigins.Count == 0 || !context.Request.Headers.TryGetValue(HeaderNames.Origin, out var origin))
        {
            return true;
        }

        foreach (var allowed in options.AllowedOrigins)
        {
            if (string.Equals(allowed.TrimEnd('/'), origin.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryReadOptions(HttpContext context, EventSocketOptions options, out ClientConnectionOptions clientOptions, out EventFormatException error)
    {
        var user = context.User.Identity?.IsAuthenticated == true ? context.User : null;
        var userId = user?.FindFirst(options.UserIdClaimType)?.Value ?? user?.Identity?.Name;
        var query = context.Request.Query;
        try
        {
            var lastEventId = context.Request.Headers.TryGetValue("Last-Event-ID", out var header) && header.Count > 0 ? header.ToString() : null;
            clientOptions = ClientConnectionOptions.FromQuery(
                name => query.TryGetValue(name, out var value) ? value.ToString() : null,
                context.Request.RouteValues[SessionRouteValue] as string,
                user,
                userId,
                lastEventId);
            error = null!;
            return true;
        }
        catch (EventFormatException ex)
        {
            clientOptions = null!;
            error = ex;
            return false;
        }
    }

    private static Task Problem(HttpContext context, int status, string code, string message, string? field = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ProblemBody(code, message, field), ProblemJsonContext.Default.ProblemBody);
    }
}
