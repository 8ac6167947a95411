using Microsoft.Extensions.Options;

namespace EventManager;

/// <summary>Options that check themselves and name the offending property.</summary>
internal interface IValidatable
{
    void Validate();
}

/// <summary>
/// Turns an options class's own validation into an <see cref="OptionsValidationException"/>, at host start with
/// <c>ValidateOnStart</c>. Shared source: every package compiles this one file, so there is one validator shape.
/// </summary>
internal sealed class OptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class, IValidatable
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
