namespace SharingHub.Server.Hosting;

public sealed class DemoSettings
{
    public const string Section = "SharingHub:Demo";

    /// <summary>Load synthetic families into an empty database at start-up (refused in Production).</summary>
    public bool Enabled { get; set; }
    public int Seed { get; set; } = new Data.Demo.DemoOptions().Seed;
    public int Families { get; set; } = new Data.Demo.DemoOptions().Families;
}
