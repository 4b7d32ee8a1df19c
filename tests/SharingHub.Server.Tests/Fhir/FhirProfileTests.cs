using System.Net;
using System.Reflection;
using SharingHub.Data.Storage;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.Tests.Fhir;

/// <summary>Every extension the hub writes is defined by a StructureDefinition it serves, so a partner's validator can resolve it (issue 19).</summary>
public sealed class FhirProfileTests : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Given_every_hub_extension_url_then_its_structure_definition_is_served_without_a_token_and_listed_by_url()
    {
        var extensions = typeof(FhirSystems).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetValue(null)!).Where(u => u.StartsWith("urn:sharinghub:fhir:", StringComparison.Ordinal)).ToList();
        Assert.True(extensions.Count >= 10, $"only {extensions.Count} extension urls found");

        foreach (var url in extensions)
        {
            using var search = await _hub.GetAsync($"/fhir/StructureDefinition?url={Uri.EscapeDataString(url)}", null);
            var bundle = await FhirTestHub.JsonAsync(search);
            Assert.True(search.StatusCode == HttpStatusCode.OK && bundle.GetProperty("total").GetInt32() == 1, $"no StructureDefinition for {url}");
            var definition = bundle.GetProperty("entry")[0].GetProperty("resource");
            Assert.Equal(("StructureDefinition", "Extension", url), (definition.GetProperty("resourceType").GetString(), definition.GetProperty("type").GetString(),
                definition.GetProperty("differential").GetProperty("element").EnumerateArray().Single(e => e.GetProperty("path").GetString() == "Extension.url").GetProperty("fixedUri").GetString()));
            using var read = await _hub.GetAsync($"/fhir/StructureDefinition/{definition.GetProperty("id").GetString()}", null);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        using var metadata = await _hub.GetAsync("/fhir/metadata", null);
        Assert.Contains((await FhirTestHub.JsonAsync(metadata)).GetProperty("rest")[0].GetProperty("resource").EnumerateArray(),
            r => r.GetProperty("type").GetString() == "StructureDefinition");
        using var missing = await _hub.GetAsync("/fhir/StructureDefinition/no-such-thing", null);
        Assert.Equal(("OperationOutcome", HttpStatusCode.NotFound), ((await FhirTestHub.JsonAsync(missing)).GetProperty("resourceType").GetString(), missing.StatusCode));
    }

    [Fact]
    public async Task Given_every_operation_the_capability_statement_names_then_its_operation_definition_is_served_and_matches_what_the_hub_takes()
    {
        using var metadata = await _hub.GetAsync("/fhir/metadata", null);
        var operations = (await FhirTestHub.JsonAsync(metadata)).GetProperty("rest")[0].GetProperty("resource").EnumerateArray()
            .Where(r => r.TryGetProperty("operation", out var o) && o.ValueKind == System.Text.Json.JsonValueKind.Array)
            .SelectMany(r => r.GetProperty("operation").EnumerateArray().Select(o => (Resource: r.GetProperty("type").GetString()!, Name: o.GetProperty("name").GetString()!,
                Url: o.GetProperty("definition").GetString()!)))
            .ToList();

        Assert.Equal(["Patient chronology", "Patient person-info-query", "Task decide"], operations.Select(o => $"{o.Resource} {o.Name}").Order(StringComparer.Ordinal));
        foreach (var (resource, name, url) in operations)
        {
            using var search = await _hub.GetAsync($"/fhir/OperationDefinition?url={Uri.EscapeDataString(url)}", null);
            var definition = Assert.Single((await FhirTestHub.JsonAsync(search)).GetProperty("entry").EnumerateArray()).GetProperty("resource");
            Assert.Equal((name, resource), (definition.GetProperty("code").GetString(), definition.GetProperty("resource")[0].GetString()));
            using var read = await _hub.GetAsync($"/fhir/OperationDefinition/{definition.GetProperty("id").GetString()}", null);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            var inputs = definition.GetProperty("parameter").EnumerateArray().Where(p => p.GetProperty("use").GetString() == "in").Select(p => p.GetProperty("name").GetString()).ToList();
            // What the definition says the operation takes is what the hub's handler takes.
            Assert.Equal(name switch
            {
                "chronology" => Chronology.Parameters,
                "person-info-query" => ["resource", "reason"],
                _ => ["decision"],
            }, inputs);
            if (name == "person-info-query")
            {
                // Every parameter the hub's answer can carry is defined, the notice of what it left out included.
                Assert.Equal(["match", "contact", "involvement", "outcome"],
                    definition.GetProperty("parameter").EnumerateArray().Where(p => p.GetProperty("use").GetString() == "out").Select(p => p.GetProperty("name").GetString()));
                // The involvement's parts are the elements of its published logical model.
                var parts = definition.GetProperty("parameter").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "involvement")
                    .GetProperty("part").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
                using var model = await _hub.GetAsync($"/fhir/StructureDefinition?url={Uri.EscapeDataString("urn:sharinghub:fhir:mais-involvement")}", null);
                var logical = Assert.Single((await FhirTestHub.JsonAsync(model)).GetProperty("entry").EnumerateArray()).GetProperty("resource");
                Assert.Equal("logical", logical.GetProperty("kind").GetString());
                Assert.Equal(parts, logical.GetProperty("differential").GetProperty("element").EnumerateArray().Skip(1)
                    .Select(e => e.GetProperty("path").GetString()!["MaisInvolvement.".Length..]));
            }
        }
    }
}
