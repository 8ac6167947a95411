using System.Threading.Channels;

namespace EventManager.Tests.Support;

/// <summary>
/// Reads an SSE stream (an HTTP response through HttpClient, or any stream) into (event, id, data) items; comments are kept as
/// items with Event ":".
/// </summary>
internal sealed class SseClient : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseMessage> _messages = Channel.CreateUnbounded<SseMessage>();
    private Task _reader = Task.CompletedTask;
    private IDisposable? _connection;

    public HttpResponseMessage? Response { get; private set; }

    /// <summary>Reads a stream the server writes to until it ends; disposing the client disposes <paramref name="connection"/>.</summary>
    public static SseClient Over(Stream stream, IDisposable connection)
    {
        var client = new SseClient { _connection = connection };
        client._reader = client.ReadAsync(stream);
        return client;
    }

    public static async Task<SseClient> ConnectAsync(Uri uri, string? lastEventId = null)
    {
        var client = new SseClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        client.Response = await client._http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, client._stop.Token);
        if (client.Response.IsSuccessStatusCode)
        {
            client._reader = client.ReadAsync(await client.Response.Content.ReadAsStreamAsync(client._stop.Token));
        }

        return client;
    }

    public async Task<SseMessage> NextAsync(Func<SseMessage, bool>? match = null)
    {
        using var cts = new CancellationTokenSource(Eventually.DefaultTimeout);
        try
        {
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(cts.Token);
                if (match is null ? message.Event != ":" : match(message))
                {
                    return message;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            Assert.Fail("The expected SSE message did not arrive.");
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _connection?.Dispose();
        try
        {
            await Eventually.Within(_reader, "the SSE reader to stop");
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
        }

        Response?.Dispose();
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync(Stream stream)
    {
        using var reader = new StreamReader(stream);
        string? type = null, id = null;
        var data = new List<string>();
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Count > 0)
                    {
                        await _messages.Writer.WriteAsync(new SseMessage(type ?? "message", id, string.Join('\n', data)));
                    }

                    (type, id) = (null, null);
                    data.Clear();
                }
                else if (line.StartsWith(':'))
                {
                    await _messages.Writer.WriteAsync(new SseMessage(":", null, line[1..].Trim()));
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    type = line["event:".Length..].Trim();
                }
                else if (line.StartsWith("id:", StringComparison.Ordinal))
                {
                    id = line["id:".Length..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Add(line["data:".Length..].TrimStart());
                }
            }
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }
}

internal sealed record SseMessage(string Event, string? Id, string Data);
