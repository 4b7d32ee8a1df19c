namespace SharingHub.Server.Hosting;

public sealed class PolicyOptions
{
    public const string Section = "SharingHub:Policies";

    /// <summary>The policy folder; by default the one shipped beside the binary.</summary>
    public string Path { get; set; } = System.IO.Path.Combine(AppContext.BaseDirectory, "policies");
}
