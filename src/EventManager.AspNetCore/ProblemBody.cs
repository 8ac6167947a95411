using System.Text.Json.Serialization;

namespace EventManager.AspNetCore;

/// <summary>The JSON body of a refused request: <c>{"error": code, "message": ..., "field": ...}</c>.</summary>
internal sealed record ProblemBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("field"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Field);

[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class ProblemJsonContext : JsonSerializerContext;
