using System.Text;
using EventManager.Sockets;

namespace EventManager.Sockets.Tests;

/// <summary>The filter parser against hostile input: only the documented exception may escape, naming the field.</summary>
public class FilterParseTests
{
    private const int Inputs = 30_000;

    [Test]
    public void FilterParse_MutatedInput_OnlyEverThrowsEventFormatException()
    {
        var mutator = new Mutator(Mutator.SeedFromEnvironment(), ["""{"event_types":["tool_call","voice.*"],"session_id":"s-1","tool_names":["Edit"],"statuses":["done"],"cost_threshold_tokens":100,"feature_ids":["f"]}"""]);
        for (var i = 0; i < Inputs; i++)
        {
            var input = Encoding.UTF8.GetString(mutator.Next());
            try
            {
                EventFilter.Parse(input);
            }
            catch (EventFormatException)
            {
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {mutator.Seed}, input {i}: {ex.GetType().Name}: {ex.Message}\n{input}");
            }
        }
    }

    [Test]
    public void FilterParse_UnpairedSurrogateEscape_ThrowsEventFormatException()
    {
        var error = Assert.Throws<EventFormatException>(() => EventFilter.Parse("""{"event_types":["\ud800"]}"""))!;

        Assert.That(error.Field, Is.EqualTo("filter"));
    }
}
