using Xunit;

namespace SharingHub.Testing;

/// <summary>
/// The public conformance corpora (OASIS OData ABNF test cases, FHIR validator cases) live outside the
/// repository, in shared/conformance beside it, as CI places them. A clone on its own does not have them:
/// a test that needs one is then skipped with the reason, never failed and never silently passed.
/// </summary>
public static class ConformanceCorpus
{
    public const string Folder = "shared/conformance";

    /// <summary>The corpus file's full path, or null when no shared/conformance folder holds it.</summary>
    public static string? Find(string fileName)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "conformance", fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}

/// <summary>A fact that runs when the named corpus file is present and is reported as skipped, with the reason, when it is not.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ConformanceFactAttribute : FactAttribute
{
    public ConformanceFactAttribute(string fileName)
    {
        FileName = fileName;
        if (ConformanceCorpus.Find(fileName) is null)
        {
            Skip = $"conformance corpus {ConformanceCorpus.Folder}/{fileName} is not beside this clone (CI places it there)";
        }
    }

    public string FileName { get; }
}
