using System.Net;
using System.Net.WebSockets;
using System.Text;
using EventManager.AspNetCore.Tests.Support;
using EventManager.Sockets;
using Microsoft.Extensions.Logging;

namespace EventManager.AspNetCore.Tests;

[TestFixture]
public sealed class BadInputTests
{
    private EventServer _server = null!;
    private int _logsBefore;

    [OneTimeSetUp]
    public async Task Start() => _server = await EventServer.StartAsync(o => o.Broadcaster.MaxFramesPerSecond = 5);

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    // Checked after each test, on what was logged since it began, not once at the end: a failed assertion in a one-time
    // teardown does not fail the run.
    [SetUp]
    public void NoteLogs() => _logsBefore = _server.Logs.Count;

    [TearDown]
    public void NothingLoggedAtError() =>
        Assert.That(_server.Logs.ErrorsAfter(_logsBefore), Is.Empty, "client mistakes never log at Error");

    [TestCase("filter=%7Bnot-json", "filter")]
    [TestCase("filter=%7B%22tool_names%22%3A%22Edit%22%7D", "filter.tool_names")]
    [TestCase("filter=%7B%22colour%22%3A1%7D", "filter.colour")]
    [TestCase("batch_size=0", "batch_size")]
    [TestCase("batch_size=abc", "batch_size")]
    [TestCase("batch_window_ms=-5", "batch_window_ms")]
    [TestCase("metrics_interval_ms=10", "metrics_interval_ms")]
    public async Task MalformedQuery_IsRefusedWith400NamingTheParameter(string query, string field)
    {
        using var http = new HttpClient();

        using var response = await http.GetAsync(_server.HttpUri("/events?" + query));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("field").GetString(), Is.EqualTo(field));
        Assert.That(await WsClient.RefusedAsync(_server.WsUri("/ws/events?" + query)), Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task PlainHttpRequestToTheWebSocketEndpoint_Gets400()
    {
        using var http = new HttpClient();

        using var response = await http.GetAsync(_server.HttpUri("/ws/events"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    private async Task<WsClient> ConnectedAsync(string path = "/ws/events")
    {
        var client = await WsClient.ConnectAsync(_server.WsUri(path));
        await client.NextAsync("connected");
        return client;
    }
}
