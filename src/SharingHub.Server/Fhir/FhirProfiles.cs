using System.Text.Json;

namespace SharingHub.Server.Fhir;

/// <summary>
/// The hub's own FHIR definitions (its extensions, as StructureDefinitions) kept as files in Fhir/Profiles and served
/// at /fhir/StructureDefinition, so a partner's validator resolves every urn:sharinghub:fhir:* extension it meets
/// instead of warning on it. interop/fhir-validate validates everything the hub sends against them.
/// </summary>
internal static class FhirProfiles
{
    private static readonly Lazy<IReadOnlyList<(string Id, string Url, string Json)>> Loaded = new(Load);

    public static IReadOnlyList<(string Id, string Url, string Json)> All => Loaded.Value;

    public static RouteGroupBuilder MapFhirProfiles(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("/StructureDefinition/{id}", (string id) => All.FirstOrDefault(p => p.Id == id) is { Json: { } json }
            ? Results.Text(json, "application/fhir+json")
            : FhirResults.NotFound("StructureDefinition", id)).AllowAnonymous();
        fhir.MapGet("/StructureDefinition", (HttpContext http, string? url) =>
        {
            var baseUrl = FhirEndpoints.BaseUrl(http);
            var matches = All.Where(p => url is null || p.Url == url).ToList();
            return FhirResults.Resource(new Bundle("searchset")
            {
                Total = matches.Count,
                Entry = matches.Count == 0 ? null : matches.Select(p => new BundleEntry($"{baseUrl}/StructureDefinition/{p.Id}",
                    JsonDocument.Parse(p.Json).RootElement.Clone(), new BundleSearch("match"))).ToList(),
            });
        }).AllowAnonymous();
        return fhir;
    }

    private static List<(string Id, string Url, string Json)> Load()
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
                return (doc.RootElement.GetProperty("id").GetString()!, doc.RootElement.GetProperty("url").GetString()!, json);
            }).ToList();
    }
}
