using Microsoft.Extensions.Options;

namespace EventManager.Redis.DependencyInjection;

/// <summary>Turns <see cref="RedisMirrorOptions"/>' own checks into an <see cref="OptionsValidationException"/> at resolution.</summary>
internal sealed class RedisMirrorOptionsValidator : IValidateOptions<RedisMirrorOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisMirrorOptions options)
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
