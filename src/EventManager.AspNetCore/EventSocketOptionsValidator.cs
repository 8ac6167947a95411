using Microsoft.Extensions.Options;

namespace EventManager.AspNetCore;

/// <summary>Turns <see cref="EventSocketOptions"/>' own checks into an <see cref="OptionsValidationException"/> at resolution.</summary>
internal sealed class EventSocketOptionsValidator : IValidateOptions<EventSocketOptions>
{
    public ValidateOptionsResult Validate(string? name, EventSocketOptions options)
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
