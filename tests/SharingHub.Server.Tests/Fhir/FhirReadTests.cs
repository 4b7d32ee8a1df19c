using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Tests.Fhir;

/// <summary>FHIR reads, search and the chronology over real HTTP and real token validation, on each engine.</summary>
public abstract class FhirReadTests(DatabaseEngine engine) : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static List<JsonElement> Entries(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().Select(e => e.GetProperty("resource")).ToList() : [];

    private static string Agency(JsonElement resource) =>
        resource.GetProperty("meta").GetProperty("tag").EnumerateArray().Single(t => t.GetProperty("system").GetString() == "urn:sharinghub:agency").GetProperty("code").GetString()!;

    private static bool Redacted(JsonElement resource) =>
        resource.GetProperty("meta").GetProperty("security").EnumerateArray().Any(s => s.GetProperty("code").GetString() == "REDACTED");

    [Fact]
    public async Task Given_a_child_known_to_three_agencies_when_the_lcpp_reads_the_chronology_in_the_enquiry_then_every_agencys_events_appear_in_date_order()
    {
        var c = await _hub.CaseAsync();
        var stranger = await _hub.Store.AddAsync(_hub.Builder.Person("police", "Zed", "Elsewhere", "2012-01-01", Core.Records.IdentifierKind.PncId, "2015/0000001Z"), CancellationToken.None);
        await _hub.Store.AddAsync(_hub.Builder.Event(stranger, "police", "Unrelated incident"), CancellationToken.None);

        using var response = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var bundle = await FhirTestHub.JsonAsync(response);
        var entries = Entries(bundle);
        Assert.Equal([c.HealthContact.Id.ToString(), c.PoliceIncident.Id.ToString(), c.LaVisit.Id.ToString()], entries.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(["health", "police", "la"], entries.Select(Agency));
        Assert.Equal(3, bundle.GetProperty("total").GetInt32());
        var incident = entries[1];
        Assert.Equal("Officers attended a report of shouting", incident.GetProperty("valueString").GetString());
        Assert.Equal("Neighbour reported shouting; two adults present; child seen and well", incident.GetProperty("note")[0].GetProperty("text").GetString());
        Assert.False(Redacted(incident));
        Assert.DoesNotContain("Unrelated incident", bundle.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_front_door_reading_police_records_then_fields_outside_the_rule_are_removed_and_the_resource_is_labelled_redacted()
    {
        var c = await _hub.CaseAsync();
        var triage = (await _hub.ReferralAsync(c.LaChild)).Id;

        using var response = await _hub.TriageAsync($"/fhir/Observation/{c.PoliceIncident.Id}", "demo-la-front-door", triage);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var observation = await FhirTestHub.JsonAsync(response);
        Assert.Equal("Officers attended a report of shouting", observation.GetProperty("valueString").GetString());
        Assert.False(observation.TryGetProperty("note", out _));
        Assert.False(observation.TryGetProperty("identifier", out _));
        Assert.True(Redacted(observation));
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task Given_a_record_the_caller_may_not_know_of_then_the_answer_is_the_same_as_for_a_record_that_does_not_exist()
    {
        var c = await _hub.CaseAsync();
        // Police intelligence about the child: the education member of the enquiry may not know of it.
        var intelligence = await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", "Intelligence about an adult", dataClass: "police.intelligence"), CancellationToken.None);

        using var hidden = await _hub.GetAsync($"/fhir/Observation/{intelligence.Id}", "demo-education-lead", "s47-enquiry", c.Enquiry.Id);
        using var absent = await _hub.GetAsync($"/fhir/Observation/{Guid.NewGuid()}", "demo-education-lead", "s47-enquiry", c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        var hiddenIssue = (await FhirTestHub.JsonAsync(hidden)).GetProperty("issue")[0];
        var absentIssue = (await FhirTestHub.JsonAsync(absent)).GetProperty("issue")[0];
        Assert.Equal(absentIssue.GetProperty("code").GetString(), hiddenIssue.GetProperty("code").GetString());
        Assert.Equal(absentIssue.GetProperty("diagnostics").GetString()!.Replace(absentIssue.GetProperty("diagnostics").GetString()!.Split('/')[1].Split(' ')[0], "ID", StringComparison.Ordinal),
            hiddenIssue.GetProperty("diagnostics").GetString()!.Replace(intelligence.Id.ToString(), "ID", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Given_a_protected_police_intelligence_record_then_the_education_lead_sees_the_same_chronology_and_totals_with_or_without_it()
    {
        var c = await _hub.CaseAsync();
        async Task<(string Chronology, string Search)> Look(string user)
        {
            using var chronology = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", user, "s47-enquiry", c.Enquiry.Id);
            using var search = await _hub.GetAsync($"/fhir/Observation?patient={c.PoliceChild.Id}&_count=1", user, "s47-enquiry", c.Enquiry.Id);
            Assert.Equal(HttpStatusCode.OK, chronology.StatusCode);
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            static string WithoutTimestamp(JsonElement b) => JsonSerializer.Serialize(b.EnumerateObject().Where(p => p.Name != "timestamp").ToDictionary(p => p.Name, p => p.Value));
            return (WithoutTimestamp(await FhirTestHub.JsonAsync(chronology)), WithoutTimestamp(await FhirTestHub.JsonAsync(search)));
        }
        var before = await Look("demo-education-lead");
        var lcppBefore = await Look("demo-la-lcpp");

        await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", "Intelligence about an adult in the household", c.PoliceIncident.OccurredAt.AddDays(1),
            dataClass: "police.intelligence", detail: "Source-sensitive detail"), CancellationToken.None);

        Assert.Equal(before, await Look("demo-education-lead"));
        var lcppAfter = await Look("demo-la-lcpp");
        Assert.NotEqual(lcppBefore.Chronology, lcppAfter.Chronology);
        Assert.Contains("Intelligence about an adult in the household", lcppAfter.Chronology, StringComparison.Ordinal);
        Assert.DoesNotContain("Source-sensitive detail", lcppAfter.Chronology, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_enquiry_closes_then_the_police_member_loses_the_council_records_of_its_subjects()
    {
        var c = await _hub.CaseAsync();
        using (var open = await _hub.GetAsync($"/fhir/Observation/{c.LaVisit.Id}", "demo-police-officer", "s47-enquiry", c.Enquiry.Id))
        {
            Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        }

        var closed = await _hub.Store.UpdateAsync<Core.Records.Enquiry>(c.Enquiry.Id, c.Enquiry.Version, e =>
        {
            e.Status = Core.Records.EnquiryStatus.Closed;
            e.ClosedAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        }, CancellationToken.None);
        Assert.Equal(Core.Records.UpdateStatus.Updated, closed.Status);

        using var after = await _hub.GetAsync($"/fhir/Observation/{c.LaVisit.Id}", "demo-police-officer", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        using var chronology = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-police-officer", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(HttpStatusCode.NotFound, chronology.StatusCode);
    }

    [Fact]
    public async Task Given_paging_then_following_next_links_returns_every_visible_entry_once_and_total_counts_only_those()
    {
        var c = await _hub.CaseAsync();
        var triage = (await _hub.ReferralAsync(c.LaChild)).Id;
        for (var i = 0; i < 5; i++)
        {
            await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", $"Incident {i}", c.PoliceIncident.OccurredAt.AddDays(-i - 1)), CancellationToken.None);
        }
        await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", "Hidden intelligence", dataClass: "police.intelligence"), CancellationToken.None);

        var seen = new List<string>();
        var url = $"/fhir/Observation?patient=Patient/{c.PoliceChild.Id}&_count=2&_sort=date";
        int? total = null;
        for (var pages = 0; url is not null && pages < 10; pages++)
        {
            using var response = await _hub.TriageAsync(url, "demo-la-front-door", triage);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var bundle = await FhirTestHub.JsonAsync(response);
            total ??= bundle.GetProperty("total").GetInt32();
            seen.AddRange(Entries(bundle).Select(e => e.GetProperty("valueString").GetString()!));
            url = bundle.GetProperty("link").EnumerateArray().Where(l => l.GetProperty("relation").GetString() == "next")
                .Select(l => new Uri(l.GetProperty("url").GetString()!).PathAndQuery).FirstOrDefault();
        }

        Assert.Equal(6, total);
        Assert.Equal(["Incident 4", "Incident 3", "Incident 2", "Incident 1", "Incident 0", "Officers attended a report of shouting"], seen);

        using var ranged = await _hub.TriageAsync($"/fhir/Observation?patient={c.PoliceChild.Id}&date=ge2026-09-08&date=lt2026-09-11&_sort=-date", "demo-la-front-door", triage);
        Assert.Equal(["Incident 0", "Incident 1", "Incident 2"], Entries(await FhirTestHub.JsonAsync(ranged)).Select(e => e.GetProperty("valueString").GetString()));
    }

    [Fact]
    public async Task Given_a_search_on_a_field_the_rule_withholds_then_the_record_does_not_match_even_though_it_is_otherwise_visible()
    {
        var c = await _hub.CaseAsync();
        var triage = (await _hub.ReferralAsync(c.LaChild)).Id;
        var reference = c.PoliceIncident.SourceReference!;

        using var byPatient = await _hub.TriageAsync($"/fhir/Observation?patient={c.PoliceChild.Id}", "demo-la-front-door", triage);
        using var byReference = await _hub.TriageAsync($"/fhir/Observation?identifier={reference}", "demo-la-front-door", triage);
        using var owner = await _hub.TriageAsync($"/fhir/Observation?identifier=urn:sharinghub:source-reference:police|{reference}", "demo-police-officer",
            (await _hub.ReferralAsync(c.PoliceChild)).Id);

        Assert.Equal(1, (await FhirTestHub.JsonAsync(byPatient)).GetProperty("total").GetInt32());
        Assert.Equal(0, (await FhirTestHub.JsonAsync(byReference)).GetProperty("total").GetInt32());
        Assert.Equal(1, (await FhirTestHub.JsonAsync(owner)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Given_a_patient_identifier_then_search_finds_it_by_blind_index_in_any_written_form()
    {
        var c = await _hub.CaseAsync();
        var triage = (await _hub.ReferralAsync(c.LaChild)).Id;

        using var response = await _hub.TriageAsync("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|999%20000%200026", "demo-la-front-door", triage);

        var patient = Assert.Single(Entries(await FhirTestHub.JsonAsync(response)));
        Assert.Equal(c.HealthChild.Id.ToString(), patient.GetProperty("id").GetString());
        Assert.Equal("9990000026", patient.GetProperty("identifier")[0].GetProperty("value").GetString());
        Assert.Equal("Amelia", patient.GetProperty("name")[0].GetProperty("given")[0].GetString());
    }

    [Theory]
    [InlineData("/fhir/Observation?patient=x&colour=blue", 400, "colour")]
    [InlineData("/fhir/Observation?patient=x&_count=1000", 400, "_count")]
    [InlineData("/fhir/Observation?patient=Patient/00000000-0000-0000-0000-000000000001&date=yesterday", 400, "date")]
    [InlineData("/fhir/Observation?date=2026", 400, "needs patient")]
    [InlineData("/fhir/Observation?patient=x&category:text=abc", 400, "modifier")]
    [InlineData("/fhir/Medication?code=1", 404, "not served")]
    [InlineData("/fhir/Observation?patient=x&_include=Observation:subject", 400, "_include")]
    [InlineData("/fhir/Patient?_id=x&_revinclude=Observation:subject", 400, "_revinclude")]
    [InlineData("/fhir/Observation?patient.family=Smith", 400, "patient.family")]
    [InlineData("/fhir/Patient?_has:Observation:patient:category=missing-episode", 400, "modifier")]
    [InlineData("/fhir/Patient?_id=00000000-0000-0000-0000-000000000001&_summary=text", 400, "_summary")]
    [InlineData("/fhir/Patient/not-a-uuid", 404, "not known")]
    [InlineData("/fhir/Patient/00000000-0000-0000-0000-000000000001/$chronology?colour=blue", 400, "colour")]
    [InlineData("/fhir/Patient/00000000-0000-0000-0000-000000000001/$chronology?significance=9", 400, "significance")]
    public async Task Given_bad_input_then_an_operation_outcome_says_what_is_wrong(string path, int status, string mentions)
    {
        var c = await _hub.CaseAsync();
        var triage = (await _hub.ReferralAsync(c.LaChild)).Id;

        using var response = await _hub.TriageAsync(path, "demo-la-front-door", triage);

        Assert.Equal(status, (int)response.StatusCode);
        var outcome = await FhirTestHub.JsonAsync(response);
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        Assert.Contains(mentions, outcome.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_no_purpose_then_400_names_the_purposes_the_caller_may_use_and_without_a_token_401()
    {
        using var noPurpose = await _hub.GetAsync("/fhir/Patient?_id=00000000-0000-0000-0000-000000000001", "demo-education-lead");
        var outcome = await FhirTestHub.JsonAsync(noPurpose);
        Assert.Equal(HttpStatusCode.BadRequest, noPurpose.StatusCode);
        Assert.Contains("s47-enquiry", outcome.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);

        using var anonymous = await _hub.GetAsync("/fhir/Patient?_id=00000000-0000-0000-0000-000000000001", null, "s47-enquiry");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Given_a_search_touching_a_record_outside_the_enquiry_then_one_audit_entry_names_the_disclosure_and_the_refusal_with_its_reason()
    {
        var c = await _hub.CaseAsync();
        var stranger = await _hub.Store.AddAsync(_hub.Builder.Person("police", "Zed", "Elsewhere", "2012-01-01", Core.Records.IdentifierKind.PncId, "2015/0000001Z"), CancellationToken.None);
        var other = await _hub.Store.AddAsync(_hub.Builder.Event(stranger, "police", "Unrelated incident"), CancellationToken.None);

        using var response = await _hub.GetAsync($"/fhir/Observation?_id={c.PoliceIncident.Id},{other.Id}", "demo-education-lead", "s47-enquiry", c.Enquiry.Id);
        var bundle = await FhirTestHub.JsonAsync(response);
        Assert.Equal(1, bundle.GetProperty("total").GetInt32());
        var requestId = response.Headers.GetValues("X-Request-Id").Single();

        await using var db = _hub.Contexts.Create();
        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(a => a.RequestId == requestId);
        Assert.Equal("fhir.search", entry.Action);
        Assert.Equal("mixed", entry.Decision);
        Assert.Equal(c.Enquiry.Id, entry.EnquiryId);
        using var body = JsonDocument.Parse(entry.Body);
        var lines = body.RootElement.GetProperty("resources").EnumerateArray().ToList();
        var permit = Assert.Single(lines, l => l.GetProperty("decision").GetString() == "permit");
        Assert.Equal([c.PoliceIncident.Id], permit.GetProperty("ids").EnumerateArray().Select(i => i.GetGuid()));
        Assert.Contains("macpt.police-incidents", permit.GetProperty("rules").EnumerateArray().Select(r => r.GetString()));
        var deny = Assert.Single(lines, l => l.GetProperty("decision").GetString() == "deny");
        Assert.Equal([other.Id], deny.GetProperty("ids").EnumerateArray().Select(i => i.GetGuid()));
        Assert.Contains(deny.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("not about a subject", StringComparison.Ordinal));
        Assert.DoesNotContain("Officers attended", entry.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_police_data_key_is_shredded_then_the_chronology_still_answers_and_says_which_fields_are_unavailable()
    {
        var c = await _hub.CaseAsync();
        var ring = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<SharingHub.Crypto.Keys.DataKeyRing>(_hub.Services);
        Assert.NotNull(ring.Destroy(c.PoliceIncident.Summary.KeyId));

        using var response = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = Entries(await FhirTestHub.JsonAsync(response));
        var incident = entries.Single(e => e.GetProperty("id").GetString() == c.PoliceIncident.Id.ToString());
        Assert.False(incident.TryGetProperty("valueString", out _));
        Assert.Equal("error", incident.GetProperty("_valueString").GetProperty("extension")[0].GetProperty("valueCode").GetString());
        Assert.Contains(incident.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "unavailable" && t.GetProperty("display").GetString() == "summary");
        Assert.True(Redacted(incident));
        var visit = entries.Single(e => e.GetProperty("id").GetString() == c.LaVisit.Id.ToString());
        Assert.Equal("Home visit by social worker", visit.GetProperty("valueString").GetString());
    }

    [Fact]
    public async Task Given_one_person_is_crypto_shredded_then_their_own_fields_are_unavailable_and_unfindable_while_others_and_events_stay_readable()
    {
        var c = await _hub.CaseAsync();
        var triage = (await _hub.ReferralAsync(c.HealthChild)).Id;
        var siblingRecord = _hub.Builder.Person("health", "Noor", "Fhirtest", "2019-01-02", Core.Records.IdentifierKind.NhsNumber, "9990000042");
        siblingRecord.OwningOrganisation = FhirTestHub.NorthgateTrust;
        var sibling = await _hub.Store.AddAsync(siblingRecord, CancellationToken.None);
        var siblingTriage = (await _hub.ReferralAsync(sibling)).Id;
        var shredding = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<SharingHub.Data.Keys.SubjectShredding>(_hub.Services);

        var destroyed = await shredding.ShredAsync(c.HealthChild.Id, CancellationToken.None);

        Assert.NotEmpty(destroyed);
        // The owning agency still holds the record, but not what it said; nor can anyone link it to the child's other records now.
        using var shredded = await _hub.TriageAsync($"/fhir/Patient/{c.HealthChild.Id}", "demo-health-practitioner", triage);
        var patient = await FhirTestHub.JsonAsync(shredded);
        Assert.Equal(HttpStatusCode.OK, shredded.StatusCode);
        Assert.DoesNotContain("Amelia", patient.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("9990000026", patient.ToString(), StringComparison.Ordinal);
        Assert.Contains(patient.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "unavailable");
        using var search = await _hub.TriageAsync("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026", "demo-health-practitioner", triage);
        Assert.Equal(0, (await FhirTestHub.JsonAsync(search)).GetProperty("total").GetInt32());
        // The enquiry still reaches it by the link it had when it was erased, and reads nothing of who it was.
        using var linked = await _hub.GetAsync($"/fhir/Patient/{c.HealthChild.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(HttpStatusCode.OK, linked.StatusCode);
        Assert.DoesNotContain("Amelia", (await FhirTestHub.JsonAsync(linked)).ToString(), StringComparison.Ordinal);
        using var other = await _hub.TriageAsync($"/fhir/Patient/{sibling.Id}", "demo-health-practitioner", siblingTriage);
        Assert.Contains("Noor", (await FhirTestHub.JsonAsync(other)).ToString(), StringComparison.Ordinal);
        using var contact = await _hub.TriageAsync($"/fhir/Observation/{c.HealthContact.Id}", "demo-health-practitioner", triage);
        Assert.Equal("Missed immunisation appointment", (await FhirTestHub.JsonAsync(contact)).GetProperty("valueString").GetString());
    }

    [Fact]
    public async Task Given_one_agencys_record_of_the_child_is_erased_then_its_entries_stay_in_the_chronology_marked_as_from_an_erased_record()
    {
        var c = await _hub.CaseAsync();
        var shredding = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<SharingHub.Data.Keys.SubjectShredding>(_hub.Services);

        await shredding.ShredAsync(c.HealthChild.Id, CancellationToken.None);

        using var response = await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        var entries = Entries(await FhirTestHub.JsonAsync(response));
        var contact = entries.Single(e => e.GetProperty("id").GetString() == c.HealthContact.Id.ToString());
        Assert.Contains(contact.GetProperty("meta").GetProperty("tag").EnumerateArray(),
            t => t.GetProperty("system").GetString() == "urn:sharinghub:linkage" && t.GetProperty("code").GetString() == "erased-record");
        var visit = entries.Single(e => e.GetProperty("id").GetString() == c.LaVisit.Id.ToString());
        Assert.DoesNotContain(visit.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "erased-record");
        // The police record is still linked by its own evidence, and its entry is not marked.
        var incident = entries.Single(e => e.GetProperty("id").GetString() == c.PoliceIncident.Id.ToString());
        Assert.DoesNotContain(incident.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "erased-record");
    }

    [Fact]
    public async Task Given_a_member_of_an_open_enquiry_then_me_lists_it_with_its_subjects_and_a_non_member_sees_none()
    {
        var c = await _hub.CaseAsync();

        using var member = await _hub.GetAsync("/me", "demo-education-lead");
        using var other = await _hub.GetAsync("/me", "demo-health-practitioner");

        var enquiry = Assert.Single((await FhirTestHub.JsonAsync(member)).GetProperty("enquiries").EnumerateArray());
        Assert.Equal(c.Enquiry.Id, enquiry.GetProperty("id").GetGuid());
        Assert.Equal(c.LaChild.Id, enquiry.GetProperty("subjects")[0].GetProperty("person").GetGuid());
        Assert.Empty((await FhirTestHub.JsonAsync(other)).GetProperty("enquiries").EnumerateArray());
    }

    [Fact]
    public async Task Given_elements_or_summary_count_then_resources_are_trimmed_and_tagged_subsetted_and_count_returns_only_the_total()
    {
        var c = await _hub.CaseAsync();

        using var trimmed = await _hub.GetAsync($"/fhir/Observation/{c.PoliceIncident.Id}?_elements=valueString", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        using var counted = await _hub.GetAsync($"/fhir/Observation?patient={c.PoliceChild.Id}&_summary=count", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        using var both = await _hub.GetAsync($"/fhir/Observation?patient={c.PoliceChild.Id}&_summary=true&_elements=note", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);

        var observation = await FhirTestHub.JsonAsync(trimmed);
        Assert.Equal(["resourceType", "id", "meta", "status", "code", "valueString"], observation.EnumerateObject().Select(p => p.Name));
        Assert.Contains(observation.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "SUBSETTED");
        var bundle = await FhirTestHub.JsonAsync(counted);
        Assert.Equal(1, bundle.GetProperty("total").GetInt32());
        Assert.False(bundle.TryGetProperty("entry", out _));
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
    }

    [Fact]
    public async Task Given_a_household_a_relationship_and_a_consent_then_the_front_door_finds_them_as_group_related_person_and_consent()
    {
        var c = await _hub.CaseAsync();
        var triage = (await _hub.ReferralAsync(c.LaChild)).Id;
        var mother = await _hub.Store.AddAsync(_hub.Builder.Person("la", "Grace", "Fhirtest", "1990-01-01", Core.Records.IdentifierKind.LaPersonId, "7700001", personKind: Core.Records.PersonKind.Adult), CancellationToken.None);
        var household = new Core.Records.Household { Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "person.demographics", Reference = "HH-T-" + Guid.NewGuid().ToString("N")[..8] };
        household.Members.Add(new Core.Records.HouseholdMember { HouseholdId = household.Id, PersonId = c.LaChild.Id, Role = "child" });
        household.Members.Add(new Core.Records.HouseholdMember { HouseholdId = household.Id, PersonId = mother.Id, Role = "parent" });
        household.Address = _hub.Builder.Seal(household, nameof(household.Address), "2 Test Road, Testtown TE2 2ST");
        await _hub.Store.AddAsync(household, CancellationToken.None);
        await _hub.Store.AddAsync(new Core.Records.Relationship
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "la.social-care", PersonId = mother.Id, RelatedPersonId = c.LaChild.Id,
            Kind = Core.Records.RelationshipKind.ParentOf, HasParentalResponsibility = true,
        }, CancellationToken.None);
        await _hub.Store.AddAsync(new Core.Records.Consent
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "consent", SubjectPersonId = c.LaChild.Id, GrantorPersonId = mother.Id,
            Grantor = Core.Records.ConsentGrantor.ParentalResponsibility, Decision = Core.Records.ConsentDecision.Permit, Status = Core.Records.ConsentStatus.Active,
            RecipientAgencies = ["health", "education"], Purposes = ["family-help"], DataClasses = ["la.social-care"], PeriodStart = DateTimeOffset.UtcNow.AddDays(-1),
        }, CancellationToken.None);

        using var groups = await _hub.TriageAsync($"/fhir/Group?member=Patient/{c.LaChild.Id}", "demo-la-front-door", triage);
        using var related = await _hub.TriageAsync($"/fhir/RelatedPerson?patient={c.LaChild.Id}", "demo-la-front-door", triage);
        using var consents = await _hub.TriageAsync($"/fhir/Consent?patient={c.LaChild.Id}&status=active", "demo-la-front-door", triage);

        var group = Assert.Single(Entries(await FhirTestHub.JsonAsync(groups)));
        Assert.Equal(2, group.GetProperty("quantity").GetInt32());
        Assert.Contains(group.GetProperty("member").EnumerateArray(), m => m.GetProperty("entity").GetProperty("reference").GetString() == $"Patient/{mother.Id}");
        var relatedPerson = Assert.Single(Entries(await FhirTestHub.JsonAsync(related)));
        Assert.Equal("PRN", relatedPerson.GetProperty("relationship")[0].GetProperty("coding")[0].GetProperty("code").GetString());
        var consent = Assert.Single(Entries(await FhirTestHub.JsonAsync(consents)));
        Assert.Equal("permit", consent.GetProperty("provision").GetProperty("type").GetString());
        Assert.Equal(["la.social-care"], consent.GetProperty("provision").GetProperty("securityLabel").EnumerateArray().Select(l => l.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Given_a_chronology_read_then_the_councils_ig_officer_finds_it_as_an_audit_event_and_a_practitioner_cannot_search_the_audit()
    {
        var c = await _hub.CaseAsync();
        (await _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-education-lead", "s47-enquiry", c.Enquiry.Id)).Dispose();

        using var found = await _hub.GetAsync($"/fhir/AuditEvent?patient=Patient/{c.LaChild.Id}&agent=demo-education-lead", "demo-la-ig", "audit-review");
        using var practitioner = await _hub.GetAsync($"/fhir/AuditEvent?patient={c.LaChild.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        var events = Entries(await FhirTestHub.JsonAsync(found));
        var auditEvent = Assert.Single(events);
        Assert.Equal("AuditEvent", auditEvent.GetProperty("resourceType").GetString());
        Assert.Contains("fhir.chronology", auditEvent.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, practitioner.StatusCode);
        Assert.Equal("OperationOutcome", (await FhirTestHub.JsonAsync(practitioner)).GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task Given_a_referral_and_an_information_request_then_each_reader_sees_the_tasks_their_rules_allow()
    {
        var c = await _hub.CaseAsync();
        var referral = new Core.Records.Referral
        {
            Id = Guid.NewGuid(), OwningAgency = "police", DataClass = "referral", SubjectPersonId = c.LaChild.Id,
            ReceivedAt = new DateTimeOffset(2026, 9, 4, 16, 0, 0, TimeSpan.Zero), DecisionDueAt = new DateTimeOffset(2026, 9, 7, 16, 0, 0, TimeSpan.Zero),
            Decision = Core.Records.ReferralDecision.Section47Enquiry, DecidedAt = new DateTimeOffset(2026, 9, 5, 10, 0, 0, TimeSpan.Zero),
        };
        referral.Concern = _hub.Builder.Seal(referral, nameof(referral.Concern), "Child disclosed being hit at home");
        referral.ReferrerIdentity = _hub.Builder.Seal(referral, nameof(referral.ReferrerIdentity), "PC Example, response team");
        await _hub.Store.AddAsync(referral, CancellationToken.None);
        var request = new Core.Records.InformationRequest
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "enquiry", EnquiryId = c.Enquiry.Id, RequestedAgency = "police",
            RequestedAt = new DateTimeOffset(2026, 9, 5, 11, 0, 0, TimeSpan.Zero), DueAt = new DateTimeOffset(2026, 9, 7, 11, 0, 0, TimeSpan.Zero),
            Status = Core.Records.InformationRequestStatus.Answered,
        };
        request.Question = _hub.Builder.Seal(request, nameof(request.Question), "What do police hold about the household?");
        var answer = new Core.Records.InformationResponse
        {
            Id = Guid.NewGuid(), OwningAgency = "police", DataClass = "information-response", RequestId = request.Id,
            RespondedAt = new DateTimeOffset(2026, 9, 6, 9, 0, 0, TimeSpan.Zero), Kind = Core.Records.InformationResponseKind.HeldNotShared,
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow, Version = 1,
        };
        answer.Reason = _hub.Builder.Seal(answer, nameof(answer.Reason), "Disclosure now would prejudice an investigation; review in 14 days");
        request.Responses.Add(answer);
        await _hub.Store.AddAsync(request, CancellationToken.None);

        // Referrals are the front door's worklist: read without naming one.
        using var frontDoor = await _hub.GetAsync($"/fhir/Task?patient={c.LaChild.Id}&code=referral", "demo-la-front-door", "front-door-triage");
        using var referrer = await _hub.GetAsync($"/fhir/Task/{referral.Id}", "demo-police-front-door", "front-door-triage");
        using var lcpp = await _hub.GetAsync($"/fhir/Task?patient={c.LaChild.Id}&code=information-request", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        using var education = await _hub.GetAsync($"/fhir/Task?patient={c.LaChild.Id}&code=referral", "demo-education-lead", "s47-enquiry", c.Enquiry.Id);

        var referralTask = Assert.Single(Entries(await FhirTestHub.JsonAsync(frontDoor)));
        Assert.Equal("section47Enquiry", referralTask.GetProperty("businessStatus").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("PC Example, response team", referralTask.GetProperty("extension")[0].GetProperty("valueString").GetString());
        var outcome = await FhirTestHub.JsonAsync(referrer);
        Assert.Equal("completed", outcome.GetProperty("status").GetString());
        var requestTask = Assert.Single(Entries(await FhirTestHub.JsonAsync(lcpp)));
        var output = Assert.Single(requestTask.GetProperty("output").EnumerateArray());
        Assert.Equal("heldNotShared", output.GetProperty("type").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Contains("prejudice an investigation", output.GetProperty("valueString").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await FhirTestHub.JsonAsync(education)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Given_the_capability_statement_then_it_is_public_and_lists_the_chronology_operation()
    {
        using var response = await _hub.GetAsync("/fhir/metadata", null);
        var statement = await FhirTestHub.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("4.0.1", statement.GetProperty("fhirVersion").GetString());
        var patient = statement.GetProperty("rest")[0].GetProperty("resource").EnumerateArray().Single(r => r.GetProperty("type").GetString() == "Patient");
        Assert.Equal("chronology", patient.GetProperty("operation")[0].GetProperty("name").GetString());
    }
}

public sealed class SqliteFhirReadTests() : FhirReadTests(DatabaseEngine.Sqlite);

public sealed class PostgresFhirReadTests() : FhirReadTests(DatabaseEngine.Postgres);
