using System.Text.Json.Serialization;

namespace EventManager;

/// <summary>A directed link between two agents in a <see cref="NetworkUpdateEvent"/>.</summary>
public sealed record NetworkConnection
{
    /// <summary>Creates a connection.</summary>
    /// <param name="from">The source agent id; not empty.</param>
    /// <param name="to">The target agent id; not empty.</param>
    /// <param name="strength">The strength of the link, from 0 to 1.</param>
    /// <param name="isActive">Whether the link currently carries messages.</param>
    /// <param name="type">The kind of link.</param>
    /// <exception cref="ArgumentException">An id is empty, <paramref name="strength"/> is outside [0, 1], or <paramref name="type"/> is not a defined value.</exception>
    [JsonConstructor]
    public NetworkConnection(string from, string to, double strength, bool isActive, ConnectionType type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(from);
        ArgumentException.ThrowIfNullOrWhiteSpace(to);
        if (!(strength >= 0.0 && strength <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "A connection strength must be between 0 and 1.");
        }

        From = from;
        To = to;
        Strength = strength;
        IsActive = isActive;
        Type = Guard.Defined(type, nameof(type));
    }

    /// <summary>The source agent id.</summary>
    public string From { get; }

    /// <summary>The target agent id.</summary>
    public string To { get; }

    /// <summary>The strength of the link, from 0 to 1.</summary>
    public double Strength { get; }

    /// <summary>Whether the link currently carries messages.</summary>
    public bool IsActive { get; }

    /// <summary>The kind of link.</summary>
    public ConnectionType Type { get; }

    /// <summary>Deconstructs the connection into its parts.</summary>
    /// <param name="from">The source agent id.</param>
    /// <param name="to">The target agent id.</param>
    /// <param name="strength">The strength.</param>
    /// <param name="isActive">Whether the link is active.</param>
    /// <param name="type">The kind of link.</param>
    public void Deconstruct(out string from, out string to, out double strength, out bool isActive, out ConnectionType type)
        => (from, to, strength, isActive, type) = (From, To, Strength, IsActive, Type);
}

/// <summary>Message counts of one agent in a <see cref="NetworkUpdateEvent"/>.</summary>
public sealed record CommunicationStats
{
    /// <summary>Creates the counts.</summary>
    /// <param name="sent">Messages sent; not negative.</param>
    /// <param name="received">Messages received; not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    [JsonConstructor]
    public CommunicationStats(int sent, int received)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sent);
        ArgumentOutOfRangeException.ThrowIfNegative(received);
        Sent = sent;
        Received = received;
    }

    /// <summary>Messages sent.</summary>
    public int Sent { get; }

    /// <summary>Messages received.</summary>
    public int Received { get; }

    /// <summary>Deconstructs the counts.</summary>
    /// <param name="sent">Messages sent.</param>
    /// <param name="received">Messages received.</param>
    public void Deconstruct(out int sent, out int received) => (sent, received) = (Sent, Received);
}
