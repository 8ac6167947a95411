namespace HangProbe;

/// <summary>A test that never ends, as a deadlocked test would: awaiting a signal nobody sets.</summary>
[TestFixture]
public sealed class HangTests
{
    [Test]
    public async Task AwaitSignalNobodySets_NeverEnds()
    {
        var neverSet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await neverSet.Task;
        Assert.Fail("The signal was set.");
    }
}
