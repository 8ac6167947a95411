namespace PsycheSimulation;

/// <summary>The simulation's settings, from the command line (<c>--agents 8 --rate 4 --seed 42</c>) or configuration.</summary>
public sealed class SimulationOptions
{
    /// <summary>How many agents talk; from 2 to 64. Default 8.</summary>
    public int Agents { get; set; } = 8;

    /// <summary>Agent messages per second; from 0.1 to 1,000. Default 4.</summary>
    public double Rate { get; set; } = 4;

    /// <summary>The random seed: the same seed gives the same conversation. Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>
    /// What agent ids start with (<c>agent-01</c>, ...). Default <c>agent</c>; with <c>--redis</c> the instance's short id is added, so
    /// several instances' agents can be told apart on one dashboard.
    /// </summary>
    public string? AgentPrefix { get; set; }

    /// <summary>How often the status reporter publishes <c>system_status</c>. Default 2 seconds.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(2);

    internal void Validate()
    {
        if (Agents is < 2 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(Agents), Agents, "--agents must be between 2 and 64.");
        }

        if (Rate is < 0.1 or > 1000 || double.IsNaN(Rate))
        {
            throw new ArgumentOutOfRangeException(nameof(Rate), Rate, "--rate must be between 0.1 and 1000 messages per second.");
        }
    }
}
