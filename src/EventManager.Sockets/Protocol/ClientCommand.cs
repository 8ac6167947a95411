namespace EventManager.Sockets;

/// <summary>What a client frame asks for (docs/protocol.md, client to server).</summary>
internal enum ClientCommandKind
{
    Ping,
    Subscribe,
    Unsubscribe,
    Resume,
}

/// <summary>A client frame, parsed and checked.</summary>
/// <param name="Kind">What it asks for.</param>
/// <param name="EventTypes">For subscribe, the types to receive; for unsubscribe, those to remove, or <see langword="null"/> for all.</param>
/// <param name="LastEventId">For resume, the id to resume after.</param>
/// <param name="Epoch">For resume, the epoch the id came from, when it is a well-formed one.</param>
internal readonly record struct ClientCommand(ClientCommandKind Kind, IReadOnlyList<string>? EventTypes = null, string? LastEventId = null, string? Epoch = null);

/// <summary>Why a client frame was refused, sent back as an <c>error</c> frame; the connection stays open.</summary>
/// <param name="Code">The error code, such as <c>invalid_field</c>.</param>
/// <param name="Message">What was wrong, for a person.</param>
/// <param name="Field">The field at fault, when there is one.</param>
internal sealed record ClientFrameError(string Code, string Message, string? Field = null);
