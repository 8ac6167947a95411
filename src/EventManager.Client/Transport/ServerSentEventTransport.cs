using System.Net.Http.Headers;
using System.Net.ServerSentEvents;

namespace EventManager.Client;

/// <summary>One Server-Sent Events request: reads items and hands each to the dispatcher until the server ends the stream.</summary>
internal static class ServerSentEventTransport
{
    public static async Task RunAsync(Uri uri, HttpClient http, EventManagerClientOptions options, TimeProvider time, FrameDispatcher dispatcher, Action connected, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        HttpResponseMessage response;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(options.ConnectTimeout);
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connect.Token).ConfigureAwait(false);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new HttpRequestException($"The server refused the event stream with HTTP {(int)response.StatusCode}: {body}", null, response.StatusCode);
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var idle = new IdleTimeout(time, options.IdleTimeout, cancellationToken);
            await using (stream.ConfigureAwait(false))
            {
                // Keep-alive comments reach no item, so the idle timeout watches the bytes instead.
                var parser = SseParser.Create(new ActivityStream(stream, idle), static (_, data) => data.ToArray());
                var items = parser.EnumerateAsync(idle.Token).GetAsyncEnumerator(idle.Token);
                await using (items.ConfigureAwait(false))
                {
                    while (await IdleTimeoutException.Guard(items.MoveNextAsync().AsTask(), idle, options.IdleTimeout, cancellationToken).ConfigureAwait(false))
                    {
                        var item = items.Current;
                        idle.Pause();
                        if (item.Data.Length > options.MaxFrameBytes)
                        {
                            dispatcher.ReportOversized(options.MaxFrameBytes);
                        }
                        else if (await dispatcher.OnServerSentEventAsync(item.EventType, item.Data, item.EventId, cancellationToken).ConfigureAwait(false))
                        {
                            connected();
                        }

                        idle.Touch();
                    }
                }
            }
        }
    }
}
