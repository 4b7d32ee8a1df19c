using System.Net;
using System.Text.Json;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.OData;

/// <summary>OData queries over real HTTP and real token validation, on each engine: each query option, the paging contract, errors and the audit query.</summary>
public abstract class ODataReadTests(DatabaseEngine engine) : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine, new Dictionary<string, string?>
    {
        ["SharingHub:OData:MaxPageSize"] = "2",
        ["SharingHub:OData:MaxCandidates"] = "100",
    });

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static List<JsonElement> Values(JsonElement page) => page.GetProperty("value").EnumerateArray().ToList();

    private static List<string> Strings(JsonElement page, string property) => Values(page).Select(v => v.GetProperty(property).GetString()!).ToList();

    private async Task<JsonElement> OkAsync(string path, string user, string purpose, Guid? enquiry = null, Guid? referral = null)
    {
        using var response = await _hub.SendAsync(HttpMethod.Get, path, user, purpose, enquiry,
            change: referral is { } r ? m => m.Headers.TryAddWithoutValidation("X-Referral-Id", r.ToString()) : null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal("4.0", response.Headers.GetValues("OData-Version").Single());
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Every page of a query, following @odata.nextLink.</summary>
    private async Task<List<JsonElement>> AllAsync(string path, string user, string purpose, Guid? enquiry = null)
    {
        var all = new List<JsonElement>();
        for (string? url = path; url is not null;)
        {
            var page = await OkAsync(url, user, purpose, enquiry);
            all.AddRange(Values(page));
            url = page.TryGetProperty("@odata.nextLink", out var next) ? new Uri(next.GetString()!).PathAndQuery : null;
        }
        return all;
    }

    private async Task<(HttpStatusCode Status, string Code, string Message)> ErrorAsync(string path, string? user, string? purpose = null, Guid? enquiry = null)
    {
        using var response = await _hub.GetAsync(path, user, purpose, enquiry);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return (response.StatusCode, "", body);
        }
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        return (response.StatusCode, error.GetProperty("code").GetString()!, error.GetProperty("message").GetString()!);
    }

    [Fact]
    public async Task Given_no_token_then_metadata_and_the_service_document_describe_the_sets_and_data_needs_a_token()
    {
        using var xml = await _hub.GetAsync("/odata/$metadata", null);
        var csdl = await xml.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, xml.StatusCode);
        Assert.Equal("application/xml", xml.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<EntityType Name=\"Event\">", csdl, StringComparison.Ordinal);
        Assert.Contains("<EntitySet Name=\"AuditEntries\" EntityType=\"SharingHub.AuditEntry\"", csdl, StringComparison.Ordinal);
        Assert.Contains("<Function Name=\"chronology\" IsBound=\"true\" IsComposable=\"true\">", csdl, StringComparison.Ordinal);

        using var json = await _hub.GetAsync("/odata/$metadata?$format=json", null);
        var schema = JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("4.0", schema.GetProperty("$Version").GetString());
        Assert.Equal("EntityType", schema.GetProperty("SharingHub").GetProperty("Person").GetProperty("$Kind").GetString());

        using var service = await _hub.GetAsync("/odata/", null);
        var sets = JsonDocument.Parse(await service.Content.ReadAsStringAsync()).RootElement.GetProperty("value").EnumerateArray().Select(s => s.GetProperty("name").GetString());
        Assert.Equal(["People", "Events", "States", "Involvements", "Enquiries", "InformationRequests", "StrategyMeetings", "Referrals", "Consents", "Relationships", "Households", "FamilyHelpPlans", "AuditEntries"], sets);

        Assert.Equal(HttpStatusCode.Unauthorized, (await ErrorAsync("/odata/Events", null)).Status);
    }

    [Fact]
    public async Task Given_an_lcpp_in_the_enquiry_when_the_chronology_is_queried_filtered_ordered_and_paged_then_every_agencys_events_come_page_by_page()
    {
        var c = await _hub.CaseAsync();
        var url = $"/odata/People({c.LaChild.Id})/SharingHub.chronology()?$filter=occurredAt ge 2026-09-01T00:00:00Z&$orderby=occurredAt desc&$count=true";

        var first = await OkAsync(url, "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(3, first.GetProperty("@odata.count").GetInt32());
        Assert.Equal(["la", "police"], Strings(first, "owningAgency"));
        Assert.Equal("Home conditions poor; child engaged well", Values(first)[0].GetProperty("detail").GetString());
        var next = new Uri(first.GetProperty("@odata.nextLink").GetString()!);
        Assert.Equal($"/odata/People({c.LaChild.Id})/SharingHub.chronology()", Uri.UnescapeDataString(next.AbsolutePath));

        var second = await OkAsync(next.PathAndQuery, "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal([c.HealthContact.Id.ToString()], Strings(second, "id"));
        Assert.False(second.TryGetProperty("@odata.nextLink", out _));

        var top = await OkAsync(url + "&$top=1", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal([c.LaVisit.Id.ToString()], Strings(top, "id"));
        Assert.False(top.TryGetProperty("@odata.nextLink", out _));
    }

    [Fact]
    public async Task Given_filters_with_each_operator_then_the_database_answers_exactly_the_matching_events()
    {
        var c = await _hub.CaseAsync();
        var about = $"subjects/any(p: p/id eq {c.PoliceChild.Id})";
        async Task<List<string>> Summaries(string filter) =>
            (await AllAsync($"/odata/Events?$filter={about} and ({Uri.EscapeDataString(filter)})&$orderby=occurredAt&$top=50", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id))
                .Select(v => v.GetProperty("summary").GetString()!).ToList();
        await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", "Missing episode reported", new DateTimeOffset(2025, 12, 24, 21, 0, 0, TimeSpan.Zero),
            "NICHE-M1", "police.incident", null, "missing-episode", significance: Significance.Critical), CancellationToken.None);
        await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", "Child found safe", new DateTimeOffset(2025, 12, 25, 9, 0, 0, TimeSpan.Zero),
            "NICHE-M2", "police.incident", null, "missing-return", significance: Significance.Low), CancellationToken.None);
        const string incident = "Officers attended a report of shouting";

        Assert.Equal(["Missing episode reported"], await Summaries("category eq 'missing-episode'"));
        Assert.Equal(["Missing episode reported", incident], await Summaries("category ne 'missing-return'"));
        Assert.Equal(["Missing episode reported", "Child found safe"], await Summaries("category in ('missing-episode','missing-return')"));
        Assert.Equal(["Missing episode reported", "Child found safe"], await Summaries("startswith(category,'missing')"));
        Assert.Equal(["Child found safe"], await Summaries("endswith(category,'-return')"));
        Assert.Equal([incident], await Summaries("contains(category,'abuse')"));
        Assert.Equal(["Missing episode reported", "Child found safe"], await Summaries("year(occurredAt) eq 2025"));
        Assert.Equal(["Child found safe"], await Summaries("date(occurredAt) eq 2025-12-25"));
        Assert.Equal([incident], await Summaries("occurredAt gt 2026-01-01T00:00:00Z"));
        Assert.Equal(["Missing episode reported", incident], await Summaries("significance ge 'high'"));
        Assert.Equal(["Missing episode reported", incident], await Summaries("significance in ('high','critical')"));
        Assert.Equal(["Child found safe"], await Summaries("not (significance ge 'high') or sourceReference eq 'NOPE'"));
        Assert.Equal(["Missing episode reported"], await Summaries("significance eq SharingHub.Significance'critical' and tolower(category) eq 'missing-episode'"));
        Assert.Equal(["Child found safe"], await Summaries("sourceReference eq 'NICHE-M2'"));
        Assert.Equal(["Missing episode reported", "Child found safe", incident], await Summaries("occurredAt lt now()"));
        var bySignificance = await AllAsync($"/odata/Events?$filter={about}&$orderby=significance desc&$select=significance", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(["critical", "high", "low"], bySignificance.Select(v => v.GetProperty("significance").GetString()));
    }

    [Fact]
    public async Task Given_select_and_a_reader_with_a_narrower_rule_then_only_selected_and_permitted_fields_appear_and_withheld_ones_are_named()
    {
        var c = await _hub.CaseAsync();

        var front = await OkAsync($"/odata/Events({c.PoliceIncident.Id})", "demo-la-front-door", "front-door-triage", referral: (await _hub.ReferralAsync(c.LaChild)).Id);
        Assert.Equal("Officers attended a report of shouting", front.GetProperty("summary").GetString());
        Assert.False(front.TryGetProperty("detail", out _));
        Assert.Contains("detail", front.GetProperty("@SharingHub.withheld").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("W/\"1\"", front.GetProperty("@odata.etag").GetString());

        var selected = await OkAsync($"/odata/Events({c.PoliceIncident.Id})?$select=category,occurredAt", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(["@odata.context", "@odata.etag", "id", "occurredAt", "category"], selected.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Given_expand_then_related_people_are_decided_on_their_own_and_come_with_their_own_select()
    {
        var c = await _hub.CaseAsync();

        var page = await OkAsync($"/odata/Events?$filter=id eq {c.HealthContact.Id}&$expand=subjects($select=familyName,nhsNumber)", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        var subject = Assert.Single(Values(page)[0].GetProperty("subjects").EnumerateArray());
        Assert.Equal(c.HealthChild.Id.ToString(), subject.GetProperty("id").GetString());
        Assert.Equal("Fhirtest", subject.GetProperty("familyName").GetString());
        Assert.Equal("9990000026", subject.GetProperty("nhsNumber").GetString());
        Assert.False(subject.TryGetProperty("givenName", out _));

        var enquiries = await OkAsync($"/odata/Enquiries({c.Enquiry.Id})?$expand=subjects($select=givenName)", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal("Mia", Assert.Single(enquiries.GetProperty("subjects").EnumerateArray()).GetProperty("givenName").GetString());

        var nested = await ErrorAsync($"/odata/Events?$expand=subjects($filter=kind eq 'child')", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal((HttpStatusCode.BadRequest, "NotSupported"), (nested.Status, nested.Code));
    }

    [Fact]
    public async Task Given_states_involvements_consents_and_requests_then_each_set_answers_with_its_navigation_expanded_under_the_same_rules()
    {
        var c = await _hub.CaseAsync();
        var ct = CancellationToken.None;
        var at = new DateTimeOffset(2026, 9, 1, 9, 0, 0, TimeSpan.Zero);
        await _hub.Store.AddAsync(new PersonState
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "la.social-care", PersonId = c.LaChild.Id, Code = "child-protection-plan", StartedAt = at,
        }, ct);
        await _hub.Store.AddAsync(new Involvement
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "la.social-care", PersonId = c.LaChild.Id, Service = "Child protection", Status = InvolvementStatus.Open,
            StartedAt = at, Team = "Team 2",
        }, ct);
        await _hub.Store.AddAsync(new Consent
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "consent", SubjectPersonId = c.LaChild.Id, Grantor = ConsentGrantor.ParentalResponsibility,
            Decision = ConsentDecision.Permit, Status = ConsentStatus.Active, RecipientAgencies = ["health"], Purposes = ["family-help"], DataClasses = ["health.clinical"],
            PeriodStart = at,
        }, ct);
        var request = new InformationRequest
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "enquiry", EnquiryId = c.Enquiry.Id, RequestedAgency = "police", RequestedAt = at, DueAt = at.AddDays(1),
            Status = InformationRequestStatus.Open,
        };
        request.Question = _hub.Builder.Seal(request, nameof(InformationRequest.Question), "What do you hold about the adults in the household?");
        await _hub.Store.AddAsync(request, ct);

        var states = await OkAsync($"/odata/States?$filter=personId eq {c.LaChild.Id}&$expand=person($select=givenName)", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal("child-protection-plan", Values(states).Single().GetProperty("code").GetString());
        Assert.Equal("Mia", Values(states).Single().GetProperty("person").GetProperty("givenName").GetString());
        var involvements = await OkAsync($"/odata/Involvements?$filter=person/id eq {c.LaChild.Id} and status eq 'open'&$select=service,team", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal("Child protection", Values(involvements).Single().GetProperty("service").GetString());
        var consents = await OkAsync($"/odata/Consents?$filter=subjectPersonId eq {c.LaChild.Id}&$expand=subject($select=familyName)", "demo-la-front-door", "front-door-triage",
            referral: (await _hub.ReferralAsync(c.LaChild)).Id);
        var consent = Values(consents).Single();
        Assert.Equal(["health"], consent.GetProperty("recipientAgencies").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("Fhirtest", consent.GetProperty("subject").GetProperty("familyName").GetString());
        // The asked agency sees the question addressed to it, and the enquiry it belongs to only as far as its rules allow.
        var asked = await OkAsync($"/odata/InformationRequests?$filter=requestedAgency eq 'police'&$expand=enquiry($select=reference)", "demo-police-officer", "s47-enquiry", c.Enquiry.Id);
        var question = Values(asked).Single();
        Assert.Equal("What do you hold about the adults in the household?", question.GetProperty("question").GetString());
        Assert.Equal(c.Enquiry.Reference, question.GetProperty("enquiry").GetProperty("reference").GetString());
        // Probation is neither in the enquiry nor asked by it: the purpose is refused before anything is read.
        var outsider = await ErrorAsync("/odata/InformationRequests?$filter=requestedAgency eq 'police'&$count=true", "demo-probation-officer", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal((HttpStatusCode.Forbidden, "OutsideCase"), (outsider.Status, outsider.Code));
    }

    [Fact]
    public async Task Given_a_cases_journey_then_its_strategy_meetings_referral_and_parts_read_over_odata_for_its_members_only()
    {
        var c = await _hub.CaseAsync();
        using (var meeting = await _hub.SendAsync(HttpMethod.Post, $"/enquiries/{c.Enquiry.Id}/strategy-meetings", "demo-la-lcpp", content: System.Net.Http.Json.JsonContent.Create(new
        {
            heldAt = DateTimeOffset.UtcNow.AddHours(-1),
            attendees = new[] { new { agency = "la", user = "demo-la-lcpp", role = "lcpp" }, new { agency = "police", user = "demo-police-officer", role = "police" } },
            contributions = new[] { new { agency = "police", summary = "Two call-outs to the address in August" } },
            decisions = "Joint visit tomorrow",
        })))
        {
            Assert.Equal(HttpStatusCode.Created, meeting.StatusCode);
        }
        using (var order = await _hub.SendAsync(HttpMethod.Post, $"/enquiries/{c.Enquiry.Id}/emergency-actions", "demo-la-lcpp", content: System.Net.Http.Json.JsonContent.Create(new
        {
            kind = "policeProtection", startedAt = DateTimeOffset.UtcNow.AddHours(-3), agency = "police", user = "demo-police-officer",
        })))
        {
            Assert.Equal(HttpStatusCode.OK, order.StatusCode);
        }

        // A member reads the meeting (what each agency brought, sealed at rest) and the case with its members and the order taken inside it.
        var meetings = Values(await OkAsync($"/odata/StrategyMeetings?$filter=enquiryId eq {c.Enquiry.Id}&$expand=enquiry($select=reference)", "demo-police-officer", "s47-enquiry", c.Enquiry.Id));
        var held = Assert.Single(meetings);
        Assert.Contains("call-outs", held.GetProperty("contributions").GetString(), StringComparison.Ordinal);
        Assert.Equal(["la/demo-la-lcpp/lcpp", "police/demo-police-officer/police"], held.GetProperty("attendees").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(c.Enquiry.Reference, held.GetProperty("enquiry").GetProperty("reference").GetString());
        var theCase = await OkAsync($"/odata/Enquiries({c.Enquiry.Id})?$select=reference,members,emergencyActions,conferences", "demo-police-officer", "s47-enquiry", c.Enquiry.Id);
        var action = Assert.Single(theCase.GetProperty("emergencyActions").EnumerateArray());
        Assert.Equal(("policeProtection", "police", "demo-police-officer"),
            (action.GetProperty("kind").GetString(), action.GetProperty("actingAgency").GetString(), action.GetProperty("actedBy").GetString()));
        Assert.Contains(theCase.GetProperty("members").EnumerateArray(), m => m.GetProperty("user").GetString() == "demo-police-officer" && m.GetProperty("role").GetString() == "police");
        Assert.Empty(theCase.GetProperty("conferences").EnumerateArray());
        // A case's parts are read whole, never filtered on: a client is told so, not answered wrongly.
        var filtered = await ErrorAsync("/odata/Enquiries?$filter=emergencyActions/any(a: a/kind eq 'policeProtection')", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.True(filtered.Status is HttpStatusCode.BadRequest or HttpStatusCode.NotImplemented, $"{filtered.Status} {filtered.Message}");

        // Probation is not in the case: its purpose is refused for the case, and without one it learns nothing of the meeting.
        Assert.Equal(HttpStatusCode.Forbidden, (await ErrorAsync("/odata/StrategyMeetings", "demo-probation-officer", "s47-enquiry", c.Enquiry.Id)).Status);

        // The front door reads the referral it triages (its concern sealed at rest), bound to that referral.
        var referral = await _hub.ReferralAsync(c.LaChild);
        var referrals = Values(await OkAsync($"/odata/Referrals?$filter=subjectPersonId eq {c.LaChild.Id}", "demo-la-front-door", "front-door-triage", referral: referral.Id));
        var mine = Assert.Single(referrals, r => r.GetProperty("id").GetGuid() == referral.Id);
        Assert.Equal(c.LaChild.Id, mine.GetProperty("subjectPersonId").GetGuid());
        Assert.Equal("Bruising seen at school", mine.GetProperty("concern").GetString());
        Assert.True(mine.TryGetProperty("decisionDueAt", out _));
    }

    [Fact]
    public async Task Given_identifiers_family_name_and_birth_date_then_people_are_found_by_their_blind_index_and_encrypted_text_is_never_searched()
    {
        var c = await _hub.CaseAsync(family: "Blindtest", birthDate: "2014-02-03");

        var byNhs = await OkAsync("/odata/People?$filter=nhsNumber eq '999 000 0026' and familyName eq 'Blindtest'", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal([c.HealthChild.Id.ToString()], Strings(byNhs, "id"));
        var byName = await AllAsync("/odata/People?$filter=familyName eq 'BLINDTEST' and birthDate eq 2014-02-03&$orderby=owningAgency&$select=owningAgency", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(["health", "la", "police"], byName.Select(v => v.GetProperty("owningAgency").GetString()));

        foreach (var query in new[] { "$filter=contains(familyName,'Blind')", "$filter=familyName gt 'A'", "$orderby=familyName", "$filter=givenName eq 'Mia'" })
        {
            var refused = await ErrorAsync($"/odata/People?{query}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
            Assert.Equal((HttpStatusCode.BadRequest, "EncryptedField"), (refused.Status, refused.Code));
        }
        var search = await ErrorAsync("/odata/Events?$search=shouting", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal((HttpStatusCode.BadRequest, "EncryptedField"), (search.Status, search.Code));
    }

    [Fact]
    public async Task Given_bad_or_costly_queries_then_each_is_a_400_with_a_code_the_client_can_act_on()
    {
        var c = await _hub.CaseAsync();
        var cases = new Dictionary<string, string>
        {
            ["/odata/Events?$top=5000"] = "TopTooLarge",
            ["/odata/Events?$filter=nosuch eq 1"] = "InvalidQuery",
            ["/odata/Events?$filter=category eq"] = "InvalidQuery",
            ["/odata/Events?$filter=occurredAt eq 'yesterday'"] = "InvalidQuery",
            ["/odata/Events?$filter=month(occurredAt) eq 3"] = "NotSupported",
            ["/odata/Events?$filter=significance in ('high','urgent')"] = "InvalidQuery",
            ["/odata/Events?$apply=groupby((category))"] = "NotSupported",
            ["/odata/Events?$top=1&$top=2"] = "QueryTooComplex",
            ["/odata/Events?$filter=" + string.Join(" or ", Enumerable.Range(0, 60).Select(i => $"category eq 'c{i}'"))] = "QueryTooComplex",
            ["/odata/Events?$expand=subjects($expand=nothing)"] = "InvalidQuery",
            ["/odata/Events?$skip=999999"] = "QueryTooBroad",
            [$"/odata/Events({c.LaVisit.Id})?$filter=category eq 'x'"] = "InvalidQuery",
            ["/odata/Events?$filter=subjects/any(p: p/familyName eq 'X')"] = "NotSupported",
        };
        foreach (var (path, code) in cases)
        {
            var (status, actual, message) = await ErrorAsync(path, "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
            Assert.True(status == HttpStatusCode.BadRequest && actual == code, $"{path}: {(int)status} {actual} {message}");
            Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
        }
        var purpose = await ErrorAsync("/odata/Events", "demo-la-lcpp");
        Assert.Equal((HttpStatusCode.BadRequest, "PurposeRequired"), (purpose.Status, purpose.Code));
        Assert.Contains("s47-enquiry", purpose.Message, StringComparison.Ordinal);
        var unknown = await ErrorAsync("/odata/Nothing", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal((HttpStatusCode.NotFound, "NotFound"), (unknown.Status, unknown.Code));
    }

    [Fact]
    public async Task Given_more_rows_than_the_cost_limit_then_a_count_is_refused_at_once_and_a_narrower_query_answers()
    {
        var c = await _hub.CaseAsync();
        for (var i = 0; i < 110; i++)
        {
            await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", $"Patrol note {i}", c.PoliceIncident.OccurredAt.AddHours(-i - 1), category: "patrol-note"),
                CancellationToken.None);
        }

        var counted = await ErrorAsync("/odata/Events?$count=true", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal((HttpStatusCode.BadRequest, "QueryTooBroad"), (counted.Status, counted.Code));
        Assert.Equal(HttpStatusCode.BadRequest, (await ErrorAsync("/odata/Events/$count", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id)).Status);
        var first = await OkAsync("/odata/Events?$orderby=occurredAt desc&$top=2", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(2, Values(first).Count);
        var narrow = await OkAsync("/odata/Events?$filter=category ne 'patrol-note'&$count=true", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(3, narrow.GetProperty("@odata.count").GetInt32());
    }

    [Fact]
    public async Task Given_many_records_about_other_children_then_a_search_under_the_enquiry_reads_only_its_familys_records_and_is_not_refused_as_too_broad()
    {
        var c = await _hub.CaseAsync();
        var peopleBefore = (await OkAsync("/odata/People?$count=true&$top=1", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id)).GetProperty("@odata.count").GetInt32();
        // Another child the police know, with more records than the cost limit: all reachable by the LCPP's agency, none about this enquiry.
        var other = await _hub.Store.AddAsync(_hub.Builder.Person("police", "Noah", "Elsewhere", "2013-01-09", IdentifierKind.PncId,
            "2018/0054321" + Core.People.AgencyIdentifiers.PncCheckLetter("18", "0054321")), CancellationToken.None);
        for (var i = 0; i < 120; i++)
        {
            await _hub.Store.AddAsync(_hub.Builder.Event(other, "police", $"Patrol note {i}", c.PoliceIncident.OccurredAt.AddHours(-i - 1)), CancellationToken.None);
        }

        var expanded = await OkAsync("/odata/Events?$expand=subjects($select=familyName)&$top=100&$count=true", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(3, expanded.GetProperty("@odata.count").GetInt32());
        var all = await AllAsync("/odata/Events?$expand=subjects($select=familyName)&$top=100", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(3, all.Count);
        Assert.All(all, e => Assert.All(e.GetProperty("subjects").EnumerateArray(), p => Assert.Equal("Fhirtest", p.GetProperty("familyName").GetString())));
        var people = await OkAsync("/odata/People?$count=true&$top=1", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal(peopleBefore, people.GetProperty("@odata.count").GetInt32());
        // A household is about its members: the case child's is found, with its members; the other child's is not.
        var home = new Household { Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "person.demographics", Reference = "HH-CASE-1" };
        home.Members.Add(new HouseholdMember { HouseholdId = home.Id, PersonId = c.LaChild.Id, Role = "child" });
        await _hub.Store.AddAsync(home, CancellationToken.None);
        var elsewhere = new Household { Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "person.demographics", Reference = "HH-ELSEWHERE-1" };
        elsewhere.Members.Add(new HouseholdMember { HouseholdId = elsewhere.Id, PersonId = other.Id, Role = "child" });
        await _hub.Store.AddAsync(elsewhere, CancellationToken.None);
        var households = await AllAsync("/odata/Households", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        var found = Assert.Single(households);
        Assert.Equal(home.Id.ToString(), found.GetProperty("id").GetString());
        Assert.Equal([c.LaChild.Id.ToString()], found.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("personId").GetString()));
        // A record of the other child read by its id is still decided, refused and answered as unknown.
        var (status, code, _) = await ErrorAsync($"/odata/People({other.Id})", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal((HttpStatusCode.NotFound, "NotFound"), (status, code));
    }

    [Fact]
    public async Task Given_a_record_the_caller_may_not_know_of_then_reading_it_by_key_answers_as_for_a_record_that_does_not_exist()
    {
        var c = await _hub.CaseAsync();
        // Police intelligence about the child: the education member of the enquiry may not know of it.
        var intelligence = await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", "Intelligence about an adult", dataClass: "police.intelligence"), CancellationToken.None);
        var hidden = await ErrorAsync($"/odata/Events({intelligence.Id})", "demo-education-lead", "s47-enquiry", c.Enquiry.Id);
        var missing = await ErrorAsync($"/odata/Events({Guid.Empty})", "demo-education-lead", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal((HttpStatusCode.NotFound, "NotFound"), (hidden.Status, hidden.Code));
        Assert.Equal(missing.Message.Replace(Guid.Empty.ToString(), "ID", StringComparison.Ordinal), hidden.Message.Replace(intelligence.Id.ToString(), "ID", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Given_server_paging_then_next_links_visit_every_visible_event_once_and_count_ignores_hidden_ones()
    {
        var c = await _hub.CaseAsync();
        var triage = (await _hub.ReferralAsync(c.LaChild)).Id;
        for (var i = 0; i < 4; i++)
        {
            await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", $"Incident {i}", c.PoliceIncident.OccurredAt.AddDays(-i - 1)), CancellationToken.None);
        }
        await _hub.Store.AddAsync(_hub.Builder.Event(c.PoliceChild, "police", "Hidden intelligence", dataClass: "police.intelligence"), CancellationToken.None);

        var seen = new List<string>();
        long? count = null;
        var url = $"/odata/Events?$filter=subjects/any(p: p/id eq {c.PoliceChild.Id})&$orderby=occurredAt&$count=true&$select=summary";
        for (var pages = 0; url is not null && pages < 10; pages++)
        {
            var page = await OkAsync(url, "demo-la-front-door", "front-door-triage", referral: triage);
            count ??= page.GetProperty("@odata.count").GetInt64();
            Assert.True(Values(page).Count <= 2);
            seen.AddRange(Strings(page, "summary"));
            url = page.TryGetProperty("@odata.nextLink", out var next) ? new Uri(next.GetString()!).PathAndQuery : null;
        }

        Assert.Equal(5, count);
        Assert.Equal(["Incident 3", "Incident 2", "Incident 1", "Incident 0", "Officers attended a report of shouting"], seen);
        using var counted = await _hub.TriageAsync($"/odata/Events/$count?$filter=subjects/any(p: p/id eq {c.PoliceChild.Id})", "demo-la-front-door", triage);
        Assert.Equal("5", await counted.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Given_an_ig_officer_then_the_audit_log_answers_odata_queries_about_who_read_what_and_others_are_refused()
    {
        var c = await _hub.CaseAsync();
        (await _hub.GetAsync($"/odata/People({c.LaChild.Id})/SharingHub.chronology()?$top=1", "demo-education-lead", "s47-enquiry", c.Enquiry.Id)).Dispose();

        var entries = await OkAsync($"/odata/AuditEntries?$filter=actor eq 'demo-education-lead' and action eq 'odata.query' and contains(subjects,'{c.LaChild.Id}')"
            + "&$orderby=sequence desc&$select=sequence,actor,purpose,outcome,enquiryId&$count=true", "demo-la-ig", "audit-review");
        var entry = Assert.Single(Values(entries));
        Assert.Equal("s47-enquiry", entry.GetProperty("purpose").GetString());
        Assert.Equal(c.Enquiry.Id.ToString(), entry.GetProperty("enquiryId").GetString());
        Assert.Equal(1, entries.GetProperty("@odata.count").GetInt32());

        var practitioner = await ErrorAsync("/odata/AuditEntries", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Equal((HttpStatusCode.Forbidden, "Forbidden"), (practitioner.Status, practitioner.Code));
    }
}

public sealed class SqliteODataReadTests() : ODataReadTests(DatabaseEngine.Sqlite);

public sealed class PostgresODataReadTests() : ODataReadTests(DatabaseEngine.Postgres);
