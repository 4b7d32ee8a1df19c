using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Workflow;

/// <summary>
/// One case walked with a hand-moved clock, through the real HTTP pipeline: a referral on the Friday
/// before the August bank holiday, its deadline over the long weekend, the decision, a section 47
/// enquiry, an information request answered with a recorded refusal, closure, and the grace period.
/// </summary>
public abstract class CaseWalkTests(DatabaseEngine engine) : IAsyncLifetime
{
    // Friday 28 August 2026, 15:30 in London (BST); Monday 31 August is the summer bank holiday.
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 8, 28, 14, 30, 0, TimeSpan.Zero));
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine,
        new Dictionary<string, string?>
        {
            ["SharingHub:Access:EnquiryGraceHours"] = "24",
            // No background copy into the audit log's index by actor: the backlog test below counts the writers waiting
            // for a turn at SQLite's write lock, and a round of the copy waiting among them would be counted as one of its own.
            ["SharingHub:Audit:ActorIndexSeconds"] = "0",
        }, _clock);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static readonly MediaTypeHeaderValue FhirJson = new("application/fhir+json");

    private async Task<int> OverdueCount()
    {
        using var response = await _hub.GetAsync("/fhir/Task?code=referral&business-status=overdue", "demo-la-front-door", "front-door-triage");
        return (await FhirTestHub.JsonAsync(response)).GetProperty("total").GetInt32();
    }

    private async Task<HttpStatusCode> ReadVisit(CaseRecords c, string user, Guid enquiry, string purpose = "s47-enquiry")
    {
        using var response = await _hub.GetAsync($"/fhir/Observation/{c.LaVisit.Id}", user, purpose, enquiry);
        return response.StatusCode;
    }

    /// <summary>A change by the case's lead (the LCPP), answered with its status and body.</summary>
    private async Task<(HttpStatusCode Status, string Body)> LeadAsync(string path, object body)
    {
        using var response = await _hub.SendAsync(HttpMethod.Post, path, "demo-la-lcpp", content: JsonContent.Create(body));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A meeting written by the lead's system as a FHIR Encounter.</summary>
    private async Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body, string? Location)> EncounterAsync(Guid id, string kind, DateTimeOffset heldAt,
        object[]? participant = null, object[]? extension = null, object[]? reasonCode = null, string user = "demo-la-lcpp")
    {
        var encounter = new Dictionary<string, object?>
        {
            ["resourceType"] = "Encounter",
            ["status"] = "finished",
            ["class"] = new { system = "urn:sharinghub:encounter-class", code = "multi-agency-meeting" },
            ["type"] = new[] { new { coding = new[] { new { system = "urn:sharinghub:meeting-type", code = kind } } } },
            ["period"] = new { start = heldAt.ToString("yyyy-MM-ddTHH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture) },
            ["extension"] = new object[] { new { url = "urn:sharinghub:fhir:enquiry", valueString = id.ToString() } }.Concat(extension ?? []).ToArray(),
        };
        if (participant is not null)
        {
            encounter["participant"] = participant;
        }
        if (reasonCode is not null)
        {
            encounter["reasonCode"] = reasonCode;
        }
        using var content = new StringContent(System.Text.Json.JsonSerializer.Serialize(encounter), System.Text.Encoding.UTF8);
        content.Headers.ContentType = FhirJson;
        using var response = await _hub.SendAsync(HttpMethod.Post, "/fhir/Encounter", user, content: content);
        return (response.StatusCode, await FhirTestHub.JsonAsync(response), response.Headers.Location?.ToString());
    }

    private static object Agency(string agency, bool attended, bool report) => new
    {
        individual = new { identifier = new { system = "urn:sharinghub:agency", value = agency } },
        type = new[] { new { coding = new[] { new { system = "urn:sharinghub:attendance", code = attended ? "attended" : "absent" } } },
            new { coding = new[] { new { system = "urn:sharinghub:attendance", code = report ? "report" : "no-report" } } } },
    };

    private static object Professional(string agency, string user, string role) => new
    {
        individual = new { identifier = new { system = $"urn:sharinghub:user:{agency}", value = user } },
        type = new[] { new { text = role } },
    };

    /// <summary>A step taken through an OData action bound to the case: its status and any OData error.</summary>
    private async Task<(HttpStatusCode Status, string Body, string? Location)> ActionAsync(Guid id, string action, object parameters, string user = "demo-la-lcpp")
    {
        using var response = await _hub.SendAsync(HttpMethod.Post, $"/odata/Enquiries({id})/SharingHub.{action}", user, content: JsonContent.Create(parameters));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.ToString());
    }

    private async Task<System.Text.Json.JsonElement> CaseAsync(Guid id, string purpose)
    {
        using var response = await _hub.GetAsync($"/enquiries/{id}", "demo-la-lcpp", purpose, id);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await FhirTestHub.JsonAsync(response);
    }

    private static List<(string Item, DateTimeOffset DueBy, bool Overdue)> Due(System.Text.Json.JsonElement view) =>
        view.GetProperty("journey").GetProperty("due").EnumerateArray()
            .Select(d => (d.GetProperty("item").GetString()!, d.GetProperty("dueBy").GetDateTimeOffset(), d.GetProperty("overdue").GetBoolean())).ToList();

    private protected async Task<List<Data.Notifications.Notification>> OverdueNoticesAsync()
    {
        await using var db = _hub.Contexts.Create();
        return await db.Notifications.AsNoTracking().Where(n => n.Kind == "case.overdue").ToListAsync();
    }

    [Fact]
    public async Task Given_more_overdue_cases_than_a_page_and_the_first_page_already_escalated_then_the_next_overdue_case_is_still_escalated()
    {
        // A large area's backlog: a page's worth of cases whose initial conference is overdue, then one more, opened last.
        var escalation = _hub.Services.GetRequiredService<global::SharingHub.Server.Notifications.OverdueEscalation>();
        var count = global::SharingHub.Server.Notifications.OverdueEscalation.JourneyPage + 1;
        var first = new List<Guid>();
        for (var i = 0; i < count - 1; i++)
        {
            first.Add(await AddOverdueCaseAsync(i));
        }
        await escalation.EscalateAsync(CancellationToken.None);
        var last = await AddOverdueCaseAsync(count);

        await escalation.EscalateAsync(CancellationToken.None);

        var told = (await OverdueNoticesAsync()).Select(n => System.Text.Json.JsonDocument.Parse(n.Payload).RootElement.GetProperty("enquiry").GetGuid()).ToList();
        Assert.Contains(last, told);
        // Each case once, however many rounds have run.
        Assert.Equal(first.Append(last).Order(), told.Distinct().Order());
        Assert.Equal(told.Count, told.Distinct().Count());
    }

    /// <summary>A case opened 30 days ago (plus <paramref name="i"/> minutes) whose initial conference is overdue, led by the council alone.</summary>
    private protected async Task<Guid> AddOverdueCaseAsync(int i)
    {
        var opened = _clock.Now.AddDays(-30).AddMinutes(i);
        var enquiry = await _hub.Store.AddAsync(new Core.Records.Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "enquiry", Reference = $"S47-BACKLOG-{i:D3}", Status = Core.Records.EnquiryStatus.Open,
            OpenedAt = opened, LeadPractitioner = "demo-la-lcpp", ConferenceDueBy = opened.AddDays(15),
            Members = [new() { Id = Guid.NewGuid(), Agency = "la", UserSubject = "demo-la-lcpp", Role = "lcpp", AddedAt = opened }],
        }, CancellationToken.None);
        return enquiry.Id;
    }

    private protected FhirTestHub Hub => _hub;

    /// <summary>The resources a FHIR search finds for a caller; with allowRefusal, a refused search counts as finding nothing.</summary>
    private async Task<List<System.Text.Json.JsonElement>> FhirSearchAsync(string path, string user, string purpose, Guid enquiry, bool allowRefusal = false)
    {
        using var response = await _hub.GetAsync(path, user, purpose, enquiry);
        var body = await FhirTestHub.JsonAsync(response);
        if (allowRefusal && response.StatusCode is HttpStatusCode.Forbidden)
        {
            return [];
        }
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        return body.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().Select(e => e.GetProperty("resource")).ToList() : [];
    }

    private async Task<System.Text.Json.JsonElement?> OversightOfAsync(Guid id)
    {
        using var response = await _hub.GetAsync("/oversight/cases", "demo-la-lcpp");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await FhirTestHub.JsonAsync(response)).GetProperty("cases").EnumerateArray().Where(x => x.GetProperty("id").GetGuid() == id)
            .Select(x => (System.Text.Json.JsonElement?)x).FirstOrDefault();
    }

    [Fact]
    public async Task Given_one_childs_journey_from_strategy_discussion_to_the_end_of_her_plan_then_each_step_opens_and_closes_access_and_falls_due_on_working_days()
    {
        var c = await _hub.CaseAsync();
        const string police = "demo-police-officer", health = "demo-health-practitioner", school = "demo-education-lead";

        // Friday 11 December 2026, 14:00: the LCPP convenes a strategy discussion with police, health and the school.
        _clock.Now = new DateTimeOffset(2026, 12, 11, 14, 0, 0, TimeSpan.Zero);
        var (convened, body) = await LeadAsync("/strategy-discussions", new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } },
            grounds = "Bruising seen at school; a police call-out last week",
            members = new[] { new { agency = "police", user = police, role = "police" }, new { agency = "health", user = health, role = "health" }, new { agency = "education", user = school, role = "education" } },
        });
        Assert.True(convened == HttpStatusCode.Created, body);
        var id = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
        Assert.Equal("strategy-discussion", (await CaseAsync(id, "strategy-meeting")).GetProperty("stage").GetString());
        // Participants bring what they hold while the discussion is open; nobody works under section 47 before it decides.
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, police, id, "strategy-meeting"));
        Assert.NotEqual(HttpStatusCode.OK, await ReadVisit(c, police, id));
        Assert.NotEqual(HttpStatusCode.OK, await ReadVisit(c, "demo-probation-officer", id, "strategy-meeting"));

        // The lead's case system records the discussion's meeting over FHIR: who took part and what each agency brought (sealed),
        // which the participants read over OData; a participant cannot record it, and a meeting with no case is refused by name.
        var (discussed, discussion, discussionAt) = await EncounterAsync(id, "strategy-discussion", _clock.Now.AddMinutes(-30),
            [Professional("la", "demo-la-lcpp", "lcpp"), Professional("police", police, "police"), Professional("health", health, "health")],
            [new { url = "urn:sharinghub:fhir:contribution", valueAnnotation = new { authorReference = new { identifier = new { system = "urn:sharinghub:agency", value = "police" } }, text = "Two call-outs to the address in November" } },
             new { url = "urn:sharinghub:fhir:meeting-decisions", valueString = "Joint visit; ask the GP" }]);
        Assert.True(discussed == HttpStatusCode.Created, discussion.ToString());
        Assert.Matches("/fhir/Encounter/[0-9a-f-]{36}$", discussionAt);
        using (var told = await _hub.GetAsync($"/odata/StrategyMeetings?$filter=enquiryId eq {id}", police, "strategy-meeting", id))
        {
            var rows = (await FhirTestHub.JsonAsync(told)).GetProperty("value");
            Assert.Contains("call-outs to the address in November", Assert.Single(rows.EnumerateArray()).GetProperty("contributions").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await EncounterAsync(id, "strategy-discussion", _clock.Now.AddMinutes(-30), [Professional("police", police, "police")], user: police)).Status);
        var (noCase, noCaseBody, _) = await EncounterAsync(Guid.Empty, "review-conference", _clock.Now, [Agency("police", true, true)]);
        Assert.Equal(HttpStatusCode.NotFound, noCase);
        var (badStatus, badBody, _) = await EncounterAsync(id, "core-group-meeting", _clock.Now, [Agency("police", true, true)]);
        Assert.True(badStatus == HttpStatusCode.UnprocessableEntity, badBody.ToString());
        Assert.Contains(badBody.GetProperty("issue").EnumerateArray(), i => i.GetProperty("diagnostics").GetString()!.Contains("belong to a conference", StringComparison.Ordinal));

        // 15:00: it decides a joint enquiry. The initial conference is due 15 working days on: Christmas Day, the Boxing Day
        // substitute (28 December) and New Year's Day do not count, so Wednesday 6 January 2027 at 15:00.
        _clock.Now = new DateTimeOffset(2026, 12, 11, 15, 0, 0, TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, (await LeadAsync($"/strategy-discussions/{id}/decision", new { decision = "joint-section-47", reasons = "Unexplained injuries; joint visit" })).Status);
        var started = await CaseAsync(id, "s47-enquiry");
        Assert.Equal(("section-47", true), (started.GetProperty("stage").GetString(), started.GetProperty("journey").GetProperty("jointWithPolice").GetBoolean()));
        Assert.Equal([("initial-conference", new DateTimeOffset(2027, 1, 6, 15, 0, 0, TimeSpan.Zero), false)], Due(started));
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, police, id));
        // A strategy discussion decides once.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await LeadAsync($"/strategy-discussions/{id}/decision", new { decision = "no-further-action", reasons = "Changed mind" })).Status);

        // An Emergency Protection Order is recorded inside the enquiry (by the lead's system, as an OData action bound to the case),
        // which stays open; closing "with" it is refused. A parameter the action does not take is refused by name, and a police
        // member may not take the lead's step.
        _clock.Now = new DateTimeOffset(2026, 12, 12, 10, 0, 0, TimeSpan.Zero);
        var order = new { kind = "emergencyProtectionOrder", startedAt = _clock.Now.AddHours(-2), endsAt = _clock.Now.AddDays(8), agency = "la", user = "demo-la-lcpp" };
        var (misnamed, misnamedBody, _) = await ActionAsync(id, "recordEmergencyAction", new { order.kind, order.startedAt, order.agency, order.user, court = "Family Court" });
        Assert.True(misnamed == HttpStatusCode.BadRequest && misnamedBody.Contains("court", StringComparison.Ordinal), misnamedBody);
        Assert.Equal(HttpStatusCode.Forbidden, (await ActionAsync(id, "recordEmergencyAction", order, police)).Status);
        var (ordered, orderedBody, _) = await ActionAsync(id, "recordEmergencyAction", order);
        Assert.True(ordered == HttpStatusCode.NoContent, orderedBody);
        // A conference before the enquiry has concluded is refused by the workflow's own rule, in OData's error format.
        var (early, earlyBody, _) = await ActionAsync(id, "recordConference", new
        {
            kind = "initial", heldAt = _clock.Now.AddHours(-1), attendance = new[] { new { agency = "police", attended = true, report = true } }, decision = "no-plan",
        });
        Assert.True(early == HttpStatusCode.UnprocessableEntity && System.Text.Json.JsonDocument.Parse(earlyBody).RootElement.GetProperty("error").GetProperty("message").GetString()!
            .Contains("childProtectionConference", StringComparison.Ordinal), earlyBody);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await LeadAsync($"/enquiries/{id}/close", new { outcome = "emergencyAction" })).Status);
        var protectedCase = await CaseAsync(id, "s47-enquiry");
        Assert.Equal("open", protectedCase.GetProperty("status").GetString());
        Assert.Equal("emergencyProtectionOrder", protectedCase.GetProperty("journey").GetProperty("emergencyActions")[0].GetProperty("kind").GetString());

        // Oversight sees the case, the order while it lasts, and what the case waits for; a police member may not oversee.
        Assert.Equal(["emergencyProtectionOrder"], (await OversightOfAsync(id))!.Value.GetProperty("emergencyActions").EnumerateArray().Select(a => a.GetString()));
        _clock.Now = new DateTimeOffset(2027, 1, 6, 14, 59, 0, TimeSpan.Zero);
        var seen = (await OversightOfAsync(id))!.Value;
        Assert.Equal(("initial-conference", false), (seen.GetProperty("next").GetProperty("item").GetString(), seen.GetProperty("next").GetProperty("overdue").GetBoolean()));
        Assert.Empty(seen.GetProperty("emergencyActions").EnumerateArray());
        using (var refused = await _hub.GetAsync("/oversight/cases", police))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        var escalation = _hub.Services.GetRequiredService<global::SharingHub.Server.Notifications.OverdueEscalation>();
        await escalation.EscalateAsync(CancellationToken.None);
        Assert.Empty(await OverdueNoticesAsync());
        _clock.Now = new DateTimeOffset(2027, 1, 6, 15, 1, 0, TimeSpan.Zero);
        Assert.True((await OversightOfAsync(id))!.Value.GetProperty("next").GetProperty("overdue").GetBoolean());
        // Overdue, it is escalated once to the council and to each member agency's system; rounds running at once (the
        // dispatcher's own among them, as on several nodes) and a later round add nothing.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => escalation.EscalateAsync(CancellationToken.None))));
        await escalation.EscalateAsync(CancellationToken.None);
        Assert.Equal(["education", "health", "la", "police"], (await OverdueNoticesAsync()).Select(n => n.Organisation).Order(StringComparer.Ordinal));
        Assert.All(await OverdueNoticesAsync(), n => Assert.Contains("\"item\":\"initial-conference\"", n.Payload, StringComparison.Ordinal));

        // The enquiry concludes that a conference is needed: its members keep their access (well past any grace period) until it decides.
        _clock.Now = new DateTimeOffset(2027, 1, 4, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, (await LeadAsync($"/enquiries/{id}/close", new { outcome = "childProtectionConference" })).Status);
        _clock.Now = new DateTimeOffset(2027, 1, 6, 9, 30, 0, TimeSpan.Zero);
        Assert.Equal("awaiting-conference", (await CaseAsync(id, "s47-enquiry")).GetProperty("stage").GetString());
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, school, id));

        // Day 15, 10:00: the initial conference makes a plan (neglect) with police and health in the core group; the school is not in it.
        _clock.Now = new DateTimeOffset(2027, 1, 6, 10, 30, 0, TimeSpan.Zero);
        var (conference, conferenceBody) = await LeadAsync($"/enquiries/{id}/conferences", new
        {
            kind = "initial", heldAt = new DateTimeOffset(2027, 1, 6, 10, 0, 0, TimeSpan.Zero),
            attendance = new[] { new { agency = "police", attended = true, report = true }, new { agency = "health", attended = true, report = true }, new { agency = "education", attended = false, report = true } },
            decision = "plan", category = "neglect",
            coreGroup = new[] { new { agency = "police", user = police, role = "police" }, new { agency = "health", user = health, role = "health" } },
        });
        Assert.True(conference == HttpStatusCode.OK, conferenceBody);
        var plan = await CaseAsync(id, "child-protection-plan");
        Assert.Equal(("child-protection-plan", "neglect"), (plan.GetProperty("stage").GetString(), plan.GetProperty("journey").GetProperty("planCategory").GetString()));
        // The core group first meets within 10 working days (Wednesday 20 January); the first review is within 3 months.
        Assert.Equal([("core-group", new DateTimeOffset(2027, 1, 20, 10, 0, 0, TimeSpan.Zero), false), ("review-conference", new DateTimeOffset(2027, 4, 6, 10, 0, 0, TimeSpan.Zero), false)],
            Due(plan));
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, police, id, "child-protection-plan"));
        Assert.NotEqual(HttpStatusCode.OK, await ReadVisit(c, police, id));
        // The child's record carries the plan as a state (a FHIR Flag), stored with the plan, which the core group reads.
        Core.Records.PersonState flag;
        await using (var states = _hub.Contexts.Create())
        {
            flag = await states.States.AsNoTracking().SingleAsync(s => s.PersonId == c.LaChild.Id && s.Code == "child-protection-plan");
        }
        Assert.Equal((new DateTimeOffset(2027, 1, 6, 10, 0, 0, TimeSpan.Zero), (DateTimeOffset?)null), (flag.StartedAt, flag.EndedAt));
        using (var flagRead = await _hub.GetAsync($"/fhir/Flag/{flag.Id}", police, "child-protection-plan", id))
        {
            var body2 = await flagRead.Content.ReadAsStringAsync();
            Assert.True(flagRead.StatusCode == HttpStatusCode.OK, body2);
            Assert.Contains("neglect", body2, StringComparison.Ordinal);
        }
        // OData shows the same case, decided the same way, for the reports and the agencies' systems.
        using (var odata = await _hub.GetAsync($"/odata/Enquiries({id})?$select=stage,planCategory,coreGroupDueBy,jointWithPolice", police, "child-protection-plan", id))
        {
            var row = await FhirTestHub.JsonAsync(odata);
            Assert.True(odata.StatusCode == HttpStatusCode.OK, row.ToString());
            Assert.Equal(("childProtectionPlan", "neglect", true), (row.GetProperty("stage").GetString(), row.GetProperty("planCategory").GetString(), row.GetProperty("jointWithPolice").GetBoolean()));
            Assert.Equal(new DateTimeOffset(2027, 1, 20, 10, 0, 0, TimeSpan.Zero), row.GetProperty("coreGroupDueBy").GetDateTimeOffset());
        }
        // The school left the case when the conference named the core group: nothing under either purpose.
        Assert.NotEqual(HttpStatusCode.OK, await ReadVisit(c, school, id, "child-protection-plan"));
        Assert.NotEqual(HttpStatusCode.OK, await ReadVisit(c, school, id));

        // The core group meets on day 9, recorded by the lead's system as a FHIR Encounter.
        _clock.Now = new DateTimeOffset(2027, 1, 19, 16, 0, 0, TimeSpan.Zero);
        var (met, metBody, metAt) = await EncounterAsync(id, "core-group-meeting", _clock.Now.AddHours(-2));
        Assert.True(met == HttpStatusCode.Created, metBody.ToString());
        Assert.Equal(["review-conference"], Due(await CaseAsync(id, "child-protection-plan")).Select(d => d.Item));

        // FHIR shows the same journey to the core group's systems: the plan as a CarePlan with what falls due, its meetings as Encounters.
        var carePlans = await FhirSearchAsync($"/fhir/CarePlan?patient=Patient/{c.LaChild.Id}", police, "child-protection-plan", id);
        var carePlan = Assert.Single(carePlans);
        Assert.Equal((id.ToString(), "active", $"Patient/{c.LaChild.Id}"),
            (carePlan.GetProperty("id").GetString(), carePlan.GetProperty("status").GetString(), carePlan.GetProperty("subject").GetProperty("reference").GetString()));
        Assert.Equal(["child-protection-plan", "neglect"], carePlan.GetProperty("category").EnumerateArray().Select(x => x.GetProperty("coding")[0].GetProperty("code").GetString()));
        var activity = Assert.Single(carePlan.GetProperty("activity").EnumerateArray()).GetProperty("detail");
        Assert.Equal(("review-conference", "scheduled", "2027-04-06T10:00:00.000Z"), (activity.GetProperty("code").GetProperty("coding")[0].GetProperty("code").GetString(),
            activity.GetProperty("status").GetString(), activity.GetProperty("scheduledPeriod").GetProperty("end").GetString()));
        var meetings = await FhirSearchAsync($"/fhir/Encounter?patient={c.LaChild.Id}", police, "child-protection-plan", id);
        // The case's meetings in the order they were held: the strategy discussion, the initial conference, the core group.
        Assert.Equal(["strategy-discussion", "initial-conference", "core-group-meeting"], meetings.Select(m => m.GetProperty("type")[0].GetProperty("coding")[0].GetProperty("code").GetString()));
        Assert.EndsWith($"/fhir/Encounter/{meetings[0].GetProperty("id").GetString()}", discussionAt, StringComparison.Ordinal);
        Assert.EndsWith($"/fhir/Encounter/{meetings[2].GetProperty("id").GetString()}", metAt, StringComparison.Ordinal);
        // The discussion's Encounter carries back what each agency brought, as the lead's system wrote it.
        var brought = meetings[0].GetProperty("extension").EnumerateArray().Where(x => x.GetProperty("url").GetString() == "urn:sharinghub:fhir:contribution").ToList();
        Assert.Equal(("Two call-outs to the address in November", "Police"), (Assert.Single(brought).GetProperty("valueAnnotation").GetProperty("text").GetString(),
            brought[0].GetProperty("valueAnnotation").GetProperty("authorReference").GetProperty("display").GetString()![..6]));
        meetings.RemoveAt(0);
        Assert.Equal("neglect", meetings[0].GetProperty("reasonCode")[0].GetProperty("coding")[0].GetProperty("code").GetString());
        // OData shows the case's conferences, with each agency's attendance, and the core group's meetings.
        using (var parts = await _hub.GetAsync($"/odata/Enquiries({id})?$select=conferences,coreGroupMeetings", police, "child-protection-plan", id))
        {
            var row = await FhirTestHub.JsonAsync(parts);
            var held = Assert.Single(row.GetProperty("conferences").EnumerateArray());
            Assert.Equal(("initial", "plan", "neglect"), (held.GetProperty("kind").GetString(), held.GetProperty("decision").GetString(), held.GetProperty("category").GetString()));
            Assert.Equal(["police:True:True", "health:True:True", "education:False:True"], held.GetProperty("attendance").EnumerateArray()
                .Select(a => $"{a.GetProperty("agency").GetString()}:{a.GetProperty("attended").GetBoolean()}:{a.GetProperty("report").GetBoolean()}"));
            Assert.Equal(meetings[1].GetProperty("id").GetString(), Assert.Single(row.GetProperty("coreGroupMeetings").EnumerateArray()).GetProperty("id").GetString());
        }
        var initialConference = meetings[0];
        Assert.Equal(["Police", "attended", "report"], new[] { initialConference.GetProperty("participant")[0].GetProperty("individual").GetProperty("display").GetString()! }
            .Concat(initialConference.GetProperty("participant")[0].GetProperty("type").EnumerateArray().Select(t => t.GetProperty("coding")[0].GetProperty("code").GetString()!))
            .Select(x => x.StartsWith("Police", StringComparison.Ordinal) ? "Police" : x));
        Assert.Contains(initialConference.GetProperty("extension").EnumerateArray(), x => x.TryGetProperty("valueCode", out var v) && v.GetString() == "plan");
        using (var one = await _hub.GetAsync($"/fhir/Encounter/{initialConference.GetProperty("id").GetString()}", police, "child-protection-plan", id))
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        }
        // The school, no longer in the case, learns nothing of the plan or its meetings.
        Assert.Empty(await FhirSearchAsync($"/fhir/CarePlan?patient={c.LaChild.Id}", school, "child-protection-plan", id, allowRefusal: true));
        Assert.Empty(await FhirSearchAsync($"/fhir/Encounter?patient={c.LaChild.Id}", school, "child-protection-plan", id, allowRefusal: true));
        using (var notShown = await _hub.GetAsync($"/fhir/CarePlan/{id}", school, "child-protection-plan", id))
        {
            Assert.NotEqual(HttpStatusCode.OK, notShown.StatusCode);
        }

        // The case enters pre-proceedings (FGDM offered at that point), by OData action; FGDM accepted later is another decision point.
        var (pre, preBody, _) = await ActionAsync(id, "recordPreProceedings", new { at = _clock.Now.AddHours(-1), fgdm = "offered" });
        Assert.True(pre == HttpStatusCode.NoContent, preBody);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await ActionAsync(id, "recordPreProceedings", new { at = _clock.Now.AddHours(-1), fgdm = "offered" })).Status);
        _clock.Advance(TimeSpan.FromMinutes(20));
        var (family, familyBody, _) = await ActionAsync(id, "recordFgdm", new { decisionPoint = "child-protection-conference", status = "accepted" });
        Assert.True(family == HttpStatusCode.NoContent, familyBody);
        using (var fgdm = await _hub.GetAsync($"/odata/Enquiries({id})?$select=fgdm,preProceedingsAt", police, "child-protection-plan", id))
        {
            var row = await FhirTestHub.JsonAsync(fgdm);
            Assert.Equal(["pre-proceedings:offered", "child-protection-conference:accepted"],
                row.GetProperty("fgdm").EnumerateArray().Select(f => $"{f.GetProperty("decisionPoint").GetString()}:{f.GetProperty("status").GetString()}"));
        }

        // The first review, at three months, continues the plan: the next is due six months on.
        // (recorded by the lead's system over FHIR: the same rules, so a review without a decision is refused by name).
        _clock.Now = new DateTimeOffset(2027, 4, 5, 14, 0, 0, TimeSpan.Zero);
        var (undecided, undecidedBody, _) = await EncounterAsync(id, "review-conference", _clock.Now.AddHours(-3), [Agency("police", true, true)]);
        Assert.True(undecided == HttpStatusCode.UnprocessableEntity && undecidedBody.ToString().Contains("continue-plan, end-plan", StringComparison.Ordinal), undecidedBody.ToString());
        var (reviewed, reviewBody, _) = await EncounterAsync(id, "review-conference", _clock.Now.AddHours(-3), [Agency("police", true, true)],
            [new { url = "urn:sharinghub:fhir:conference-decision", valueCode = "continue-plan" }]);
        Assert.True(reviewed == HttpStatusCode.Created, reviewBody.ToString());
        Assert.Equal([("review-conference", new DateTimeOffset(2027, 10, 5, 11, 0, 0, TimeSpan.Zero), false)], Due(await CaseAsync(id, "child-protection-plan")));

        // The next review ends the plan: the case closes, and after the grace period the core group reads nothing more.
        _clock.Now = new DateTimeOffset(2027, 9, 28, 14, 0, 0, TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, (await LeadAsync($"/enquiries/{id}/conferences", new
        {
            kind = "review", heldAt = _clock.Now.AddHours(-3), attendance = new[] { new { agency = "health", attended = true, report = true } }, decision = "end-plan",
        })).Status);
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, health, id, "child-protection-plan"));
        var ended = Assert.Single(await FhirSearchAsync($"/fhir/CarePlan?_id={id}", health, "child-protection-plan", id));
        Assert.Equal(("completed", "2027-09-28T11:00:00.000Z"), (ended.GetProperty("status").GetString(), ended.GetProperty("period").GetProperty("end").GetString()));
        Assert.False(ended.TryGetProperty("activity", out _));
        await using (var states = _hub.Contexts.Create())
        {
            Assert.Equal(new DateTimeOffset(2027, 9, 28, 11, 0, 0, TimeSpan.Zero), (await states.States.AsNoTracking().SingleAsync(s => s.Id == flag.Id)).EndedAt);
        }
        _clock.Advance(TimeSpan.FromHours(25));
        Assert.NotEqual(HttpStatusCode.OK, await ReadVisit(c, health, id, "child-protection-plan"));
        Assert.Null(await OversightOfAsync(id));
        await using var db = _hub.Contexts.Create();
        var closed = await db.Enquiries.FirstOrDefaultAsync(e => e.Id == id);
        Assert.Equal((Core.Records.EnquiryStatus.Closed, Core.Records.EnquiryOutcome.PlanEnded), (closed!.Status, closed.Outcome));
    }

    [Fact]
    public async Task Given_a_person_their_agency_has_not_nominated_to_the_macpt_then_no_case_takes_them_until_it_does_and_none_after_it_ends()
    {
        var c = await _hub.CaseAsync();
        const string officer = "demo-police-front-door";
        object Open() => new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } }, grounds = "Disclosure at school",
            members = new[] { new { agency = "police", user = officer, role = "police" } },
        };

        var (refused, why) = await LeadAsync("/enquiries", Open());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Contains("police/demo-police-front-door is not nominated to the MACPT", why, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await LeadAsync("/strategy-discussions", Open())).Status);

        // The police nominations lead nominates the officer; the council's lead practitioner sees it in the directory.
        using var nominated = await _hub.SendAsync(HttpMethod.Post, "/macpt/nominations", "demo-police-nominator", content: JsonContent.Create(new { user = officer, role = "police" }));
        Assert.Equal(HttpStatusCode.Created, nominated.StatusCode);
        var nomination = (await FhirTestHub.JsonAsync(nominated)).GetProperty("id").GetGuid();
        using (var directory = await _hub.GetAsync("/macpt/nominations", "demo-la-lcpp"))
        {
            Assert.Contains((await FhirTestHub.JsonAsync(directory)).GetProperty("nominations").EnumerateArray(),
                n => n.GetProperty("user").GetString() == officer && n.GetProperty("agency").GetString() == "police");
        }
        var (opened, body) = await LeadAsync("/enquiries", Open());
        Assert.True(opened == HttpStatusCode.Created, body);

        // Only the officer's own agency ends the nomination; nobody else nominates for it, and practitioners do not nominate.
        using (var otherAgency = await _hub.SendAsync(HttpMethod.Delete, $"/macpt/nominations/{nomination}", "demo-health-nominator"))
        {
            Assert.Equal(HttpStatusCode.NotFound, otherAgency.StatusCode);
        }
        using (var practitioner = await _hub.SendAsync(HttpMethod.Post, "/macpt/nominations", "demo-police-officer", content: JsonContent.Create(new { user = "someone-else", role = "police" })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, practitioner.StatusCode);
        }
        using (var ended = await _hub.SendAsync(HttpMethod.Delete, $"/macpt/nominations/{nomination}", "demo-police-nominator"))
        {
            Assert.Equal(HttpStatusCode.OK, ended.StatusCode);
        }
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await LeadAsync("/enquiries", Open())).Status);
        var id = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await LeadAsync($"/enquiries/{id}/members", new { agency = "police", user = officer, role = "police" })).Status);
    }

    [Fact]
    public async Task Given_the_lead_handed_to_another_lcpp_then_only_the_new_lead_leads_and_the_former_lead_leaves_the_case()
    {
        var c = await _hub.CaseAsync();
        var (_, body) = await LeadAsync("/enquiries", new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } }, grounds = "Disclosure at school",
            members = new[] { new { agency = "police", user = "demo-police-officer", role = "police" } },
        });
        var id = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();

        // Handed over by the lead's system through the OData action (the same handler as /enquiries/{id}/lead).
        var (handed, handedBody, _) = await ActionAsync(id, "handOverLead", new { user = "demo-la-chair" });
        Assert.True(handed == HttpStatusCode.NoContent, handedBody);

        // The former lead no longer leads, nor reads: the case is not theirs to change or see.
        Assert.Equal(HttpStatusCode.NotFound, (await LeadAsync($"/enquiries/{id}/members", new { agency = "health", user = "demo-health-practitioner", role = "health" })).Status);
        Assert.NotEqual(HttpStatusCode.OK, await ReadVisit(c, "demo-la-lcpp", id));
        using (var added = await _hub.SendAsync(HttpMethod.Post, $"/enquiries/{id}/members", "demo-la-chair",
            content: JsonContent.Create(new { agency = "health", user = "demo-health-practitioner", role = "health" })))
        {
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }
        using var read = await _hub.GetAsync($"/enquiries/{id}", "demo-la-chair", "s47-enquiry", id);
        var view = await FhirTestHub.JsonAsync(read);
        Assert.Equal("demo-la-chair", view.GetProperty("lead").GetString());
        // The history stays: who led first, and when they left.
        var former = view.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("user").GetString() == "demo-la-lcpp");
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, former.GetProperty("removedAt").ValueKind);
    }

    [Fact]
    public async Task Given_a_strategy_discussion_that_decides_no_further_action_then_no_section_47_enquiry_starts_and_its_access_ends()
    {
        var c = await _hub.CaseAsync();
        // Convened and decided by the lead's system through OData actions (the same handlers as /strategy-discussions).
        using var convened = await _hub.SendAsync(HttpMethod.Post, "/odata/Enquiries/SharingHub.conveneStrategyDiscussion", "demo-la-lcpp", content: JsonContent.Create(new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } },
            grounds = "A fall reported by a neighbour",
            members = new[] { new { agency = "police", user = "demo-police-officer", role = "police" } },
        }));
        Assert.True(convened.StatusCode == HttpStatusCode.NoContent, await convened.Content.ReadAsStringAsync());
        var id = Guid.Parse(System.Text.RegularExpressions.Regex.Match(convened.Headers.Location!.ToString(), @"Enquiries\(([0-9a-f-]{36})\)$").Groups[1].Value);
        using (var outsider = await _hub.SendAsync(HttpMethod.Post, "/odata/Enquiries/SharingHub.conveneStrategyDiscussion", "demo-police-officer", content: JsonContent.Create(new { grounds = "x" })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        }

        // Decided by the lead's system through the OData action bound to the case.
        var (decided, why, _) = await ActionAsync(id, "decideStrategyDiscussion", new { decision = "no-further-action", reasons = "The GP saw the fall the same day" });

        Assert.True(decided == HttpStatusCode.NoContent, why);
        await using var db = _hub.Contexts.Create();
        var discussion = await db.Enquiries.FirstOrDefaultAsync(e => e.Id == id);
        Assert.Equal((Core.Records.EnquiryStatus.Closed, Core.Records.CaseStage.StrategyDiscussion, (DateTimeOffset?)null, Core.Records.EnquiryOutcome.NoFurtherAction),
            (discussion!.Status, discussion.Stage, discussion.Section47StartedAt, discussion.Outcome));
        // Never a section 47 case: its purpose was never available, and the lead cannot close it as an enquiry either.
        Assert.NotEqual(HttpStatusCode.OK, await ReadVisit(c, "demo-police-officer", id));
        Assert.Equal(HttpStatusCode.Conflict, (await LeadAsync($"/enquiries/{id}/close", new { outcome = "childProtectionConference" })).Status);
        Assert.Null(await OversightOfAsync(id));
    }

    private async Task<string> ReferAsync(CaseRecords c, string concern)
    {
        using var referred = await _hub.SendAsync(HttpMethod.Post, "/fhir/Task", "demo-police-front-door", content: JsonContent.Create(new
        {
            resourceType = "Task", status = "requested", intent = "order",
            code = new { coding = new[] { new { system = "urn:sharinghub:task", code = "referral" } } },
            @for = new { reference = $"Patient/{c.PoliceChild.Id}" }, description = concern,
        }, FhirJson));
        Assert.Equal(HttpStatusCode.Created, referred.StatusCode);
        return referred.Headers.Location!.ToString().Split('/')[^3];
    }

    private async Task<HttpStatusCode> DecideAsync(string referral, string decision)
    {
        using var decided = await _hub.SendAsync(HttpMethod.Post, $"/fhir/Task/{referral}/$decide", "demo-la-front-door", "front-door-triage",
            content: JsonContent.Create(new { resourceType = "Parameters", parameter = new[] { new { name = "decision", valueCode = decision } } }, FhirJson));
        return decided.StatusCode;
    }

    [Fact]
    public async Task Given_a_case_from_referral_to_closure_then_deadlines_and_access_follow_the_clock()
    {
        var c = await _hub.CaseAsync();

        // Friday afternoon: police refer. Due one working day later: the weekend and the bank holiday do not count.
        var referral = await ReferAsync(c, "Child found alone at night");
        using (var task = await _hub.GetAsync($"/fhir/Task/{referral}", "demo-police-front-door", "front-door-triage"))
        {
            var due = (await FhirTestHub.JsonAsync(task)).GetProperty("restriction").GetProperty("period").GetProperty("end").GetString();
            Assert.Equal("2026-09-01T14:30:00.000Z", due);
        }

        _clock.Now = new DateTimeOffset(2026, 8, 31, 11, 0, 0, TimeSpan.Zero);
        Assert.Equal(0, await OverdueCount());
        _clock.Now = new DateTimeOffset(2026, 9, 1, 15, 0, 0, TimeSpan.Zero);
        Assert.Equal(1, await OverdueCount());

        Assert.Equal(HttpStatusCode.OK, await DecideAsync(referral, "section47Enquiry"));
        Assert.Equal(0, await OverdueCount());

        // A second referral, decided within its working day, is never overdue.
        var onTime = await ReferAsync(c, "Education welfare concern");
        _clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal(HttpStatusCode.OK, await DecideAsync(onTime, "familyHelp"));
        _clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(0, await OverdueCount());
        _clock.Now = new DateTimeOffset(2026, 9, 1, 16, 0, 0, TimeSpan.Zero);

        // The strategy discussion opens the enquiry, following the front door's decision; members read the child's council records from now on.
        _clock.Advance(TimeSpan.FromHours(1));
        object Open(string from) => new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } },
            grounds = "Child found alone at night; previous concerns",
            members = new[] { new { agency = "police", user = "demo-police-officer", role = "police" }, new { agency = "education", user = "demo-education-lead", role = "education" } },
            referral = Guid.Parse(from),
        };
        // A referral the front door sent to Family Help is not one a section 47 enquiry follows from.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await LeadAsync("/enquiries", Open(onTime))).Status);
        using var opened = await _hub.SendAsync(HttpMethod.Post, "/enquiries", "demo-la-lcpp", content: JsonContent.Create(Open(referral)));
        var enquiry = (await FhirTestHub.JsonAsync(opened)).GetProperty("id").GetGuid();
        Assert.Equal(Guid.Parse(referral), (await CaseAsync(enquiry, "s47-enquiry")).GetProperty("journey").GetProperty("referral").GetGuid());
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, "demo-police-officer", enquiry));
        // Health is not in the enquiry and not yet asked by it: the enquiry's purpose is not its to use.
        Assert.Equal(HttpStatusCode.Forbidden, await ReadVisit(c, "demo-health-practitioner", enquiry));

        using (var meeting = await _hub.SendAsync(HttpMethod.Post, $"/enquiries/{enquiry}/strategy-meetings", "demo-la-lcpp", content: JsonContent.Create(new
        {
            heldAt = _clock.Now.AddMinutes(-30),
            attendees = new[] { new { agency = "la", user = "demo-la-lcpp", role = "lcpp" }, new { agency = "police", user = "demo-police-officer", role = "police" } },
            contributions = new[] { new { agency = "police", summary = "Two call-outs to the address in August" } },
            decisions = "Joint visit tomorrow; ask health for records",
        })))
        {
            Assert.Equal(HttpStatusCode.Created, meeting.StatusCode);
        }

        using var asked = await _hub.SendAsync(HttpMethod.Post, $"/enquiries/{enquiry}/information-requests", "demo-la-lcpp",
            content: JsonContent.Create(new { agency = "health", question = "Health visiting and GP contacts for the household?" }));
        var request = await FhirTestHub.JsonAsync(asked);
        Assert.Equal(new DateTimeOffset(2026, 9, 2, 16, 0, 0, TimeSpan.Zero), request.GetProperty("dueAt").GetDateTimeOffset());
        _clock.Advance(TimeSpan.FromHours(20));
        using (var refusal = await _hub.SendAsync(HttpMethod.Post, $"/information-requests/{request.GetProperty("id").GetGuid()}/responses", "demo-health-practitioner",
            content: JsonContent.Create(new { kind = "heldNotShared", reason = "Needs the named GP's review; will answer by Friday" })))
        {
            Assert.Equal(HttpStatusCode.Created, refusal.StatusCode);
        }

        // Closure starts the 24-hour grace period; after it, members read nothing more.
        using (var closed = await _hub.SendAsync(HttpMethod.Post, $"/enquiries/{enquiry}/close", "demo-la-lcpp", content: JsonContent.Create(new { outcome = "familyHelp" })))
        {
            Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        }
        _clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, "demo-education-lead", enquiry));
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.NotFound, await ReadVisit(c, "demo-education-lead", enquiry));
        Assert.Equal(HttpStatusCode.NotFound, await ReadVisit(c, "demo-police-officer", enquiry));
    }
}

