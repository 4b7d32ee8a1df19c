using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Api;

/// <summary>
/// The OpenAPI document (/openapi/hub.json) is checked against the hub itself: every operation it lists is called
/// for real, each request body sent is valid under the document's request schema, and each answer is valid under
/// the response schema the document gives for its status. An endpoint added without being exercised here fails.
/// </summary>
public abstract class OpenApiDocumentTests(DatabaseEngine engine) : HubTest(engine)
{
    private readonly HashSet<string> _exercised = [];
    private JsonObject _document = null!;

    private async Task LoadAsync()
    {
        using var response = await Hub.Client.GetAsync("/openapi/hub.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        _document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private JsonObject Operation(string method, string template) =>
        _document["paths"]?[template]?[method.ToLowerInvariant()]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"{method} {template} is not in the OpenAPI document");

    /// <summary>A schema of the document, with its component references resolvable, as a JSON Schema 2020-12 document.</summary>
    private JsonSchema SchemaOf(JsonNode schema)
    {
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = _document["components"]!["schemas"]!.DeepClone(),
            ["allOf"] = new JsonArray(schema.DeepClone()),
        };
        var text = root.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        return JsonSchema.FromText(text, baseUri: new Uri($"https://sharinghub.test/{Guid.NewGuid():N}"));
    }

