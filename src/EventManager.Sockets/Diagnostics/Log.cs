using Microsoft.Extensions.Logging;

namespace EventManager.Sockets;

/// <summary>The socket layer's log messages; their event ids continue the core's and never reuse one.</summary>
internal static partial class Log
{
    [LoggerMessage(7, LogLevel.Debug, "Socket client {ClientId} sent a bad frame ({Code}): {Message}. It was told so and stays connected.")]
    public static partial void ClientError(ILogger logger, string clientId, string code, string message);

    [LoggerMessage(8, LogLevel.Warning, "Closing socket client {ClientId} with code {CloseCode}: {Reason}.")]
    public static partial void ClientViolation(ILogger logger, string clientId, int closeCode, string reason);

    [LoggerMessage(9, LogLevel.Information, "Refused a socket client for session {SessionId}: {Reason}.")]
    public static partial void ClientRefused(ILogger logger, string? sessionId, string reason);

    [LoggerMessage(10, LogLevel.Debug, "Socket client {ClientId} ({Kind}) connected to session {SessionId}; {Clients} clients now.")]
    public static partial void ClientConnected(ILogger logger, string clientId, string kind, string? sessionId, int clients);

    [LoggerMessage(11, LogLevel.Debug, "Socket client {ClientId} left (close code {CloseCode}); {Clients} clients now.")]
    public static partial void ClientLeft(ILogger logger, string clientId, int? closeCode, int clients);
}
