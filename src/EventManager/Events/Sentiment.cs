using System.Text.Json.Serialization;

namespace EventManager;

/// <summary>The sentiment of an agent message: a score in [-1, 1] and its label.</summary>
public sealed record Sentiment
{
    /// <summary>A neutral sentiment with score 0, used when a message carries none.</summary>
    public static Sentiment Neutral { get; } = new(0, SentimentLabel.Neutral);

    /// <summary>Creates a sentiment.</summary>
    /// <param name="score">The score, from -1 (most negative) to 1 (most positive).</param>
    /// <param name="label">The label.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is outside [-1, 1] or not a number, or <paramref name="label"/> is not a defined value.</exception>
    [JsonConstructor]
    public Sentiment(double score, SentimentLabel label)
    {
        if (!(score >= -1.0 && score <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, "A sentiment score must be between -1 and 1.");
        }

        Score = score;
        Label = Guard.Defined(label, nameof(label));
    }

    /// <summary>The score, from -1 (most negative) to 1 (most positive).</summary>
    public double Score { get; }

    /// <summary>The label.</summary>
    public SentimentLabel Label { get; }

    /// <summary>Deconstructs the sentiment into its score and label.</summary>
    /// <param name="score">The score.</param>
    /// <param name="label">The label.</param>
    public void Deconstruct(out double score, out SentimentLabel label) => (score, label) = (Score, Label);
}
