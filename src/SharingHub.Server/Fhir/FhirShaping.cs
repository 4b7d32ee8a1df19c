using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharingHub.Server.Fhir;

/// <summary>
/// _summary and _elements: the caller asks for less of each resource. Mandatory elements (resourceType,
/// id, meta) always stay, and a trimmed resource is tagged SUBSETTED as FHIR requires. Trimming never
/// adds anything: it runs after the policy has removed what the caller may not see.
/// </summary>
internal sealed record FhirShaping(IReadOnlySet<string>? Elements, bool Count)
{
    private static readonly HashSet<string> Mandatory = ["resourceType", "id", "meta"];

    // Elements with a minimum cardinality of 1, which FHIR says a server should return whatever was asked.
    private static readonly Dictionary<string, string[]> Required = new()
    {
        ["Observation"] = ["status", "code"],
        ["EpisodeOfCare"] = ["status", "patient"],
        ["Flag"] = ["status", "code", "subject"],
        ["Group"] = ["type", "actual"],
        ["RelatedPerson"] = ["patient"],
        ["Consent"] = ["status", "scope", "category"],
    };

    // The R4 summary elements of the resources the hub serves.
    private static readonly Dictionary<string, string[]> SummaryElements = new()
    {
        ["Patient"] = ["identifier", "name", "gender", "birthDate", "address", "managingOrganization"],
        ["Observation"] = ["identifier", "status", "category", "code", "subject", "focus", "effectiveDateTime", "performer", "valueString", "_valueString"],
        ["EpisodeOfCare"] = ["status", "type", "patient", "managingOrganization", "period", "careManager"],
        ["Flag"] = ["status", "category", "code", "subject", "period", "author"],
        ["Group"] = ["identifier", "type", "actual", "name", "quantity", "managingEntity"],
        ["RelatedPerson"] = ["patient", "relationship"],
        ["Consent"] = ["status", "scope", "category", "patient", "dateTime", "performer", "organization"],
    };

    public static readonly FhirShaping Whole = new(null, false);

    public static (FhirShaping Shaping, string? Error) Parse(string? summary, string? elements)
    {
        if (summary is not null && elements is not null)
        {
            return (Whole, "_summary and _elements cannot be used together");
        }
        if (elements is not null)
        {
            var names = elements.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length == 0 || names.Any(n => n.Length > 64 || !n.All(char.IsAsciiLetter)))
            {
                return (Whole, "_elements is a comma-separated list of top-level element names");
            }
            return (new FhirShaping(names.Concat(names.Select(n => "_" + n)).ToHashSet(StringComparer.Ordinal), false), null);
        }
        return summary switch
        {
            null or "false" or "data" => (Whole, null),
            "true" => (new FhirShaping(new HashSet<string>(["*summary*"]), false), null),
            "count" => (new FhirShaping(null, true), null),
            _ => (Whole, "_summary is true, false, data or count (text is not supported: the hub keeps no narrative)"),
        };
    }

    public bool IsWhole => Elements is null && !Count;

    /// <summary>The resource as JSON, trimmed to the elements asked for.</summary>
    public object Apply(object resource)
    {
        if (Elements is null)
        {
            return resource;
        }
        var node = JsonSerializer.SerializeToNode(resource, resource.GetType(), FhirResults.Json)!.AsObject();
        var type = node["resourceType"]!.GetValue<string>();
        var keep = Elements.Contains("*summary*") ? SummaryElements.GetValueOrDefault(type, []).ToHashSet(StringComparer.Ordinal) : Elements;
        var removed = false;
        foreach (var name in node.Select(p => p.Key).ToList())
        {
            if (!Mandatory.Contains(name) && !keep.Contains(name) && !Required.GetValueOrDefault(type, []).Contains(name))
            {
                node.Remove(name);
                removed = true;
            }
        }
        if (removed && node["meta"] is JsonObject meta)
        {
            var tags = meta["tag"] as JsonArray ?? [];
            tags.Add(new JsonObject { ["system"] = FhirSystems.ObservationValue, ["code"] = "SUBSETTED", ["display"] = "subsetted" });
            meta["tag"] = tags;
        }
        return node;
    }
}
