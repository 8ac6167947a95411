using System.Net;
using System.Text.Json;
using EventManager.AspNetCore.Tests.Support;

namespace EventManager.AspNetCore.Tests;

[TestFixture]
public sealed class StreamTests
{
    private EventServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await EventServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task Stream_MalformedFilter_Is400()
    {
        await using var client = await SseClient.ConnectAsync(_server.HttpUri("/events?filter=%5B"));

        Assert.That(client.Response!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}
