namespace SharingHub.Testing;

/// <summary>A clock the test moves by hand (enquiry expiry, token lifetimes and deadlines all depend on time).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}
