using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Fhir;

/// <summary>
/// The FHIR validator's public test cases (deliberately malformed JSON, wrong types, bad codes, broken resources)
/// sent to the hub as a partner would send them: none may answer 5xx, and malformed JSON is refused (issue 19).
/// </summary>
public abstract partial class FhirCorpusTests(DatabaseEngine engine) : HubTest(engine)
{
    private const string Manifest = "fhir-validator/manifest.json";

    [GeneratedRegex("\"resourceType\"\\s*:\\s*\"(\\w+)\"")]
    private static partial Regex ResourceType();

    [ConformanceFact(Manifest)]
    public async Task Given_the_fhir_validator_test_cases_then_no_body_gets_a_server_error_and_malformed_json_is_refused()
    {
        var manifest = ConformanceCorpus.Find(Manifest)!;
        var folder = Path.GetDirectoryName(manifest)!;
        using var cases = JsonDocument.Parse(File.ReadAllText(manifest));
        var files = cases.RootElement.GetProperty("test-cases").EnumerateArray()
            .Where(c => c.TryGetProperty("version", out var v) && v.GetString() == "4.0" && c.TryGetProperty("file", out _))
            .Select(c => Path.Combine(folder, c.GetProperty("file").GetString()!)).Where(File.Exists).Distinct().ToList();
        Assert.True(files.Count > 50, $"only {files.Count} R4 cases found");

        var failures = new List<string>();
        var refused = 0;
        foreach (var file in files)
        {
            var body = await File.ReadAllTextAsync(file);
            var type = ResourceType().Match(body) is { Success: true } m && m.Groups[1].Value is "Patient" or "Observation" ? m.Groups[1].Value : "Patient";
            using var response = await Hub.SendAsync(HttpMethod.Post, $"/fhir/{type}", "demo-health-practitioner",
                content: new StringContent(body, Encoding.UTF8, "application/fhir+json"));
            if ((int)response.StatusCode >= 500)
            {
                failures.Add($"{Path.GetFileName(file)}: {(int)response.StatusCode}");
            }
            if (Path.GetFileName(file).StartsWith("bad-json", StringComparison.Ordinal) && response.StatusCode != HttpStatusCode.BadRequest)
            {
                failures.Add($"{Path.GetFileName(file)}: malformed JSON answered {(int)response.StatusCode}");
            }
            refused += (int)response.StatusCode is >= 400 and < 500 ? 1 : 0;
        }

        Assert.Empty(failures);
        Assert.True(refused > files.Count / 2, $"only {refused} of {files.Count} refused");
    }
}

public sealed class SqliteFhirCorpusTests() : FhirCorpusTests(DatabaseEngine.Sqlite);

public sealed class PostgresFhirCorpusTests() : FhirCorpusTests(DatabaseEngine.Postgres);
