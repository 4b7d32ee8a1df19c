using SharingHub.Policies.Decisions;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Model;

namespace SharingHub.Policies.Tests;

/// <summary>The policies in the repository's policies/ folder, found from the test's output folder.</summary>
internal static class ShippedPolicies
{
    public static string Folder { get; } = FindFolder();

    private static readonly Lazy<PolicySet> Loaded = new(() => PolicyLoader.Load(Folder, RecordFields.All));

    public static PolicySet Policy => Loaded.Value;

    public static PolicyDecisionPoint DecisionPoint() => new(Policy);

    /// <summary>A writable copy of the shipped folder, for tests that break a file on purpose.</summary>
    public static string Copy()
    {
        var target = Path.Combine(Path.GetTempPath(), "sharinghub-policies-" + Guid.NewGuid().ToString("N")[..12], "policies");
        foreach (var file in Directory.GetFiles(Folder, "*.yaml", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(Folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SharingHub.sln")))
            {
                return Path.Combine(dir.FullName, "policies");
            }
        }
        throw new InvalidOperationException("the repository root (SharingHub.sln) was not found above the test folder");
    }
}