    private void AssertValid(JsonNode schema, string json, string what)
    {
        using var instance = JsonDocument.Parse(json);
        var result = SchemaOf(schema).Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"{what} does not match the OpenAPI document: {json}\n"
            + string.Join("\n", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    /// <summary>Calls one documented operation and checks its request and answer against the document.</summary>
    private async Task<JsonElement?> CallAsync(string method, string template, string path, string? user, int expected, object? body = null,
        string? purpose = null, Guid? enquiry = null, string? contentType = null, string? rawBody = null)
    {
        var operation = Operation(method, template);
        _exercised.Add($"{method.ToUpperInvariant()} {template}");
        HttpContent? content = null;
        if (body is not null)
        {
            var json = JsonSerializer.Serialize(body);
            if (operation["requestBody"]?["content"]?["application/json"]?["schema"] is { } requestSchema)
            {
                AssertValid(requestSchema, json, $"the request to {method} {template}");
            }
            content = new StringContent(json, Encoding.UTF8, contentType ?? "application/json");
        }
        else if (rawBody is not null)
        {
            content = new StringContent(rawBody, Encoding.UTF8);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType!);
        }
        using var response = await Hub.SendAsync(new HttpMethod(method), path, user, purpose, enquiry, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == (int)response.StatusCode, $"{method} {path} answered {(int)response.StatusCode}, not {expected}: {text}");
        var documented = operation["responses"]?[expected.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            ?? throw new Xunit.Sdk.XunitException($"{method} {template} answered {expected}, a status the document does not list");
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (documented["content"] is JsonObject contents && mediaType is not null)
        {
            Assert.True(contents.ContainsKey(mediaType), $"{method} {template} answered {mediaType}; the document says {string.Join(", ", contents.Select(c => c.Key))}");
            if (contents[mediaType]?["schema"] is { } schema && mediaType.EndsWith("json", StringComparison.Ordinal))
            {
                AssertValid(schema, text, $"the {expected} answer of {method} {template}");
            }
        }
        return mediaType?.EndsWith("json", StringComparison.Ordinal) == true ? JsonDocument.Parse(text).RootElement.Clone() : null;
    }

    [Fact]
    public async Task Given_the_document_then_it_lists_no_fhir_odata_or_development_paths_and_marks_bearer_security()
    {
        await LoadAsync();

        Assert.StartsWith("3.1", _document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var paths = _document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.DoesNotContain(paths, p => p.StartsWith("/fhir", StringComparison.Ordinal) || p.StartsWith("/odata", StringComparison.Ordinal)
            || p.StartsWith("/dev-idp", StringComparison.Ordinal) || p.StartsWith("/bench", StringComparison.Ordinal) || p == "/");
        Assert.NotNull(Operation("GET", "/enquiries/{id}")["security"]);
        Assert.Null(Operation("GET", "/audit/public-key")["security"]);
        Assert.Contains(Operation("GET", "/enquiries/{id}")["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "X-Purpose-Of-Use");
    }

    [Fact]
    public async Task Given_every_documented_operation_when_called_for_real_then_requests_and_answers_match_the_document()
    {
        await LoadAsync();
        var c = await Hub.CaseAsync();
        const string lcpp = "demo-la-lcpp";

        // Identity
        await CallAsync("GET", "/me", "/me", lcpp, 200);
        await CallAsync("GET", "/.well-known/openid-configuration", "/.well-known/openid-configuration", null, 200);
        await CallAsync("GET", "/.well-known/smart-configuration", "/.well-known/smart-configuration", null, 200);
        await CallAsync("GET", "/jwks", "/jwks", null, 200);
        await CallAsync("POST", "/token", "/token", null, 400, contentType: "application/x-www-form-urlencoded", rawBody: "grant_type=password&scope=system%2F*.rs");

        // The section 47 enquiry, end to end
        var opened = (await CallAsync("POST", "/enquiries", "/enquiries", lcpp, 201, new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } },
            grounds = "Reasonable cause to suspect significant harm",
            members = new[] { new { agency = "police", user = "demo-police-officer", role = "police" } },
        }))!.Value;
        await CallAsync("POST", "/enquiries", "/enquiries", lcpp, 422, new { subjects = Array.Empty<object>(), grounds = "x" });
        var id = opened.GetProperty("id").GetGuid();
        await CallAsync("POST", "/enquiries/{id}/members", $"/enquiries/{id}/members", lcpp, 200, new { agency = "education", user = "demo-education-lead", role = "education" });
        var read = (await CallAsync("GET", "/enquiries/{id}", $"/enquiries/{id}", lcpp, 200, purpose: "s47-enquiry", enquiry: id))!.Value;
        var education = read.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("agency").GetString() == "education").GetProperty("id").GetGuid();
        await CallAsync("DELETE", "/enquiries/{id}/members/{memberId}", $"/enquiries/{id}/members/{education}", lcpp, 200);
        var asked = (await CallAsync("POST", "/enquiries/{id}/information-requests", $"/enquiries/{id}/information-requests", lcpp, 201,
            new { agency = "police", question = "What do you hold about the household?" }))!.Value;
        var inbox = (await CallAsync("GET", "/information-requests/inbox", "/information-requests/inbox", "demo-police-officer", 200))!.Value;
        Assert.Contains(inbox.GetProperty("requests").EnumerateArray(), r => r.GetProperty("id").GetGuid() == asked.GetProperty("id").GetGuid());
        await CallAsync("POST", "/information-requests/{id}/responses", $"/information-requests/{asked.GetProperty("id").GetGuid()}/responses", "demo-police-officer", 201,
            new { kind = "heldNotShared", reason = "An ongoing investigation; to be reviewed in 14 days" });
        await CallAsync("POST", "/enquiries/{id}/strategy-meetings", $"/enquiries/{id}/strategy-meetings", lcpp, 201, new
        {
            heldAt = DateTimeOffset.UtcNow.AddHours(-1),
            attendees = new[] { new { agency = "la", user = lcpp, role = "lcpp" }, new { agency = "police", user = "demo-police-officer", role = "police" } },
            contributions = new[] { new { agency = "police", summary = "Two call-outs this year" } },
            decisions = "Section 47 enquiry to continue",
        });
        await CallAsync("GET", "/enquiries/{id}/strategy-meetings", $"/enquiries/{id}/strategy-meetings", "demo-police-officer", 200, purpose: "s47-enquiry", enquiry: id);
        await CallAsync("POST", "/enquiries/{id}/fgdm", $"/enquiries/{id}/fgdm", lcpp, 200, new { decisionPoint = "strategy-meeting", status = "offered" });

        // MAIS brokered query, while the enquiry is open
        await CallAsync("POST", "/mais/person-info-query", "/mais/person-info-query", lcpp, 200, purpose: "s47-enquiry", enquiry: id, contentType: "application/fhir+json",
            rawBody: JsonSerializer.Serialize(new
            {
                resourceType = "Parameters",
                parameter = new object[]
                {
                    new { name = "resource", resource = new { resourceType = "Patient", name = new[] { new { family = "Fhirtest", given = new[] { "Mia" } } }, birthDate = "2016-05-14" } },
                    new { name = "reason", valueUri = "https://www.legislation.gov.uk/ukpga/1989/41/section/47" },
                },
            }));
        await CallAsync("POST", "/enquiries/{id}/emergency-actions", $"/enquiries/{id}/emergency-actions", lcpp, 200,
            new { kind = "policeProtection", startedAt = DateTimeOffset.UtcNow.AddHours(-2), agency = "police", user = "demo-police-officer" });
        await CallAsync("POST", "/enquiries/{id}/close", $"/enquiries/{id}/close", lcpp, 200, new { outcome = "childProtectionConference" });
        // The case waits for its conference: it is not closed again, and the conference decides.
        await CallAsync("POST", "/enquiries/{id}/close", $"/enquiries/{id}/close", lcpp, 422, new { outcome = "noFurtherAction" });
        await CallAsync("GET", "/oversight/cases", "/oversight/cases", lcpp, 200);
        await CallAsync("GET", "/enquiries/mine", "/enquiries/mine", lcpp, 200);
        await CallAsync("POST", "/enquiries/{id}/conferences", $"/enquiries/{id}/conferences", lcpp, 200, new
        {
            kind = "initial", heldAt = DateTimeOffset.UtcNow.AddMinutes(-30),
            attendance = new[] { new { agency = "police", attended = true, report = true }, new { agency = "health", attended = false, report = true } },
            decision = "plan", category = "neglect",
            coreGroup = new[] { new { agency = "police", user = "demo-police-officer", role = "police" } },
        });
        await CallAsync("POST", "/enquiries/{id}/core-group-meetings", $"/enquiries/{id}/core-group-meetings", lcpp, 200, new { heldAt = DateTimeOffset.UtcNow.AddMinutes(-10) });
        await CallAsync("POST", "/enquiries/{id}/pre-proceedings", $"/enquiries/{id}/pre-proceedings", lcpp, 200, new { at = DateTimeOffset.UtcNow.AddMinutes(-5), fgdm = "offered" });
        await CallAsync("POST", "/enquiries/{id}/conferences", $"/enquiries/{id}/conferences", lcpp, 200, new
        {
            kind = "review", heldAt = DateTimeOffset.UtcNow.AddMinutes(-1), attendance = new[] { new { agency = "police", attended = true, report = true } }, decision = "end-plan",
        });
        await CallAsync("POST", "/enquiries/{id}/close", $"/enquiries/{id}/close", lcpp, 409, new { outcome = "noFurtherAction" });

        // The MACPT directory
        var nominee = (await CallAsync("POST", "/macpt/nominations", "/macpt/nominations", "demo-probation-nominator", 201, new { user = "demo-probation-new", role = "probation" }))!.Value;
        await CallAsync("GET", "/macpt/nominations", "/macpt/nominations", lcpp, 200);
        await CallAsync("DELETE", "/macpt/nominations/{id}", $"/macpt/nominations/{nominee.GetProperty("id").GetGuid()}", "demo-probation-nominator", 200);

        // A strategy discussion that decides no further action: no section 47 enquiry follows
        var discussion = (await CallAsync("POST", "/strategy-discussions", "/strategy-discussions", lcpp, 201, new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } },
            grounds = "A second referral about bruising",
            members = new[] { new { agency = "health", user = "demo-health-practitioner", role = "health" } },
        }))!.Value.GetProperty("id").GetGuid();
        await CallAsync("POST", "/enquiries/{id}/lead", $"/enquiries/{discussion}/lead", lcpp, 200, new { user = "demo-la-chair", stayMember = true });
        await CallAsync("POST", "/strategy-discussions/{id}/decision", $"/strategy-discussions/{discussion}/decision", "demo-la-chair", 200,
            new { decision = "no-further-action", reasons = "Explained by a documented fall; the school confirms" });

        // Notifications and the IG audit
        await CallAsync("GET", "/notifications", "/notifications", "demo-police-ig", 200);
        var page = (await CallAsync("GET", "/audit/entries", "/audit/entries?limit=2", "demo-la-ig", 200, purpose: "audit-review"))!.Value;
        await CallAsync("GET", "/audit/entries", "/audit/entries?bogus=1", "demo-la-ig", 400, purpose: "audit-review");
        await CallAsync("GET", "/audit/export", "/audit/export?format=csv", "demo-la-ig", 200, purpose: "audit-review");
        await CallAsync("GET", "/audit/reports/{kind}", "/audit/reports/volume", "demo-la-ig", 200, purpose: "audit-review");
        await CallAsync("GET", "/audit/public-key", "/audit/public-key", null, 200);
        await CallAsync("GET", "/audit/checkpoint", "/audit/checkpoint", "demo-la-ig", 200);
        var size = page.GetProperty("entries")[1].GetProperty("sequence").GetInt64();
        await CallAsync("GET", "/audit/proofs/inclusion", $"/audit/proofs/inclusion?sequence=1&treeSize={size}", "demo-la-ig", 200);
        await CallAsync("GET", "/audit/proofs/consistency", $"/audit/proofs/consistency?first=1&second={size}", "demo-la-ig", 200);

        var documented = _document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}")).ToHashSet();
        Assert.Empty(documented.Except(_exercised));
    }
}

public sealed class SqliteOpenApiDocumentTests() : OpenApiDocumentTests(DatabaseEngine.Sqlite);

public sealed class PostgresOpenApiDocumentTests() : OpenApiDocumentTests(DatabaseEngine.Postgres);
