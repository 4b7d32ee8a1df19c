using System.Reflection;
using SharingHub.Core.Records;

namespace SharingHub.Policies.Model;

/// <summary>
/// The field names rules may use: the data properties of the record model, in the camelCase the APIs
/// use. Record metadata (id, owner, class, times, version) is not a field: it comes with any permitted
/// record. Blind indexes (byte arrays) are never fields: they never leave the hub.
/// </summary>
public static class RecordFields
{
    private static readonly HashSet<string> Metadata = new(StringComparer.Ordinal)
    {
        nameof(Record.Id), nameof(Record.OwningAgency), nameof(Record.DataClass), nameof(Record.CreatedAt),
        nameof(Record.UpdatedAt), nameof(Record.Version), nameof(Record.ETag),
    };

    public static IReadOnlySet<string> All { get; } = typeof(Record).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(Record)) && !t.IsAbstract)
        .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        .Where(p => !Metadata.Contains(p.Name) && p.PropertyType != typeof(byte[]))
        .Select(p => CamelCase(p.Name))
        .ToHashSet(StringComparer.Ordinal);

    public static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
