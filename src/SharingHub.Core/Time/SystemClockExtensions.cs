namespace SharingHub.Core.Time;

public static class TimeProviderExtensions
{
    /// <summary>
    /// Stored times are truncated to microseconds: PostgreSQL keeps no finer precision, and a value
    /// must read back equal on both engines.
    /// </summary>
    public static DateTimeOffset UtcNowForStorage(this TimeProvider clock) => TruncateForStorage(clock.GetUtcNow());

    public static DateTimeOffset TruncateForStorage(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
    }
}
