using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Writing;

/// <summary>
/// A partner system writes every kind of record it shares (states, involvements), over FHIR and OData, under the same rules as
/// people and events: its own organisation's records about its own record of the person, one record per reference, a change
/// only to the version read, nothing stored from a bad body; and what it wrote reads back to a case's members.
/// </summary>
public abstract class PartnerWriteTests(DatabaseEngine engine) : IAsyncLifetime
{
    private const string Health = "demo-health-practitioner";
    private const string Source = "urn:sharinghub:source-reference:" + FhirTestHub.NorthgateTrust;
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static StringContent Fhir(object resource) => new(JsonSerializer.Serialize(resource), Encoding.UTF8, "application/fhir+json");

    /// <summary>The FHIR resource of each kind, about a patient, with the writer's reference; <paramref name="change"/> alters it.</summary>
    private static Dictionary<string, object?> Resource(string type, Guid patient, string reference, string text, Action<Dictionary<string, object?>>? change = null,
        Guid? other = null)
    {
        var resource = type switch
        {
            "RelatedPerson" => new Dictionary<string, object?>
            {
                ["resourceType"] = "RelatedPerson",
                ["meta"] = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "health.clinical" } } },
                ["identifier"] = new[] { new { system = Source, value = reference } },
                ["extension"] = new object[]
                {
                    new { url = "urn:sharinghub:fhir:person-record", valueReference = new { reference = $"Patient/{other}" } },
                    new { url = "urn:sharinghub:fhir:parental-responsibility", valueBoolean = true },
                },
                ["patient"] = new { reference = $"Patient/{patient}" },
                ["relationship"] = new[] { new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/v3-RoleCode", code = "PRN" } } } },
            },
            "Group" => new Dictionary<string, object?>
            {
                ["resourceType"] = "Group",
                ["meta"] = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "person.demographics" } } },
                ["identifier"] = new[] { new { system = "urn:sharinghub:household:" + FhirTestHub.NorthgateTrust, value = reference } },
                ["extension"] = new[] { new { url = "urn:sharinghub:fhir:address", valueString = text } },
                ["type"] = "person",
                ["actual"] = true,
                ["member"] = new object[]
                {
                    new { entity = new { reference = $"Patient/{patient}" }, extension = new[] { new { url = "urn:sharinghub:fhir:household-role", valueCode = "child" } } },
                    new { entity = new { reference = $"Patient/{other}" }, extension = new[] { new { url = "urn:sharinghub:fhir:household-role", valueCode = "parent" } } },
                },
            },
            "Flag" => new Dictionary<string, object?>
            {
                ["resourceType"] = "Flag",
                ["meta"] = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "health.clinical" } } },
                ["identifier"] = new[] { new { system = Source, value = reference } },
                ["extension"] = new[] { new { url = "urn:sharinghub:fhir:detail", valueString = text } },
                ["status"] = "active",
                ["code"] = new { coding = new[] { new { system = "urn:sharinghub:state", code = "child-in-need" } } },
                ["subject"] = new { reference = $"Patient/{patient}" },
                ["period"] = new { start = "2026-09-03T09:00:00Z" },
            },
            _ => new Dictionary<string, object?>
            {
                ["resourceType"] = "EpisodeOfCare",
                ["meta"] = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "health.clinical" } } },
                ["identifier"] = new[] { new { system = Source, value = reference } },
                ["extension"] = new[] { new { url = "urn:sharinghub:fhir:summary", valueString = text } },
                ["status"] = "active",
                ["type"] = new[] { new { coding = new[] { new { system = "urn:sharinghub:service", code = "health-visiting" } } } },
                ["patient"] = new { reference = $"Patient/{patient}" },
                ["period"] = new { start = "2026-09-03T09:00:00Z" },
                ["careManager"] = new { display = "Health visitor K. Obi" },
                ["team"] = new[] { new { display = "Northgate 0-19 team" } },
            },
        };
        change?.Invoke(resource);
        return resource;
    }

    private async Task<int> CountAsync(string type)
    {
        await using var db = _hub.Contexts.Create();
        return type switch
        {
            "Flag" or "States" => await db.States.CountAsync(s => s.SourceReference != null),
            "RelatedPerson" or "Relationships" => await db.Relationships.CountAsync(r => r.SourceReference != null),
            "Group" or "Households" => await db.Households.CountAsync(h => h.OwningOrganisation == FhirTestHub.NorthgateTrust),
            "FamilyHelpPlans" => await db.FamilyHelpPlans.CountAsync(),
            _ => await db.Involvements.CountAsync(i => i.SourceReference != null),
        };
    }

    /// <summary>The health trust's record of the child's mother, for kinds that relate two people.</summary>
    private async Task<Guid> MotherAsync()
    {
        var mother = _hub.Builder.Person("health", "Grace", "Fhirtest", "1990-02-02", Core.Records.IdentifierKind.NhsNumber, "9990000018");
        mother.OwningOrganisation = FhirTestHub.NorthgateTrust;
        return (await _hub.Store.AddAsync(mother, CancellationToken.None)).Id;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, HttpContent content, string user = Health,
        string? ifNoneExist = null, string? ifMatch = null)
    {
        var response = await _hub.SendAsync(method, path, user, content: content, change: r =>
        {
            if (ifNoneExist is not null)
            {
                r.Headers.TryAddWithoutValidation("If-None-Exist", ifNoneExist);
            }
            if (ifMatch is not null)
            {
                r.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }
        });
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    [Theory]
    [InlineData("Flag", "child-in-need")]
    [InlineData("EpisodeOfCare", "health-visiting")]
    [InlineData("RelatedPerson", "PRN")]
    [InlineData("Group", "HV-0001")]
    public async Task Given_a_partner_system_writing_a_kind_over_fhir_then_it_is_stored_once_changed_only_at_its_version_and_read_back_by_the_case(string type, string code)
    {
        var c = await _hub.CaseAsync();
        var mother = await MotherAsync();
        var system = type == "Group" ? "urn:sharinghub:household:" + FhirTestHub.NorthgateTrust : Source;
        var condition = $"identifier={system}|HV-0001";
        var text = type == "Group" ? "Flat 2, 10 Mill Lane, Testtown TE1 2AB" : "Family finding things hard since the move";
        Dictionary<string, object?> Make(string reference, string words, Action<Dictionary<string, object?>>? change = null) =>
            Resource(type, c.HealthChild.Id, reference, words, change, mother);

        // Created once, however often the push is retried with its condition.
        var (created, createdBody, first) = await SendAsync(HttpMethod.Post, $"/fhir/{type}", Fhir(Make("HV-0001", text)), ifNoneExist: condition);
        Assert.True(created == HttpStatusCode.Created, createdBody.ToString());
        Assert.Equal("W/\"1\"", first.Headers.ETag?.ToString());
        var location = first.Headers.Location!.ToString();
        var id = location.Split('/')[^3];
        var (again, _, second) = await SendAsync(HttpMethod.Post, $"/fhir/{type}", Fhir(Make("HV-0001", text)), ifNoneExist: condition);
        Assert.Equal((HttpStatusCode.OK, location), (again, second.Headers.Location!.ToString()));
        // Without the condition, a second record with the same reference is a conflict, not a duplicate.
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, $"/fhir/{type}", Fhir(Make("HV-0001", "Again")))).Status);
        Assert.Equal(1, await CountAsync(type));

        // It reads back as written: the sealed text opened, the code, the writer's reference.
        using (var read = await _hub.GetAsync($"/fhir/{type}/{id}", Health, "family-help"))
        {
            var body = await read.Content.ReadAsStringAsync();
            Assert.True(read.StatusCode == HttpStatusCode.OK, body);
            Assert.Contains(type == "RelatedPerson" ? mother.ToString() : text, body, StringComparison.Ordinal);
            Assert.Contains(code, body, StringComparison.Ordinal);
        }

        // A change names the version it read: a stale one is refused, the right one makes version 2 and keeps version 1.
        var ended = Make("HV-0001", "Moved out of area; transferred", r =>
        {
            if (type is "Flag" or "EpisodeOfCare")
            {
                r["status"] = type == "Flag" ? "inactive" : "finished";
                r["period"] = new { start = "2026-09-03T09:00:00Z", end = "2026-10-20T12:00:00Z" };
            }
        });
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await SendAsync(HttpMethod.Put, $"/fhir/{type}/{id}", Fhir(ended), ifMatch: "W/\"7\"")).Status);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await SendAsync(HttpMethod.Put, $"/fhir/{type}/{id}", Fhir(ended))).Status);
        var (updated, updatedBody, update) = await SendAsync(HttpMethod.Put, $"/fhir/{type}/{id}", Fhir(ended), ifMatch: "W/\"1\"");
        Assert.True(updated == HttpStatusCode.OK, updatedBody.ToString());
        Assert.Equal("W/\"2\"", update.Headers.ETag?.ToString());
        await using (var db = _hub.Contexts.Create())
        {
            Assert.Equal(1, await db.RecordHistory.CountAsync(h => h.RecordId == Guid.Parse(id)));
        }

        // Another agency's system may neither change it nor write about a person it does not hold.
        var police = Make("PN-1", "Police note", r =>
        {
            r["identifier"] = new[] { new { system = (type == "Group" ? "urn:sharinghub:household:" : "urn:sharinghub:source-reference:") + "police", value = "PN-1" } };
            r["meta"] = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = type == "Group" ? "person.demographics" : "police.incident" } } };
        });
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Put, $"/fhir/{type}/{id}", Fhir(police), "demo-police-officer", ifMatch: "W/\"2\"")).Status);
        var (notTheirs, notTheirsBody, _) = await SendAsync(HttpMethod.Post, $"/fhir/{type}", Fhir(police), "demo-police-officer");
        Assert.True(notTheirs == HttpStatusCode.UnprocessableEntity && notTheirsBody.ToString().Contains("your organisation's own record", StringComparison.Ordinal), notTheirsBody.ToString());

        // A body that is not R4 is a 400; one that is R4 but breaks the hub's rules is refused element by element; nothing is stored.
        var (invalid, invalidBody, _) = await SendAsync(HttpMethod.Post, $"/fhir/{type}", Fhir(Make("HV-0002", "x", r => r["priority"] = "high")));
        Assert.True(invalid == HttpStatusCode.BadRequest, invalidBody.ToString());
        var (unkept, value) = type switch
        {
            "Flag" => ("encounter", (object)new { reference = "Encounter/1" }),
            "EpisodeOfCare" => ("referralRequest", new[] { new { reference = "ServiceRequest/1" } }),
            "RelatedPerson" => ("gender", "female"),
            _ => ("characteristic", new[] { new { code = new { text = "x" }, valueBoolean = true, exclude = false } }),
        };
        var (bad, badBody, _) = await SendAsync(HttpMethod.Post, $"/fhir/{type}", Fhir(Make("HV-0002", "x", r =>
        {
            r["meta"] = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "police.incident" } } };
            r[unkept] = value;
        })));
        Assert.True(bad == HttpStatusCode.UnprocessableEntity, badBody.ToString());
        var expressions = badBody.GetProperty("issue").EnumerateArray().SelectMany(i => i.GetProperty("expression").EnumerateArray()).Select(e => e.GetString()).ToList();
        Assert.Contains($"{type}.{unkept}", expressions);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, $"/fhir/{type}", new StringContent("{\"resourceType\":", Encoding.UTF8, "application/fhir+json"))).Status);
        Assert.Equal(1, await CountAsync(type));
    }

    [Fact]
    public async Task Given_a_transaction_with_a_new_patient_and_their_state_then_both_are_stored_together_or_neither()
    {
        var bundle = new
        {
            resourceType = "Bundle",
            type = "transaction",
            entry = new object[]
            {
                new
                {
                    fullUrl = "urn:uuid:7e1c1d4e-0000-4000-8000-000000000001",
                    resource = new
                    {
                        resourceType = "Patient", identifier = new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = "9990000034" } },
                        name = new[] { new { family = "Bundlewell", given = new[] { "Ava" } } }, gender = "female", birthDate = "2018-04-05",
                    },
                    request = new { method = "POST", url = "Patient" },
                },
                new
                {
                    resource = Resource("Flag", Guid.Empty, "HV-T1", "Under the 0-19 team", r => r["subject"] = new { reference = "urn:uuid:7e1c1d4e-0000-4000-8000-000000000001" }),
                    request = new { method = "POST", url = "Flag" },
                },
            },
        };
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/fhir", Fhir(bundle));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(["201 Created", "201 Created"], body.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("response").GetProperty("status").GetString()));
        Assert.Equal(1, await CountAsync("Flag"));
    }

    [Theory]
    [InlineData("States", "startedAt", "endedAt")]
    [InlineData("Involvements", "startedAt", "endedAt")]
    [InlineData("Relationships", "kind", "hasParentalResponsibility")]
    [InlineData("Households", "reference", "address")]
    [InlineData("FamilyHelpPlans", "leadPractitioner", "reviewDueAt")]
    public async Task Given_a_partner_system_writing_a_kind_over_odata_then_it_is_stored_once_patched_at_its_version_and_bad_bodies_store_nothing(string set, string required, string changed)
    {
        var c = await _hub.CaseAsync();
        var mother = await MotherAsync();
        Dictionary<string, object?> Body(string reference) => set switch
        {
            "States" => new() { ["personId"] = c.HealthChild.Id, ["code"] = "child-in-need", ["startedAt"] = "2026-09-03T09:00:00Z", ["detail"] = "Family finding things hard", ["dataClass"] = "health.clinical", ["sourceReference"] = reference },
            "Involvements" => new() { ["personId"] = c.HealthChild.Id, ["service"] = "health-visiting", ["status"] = "open", ["startedAt"] = "2026-09-03T09:00:00Z", ["summary"] = "Family finding things hard", ["leadWorker"] = "K. Obi", ["dataClass"] = "health.clinical", ["sourceReference"] = reference },
            "Relationships" => new() { ["personId"] = mother, ["relatedPersonId"] = c.HealthChild.Id, ["kind"] = "parentOf", ["hasParentalResponsibility"] = false, ["dataClass"] = "health.clinical", ["sourceReference"] = reference },
            "FamilyHelpPlans" => new() { ["personId"] = c.HealthChild.Id, ["status"] = "assessing", ["startedAt"] = "2026-09-03T09:00:00Z", ["needs"] = "Family finding things hard", ["leadPractitioner"] = "K. Obi", ["agenciesInvolved"] = new[] { "la" }, ["sourceReference"] = reference },
            _ => new() { ["reference"] = reference, ["address"] = "Family finding things hard", ["dataClass"] = "person.demographics",
                ["members"] = new[] { new Dictionary<string, object> { ["personId"] = c.HealthChild.Id, ["role"] = "child" }, new Dictionary<string, object> { ["personId"] = mother, ["role"] = "parent" } } },
        };
        object Changed() => set switch
        {
            "States" or "Involvements" or "FamilyHelpPlans" => "2026-10-20T12:00:00Z",
            "Relationships" => true,
            _ => "Flat 3, 10 Mill Lane, Testtown TE1 2AB",
        };

        var (created, createdBody, first) = await SendAsync(HttpMethod.Post, $"/odata/{set}", JsonContent.Create(Body("HV-0101")));
        Assert.True(created == HttpStatusCode.Created, createdBody.ToString());
        var id = createdBody.GetProperty("id").GetGuid();
        Assert.Equal("W/\"1\"", first.Headers.ETag?.ToString());
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, $"/odata/{set}", JsonContent.Create(Body("HV-0101")))).Status);
        Assert.Equal(1, await CountAsync(set));

        // A PATCH changes only what it names, at the version read; the sealed text it does not name is kept.
        JsonContent Patch() => JsonContent.Create(new Dictionary<string, object?> { [changed] = Changed() }.Concat(set == "Involvements" ? [new("status", "closed")] : []).ToDictionary());
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await SendAsync(HttpMethod.Patch, $"/odata/{set}({id})", Patch(), ifMatch: "W/\"4\"")).Status);
        var (patched, patchedBody, patchResponse) = await SendAsync(HttpMethod.Patch, $"/odata/{set}({id})", Patch(), ifMatch: "W/\"1\"");
        Assert.True(patched == HttpStatusCode.NoContent, patchedBody.ToString());
        Assert.Equal("W/\"2\"", patchResponse.Headers.ETag?.ToString());
        using (var read = await _hub.GetAsync($"/odata/{set}({id})", Health, "family-help"))
        {
            var row = await FhirTestHub.JsonAsync(read);
            Assert.True(read.StatusCode == HttpStatusCode.OK, row.ToString());
            switch (set)
            {
                case "States" or "Involvements":
                    Assert.Equal("Family finding things hard", row.GetProperty(set == "States" ? "detail" : "summary").GetString());
                    Assert.Equal(new DateTimeOffset(2026, 10, 20, 12, 0, 0, TimeSpan.Zero), row.GetProperty("endedAt").GetDateTimeOffset());
                    break;
                case "FamilyHelpPlans":
                    Assert.Equal("Family finding things hard", row.GetProperty("needs").GetString());
                    Assert.Equal(new DateTimeOffset(2026, 10, 20, 12, 0, 0, TimeSpan.Zero), row.GetProperty("reviewDueAt").GetDateTimeOffset());
                    Assert.Equal("K. Obi", row.GetProperty("leads")[0].GetProperty("practitioner").GetString());
                    break;
                case "Relationships":
                    Assert.True(row.GetProperty("hasParentalResponsibility").GetBoolean());
                    Assert.Equal("parentOf", row.GetProperty("kind").GetString());
                    break;
                default:
                    Assert.Equal("Flat 3, 10 Mill Lane, Testtown TE1 2AB", row.GetProperty("address").GetString());
                    Assert.Equal(["child", "parent"], row.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("role").GetString()).Order());
                    break;
            }
        }

        // Another agency's system finds nothing to change; a bad body names what is wrong and stores nothing.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Patch, $"/odata/{set}({id})", Patch(), "demo-police-officer", ifMatch: "W/\"2\"")).Status);
        foreach (var (change, named) in new (Action<Dictionary<string, object?>>, string)[]
        {
            (b => b.Remove(required), required),
            (b => b["dataClass"] = "police.incident", "dataClass"),
            (b => b["owningAgency"] = "la", "owningAgency"),
            (b =>
            {
                if (set == "Households")
                {
                    b["members"] = new[] { new Dictionary<string, object> { ["personId"] = c.LaChild.Id, ["role"] = "child" } };
                }
                else
                {
                    b[set == "Relationships" ? "relatedPersonId" : "personId"] = c.LaChild.Id;
                }
            }, set switch { "Households" => "members[0].personId", "Relationships" => "relatedPersonId", _ => "personId" }),
        })
        {
            var body = Body("HV-0102");
            change(body);
            var (refused, refusal, _) = await SendAsync(HttpMethod.Post, $"/odata/{set}", JsonContent.Create(body));
            Assert.True(refused == HttpStatusCode.BadRequest, refusal.ToString());
            Assert.Equal(named, refusal.GetProperty("error").GetProperty("target").GetString());
        }
        Assert.Equal(1, await CountAsync(set));
    }
}

public sealed class SqlitePartnerWriteTests() : PartnerWriteTests(DatabaseEngine.Sqlite);

public sealed class PostgresPartnerWriteTests() : PartnerWriteTests(DatabaseEngine.Postgres);
