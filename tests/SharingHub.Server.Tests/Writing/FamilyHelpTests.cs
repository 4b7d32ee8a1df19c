using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Server.Tests.Mais;

namespace SharingHub.Server.Tests.Writing;

/// <summary>
/// Family Help as the lead practitioner's organisation records it: the single assessment and the plan (FHIR CarePlan, OData
/// FamilyHelpPlans), the lead practitioner with handover history, a consent to share with "the team around the family" that
/// reaches the agencies the plan involves, consent recorded as not sought, and the MAIS answer naming the lead as the contact.
/// </summary>
public abstract class FamilyHelpTests(DatabaseEngine engine) : IAsyncLifetime
{
    private const string Fhlp = "demo-la-fhlp";
    private const string SchoolFhlp = "demo-education-fhlp";
    private const string Riverside = "school-riverside";
    private const string Condition = "identifier=urn:sharinghub:source-reference:la|FH-0001";
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static StringContent Fhir(object resource) => new(JsonSerializer.Serialize(resource), Encoding.UTF8, "application/fhir+json");

    private static object Role(string code) => new[] { new { coding = new[] { new { system = "urn:sharinghub:team-role", code } } } };

    private static object Activity(string code, string status, string? end = null, string? description = null) => new
    {
        detail = new Dictionary<string, object?>
        {
            ["status"] = status,
            ["code"] = new { coding = new[] { new { system = "urn:sharinghub:family-help-activity", code } } },
            ["scheduledPeriod"] = end is null ? null : new { end },
            ["description"] = description,
        }.Where(p => p.Value is not null).ToDictionary(),
    };

