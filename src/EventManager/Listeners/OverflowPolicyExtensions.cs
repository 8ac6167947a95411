using System.Threading.Channels;

namespace EventManager.Listeners;

internal static class OverflowPolicyExtensions
{
    public static BoundedChannelFullMode ToChannelMode(this OverflowPolicy policy) => policy switch
    {
        OverflowPolicy.Wait => BoundedChannelFullMode.Wait,
        OverflowPolicy.DropOldest => BoundedChannelFullMode.DropOldest,
        OverflowPolicy.DropNewest => BoundedChannelFullMode.DropWrite,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, null),
    };
}
