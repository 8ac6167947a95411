using System.Net;
using System.Net.Sockets;
using EventManager;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using PsycheSimulation;

namespace PsycheSimulation.Tests;

/// <summary>
/// The dashboard in Debian's headless Chromium, driven by Selenium, against the sample running in-process on real Kestrel.
/// Fails, never skips, when chromium or chromedriver is missing: tests/install-dependencies.sh installs them.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const string ChromeDriverFolder = "/usr/bin";

    private int _port;
    private WebApplication _app = null!;
    private ChromeDriver _browser = null!;

    [SetUp]
    public async Task Start()
    {
        if (!File.Exists(Chromium) || !File.Exists(Path.Combine(ChromeDriverFolder, "chromedriver")))
        {
            Assert.Fail("chromium and chromedriver are required: run the tests with 'bash tests/run.sh', which installs Debian's chromium and chromium-driver.");
        }

        _port = FreePort();
        _app = await StartAppAsync(_port);
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--window-size=1400,900");
        var service = ChromeDriverService.CreateDefaultService(ChromeDriverFolder, "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        _browser = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        _browser.Navigate().GoToUrl($"http://127.0.0.1:{_port}/");
    }

    [TearDown]
    public async Task Stop()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, TestContext.CurrentContext.Test.Name + ".png");
            _browser.GetScreenshot().SaveAsFile(file);
            TestContext.AddTestAttachment(file);
        }

        _browser.Quit();
        _browser.Dispose();
        await _app.DisposeAsync();
    }

    [Test]
    public async Task Dashboard_ShowsLiveMessagesTheNetworkAndHealth()
    {
        await Eventually.Until(() => Count("#feed li.message") >= 5, "agent messages appear in the feed");
        await Eventually.Until(() => Count("#network circle.node") == 6, "the network shows every agent");
        await Eventually.Until(() => Count("#network line.edge") >= 6, "the network shows the links");
        await Eventually.Until(() => Attribute("#health-status", "data-health") is "healthy" or "warning" or "error", "a health reading arrives");
        await Eventually.Until(() => Text("#cpu-value").EndsWith('%'), "the CPU chart has a value");

        Assert.Multiple(() =>
        {
            Assert.That(Attribute("#connection-status", "data-status"), Is.EqualTo("connected"));
            Assert.That(Attributes("#feed li.message", "data-sentiment"), Is.Not.Empty.And.All.AnyOf("positive", "neutral", "negative"));
            Assert.That(_browser.FindElement(By.CssSelector("#memory-chart polyline")).GetAttribute("points"), Is.Not.Empty);
        });
        if (Environment.GetEnvironmentVariable("EVENTMANAGER_SCREENSHOT") is { Length: > 0 } path)
        {
            await Eventually.Until(() => _browser.FindElement(By.CssSelector("#cpu-chart polyline")).GetAttribute("points")!.Split(' ').Length >= 40, "enough health history for a screenshot", TimeSpan.FromSeconds(60));
            _browser.GetScreenshot().SaveAsFile(path);
        }
    }

    [Test]
    public async Task Dashboard_EventTextWithMarkup_IsShownLiterallyAndRunsNothing()
    {
        const string Hostile = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> <b>bold?</b>";
        await Eventually.Until(() => Attribute("#connection-status", "data-status") == "connected", "the page connected");
        var manager = _app.Services.GetRequiredService<WebSocketEventManager>();

        manager.BroadcastAgentMessage("agent-<i>x</i>", "intruder", Hostile);

        await Eventually.Until(() => Texts("#feed li.message .text").Contains(Hostile), "the message shows as text");
        Assert.Multiple(() =>
        {
            Assert.That(((IJavaScriptExecutor)_browser).ExecuteScript("return window.__pwned === undefined;"), Is.True, "no script ran");
            Assert.That(Count("#feed img") + Count("#feed script") + Count("#feed b"), Is.Zero, "no markup became elements");
            Assert.That(Texts("#feed .agent"), Does.Contain("agent-<i>x</i>"));
        });
    }

    [Test]
    public async Task Dashboard_ServerRestarted_ReconnectsAndCarriesOn()
    {
        await Eventually.Until(() => Count("#feed li.message") >= 2, "messages flow");

        await _app.StopAsync();
        await _app.DisposeAsync();
        await Eventually.Until(() => Attribute("#connection-status", "data-status") is "reconnecting" or "connecting", "the page noticed the server went away");
        _app = await StartAppAsync(_port);
        await Eventually.Until(() => Attribute("#connection-status", "data-status") == "connected", "the page reconnected", TimeSpan.FromSeconds(60));
        var marker = new AgentMessageEvent("agent-marker", "tester", "after the restart");
        _app.Services.GetRequiredService<WebSocketEventManager>().Publish(marker);

        await Eventually.Until(() => Texts("#feed li.message .text").Contains("after the restart"), "events after the restart appear");
        // The restarted server is a new instance with an empty history: what the page missed meanwhile is gone, and it says so.
        Assert.That(Text("#notices"), Does.Contain("could not be recovered"), "the page says plainly that missed events were not recovered");
    }

    private static async Task<WebApplication> StartAppAsync(int port)
    {
        var app = PsycheApp.Create(["--urls", $"http://127.0.0.1:{port}", "--agents", "6", "--rate", "20", "--Simulation:StatusInterval=00:00:00.500"]);
        await app.StartAsync();
        return app;
    }

    private int Count(string selector) => _browser.FindElements(By.CssSelector(selector)).Count;

    private string Text(string selector) => _browser.FindElement(By.CssSelector(selector)).Text;

    // The feed replaces its items as messages arrive, so an element found by one WebDriver call can be gone by the next
    // (a stale element): read every match's text or attribute in one script, in the page, at one instant.
    private List<string> Texts(string selector) =>
        InPage("return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent);", selector);

    private List<string> Attributes(string selector, string name) =>
        InPage("return Array.from(document.querySelectorAll(arguments[0]), e => e.getAttribute(arguments[1]));", selector, name);

    private List<string> InPage(string script, params object[] arguments) =>
        [.. ((IReadOnlyCollection<object?>)((IJavaScriptExecutor)_browser).ExecuteScript(script, arguments)!).Select(o => o as string ?? "")];

    private string? Attribute(string selector, string name) => _browser.FindElement(By.CssSelector(selector)).GetAttribute(name);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
