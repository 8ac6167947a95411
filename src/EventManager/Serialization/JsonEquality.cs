using System.Text.Json;

namespace EventManager.Serialization;

/// <summary>Compares the dictionaries inside events by content, so parsed events equal the ones they were written from.</summary>
internal static class JsonEquality
{
    public static bool Equal(IReadOnlyDictionary<string, JsonElement>? left, IReadOnlyDictionary<string, JsonElement>? right) =>
        Equal(left, right, JsonElement.DeepEquals);

    public static bool Equal<TValue>(IReadOnlyDictionary<string, TValue>? left, IReadOnlyDictionary<string, TValue>? right) =>
        Equal(left, right, EqualityComparer<TValue>.Default.Equals);

    private static bool Equal<TValue>(IReadOnlyDictionary<string, TValue>? left, IReadOnlyDictionary<string, TValue>? right, Func<TValue, TValue, bool> equals)
    {
        if (ReferenceEquals(left, right))
        {
            return true;
        }

        if (left is null || right is null || left.Count != right.Count)
        {
            return false;
        }

        foreach (var (key, value) in left)
        {
            if (!right.TryGetValue(key, out var other) || !equals(value, other))
            {
                return false;
            }
        }

        return true;
    }
}
