using System.Net;
using System.Net.WebSockets;
using System.Text;
using EventManager.Sockets;
using Microsoft.Extensions.Logging;

namespace EventManager.Sockets.Tests;

[TestFixture]
public sealed class BadInputTests
{
    private SocketHost _server = null!;
    private int _logsBefore;

    [OneTimeSetUp]
    public void Start() => _server = SocketHost.Start(o => o.MaxFramesPerSecond = 5);

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    // Checked after each test, on what was logged since it began, not once at the end: a failed assertion in a one-time
    // teardown does not fail the run.
    [SetUp]
    public void NoteLogs() => _logsBefore = _server.Logs.Count;

    [TearDown]
    public void NothingLoggedAtError() =>
        Assert.That(_server.Logs.ErrorsAfter(_logsBefore), Is.Empty, "client mistakes never log at Error");

    [TestCase("not json at all", "invalid_json", null)]
    [TestCase("[1,2]", "invalid_frame", null)]
    [TestCase("{\"payload\":{}}", "invalid_field", "type")]
    [TestCase("{\"type\":42}", "invalid_field", "type")]
    [TestCase("{\"type\":\"dance\"}", "unknown_type", "type")]
    [TestCase("{\"type\":\"subscribe\",\"payload\":\"all\"}", "invalid_field", "payload")]
    [TestCase("{\"type\":\"subscribe\",\"payload\":{}}", "invalid_field", "payload.event_types")]
    [TestCase("{\"type\":\"subscribe\",\"payload\":{\"event_types\":\"voice.*\"}}", "invalid_field", "payload.event_types")]
    [TestCase("{\"type\":\"subscribe\",\"payload\":{\"event_types\":[\"ok\",7]}}", "invalid_field", "payload.event_types[1]")]
    [TestCase("{\"type\":\"subscribe\",\"payload\":{\"event_types\":[\"a*b\"]}}", "invalid_field", "payload.event_types")]
    [TestCase("{\"type\":\"\\ud800\"}", "invalid_json", null)]
    [TestCase("{\"\\udc00\":1,\"type\":\"ping\"}", "invalid_json", null)]
    [TestCase("{\"type\":\"subscribe\",\"payload\":{\"event_types\":[\"\\ud83d\\u0041\"]}}", "invalid_json", null)]
    public async Task BadFrame_GetsAnErrorFrameAndTheConnectionStays(string frame, string code, string? field)
    {
        await using var client = await ConnectedAsync();

        await client.SendAsync(frame);

        var error = (await client.NextAsync("error")).GetProperty("payload");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(code));
        Assert.That(error.TryGetProperty("field", out var named) ? named.GetString() : null, Is.EqualTo(field));
        await client.SendAsync(new { type = "ping" });
        await client.NextAsync("pong");
    }

    [Test]
    public async Task TextFrameThatIsNotUtf8_ClosesWithInvalidPayloadData()
    {
        await using var client = await ConnectedAsync();
        var frame = Encoding.UTF8.GetBytes("{\"type\":\"ping\"}");
        frame[10] = 0xF5;

        await client.Socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.InvalidPayloadData), "1007, from .NET's WebSocket, which checks text frames are UTF-8");
    }

    [Test]
    public async Task BinaryFrame_ClosesWithUnsupportedData()
    {
        await using var client = await ConnectedAsync();

        await client.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);

        Assert.That(await client.ClosedAsync(), Is.EqualTo((WebSocketCloseStatus)EventSocketCloseCodes.UnsupportedData));
    }

    [Test]
    public async Task FrameOverTheSizeLimit_ClosesWithMessageTooBig()
    {
        await using var client = await ConnectedAsync();
        var big = Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"pad\":\"" + new string('x', 70 * 1024) + "\"}");

        await client.Socket.SendAsync(big, WebSocketMessageType.Text, true, CancellationToken.None);

        Assert.That(await client.ClosedAsync(), Is.EqualTo((WebSocketCloseStatus)EventSocketCloseCodes.MessageTooBig));
    }

    [Test]
    public async Task TooManyFramesPerSecond_GetRateLimitedAndClosedWithPolicyViolation()
    {
        await using var client = await ConnectedAsync();

        for (var i = 0; i < 20; i++)
        {
            try
            {
                await client.SendAsync(new { type = "ping" });
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
            {
                // The server may have closed the connection, and the client finished the close handshake, before the whole
                // burst was sent.
                break;
            }
        }

        var error = await client.NextAsync("error");
        Assert.That(error.GetProperty("payload").GetProperty("code").GetString(), Is.EqualTo("rate_limited"));
        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
    }

    [Test]
    public async Task HostileClient_DoesNotDisturbAnotherClient()
    {
        await using var victim = await ConnectedAsync(new() { BatchWindow = TimeSpan.Zero });
        await using var hostile = await ConnectedAsync();

        await hostile.SendAsync("{{{{");
        await hostile.Socket.SendAsync(new byte[] { 0 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        await hostile.ClosedAsync();
        var evt = new CustomEvent("after.attack");
        _server.Manager.Publish(evt);

        Assert.That((await victim.NextAsync("event")).GetProperty("event_id").GetString(), Is.EqualTo(evt.EventId));
    }

    private async Task<WsClient> ConnectedAsync(ClientConnectionOptions? options = null)
    {
        var client = await _server.ConnectAsync(options);
        await client.NextAsync("connected");
        return client;
    }
}
