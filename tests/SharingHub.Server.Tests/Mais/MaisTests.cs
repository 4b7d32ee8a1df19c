using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Mais;

/// <summary>The hub answering the MAIS person-info-query, and brokering it to partner stubs on 127.0.0.1, on each engine.</summary>
public abstract class MaisTests(DatabaseEngine engine) : IAsyncLifetime
{
    private static readonly (string Name, string Agency)[] Partners =
    [
        ("fast", "police"), ("slow", "health"), ("errors", "education"), ("flaky", "probation"), ("malformed", "health"), ("oversized", "education"), ("refuses", "police"),
        ("hangs", "probation"), ("extended", "education"),
    ];

    private readonly MaisTestSetup _setup = new();
    private StubMaisPartner _stub = null!;
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync()
    {
        _stub = await StubMaisPartner.StartAsync();
        _stub.Behaviours["fast"] = PartnerBehaviour.Fast;
        _stub.Behaviours["slow"] = PartnerBehaviour.Slow;
        _stub.Behaviours["errors"] = PartnerBehaviour.Errors;
        _stub.Behaviours["flaky"] = PartnerBehaviour.Flaky;
        _stub.Behaviours["malformed"] = PartnerBehaviour.Malformed;
        _stub.Behaviours["oversized"] = PartnerBehaviour.Oversized;
        _stub.Behaviours["refuses"] = PartnerBehaviour.RefusesToken;
        _stub.Behaviours["hangs"] = PartnerBehaviour.HangingToken;
        _stub.Behaviours["extended"] = PartnerBehaviour.Extended;
        _hub = await FhirTestHub.StartAsync(engine, new Dictionary<string, string?>
        {
            ["SharingHub:Identity:TrustRegistryFiles:0"] = _setup.StubPartners(_stub, Partners),
            ["SharingHub:Mais:DeadlineMs"] = "3000",
            ["SharingHub:Mais:RetryDelayMs"] = "20",
            ["SharingHub:Mais:BreakSeconds"] = "120",
            ["SharingHub:Mais:Contacts:la:Phone"] = "01632 960000",
        });
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _stub.DisposeAsync();
        _setup.Dispose();
    }

    private Task<HttpResponseMessage> PostAsync(string path, string user, string json, string? purpose = null, Guid? enquiry = null) =>
        _hub.SendAsync(HttpMethod.Post, path, user, purpose, enquiry, new StringContent(json, Encoding.UTF8, "application/fhir+json"));

