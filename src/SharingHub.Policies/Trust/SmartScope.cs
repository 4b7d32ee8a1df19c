using System.Diagnostics.CodeAnalysis;

namespace SharingHub.Policies.Trust;

/// <summary>
/// A SMART on FHIR v2 system scope: <c>system/Resource.cruds</c>, where the resource may be <c>*</c> and
/// the permissions are a subset of c, r, u, d, s in that order.
/// </summary>
public sealed record SmartScope(string Resource, string Permissions)
{
    private const string Order = "cruds";

    public static bool TryParse(string text, [NotNullWhen(true)] out SmartScope? scope)
    {
        scope = null;
        if (!text.StartsWith("system/", StringComparison.Ordinal))
        {
            return false;
        }
        var rest = text["system/".Length..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == rest.Length - 1)
        {
            return false;
        }
        var resource = rest[..dot];
        var permissions = rest[(dot + 1)..];
        if (resource != "*" && !(char.IsAsciiLetterUpper(resource[0]) && resource.All(char.IsAsciiLetter)))
        {
            return false;
        }
        var last = -1;
        foreach (var p in permissions)
        {
            var at = Order.IndexOf(p, StringComparison.Ordinal);
            if (at <= last)
            {
                return false;
            }
            last = at;
        }
        scope = new SmartScope(resource, permissions);
        return true;
    }

    /// <summary>True when this (registered) scope allows everything <paramref name="requested"/> asks for.</summary>
    public bool Covers(SmartScope requested) =>
        (Resource == "*" || Resource == requested.Resource) && requested.Permissions.All(Permissions.Contains);

    public override string ToString() => $"system/{Resource}.{Permissions}";
}
