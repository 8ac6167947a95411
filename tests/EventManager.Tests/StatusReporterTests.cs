using System.Collections.Concurrent;
using EventManager.Status;
using EventManager.Tests.Support;

namespace EventManager.Tests;

public class StatusReporterTests
{
    private sealed class FixedSampler(ProcessSample sample) : IProcessSampler
    {
        public ProcessSample Sample() => sample;
    }

    private static ProcessSample Sample(double cpu, double memory) => new(cpu, memory, 100_000_000, 50_000_000, 12, 40);

    [TestCase(10, 10, 0, SystemHealthStatus.Healthy)]
    [TestCase(75, 10, 0, SystemHealthStatus.Warning)]
    [TestCase(10, 80, 0, SystemHealthStatus.Warning)]
    [TestCase(10, 10, 1, SystemHealthStatus.Warning)]
    [TestCase(90, 10, 0, SystemHealthStatus.Error)]
    [TestCase(10, 95, 0, SystemHealthStatus.Error)]
    public void Evaluate_DefaultThresholds_DerivesHealth(double cpu, double memory, long newErrors, SystemHealthStatus expected)
    {
        Assert.That(SystemStatusReporter.Evaluate(Sample(cpu, memory), newErrors, new StatusReporterOptions()), Is.EqualTo(expected));
    }

    [Test]
    public async Task Start_EachInterval_PublishesSystemStatus()
    {
        var time = new ManualTimeProvider();
        await using var manager = new WebSocketEventManager(new EventManagerOptions { TimeProvider = time });
        var reports = new ConcurrentQueue<SystemStatusEvent>();
        manager.AddListener(e => reports.Enqueue((SystemStatusEvent)e), new ListenerOptions { EventTypes = ["system_status"] });
        await using var reporter = new SystemStatusReporter(
            manager,
            new StatusReporterOptions { Interval = TimeSpan.FromSeconds(5), ActiveAgents = () => 7, Metadata = new Dictionary<string, object?> { ["node"] = "n1" } },
            null,
            new FixedSampler(Sample(80, 20)));

        reporter.Start();
        await Eventually.Until(() => time.ActiveTimers > 0, "the schedule is armed");
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.Until(() => reports.Count == 1, "the first report");
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.Until(() => reports.Count == 2, "the second report");

        var report = reports.First();
        Assert.Multiple(() =>
        {
            Assert.That(report.HealthStatus, Is.EqualTo(SystemHealthStatus.Warning));
            Assert.That(report.ActiveAgents, Is.EqualTo(7));
            Assert.That(report.PerformanceMetrics["cpu_percent"], Is.EqualTo(80));
            Assert.That(report.PerformanceMetrics.Keys, Is.SupersetOf(new[] { "memory_percent", "working_set_bytes", "gc_heap_bytes", "thread_count", "handle_count" }));
            Assert.That(report.Metadata["node"].GetString(), Is.EqualTo("n1"));
            Assert.That(report.Metadata["instance_id"].GetString(), Is.EqualTo(manager.InstanceId));
            Assert.That(report.Timestamp, Is.EqualTo(time.GetUtcNow() - TimeSpan.FromSeconds(5)));
        });
    }

    [Test]
    public async Task ReportNow_RealProcess_ReadsPlausibleFigures()
    {
        await using var manager = new WebSocketEventManager();
        await using var reporter = new SystemStatusReporter(manager);

        var report = reporter.ReportNow()!;

        Assert.Multiple(() =>
        {
            Assert.That(report.PerformanceMetrics["cpu_percent"], Is.InRange(0, 100));
            Assert.That(report.PerformanceMetrics["memory_percent"], Is.InRange(0, 100));
            Assert.That(report.PerformanceMetrics["working_set_bytes"], Is.GreaterThan(1_000_000));
            Assert.That(report.PerformanceMetrics["thread_count"], Is.GreaterThan(1));
            Assert.That(report.PerformanceMetrics["handle_count"], Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task ReportNow_ListenerErrorsGrew_ReportsWarningWithErrorCount()
    {
        await using var manager = new WebSocketEventManager();
        manager.AddListener(_ => throw new InvalidOperationException(), new ListenerOptions { EventTypes = ["boom"] });
        manager.Publish(Events.Custom("boom"));
        await Eventually.Until(() => manager.GetMetrics().ListenerErrors == 1, "the error is counted");
        await using var reporter = new SystemStatusReporter(manager, null, null, new FixedSampler(Sample(1, 1)));

        var first = reporter.ReportNow()!;
        var second = reporter.ReportNow()!;

        Assert.That((first.HealthStatus, first.ErrorCount), Is.EqualTo((SystemHealthStatus.Warning, 1)));
        Assert.That((second.HealthStatus, second.ErrorCount), Is.EqualTo((SystemHealthStatus.Healthy, 1)), "no new errors since the last report");
    }

    [TestCase(nameof(StatusReporterOptions.Interval))]
    [TestCase(nameof(StatusReporterOptions.CpuWarningPercent))]
    [TestCase(nameof(StatusReporterOptions.MemoryErrorPercent))]
    public async Task Constructor_InvalidOption_ThrowsNamingIt(string option)
    {
        await using var manager = new WebSocketEventManager();
        var options = new StatusReporterOptions();
        switch (option)
        {
            case nameof(StatusReporterOptions.Interval): options.Interval = TimeSpan.Zero; break;
            case nameof(StatusReporterOptions.CpuWarningPercent): options.CpuWarningPercent = 120; break;
            default: options.MemoryErrorPercent = 10; break;
        }

        var ex = Assert.Catch<ArgumentException>(() => _ = new SystemStatusReporter(manager, options));

        Assert.That(ex!.ParamName, Is.EqualTo(option));
    }
}
