using System.Text.Json;

namespace SharingHub.Server.Fhir;

/// <summary>
/// The hub's own FHIR definitions kept as files in Fhir/Profiles: its extensions as StructureDefinitions and its
/// operations ($chronology, $person-info-query, $decide) as OperationDefinitions, served at /fhir/{type}, so a
/// partner's validator resolves every urn:sharinghub:fhir:* definition it meets and every operation the
/// CapabilityStatement names. interop/fhir-validate validates everything the hub sends against them.
/// </summary>
internal static class FhirProfiles
{
    public static readonly string[] Types = ["StructureDefinition", "OperationDefinition"];

    private static readonly Lazy<IReadOnlyList<(string Type, string Id, string Url, string Json)>> Loaded = new(Load);

    public static IReadOnlyList<(string Type, string Id, string Url, string Json)> All => Loaded.Value;

    /// <summary>The canonical url of one of the hub's OperationDefinitions, by id.</summary>
    public static string OperationUrl(string id) => All.Single(p => p.Type == "OperationDefinition" && p.Id == id).Url;

    public static RouteGroupBuilder MapFhirProfiles(this RouteGroupBuilder fhir)
    {
        foreach (var type in Types)
        {
            fhir.MapGet($"/{type}/{{id}}", (string id) => All.FirstOrDefault(p => p.Type == type && p.Id == id) is { Json: { } json }
                ? Results.Text(json, "application/fhir+json")
                : FhirResults.NotFound(type, id)).AllowAnonymous();
            fhir.MapGet($"/{type}", (HttpContext http, string? url) =>
            {
                var baseUrl = FhirEndpoints.BaseUrl(http);
                var matches = All.Where(p => p.Type == type && (url is null || p.Url == url)).ToList();
                return FhirResults.Resource(new Bundle("searchset")
                {
                    Total = matches.Count,
                    Entry = matches.Count == 0 ? null : matches.Select(p => new BundleEntry($"{baseUrl}/{type}/{p.Id}",
                        JsonDocument.Parse(p.Json).RootElement.Clone(), new BundleSearch("match"))).ToList(),
                });
            }).AllowAnonymous();
        }
        return fhir;
    }

    private static List<(string Type, string Id, string Url, string Json)> Load()
    {
        var assembly = typeof(FhirProfiles).Assembly;
        const string prefix = "SharingHub.Server.Fhir.Profiles.";
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                var json = reader.ReadToEnd();
                using var doc = JsonDocument.Parse(json);
                return (doc.RootElement.GetProperty("resourceType").GetString()!, doc.RootElement.GetProperty("id").GetString()!,
                    doc.RootElement.GetProperty("url").GetString()!, json);
            }).ToList();
    }
}
