using System.Net.Http.Headers;
using System.Net.ServerSentEvents;

namespace EventManager.Client;

/// <summary>One Server-Sent Events request: reads items and hands each to the dispatcher until the server ends the stream.</summary>
internal static class ServerSentEventTransport
{
    public static async Task RunAsync(Uri uri, HttpClient http, EventManagerClientOptions options, FrameDispatcher dispatcher, Action connected, CancellationToken cancellationToken)
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
            await using (stream.ConfigureAwait(false))
            {
                var parser = SseParser.Create(stream, static (_, data) => data.ToArray());
                await foreach (var item in parser.EnumerateAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (item.Data.Length > options.MaxFrameBytes)
                    {
                        dispatcher.ReportOversized(options.MaxFrameBytes);
                    }
                    else if (await dispatcher.OnServerSentEventAsync(item.EventType, item.Data, item.EventId, cancellationToken).ConfigureAwait(false))
                    {
                        connected();
                    }
                }
            }
        }
    }
}