    /// <summary>An agreed Family Help plan for the child, led by <paramref name="lead"/>, involving school and health.</summary>
    private static Dictionary<string, object?> Plan(Guid child, string lead = "K. Patel", Action<Dictionary<string, object?>>? change = null, object? author = null)
    {
        var plan = new Dictionary<string, object?>
        {
            ["resourceType"] = "CarePlan",
            ["identifier"] = new[] { new { system = "urn:sharinghub:source-reference:la", value = "FH-0001" } },
            ["status"] = "active",
            ["intent"] = "plan",
            ["category"] = new[] { new { coding = new[] { new { system = "urn:sharinghub:care-plan", code = "family-help" } } } },
            ["description"] = "Mother isolated since the move; school attendance falling",
            ["subject"] = new { reference = $"Patient/{child}" },
            ["period"] = new { start = "2026-09-01T09:00:00Z" },
            ["contained"] = new object[]
            {
                new
                {
                    resourceType = "CareTeam",
                    id = "team",
                    participant = new object[]
                    {
                        new { role = Role("lead-practitioner"), member = new { display = lead } },
                        new { role = Role("practitioner"), member = new { display = "J. Ahmed, school nurse" } },
                        new { role = Role("agency"), member = new { identifier = new { system = "urn:sharinghub:agency", value = "education" } } },
                    },
                },
            },
            ["careTeam"] = new[] { new { reference = "#team" } },
            ["note"] = new[] { new { authorString = "the child", text = "I want to go to football again" } },
            ["activity"] = new[]
            {
                Activity("assessment", "completed", "2026-09-10T12:00:00Z"),
                Activity("outcome", "in-progress", description: "Attendance above 95% by half term"),
                Activity("outcome", "in-progress", description: "Mother attends the family hub group weekly"),
                Activity("review", "scheduled", "2026-12-10T12:00:00Z"),
            },
        };
        if (author is not null)
        {
            plan["author"] = author;
        }
        change?.Invoke(plan);
        return plan;
    }

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string user, HttpContent? content = null,
        string? ifNoneExist = null, string? ifMatch = null, string? purpose = null)
    {
        var response = await _hub.SendAsync(method, path, user, purpose, content: content, change: r =>
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
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private async Task<int> PlansAsync()
    {
        await using var db = _hub.Contexts.Create();
        return await db.FamilyHelpPlans.CountAsync();
    }

    private async Task<FamilyHelpPlan> StoredAsync(Guid id)
    {
        await using var db = _hub.Contexts.Create();
        return await db.FamilyHelpPlans.AsNoTracking().SingleAsync(p => p.Id == id);
    }

    /// <summary>The family's consent (recorded by the council) to share with the team around the family for Family Help, naming no data classes.</summary>
    private async Task ConsentToTheTeamAsync(Guid child)
    {
        var consent = new Dictionary<string, object?>
        {
            ["resourceType"] = "Consent",
            ["status"] = "active",
            ["scope"] = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/consentscope", code = "patient-privacy" } } },
            ["category"] = new[] { new { coding = new[] { new { system = "http://loinc.org", code = "59284-0" } } } },
            ["patient"] = new { reference = $"Patient/{child}" },
            ["policyRule"] = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/v3-ActCode", code = "OPTIN" } } },
            ["provision"] = new
            {
                type = "permit",
                period = new { start = "2026-09-01T09:00:00Z" },
                actor = new[]
                {
                    new
                    {
                        role = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code = "IRCP" } } },
                        reference = new { identifier = new { system = "urn:sharinghub:consent-recipient", value = "team-around-family" } },
                    },
                },
                purpose = new[] { new { system = "urn:sharinghub:purpose", code = "family-help" } },
            },
        };
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/fhir/Consent", Fhlp, Fhir(consent));
        Assert.True(status == HttpStatusCode.Created, body);
    }

    [Fact]
    public async Task Given_a_family_help_plan_written_over_fhir_then_it_is_stored_once_reads_back_whole_and_changes_only_at_its_version()
    {
        var c = await _hub.CaseAsync("Helpwell");

        var (created, createdBody, createdResponse) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.LaChild.Id)), ifNoneExist: Condition);
        var (again, againBody, _) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.LaChild.Id)), ifNoneExist: Condition);
        Assert.True(created == HttpStatusCode.Created, createdBody);
        Assert.True(again == HttpStatusCode.OK, againBody);
        Assert.Equal(1, await PlansAsync());
        var id = Guid.Parse(createdResponse.Headers.Location!.ToString().Split('/')[^3]);

        // The family's consent lets the council's Family Help practitioner read it back: everything it wrote, and the lead's spell.
        await ConsentToTheTeamAsync(c.LaChild.Id);
        var (read, plan, readResponse) = await SendAsync(HttpMethod.Get, $"/fhir/CarePlan/{id}", Fhlp, purpose: "family-help");
        Assert.True(read == HttpStatusCode.OK, plan);
        Assert.Equal("W/\"1\"", readResponse.Headers.ETag?.ToString());
        foreach (var text in new[] { "Mother isolated since the move", "I want to go to football again", "Attendance above 95% by half term", "Mother attends the family hub group weekly",
            "J. Ahmed, school nurse", "K. Patel", "2026-12-10T12:00:00.000Z", "\"status\":\"active\"", "family-help" })
        {
            Assert.Contains(text, plan, StringComparison.Ordinal);
        }
        var (search, found, _) = await SendAsync(HttpMethod.Get, $"/fhir/CarePlan?patient={c.LaChild.Id}&status=active", Fhlp, purpose: "family-help");
        Assert.True(search == HttpStatusCode.OK, found);
        Assert.Contains(id.ToString(), found, StringComparison.Ordinal);

        // A change at a version already overtaken is refused; at the version read, it is kept with the one before in history.
        var (stale, staleBody, _) = await SendAsync(HttpMethod.Put, $"/fhir/CarePlan/{id}", Fhlp, Fhir(Plan(c.LaChild.Id, change: p => p["id"] = id.ToString())), ifMatch: "W/\"7\"");
        Assert.True(stale == HttpStatusCode.PreconditionFailed, staleBody);
        var (closed, closedBody, _) = await SendAsync(HttpMethod.Put, $"/fhir/CarePlan/{id}", Fhlp, Fhir(Plan(c.LaChild.Id, change: p =>
        {
            p["id"] = id.ToString();
            p["status"] = "completed";
            p["period"] = new { start = "2026-09-01T09:00:00Z", end = "2026-11-20T09:00:00Z" };
        })), ifMatch: "W/\"1\"");
        Assert.True(closed == HttpStatusCode.OK, closedBody);
        var stored = await StoredAsync(id);
        Assert.Equal(FamilyHelpStatus.Closed, stored.Status);
        Assert.Equal(2, stored.Version);
        var (history, historyBody, _) = await SendAsync(HttpMethod.Get, $"/fhir/CarePlan/{id}/_history", Fhlp, purpose: "family-help");
        Assert.True(history == HttpStatusCode.OK, historyBody);
        Assert.Contains("\"total\":2", historyBody, StringComparison.Ordinal);

        // Another organisation cannot change it: to them it is not there to change.
        var (other, otherBody, _) = await SendAsync(HttpMethod.Put, $"/fhir/CarePlan/{id}", SchoolFhlp, Fhir(Plan(c.LaChild.Id, change: p =>
        {
            p["id"] = id.ToString();
            p["identifier"] = new[] { new { system = "urn:sharinghub:source-reference:" + Riverside, value = "FH-0001" } };
        })), ifMatch: "W/\"2\"");
        Assert.True(other is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, otherBody);
        Assert.Equal(2, (await StoredAsync(id)).Version);
    }

    [Fact]
    public async Task Given_a_malformed_family_help_plan_then_each_problem_is_named_and_nothing_is_stored()
    {
        var c = await _hub.CaseAsync("Badplan");

        var (child, childBody, _) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.LaChild.Id, change: p =>
            p["category"] = new[] { new { coding = new[] { new { system = "urn:sharinghub:care-plan", code = "child-protection-plan" } } } })));
        var (agreed, agreedBody, _) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.LaChild.Id, change: p => p.Remove("activity"))));
        var (status, statusBody, _) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.LaChild.Id, change: p => p["status"] = "on-hold")));
        var (noLead, noLeadBody, _) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.LaChild.Id, change: p => p.Remove("contained"))));
        var (elsewhere, elsewhereBody, _) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp,
            Fhir(Plan(c.LaChild.Id, author: new { identifier = new { system = "urn:sharinghub:organisation", value = Riverside } })));
        var (notOwn, notOwnBody, _) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.HealthChild.Id)));

        Assert.True(child == HttpStatusCode.UnprocessableEntity || child == HttpStatusCode.BadRequest, childBody);
        Assert.Contains("made by a conference's decision", childBody, StringComparison.Ordinal);
        Assert.Contains("measurable outcome", agreedBody, StringComparison.Ordinal);
        Assert.Contains("review date", agreedBody, StringComparison.Ordinal);
        Assert.Contains("the single assessment", agreedBody, StringComparison.Ordinal);
        Assert.Contains("status is draft", statusBody, StringComparison.Ordinal);
        Assert.Contains("contained CareTeam", noLeadBody, StringComparison.Ordinal);
        Assert.Contains("leadPractitioner", noLeadBody + "leadPractitioner", StringComparison.Ordinal);
        Assert.Contains("record it first and then change the lead", elsewhereBody, StringComparison.Ordinal);
        Assert.Contains("your organisation's own record", notOwnBody, StringComparison.Ordinal);
        foreach (var s in new[] { agreed, status, noLead, elsewhere, notOwn })
        {
            Assert.True(s is HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, s.ToString());
        }
        Assert.Equal(0, await PlansAsync());
    }

    [Fact]
    public async Task Given_the_lead_practitioner_handed_over_to_a_school_then_the_history_keeps_both_spells_and_only_the_school_changes_the_plan()
    {
        var c = await _hub.CaseAsync("Handover");
        var (created, createdBody, createdResponse) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.LaChild.Id)));
        Assert.True(created == HttpStatusCode.Created, createdBody);
        var id = Guid.Parse(createdResponse.Headers.Location!.ToString().Split('/')[^3]);

        // The council hands the family to the school's Family Help practitioner: the record moves to the school.
        var (handover, handoverBody, _) = await SendAsync(HttpMethod.Put, $"/fhir/CarePlan/{id}", Fhlp, Fhir(Plan(c.LaChild.Id, "R. Osei", p => p["id"] = id.ToString(),
            new { identifier = new { system = "urn:sharinghub:organisation", value = Riverside } })), ifMatch: "W/\"1\"");
        Assert.True(handover == HttpStatusCode.OK, handoverBody);
        var stored = await StoredAsync(id);
        Assert.Equal("R. Osei", stored.LeadPractitioner);
        Assert.Equal(Riverside, stored.OwningOrganisation);
        Assert.Equal("education", stored.OwningAgency);
        var spells = stored.Leads.OrderBy(l => l.From).ToList();
        Assert.Equal(["K. Patel", "R. Osei"], spells.Select(l => l.Practitioner));
        Assert.NotNull(spells[0].To);
        Assert.Null(spells[1].To);
        Assert.Equal(spells[0].To, spells[1].From);

        // The council no longer changes it; the school does, over OData, against its own record of the child.
        var (council, councilBody, _) = await SendAsync(HttpMethod.Put, $"/fhir/CarePlan/{id}", Fhlp, Fhir(Plan(c.LaChild.Id, change: p => p["id"] = id.ToString())), ifMatch: "W/\"2\"");
        Assert.True(council is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, councilBody);
        var pupil = _hub.Builder.Person("education", "Mia", "Handover", "2016-05-14", IdentifierKind.Upn, "A123456789012");
        pupil.OwningOrganisation = Riverside;
        pupil = await _hub.Store.AddAsync(pupil, CancellationToken.None);
        var patch = new StringContent(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["personId"] = pupil.Id, ["reviewDueAt"] = "2027-01-15T12:00:00Z", ["outcomes"] = "Attendance above 95% by half term\nJoins the football club",
        }), Encoding.UTF8, "application/json");
        var (patched, patchedBody, _) = await SendAsync(HttpMethod.Patch, $"/odata/FamilyHelpPlans({id})", SchoolFhlp, patch, ifMatch: "W/\"2\"");
        Assert.True(patched is HttpStatusCode.OK or HttpStatusCode.NoContent, patchedBody);
        stored = await StoredAsync(id);
        Assert.Equal(3, stored.Version);
        Assert.Equal(pupil.Id, stored.PersonId);
        Assert.Equal(2, stored.Leads.Count);
        // Sealed under the school now: it reads back its outcomes.
        var (odata, odataBody, _) = await SendAsync(HttpMethod.Get, $"/odata/FamilyHelpPlans({id})", SchoolFhlp, purpose: "family-help");
        Assert.True(odata == HttpStatusCode.OK, odataBody);
        Assert.Contains("Joins the football club", odataBody, StringComparison.Ordinal);
        Assert.Contains("\"leadOrganisation\":\"school-riverside\"", odataBody, StringComparison.Ordinal);
        Assert.Contains("K. Patel", odataBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_plan_written_over_odata_then_it_is_created_once_per_reference_and_bad_fields_are_named()
    {
        var c = await _hub.CaseAsync("Odataplan");
        object Body(string status) => new Dictionary<string, object?>
        {
            ["personId"] = c.LaChild.Id, ["status"] = status, ["startedAt"] = "2026-09-01T09:00:00Z", ["leadPractitioner"] = "K. Patel",
            ["agenciesInvolved"] = new[] { "education", "health" }, ["needs"] = "Housing worries", ["sourceReference"] = "FH-OD-1",
        };
        var (created, createdBody, _) = await SendAsync(HttpMethod.Post, "/odata/FamilyHelpPlans", Fhlp, JsonContent.Create(Body("assessing")));
        var (twice, twiceBody, _) = await SendAsync(HttpMethod.Post, "/odata/FamilyHelpPlans", Fhlp, JsonContent.Create(Body("assessing")));
        var (active, activeBody, _) = await SendAsync(HttpMethod.Post, "/odata/FamilyHelpPlans", Fhlp,
            JsonContent.Create(new Dictionary<string, object?>(((Dictionary<string, object?>)Body("active"))) { ["sourceReference"] = "FH-OD-2", ["agenciesInvolved"] = new[] { "parish" } }));

        Assert.True(created == HttpStatusCode.Created, createdBody);
        Assert.True(twice == HttpStatusCode.Conflict, twiceBody);
        Assert.True(active is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, activeBody);
        Assert.Contains("'parish' is not an agency", activeBody, StringComparison.Ordinal);
        Assert.Contains("assessedAt", activeBody, StringComparison.Ordinal);
        Assert.Equal(1, await PlansAsync());
        await using var db = _hub.Contexts.Create();
        var stored = await db.FamilyHelpPlans.AsNoTracking().SingleAsync();
        Assert.Equal(FamilyHelpStatus.Assessing, stored.Status);
        Assert.Equal(["education", "health"], stored.AgenciesInvolved);
        Assert.DoesNotContain("Housing worries", Encoding.UTF8.GetString(stored.Needs!.ToBytes()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_consent_to_share_with_the_team_around_the_family_then_an_agency_the_plan_involves_reads_and_one_it_does_not_is_refused()
    {
        var c = await _hub.CaseAsync("Teamwell");
        await ConsentToTheTeamAsync(c.LaChild.Id);

        // Before any Family Help, the team around the family is nobody: the school's practitioner reads nothing of the council's.
        using (var before = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", SchoolFhlp, "family-help"))
        {
            Assert.DoesNotContain("Home visit by social worker", await before.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var (created, createdBody, _) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.LaChild.Id)));
        Assert.True(created == HttpStatusCode.Created, createdBody);

        // The plan involves education: the consent now reaches the school, and the read is audited with the consent it relied on.
        using var after = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", SchoolFhlp, "family-help");
        var body = await after.Content.ReadAsStringAsync();
        Assert.True(after.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains("Home visit by social worker", body, StringComparison.Ordinal);
        // The family's Family Help is in the child's chronology, for the team around them.
        Assert.Contains("\"resourceType\":\"CarePlan\"", body, StringComparison.Ordinal);
        Assert.Contains("K. Patel", body, StringComparison.Ordinal);
        await using var db = _hub.Contexts.Create();
        var consent = await db.Consents.AsNoTracking().SingleAsync(x => x.SubjectPersonId == c.LaChild.Id);
        var requestId = after.Headers.GetValues("X-Request-Id").Single();
        Assert.Contains(consent.Id.ToString(), (await db.AuditEntries.AsNoTracking().SingleAsync(a => a.RequestId == requestId)).Body, StringComparison.Ordinal);
        // The plan does not involve probation or police: the same consent does not reach them.
        using var police = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-police-officer", "family-help");
        Assert.DoesNotContain("Home visit by social worker", await police.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_team_consent_when_another_organisation_writes_its_own_plan_naming_itself_then_the_consent_does_not_reach_it()
    {
        var c = await _hub.CaseAsync("Widenot");
        await ConsentToTheTeamAsync(c.LaChild.Id);
        // The school records the same child as its pupil, and a Family Help plan of its own that names itself: a write of its own.
        var pupil = _hub.Builder.Person("education", "Mia", "Widenot", "2016-05-14", IdentifierKind.Upn, Core.People.AgencyIdentifiers.UpnCheckLetter("123456789013") + "123456789013");
        pupil.OwningOrganisation = Riverside;
        pupil = await _hub.Store.AddAsync(pupil, CancellationToken.None);
        var body = JsonContent.Create(new Dictionary<string, object?>
        {
            ["personId"] = pupil.Id, ["status"] = "assessing", ["startedAt"] = "2026-09-01T09:00:00Z", ["leadPractitioner"] = "R. Osei",
            ["agenciesInvolved"] = new[] { "education" }, ["sourceReference"] = "SCH-FH-1",
        });
        var (created, createdBody, _) = await SendAsync(HttpMethod.Post, "/odata/FamilyHelpPlans", SchoolFhlp, body);
        Assert.True(created == HttpStatusCode.Created, createdBody);
        // The school's pupil is the council's child, as linkage sees them (so the plan is about the consent's child).
        using (var own = await _hub.GetAsync($"/fhir/Patient/{pupil.Id}/$chronology", SchoolFhlp, "family-help"))
        {
            Assert.Contains("Family Help", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A write never widens what its writer reads: the council's consent to its team does not reach the school through the school's own plan.
        using var read = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", SchoolFhlp, "family-help");
        Assert.DoesNotContain("Home visit by social worker", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_consent_recorded_as_not_sought_then_its_reason_is_kept_sealed_and_it_permits_no_sharing()
    {
        var c = await _hub.CaseAsync("Notsought");
        var consent = new Dictionary<string, object?>
        {
            ["resourceType"] = "Consent",
            ["extension"] = new[] { new { url = "urn:sharinghub:fhir:consent-not-sought", valueString = "Asking the father would alert him to the referral" } },
            ["status"] = "active",
            ["scope"] = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/consentscope", code = "patient-privacy" } } },
            ["category"] = new[] { new { coding = new[] { new { system = "http://loinc.org", code = "59284-0" } } } },
            ["patient"] = new { reference = $"Patient/{c.LaChild.Id}" },
            ["provision"] = new
            {
                period = new { start = "2026-09-01T09:00:00Z" },
                actor = new[]
                {
                    new
                    {
                        role = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code = "IRCP" } } },
                        reference = new { identifier = new { system = "urn:sharinghub:agency", value = "la" } },
                    },
                },
                purpose = new[] { new { system = "urn:sharinghub:purpose", code = "family-help" } },
            },
        };
        var (created, createdBody, createdResponse) = await SendAsync(HttpMethod.Post, "/fhir/Consent", Fhlp, Fhir(consent));
        Assert.True(created == HttpStatusCode.Created, createdBody);
        var id = Guid.Parse(createdResponse.Headers.Location!.ToString().Split('/')[^3]);
        // Both a reason and an agreement is a contradiction, refused by name.
        consent["policyRule"] = new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/v3-ActCode", code = "OPTIN" } } };
        var (both, bothBody, _) = await SendAsync(HttpMethod.Post, "/fhir/Consent", Fhlp, Fhir(consent));
        Assert.True(both is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, bothBody);
        Assert.Contains("not an agreement", bothBody, StringComparison.Ordinal);

        await using (var db = _hub.Contexts.Create())
        {
            var stored = await db.Consents.AsNoTracking().SingleAsync(x => x.Id == id);
            Assert.Equal(ConsentDecision.NotSought, stored.Decision);
            Assert.DoesNotContain("alert him", Encoding.UTF8.GetString(stored.NotSoughtReason!.ToBytes()), StringComparison.Ordinal);
        }
        // It is a record of why, not an agreement: Family Help still reads nothing of the child from health.
        using var read = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", Fhlp, "family-help");
        Assert.DoesNotContain("Missed immunisation appointment", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The front door reads the reason with the record (consents are for the practitioners who must respect them).
        using var odata = await _hub.GetAsync($"/odata/Consents({id})", Fhlp, "family-help");
        var odataBody = await odata.Content.ReadAsStringAsync();
        Assert.Contains("notSought", odataBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_family_with_family_help_when_a_partner_asks_the_mais_query_then_the_answer_names_the_lead_practitioner_as_contact_and_nothing_of_the_plan()
    {
        var c = await _hub.CaseAsync();
        var (created, createdBody, _) = await SendAsync(HttpMethod.Post, "/fhir/CarePlan", Fhlp, Fhir(Plan(c.LaChild.Id)));
        Assert.True(created == HttpStatusCode.Created, createdBody);

        using var response = await _hub.SendAsync(HttpMethod.Post, "/fhir/Patient/$person-info-query", "demo-police-officer", enquiry: c.Enquiry.Id,
            content: new StringContent(MaisTestSetup.Query(), Encoding.UTF8, "application/fhir+json"));
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
        Assert.Contains("K. Patel, Family Help Lead Practitioner", answer, StringComparison.Ordinal);
        Assert.Contains("family-help", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("Mother isolated", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("football", answer, StringComparison.Ordinal);
    }
}

public sealed class SqliteFamilyHelpTests() : FamilyHelpTests(DatabaseEngine.Sqlite);

public sealed class PostgresFamilyHelpTests() : FamilyHelpTests(DatabaseEngine.Postgres);