    private async Task<CaseRecords> CaseWithInvolvementAsync()
    {
        var c = await _hub.CaseAsync();
        await _hub.Store.AddAsync(new Involvement
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "la.social-care", PersonId = c.LaChild.Id, Service = "Child protection plan",
            Status = InvolvementStatus.Open, StartedAt = new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero), Team = "Safeguarding team 2",
        }, CancellationToken.None);
        await _hub.Store.AddAsync(new Involvement
        {
            Id = Guid.NewGuid(), OwningAgency = "health", DataClass = "health.mental-health", PersonId = c.HealthChild.Id, Service = "CAMHS",
            Status = InvolvementStatus.Open, StartedAt = new DateTimeOffset(2026, 2, 1, 9, 0, 0, TimeSpan.Zero),
        }, CancellationToken.None);
        return c;
    }

    private static List<JsonElement> Parameters(JsonElement answer, string name) =>
        answer.GetProperty("parameter").EnumerateArray().Where(p => p.GetProperty("name").GetString() == name).ToList();

    [Fact]
    public async Task Given_a_person_known_to_three_agencies_when_a_partner_asks_then_the_hub_answers_known_with_contacts_and_only_the_services_the_rule_allows()
    {
        var c = await CaseWithInvolvementAsync();

        using var response = await PostAsync("/fhir/Patient/$person-info-query", "demo-police-officer", MaisTestSetup.Query(), enquiry: c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var answer = await FhirTestHub.JsonAsync(response);
        Assert.True(Parameters(answer, "match").Single().GetProperty("valueBoolean").GetBoolean());
        var contacts = Parameters(answer, "contact").Select(c => c.GetProperty("resource")).ToList();
        Assert.Equal(["health", "la", "police"], contacts.Select(c => c.GetProperty("identifier")[0].GetProperty("value").GetString()));
        Assert.Equal("01632 960000", contacts[1].GetProperty("telecom")[0].GetProperty("value").GetString());
        var involvement = Assert.Single(Parameters(answer, "involvement"));
        Assert.Contains("Child protection plan", involvement.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("CAMHS", answer.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Safeguarding team 2", answer.ToString(), StringComparison.Ordinal);

        await using var db = _hub.Contexts.Create();
        var entry = await db.AuditEntries.Where(a => a.Action == "mais.answer").OrderByDescending(a => a.Sequence).FirstAsync();
        Assert.Equal("s47-enquiry", entry.Purpose);
        Assert.Contains(MaisTestSetup.S47, entry.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_reason_that_goes_with_several_of_the_callers_purposes_then_the_caller_names_one_and_it_is_the_one_used()
    {
        const string S17 = "https://www.legislation.gov.uk/ukpga/1989/41/section/17";

        using var ambiguous = await PostAsync("/fhir/Patient/$person-info-query", "demo-la-fhlp", MaisTestSetup.Query(reason: S17));
        using var named = await PostAsync("/fhir/Patient/$person-info-query", "demo-la-fhlp", MaisTestSetup.Query(reason: S17), purpose: "fgdm");
        using var wrong = await PostAsync("/fhir/Patient/$person-info-query", "demo-la-fhlp", MaisTestSetup.Query(reason: S17), purpose: "s47-enquiry");

        Assert.Equal(HttpStatusCode.BadRequest, ambiguous.StatusCode);
        var says = await ambiguous.Content.ReadAsStringAsync();
        Assert.Contains("family-help", says, StringComparison.Ordinal);
        Assert.Contains("fgdm", says, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, named.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        await using var db = _hub.Contexts.Create();
        var entry = await db.AuditEntries.Where(a => a.Action == "mais.answer" && a.Outcome == "success").OrderByDescending(a => a.Sequence).FirstAsync();
        Assert.Equal("fgdm", entry.Purpose);
    }

    [Fact]
    public async Task Given_an_unknown_identifier_system_or_a_birth_month_then_the_rest_is_matched_and_the_answer_says_what_was_left_out()
    {
        var c = await _hub.CaseAsync();
        string With(string birthDate, bool unknownSystem) => JsonSerializer.Serialize(new
        {
            resourceType = "Parameters",
            parameter = new object[]
            {
                new
                {
                    name = "resource",
                    resource = new
                    {
                        resourceType = "Patient",
                        identifier = unknownSystem
                            ? new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = "9990000026" }, new { system = "https://example.org/id/local", value = "L-1" } }
                            : [new { system = "https://fhir.nhs.uk/Id/nhs-number", value = "9990000026" }],
                        birthDate,
                    },
                },
                new { name = "reason", valueUri = MaisTestSetup.S47 },
            },
        });
        async Task<JsonElement> AskAsync(string json)
        {
            using var response = await PostAsync("/fhir/Patient/$person-info-query", "demo-police-officer", json, enquiry: c.Enquiry.Id);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await FhirTestHub.JsonAsync(response);
        }
        static bool Match(JsonElement answer) => Parameters(answer, "match").Single().GetProperty("valueBoolean").GetBoolean();

        var ignored = await AskAsync(With("2016-05-14", unknownSystem: true));
        var sameMonth = await AskAsync(With("2016-05", unknownSystem: false));
        var otherMonth = await AskAsync(With("2016-07", unknownSystem: false));

        Assert.True(Match(ignored));
        Assert.Contains("https://example.org/id/local", Parameters(ignored, "outcome").Single().ToString(), StringComparison.Ordinal);
        Assert.True(Match(sameMonth));
        Assert.Empty(Parameters(sameMonth, "outcome"));
        // The NHS number's child was born in May: a July birth month says the query is about someone else.
        Assert.False(Match(otherMonth));
    }

    [Fact]
    public void Given_a_partner_answer_with_parameters_and_parts_this_hub_does_not_know_then_what_it_does_say_is_read_and_the_rest_named()
    {
        var answer = JsonDocument.Parse("""
            {"resourceType":"Parameters","parameter":[{"name":"match","valueBoolean":true},
              {"name":"riskSummary","valueString":"not part of the standard"},
              {"name":"contact","resource":{"resourceType":"Organization","name":"Partner Safeguarding","telecom":[{"system":"phone","value":"01632 960111"},{"system":"fax","value":"x"}],"address":[{"city":"Northtown"}]}},
              {"name":"contact","resource":{"resourceType":"Organization"}},
              {"name":"involvement","part":[{"name":"service","valueString":"Early help"},{"name":"status","valueCode":"active"},{"name":"leadWorker","valueString":"A. Worker"},
                {"name":"period","valuePeriod":{"start":"2026-02-01","end":"not a date"}}]},
              {"name":"involvement","part":[{"name":"status","valueCode":"open"}]}]}
            """).RootElement;

        var (read, problem) = Server.Mais.MaisMessages.ReadAnswer(answer, "health");

        Assert.Null(problem);
        Assert.True(read!.Match);
        Assert.Equal(("Partner Safeguarding", "01632 960111"), (Assert.Single(read.Contacts).Name, read.Contacts[0].Phone));
        var involvement = Assert.Single(read.Involvements);
        Assert.Equal(("health", "Early help", "unknown", new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), (DateTimeOffset?)null),
            (involvement.Agency, involvement.Service, involvement.Status, involvement.Start!.Value, involvement.End));
        Assert.Equal(["parameter 'riskSummary'", "a contact without a name (or with one over 200 characters)", "an involvement without a service (up to 200 characters)"], read.Ignored);
        // The shape itself is still checked: no match, or a match both ways, refuses the whole answer.
        Assert.Null(Server.Mais.MaisMessages.ReadAnswer(JsonDocument.Parse("""{"resourceType":"Parameters","parameter":[{"name":"riskSummary","valueString":"x"}]}""").RootElement, "health").Answer);
        Assert.Null(Server.Mais.MaisMessages.ReadAnswer(JsonDocument.Parse("""{"resourceType":"Parameters","parameter":[{"name":"match","valueBoolean":true},{"name":"match","valueBoolean":false}]}""").RootElement, "health").Answer);
    }

    [Fact]
    public void Given_a_partner_answer_naming_an_agency_then_it_is_kept_if_the_partner_may_answer_for_it_and_the_answer_is_refused_if_not()
    {
        static JsonElement Answer(string agency) => JsonDocument.Parse($$"""
            {"resourceType":"Parameters","parameter":[{"name":"match","valueBoolean":true},
              {"name":"involvement","part":[{"name":"agency","valueCode":"{{agency}}"},{"name":"service","valueString":"school-place"},{"name":"status","valueCode":"open"}]}]}
            """).RootElement;
        var hub = new HashSet<string> { "health", "education" };

        var (kept, _) = Server.Mais.MaisMessages.ReadAnswer(Answer("education"), "health", hub);
        var (refused, problem) = Server.Mais.MaisMessages.ReadAnswer(Answer("police"), "health", hub);

        Assert.Equal("education", Assert.Single(kept!.Involvements).Agency);
        Assert.Null(refused);
        Assert.Contains("'police', which this partner may not answer for", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_query_that_only_shares_a_family_name_and_birth_date_or_fits_two_people_then_the_answer_is_no_match()
    {
        var c = await _hub.CaseAsync();
        var ct = CancellationToken.None;
        var rebecca = await _hub.Store.AddAsync(_hub.Builder.Person("health", "Rebecca", "Welch", "2015-04-07", IdentifierKind.NhsNumber, "9434765919"), ct);
        await _hub.Store.AddAsync(new Involvement
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "la.social-care", PersonId = (await _hub.Store.AddAsync(_hub.Builder.Person("la", "Rebecca", "Welch", "2015-04-07",
                IdentifierKind.LaPersonId, "7654321"), ct)).Id,
            Service = "Child protection plan", Status = InvolvementStatus.Open, StartedAt = new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero), Team = "Team 3",
        }, ct);
        async Task<bool> MatchAsync(string query)
        {
            using var response = await PostAsync("/fhir/Patient/$person-info-query", "demo-police-officer", query, enquiry: c.Enquiry.Id);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return Parameters(await FhirTestHub.JsonAsync(response), "match").Single().GetProperty("valueBoolean").GetBoolean();
        }

        // Another child with Rebecca's family name and birth date is not Rebecca.
        Assert.False(await MatchAsync(MaisTestSetup.Query(null, "Welch", "2015-04-07", given: "Zed")));
        // Rebecca's own details are.
        Assert.True(await MatchAsync(MaisTestSetup.Query(null, "Welch", "2015-04-07", given: "Rebecca")));
        // One child's NHS number with another's name and birth date fits two people: neither, and never both merged.
        Assert.False(await MatchAsync(MaisTestSetup.Query("9990000026", "Welch", "2015-04-07", given: "Rebecca")));
        await using var db = _hub.Contexts.Create();
        var entry = await db.AuditEntries.Where(a => a.Action == "mais.answer").OrderByDescending(a => a.Sequence).FirstAsync();
        Assert.Contains("answered as no match", entry.Body, StringComparison.Ordinal);
        Assert.NotEqual(Guid.Empty, rebecca.Id);
    }

    [Fact]
    public async Task Given_a_person_asking_under_the_section_47_reason_outside_any_enquiry_they_belong_to_then_refused_and_audited()
    {
        var c = await CaseWithInvolvementAsync();

        using var none = await PostAsync("/fhir/Patient/$person-info-query", "demo-health-practitioner", MaisTestSetup.Query());
        using var notMember = await PostAsync("/fhir/Patient/$person-info-query", "demo-health-practitioner", MaisTestSetup.Query(), enquiry: c.Enquiry.Id);
        using var member = await PostAsync("/fhir/Patient/$person-info-query", "demo-police-officer", MaisTestSetup.Query(), enquiry: c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notMember.StatusCode);
        Assert.DoesNotContain("Child protection plan", await notMember.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, member.StatusCode);
        await using var db = _hub.Contexts.Create();
        Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.Action == "mais.answer" && a.Actor == "demo-health-practitioner" && a.Outcome == "denied"));
    }

    [Fact]
    public async Task Given_a_person_in_a_refuge_then_the_answer_is_byte_for_byte_the_answer_for_a_person_nobody_knows()
    {
        var c = await _hub.CaseAsync();
        var refuge = _hub.Builder.Person("la", "Nell", "Refugetest", "2017-02-03", IdentifierKind.NhsNumber, "9990000034");
        refuge.DataClass = "address.confidential";
        await _hub.Store.AddAsync(refuge, CancellationToken.None);

        using var withheld = await PostAsync("/fhir/Patient/$person-info-query", "demo-police-officer", MaisTestSetup.Query("9990000034"), enquiry: c.Enquiry.Id);
        using var unknown = await PostAsync("/fhir/Patient/$person-info-query", "demo-police-officer", MaisTestSetup.Query("9990000042"), enquiry: c.Enquiry.Id);
        using var byName = await PostAsync("/fhir/Patient/$person-info-query", "demo-police-officer", MaisTestSetup.Query(null, "Refugetest", "2017-02-03"), enquiry: c.Enquiry.Id);

        var expected = await unknown.Content.ReadAsStringAsync();
        Assert.Equal("""{"resourceType":"Parameters","parameter":[{"name":"match","valueBoolean":false}]}""", expected);
        Assert.Equal(expected, await withheld.Content.ReadAsStringAsync());
        Assert.Equal(expected, await byName.Content.ReadAsStringAsync());
        Assert.Equal(unknown.Content.Headers.ContentLength, withheld.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Given_malformed_queries_then_each_is_refused_with_an_operation_outcome_naming_the_problem()
    {
        var c = await _hub.CaseAsync();
        var cases = new Dictionary<string, (HttpStatusCode, string)>
        {
            ["""{"resourceType":"Patient"}"""] = (HttpStatusCode.BadRequest, "Parameters"),
            [MaisTestSetup.Query("9990000027")] = (HttpStatusCode.BadRequest, "check digit"),
            // Well-formed R4 that still does not say whom it asks about.
            [MaisTestSetup.Query(null, birthDate: "2016-05-14")] = (HttpStatusCode.BadRequest, "identifier, or a family name"),
            // Malformed R4 is refused by the SDK's strict parser, with its issue code.
            [MaisTestSetup.Query(null)] = (HttpStatusCode.BadRequest, "JSON120"),
            [MaisTestSetup.Query(reason: "https://example.org/just-curious")] = (HttpStatusCode.Forbidden, "not the reason of a purpose"),
            ["""{"resourceType":"Parameters","parameter":[{"name":"onlyIf","valueBoolean":true}]}"""] = (HttpStatusCode.BadRequest, "unexpected parameter"),
        };
        foreach (var (json, (status, text)) in cases)
        {
            using var response = await PostAsync("/fhir/Patient/$person-info-query", "demo-police-officer", json, enquiry: c.Enquiry.Id);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status && body.Contains(text, StringComparison.Ordinal), $"{json}: {(int)response.StatusCode} {body}");
            Assert.Contains("OperationOutcome", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Given_partners_fast_slow_failing_and_hostile_when_an_lcpp_asks_then_the_merged_answer_reports_each_within_the_deadline()
    {
        var c = await CaseWithInvolvementAsync();

        var watch = Stopwatch.StartNew();
        using var response = await PostAsync("/mais/person-info-query", "demo-la-lcpp", MaisTestSetup.Query(), "s47-enquiry", c.Enquiry.Id);
        watch.Stop();

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        // The deadline (3 s) cut the slow partner (20 s) off: well under 20 s, with room for a loaded CI machine (7.5 s seen).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(12), $"took {watch.Elapsed}: the 3 s deadline did not cut off the partner that answers after 20 s");
        var merged = JsonDocument.Parse(body).RootElement;
        Assert.True(merged.GetProperty("known").GetBoolean());
        var states = merged.GetProperty("partners").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p);
        Assert.Equal("answered", states["fast"].GetProperty("state").GetString());
        Assert.Equal("timeout", states["slow"].GetProperty("state").GetString());
        Assert.Equal("error", states["errors"].GetProperty("state").GetString());
        Assert.Equal(3, states["errors"].GetProperty("attempts").GetInt32());
        Assert.Equal("answered", states["flaky"].GetProperty("state").GetString());
        Assert.Equal(3, states["flaky"].GetProperty("attempts").GetInt32());
        Assert.Equal("invalid", states["malformed"].GetProperty("state").GetString());
        Assert.Equal("invalid", states["oversized"].GetProperty("state").GetString());
        Assert.Contains("larger than", states["oversized"].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("auth-refused", states["refuses"].GetProperty("state").GetString());
        // Partners that could not answer leave the answer incomplete, by name; those that answered are not listed.
        Assert.False(merged.GetProperty("complete").GetBoolean());
        Assert.Equal("timeout", states["hangs"].GetProperty("state").GetString());
        // A partner on a later version of the standard is heard: what it says is read, and what was left out is named.
        Assert.Equal("answered", states["extended"].GetProperty("state").GetString());
        Assert.Equal("read in part; left out: parameter 'nextReview'", states["extended"].GetProperty("detail").GetString());
        Assert.Equal(["errors", "hangs", "malformed", "oversized", "refuses", "slow"], merged.GetProperty("unanswered").EnumerateArray().Select(p => p.GetString()).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("<script>", body, StringComparison.Ordinal);
        var open = merged.GetProperty("openInvolvements").EnumerateArray().Select(i => (i.GetProperty("agency").GetString(), i.GetProperty("service").GetString())).ToList();
        Assert.Contains(("la", "Child protection plan"), open);
        Assert.Contains(("police", "Youth offending service"), open);
        Assert.Contains(("probation", "Youth offending service"), open);
        Assert.Contains(("education", "Youth offending service"), open);
        Assert.Equal(["education", "health", "la", "police", "probation"], merged.GetProperty("knownTo").EnumerateArray().Select(a => a.GetString()));

        // What the partner was asked: the identifier and the reason, nothing else; and how the hub proved who it is.
        HubFactory.CaptureFhir(_stub.LastQuery["fast"]);
        var asked = JsonDocument.Parse(_stub.LastQuery["fast"]).RootElement;
        Assert.Equal(["resourceType", "identifier"], asked.GetProperty("parameter")[0].GetProperty("resource").EnumerateObject().Select(p => p.Name));
        // Each partner is asked under the purpose this hub decided under.
        Assert.Equal("s47-enquiry", _stub.LastPurpose["fast"]);
        Assert.Equal("9990000026", asked.GetProperty("parameter")[0].GetProperty("resource").GetProperty("identifier")[0].GetProperty("value").GetString());
        Assert.Equal(MaisTestSetup.S47, asked.GetProperty("parameter")[1].GetProperty("valueUri").GetString());
        var claims = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(_stub.LastAssertion["fast"].Split('.')[1])).RootElement;
        Assert.Equal("hub-a", claims.GetProperty("iss").GetString());
        Assert.Equal($"{_stub.Url}/fast/token", claims.GetProperty("aud").GetString());

        await using var db = _hub.Contexts.Create();
        var entry = await db.AuditEntries.Where(a => a.Action == "mais.brokered").OrderByDescending(a => a.Sequence).FirstAsync();
        Assert.Equal(c.Enquiry.Id, entry.EnquiryId);
        foreach (var state in new[] { "\"partner\":\"slow\"", "\"state\":\"timeout\"", "\"state\":\"auth-refused\"", MaisTestSetup.S47 })
        {
            Assert.Contains(state, entry.Body, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("Youth offending", entry.Body, StringComparison.Ordinal);
        Assert.Equal(0, await db.Involvements.CountAsync(i => i.Service == "Youth offending service"));
    }

    [Fact]
    public void Given_the_mais_standards_examples_then_the_hub_reads_the_query_and_both_answers_and_writes_the_same_shapes()
    {
        // The data exchange standard's examples (docs/operation-definition.md), with a valid synthetic NHS number.
        var query = JsonDocument.Parse("""
            {"resourceType":"Parameters","parameter":[
              {"name":"resource","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],
                "name":[{"family":"Smith","given":["Jane"]}],"birthDate":"2015-05-01"}},
              {"name":"reason","valueUri":"https://www.legislation.gov.uk/ukpga/1989/41/section/47"}]}
            """).RootElement;
        var match = JsonDocument.Parse("""
            {"resourceType":"Parameters","parameter":[{"name":"match","valueBoolean":true},
              {"name":"contact","resource":{"resourceType":"Organization","name":"Southshire Council Safeguarding",
                "telecom":[{"system":"phone","value":"01234 567890","use":"work"}],
                "address":[{"line":["123 Civic Centre"],"city":"Southshire","postalCode":"AB12 3CD","country":"UK"}]}}]}
            """).RootElement;
        var noMatch = JsonDocument.Parse("""{"resourceType":"Parameters","parameter":[{"name":"match","valueBoolean":false}]}""").RootElement;

        var (read, problem) = Server.Mais.MaisMessages.ReadQuery(query);
        Assert.Null(problem);
        Assert.Equal(("Smith", "Jane", new DateOnly(2015, 5, 1)), (read!.Family, read.Given, read.BirthDate));
        Assert.Equal(MaisTestSetup.S47, read.Reason.ToString());
        Assert.Equal(JsonSerializer.Serialize(query), Server.Mais.MaisMessages.Query(read).ToJsonString());
        var (known, _) = Server.Mais.MaisMessages.ReadAnswer(match, "la");
        Assert.Equal(("Southshire Council Safeguarding", "01234 567890"), (known!.Contacts[0].Name, known.Contacts[0].Phone));
        Assert.False(Server.Mais.MaisMessages.ReadAnswer(noMatch, "la").Answer!.Match);
        Assert.Equal(JsonSerializer.Serialize(noMatch), Server.Mais.MaisMessages.Answer(Server.Mais.PersonAnswer.NoMatch).ToJsonString());
    }

    [Fact]
    public async Task Given_a_partner_that_keeps_failing_then_its_circuit_opens_and_it_is_no_longer_asked()
    {
        var c = await _hub.CaseAsync();
        // Two queries that reach the partners (one that asks nobody, as a query refused before the broker, does not count).
        for (int asked = 0, tries = 0; asked < 2; tries++)
        {
            Assert.True(tries < 40, "the child's records never linked to the enquiry's subject");
            using var query = await PostAsync("/mais/person-info-query", "demo-la-lcpp", MaisTestSetup.Query(), "s47-enquiry", c.Enquiry.Id);
            Assert.True(query.IsSuccessStatusCode || query.StatusCode == System.Net.HttpStatusCode.Forbidden, await query.Content.ReadAsStringAsync());
            if (query.IsSuccessStatusCode)
            {
                asked++;
            }
            else
            {
                await Task.Delay(250);
            }
        }
        var calls = _stub.CallsTo("errors");

        using var response = await PostAsync("/mais/person-info-query", "demo-la-lcpp", MaisTestSetup.Query(), "s47-enquiry", c.Enquiry.Id);

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var states = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("partners").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("state").GetString());
        Assert.Equal("circuit-open", states["errors"]);
        Assert.Equal("answered", states["fast"]);
        Assert.Equal(calls, _stub.CallsTo("errors"));
    }

    [Fact]
    public async Task Given_a_partner_whose_token_endpoint_hangs_then_each_attempt_times_out_within_the_partners_time_out_and_its_circuit_opens()
    {
        var c = await _hub.CaseAsync();
        async Task<JsonElement> HangsAsync()
        {
            using var asked = await PostAsync("/mais/person-info-query", "demo-la-lcpp", MaisTestSetup.Query(), "s47-enquiry", c.Enquiry.Id);
            return JsonDocument.Parse(await asked.Content.ReadAsStringAsync()).RootElement.GetProperty("partners").EnumerateArray()
                .Single(p => p.GetProperty("name").GetString() == "hangs").Clone();
        }
        var first = await HangsAsync();
        Assert.Equal("timeout", first.GetProperty("state").GetString());
        // The token request is retried within the query's deadline like the query itself: more than one attempt.
        Assert.True(first.GetProperty("attempts").GetInt32() >= 2, first.ToString());
        // The failures count towards the partner's circuit breaker (four of them open it).
        Assert.Contains((await HangsAsync()).GetProperty("state").GetString(), new[] { "timeout", "circuit-open" });
        var tokenCalls = _stub.TokenCallsTo("hangs");
        Assert.True(tokenCalls >= 4, $"{tokenCalls} token requests");

        var third = await HangsAsync();

        Assert.Equal("circuit-open", third.GetProperty("state").GetString());
        Assert.Equal(tokenCalls, _stub.TokenCallsTo("hangs"));
        Assert.Equal(0, _stub.CallsTo("hangs"));
    }

    [Fact]
    public async Task Given_a_member_asking_about_a_child_who_is_no_subject_of_the_enquiry_or_under_another_purpose_then_refused_and_no_partner_is_asked()
    {
        var c = await _hub.CaseAsync();
        // Another child the hub knows, with an NHS number of his own, who is no subject of this enquiry.
        await _hub.Store.AddAsync(_hub.Builder.Person("health", "Noah", "Othertest", "2015-03-03", IdentifierKind.NhsNumber, "9990000034"), CancellationToken.None);

        using var other = await PostAsync("/mais/person-info-query", "demo-police-officer", MaisTestSetup.Query("9990000034"), "s47-enquiry", c.Enquiry.Id);
        using var nobody = await PostAsync("/mais/person-info-query", "demo-police-officer", MaisTestSetup.Query(null, "Unknownfamily", "2014-01-01", given: "Zed"), "s47-enquiry", c.Enquiry.Id);
        using var familyHelp = await PostAsync("/mais/person-info-query", "demo-la-lcpp", MaisTestSetup.Query(reason: "https://www.legislation.gov.uk/ukpga/1989/41/section/17"),
            "family-help", c.Enquiry.Id);
        using var subject = await PostAsync("/mais/person-info-query", "demo-police-officer", MaisTestSetup.Query(), "s47-enquiry", c.Enquiry.Id);

        foreach (var refused in new[] { other, nobody })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("not_a_subject", problem.GetProperty("code").GetString());
            Assert.Contains(c.Enquiry.Reference, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Forbidden, familyHelp.StatusCode);
        var familyHelpBody = await familyHelp.Content.ReadAsStringAsync();
        Assert.True(familyHelpBody.Contains("\"purpose_not_brokered\"", StringComparison.Ordinal), familyHelpBody);
        // Only the question about the enquiry's own child reached the partners.
        Assert.Equal(HttpStatusCode.OK, subject.StatusCode);
        Assert.Equal(1, _stub.CallsTo("fast"));
        await using var db = _hub.Contexts.Create();
        var refusal = await db.AuditEntries.Where(a => a.Action == "mais.brokered").OrderBy(a => a.Sequence).FirstAsync();
        Assert.Contains("no subject of the enquiry", refusal.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_someone_outside_the_enquiry_or_a_reason_that_is_not_the_purposes_then_no_partner_is_asked()
    {
        var c = await _hub.CaseAsync();
        using var outsider = await PostAsync("/mais/person-info-query", "demo-health-practitioner", MaisTestSetup.Query(), "s47-enquiry", c.Enquiry.Id);
        using var mismatch = await PostAsync("/mais/person-info-query", "demo-la-lcpp", MaisTestSetup.Query(reason: "https://www.legislation.gov.uk/ukpga/1989/41/section/17"),
            "s47-enquiry", c.Enquiry.Id);

        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Equal(0, _stub.CallsTo("fast"));
    }
}

public sealed class SqliteMaisTests() : MaisTests(DatabaseEngine.Sqlite);

public sealed class PostgresMaisTests() : MaisTests(DatabaseEngine.Postgres);