public sealed class SqliteCaseWalkTests() : CaseWalkTests(DatabaseEngine.Sqlite)
{
    [Fact]
    public async Task Given_a_backlog_of_overdue_cases_being_escalated_then_a_request_answers_after_one_case_not_after_the_backlog()
    {
        // A hub restarted on a backlog: SQLite has one write lock, and every request's audit entry needs it before the request answers.
        const int backlog = 40;
        for (var i = 0; i < backlog; i++)
        {
            await AddOverdueCaseAsync(i);
        }
        var turns = Hub.Services.GetRequiredService<SqliteWriteTurns>();
        var escalation = Hub.Services.GetRequiredService<global::SharingHub.Server.Notifications.OverdueEscalation>();
        async Task WaitersAsync(int expected, string who)
        {
            for (var waited = System.Diagnostics.Stopwatch.StartNew(); turns.Waiting < expected; await Task.Delay(5))
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), $"{who} never waited for a turn at the write lock ({turns.Waiting} waiting)");
            }
        }
        Task<int> escalating;
        Task<HttpResponseMessage> answering;
        // Another writer holds the lock: the escalation asks first, then a practitioner's request for its audit entry.
        using (await turns.TakeAsync(CancellationToken.None))
        {
            escalating = Task.Run(() => escalation.EscalateAsync(CancellationToken.None));
            await WaitersAsync(1, "the escalation");
            answering = Hub.GetAsync("/fhir/Task?code=referral&business-status=overdue", "demo-la-front-door", "front-door-triage");
            await WaitersAsync(2, "the request's audit entry");
            Assert.False(answering.IsCompleted, "the request answered before its audit entry could be committed");
        }
        // The next turn is the test's own, queued right away: behind the escalation's first case and the request's entry, ahead of
        // the rest of the backlog. Holding it, the test counts what was escalated before the entry and sees the request answer.
        int toldBefore;
        using (await turns.TakeAsync(CancellationToken.None))
        {
            toldBefore = (await OverdueNoticesAsync()).Count;
            using var answered = await answering;
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        // Escalated one case a transaction, the request's entry waited for one case, not the backlog (a page a transaction: all 40).
        Assert.True(toldBefore < backlog / 2, $"the request's entry waited for {toldBefore} of the {backlog} cases to be escalated");
        // And the whole backlog is escalated, each case once.
        Assert.Equal(backlog, await escalating);
        Assert.Equal(backlog, (await OverdueNoticesAsync()).Count);
    }
}

public sealed class PostgresCaseWalkTests() : CaseWalkTests(DatabaseEngine.Postgres);
