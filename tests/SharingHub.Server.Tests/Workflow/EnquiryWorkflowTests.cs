using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Workflow;

/// <summary>A section 47 enquiry end to end over HTTP: opened, members added and removed, information asked and answered (with a recorded refusal), closed; access follows each step.</summary>
public abstract class EnquiryWorkflowTests(DatabaseEngine engine) : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string user, object? body = null, string? purpose = null, Guid? enquiry = null) =>
        _hub.SendAsync(method, path, user, purpose, enquiry, body is null ? null : JsonContent.Create(body));

    private async Task<HttpStatusCode> ReadVisit(CaseRecords c, string user, Guid enquiry)
    {
        using var response = await _hub.GetAsync($"/fhir/Observation/{c.LaVisit.Id}", user, "s47-enquiry", enquiry);
        return response.StatusCode;
    }

    [Fact]
    public async Task Given_an_enquiry_opened_by_the_lcpp_then_access_appears_and_disappears_for_each_member_at_the_right_moments()
    {
        var c = await _hub.CaseAsync();
        using var opened = await Send(HttpMethod.Post, "/enquiries", "demo-la-lcpp", new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } },
            grounds = "Disclosure of physical harm; bruising seen at school",
            members = new[] { new { agency = "police", user = "demo-police-officer", role = "police" }, new { agency = "education", user = "demo-education-lead", role = "education" } },
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var openedBody = await FhirTestHub.JsonAsync(opened);
        var enquiry = openedBody.GetProperty("id").GetGuid();
        Assert.Equal(["health"], openedBody.GetProperty("missingMembers").EnumerateArray().Select(m => m.GetString()));

        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, "demo-police-officer", enquiry));
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, "demo-education-lead", enquiry));
        // Health is neither a member nor asked yet: the enquiry's purpose is refused before anything is read.
        Assert.Equal(HttpStatusCode.Forbidden, await ReadVisit(c, "demo-health-practitioner", enquiry));

        using var asked = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/information-requests", "demo-la-lcpp", new { agency = "health", question = "What does health hold about the child and household?" });
        Assert.Equal(HttpStatusCode.Created, asked.StatusCode);
        var request = (await FhirTestHub.JsonAsync(asked)).GetProperty("id").GetGuid();

        // Health is asked, not a member: it sees the question addressed to it, and still not the council's records.
        using var inbox = await _hub.GetAsync($"/fhir/Task?_id={request}", "demo-health-practitioner", "s47-enquiry", enquiry);
        var task = Assert.Single((await FhirTestHub.JsonAsync(inbox)).GetProperty("entry").EnumerateArray()).GetProperty("resource");
        Assert.Equal("What does health hold about the child and household?", task.GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.NotFound, await ReadVisit(c, "demo-health-practitioner", enquiry));

        using var refusal = await Send(HttpMethod.Post, $"/information-requests/{request}/responses", "demo-health-practitioner", new { kind = "heldNotShared" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refusal.StatusCode);
        using var answered = await Send(HttpMethod.Post, $"/information-requests/{request}/responses", "demo-health-practitioner",
            new { kind = "heldNotShared", reason = "Held, but the parent's mental health records need the clinician's review first" });
        Assert.Equal(HttpStatusCode.Created, answered.StatusCode);
        using var twice = await Send(HttpMethod.Post, $"/information-requests/{request}/responses", "demo-health-practitioner", new { kind = "nothingHeld" });
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        using var byPolice = await Send(HttpMethod.Post, $"/information-requests/{request}/responses", "demo-police-officer", new { kind = "nothingHeld" });
        Assert.Equal(HttpStatusCode.NotFound, byPolice.StatusCode);

        using var lcppView = await _hub.GetAsync($"/fhir/Task?_id={request}", "demo-la-lcpp", "s47-enquiry", enquiry);
        var answeredTask = Assert.Single((await FhirTestHub.JsonAsync(lcppView)).GetProperty("entry").EnumerateArray()).GetProperty("resource");
        Assert.Equal("completed", answeredTask.GetProperty("status").GetString());
        Assert.Contains("clinician's review", answeredTask.GetProperty("output")[0].GetProperty("valueString").GetString(), StringComparison.Ordinal);

        var police = await MemberId(enquiry, "demo-police-officer");
        using var removed = await Send(HttpMethod.Delete, $"/enquiries/{enquiry}/members/{police}", "demo-la-lcpp");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, await ReadVisit(c, "demo-police-officer", enquiry));
        Assert.Equal(HttpStatusCode.OK, await ReadVisit(c, "demo-education-lead", enquiry));

        // The front door may not lead enquiries at all (policy action enquiry.lead): refused before anything is read.
        using var notLead = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/close", "demo-la-front-door", new { outcome = "familyHelp" });
        Assert.Equal(HttpStatusCode.Forbidden, notLead.StatusCode);
        using var badOutcome = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/close", "demo-la-lcpp", new { outcome = "maybe" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badOutcome.StatusCode);
        using var closed = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/close", "demo-la-lcpp", new { outcome = "noFurtherAction" });
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await ReadVisit(c, "demo-education-lead", enquiry));
        using var afterClose = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/members", "demo-la-lcpp", new { agency = "probation", user = "demo-probation-officer", role = "probation" });
        Assert.Equal(HttpStatusCode.Conflict, afterClose.StatusCode);
    }

    [Fact]
    public async Task Given_the_enquiry_closed_then_its_open_information_request_can_no_longer_be_answered_and_nothing_is_stored()
    {
        var c = await _hub.CaseAsync();
        using var asked = await Send(HttpMethod.Post, $"/enquiries/{c.Enquiry.Id}/information-requests", "demo-la-lcpp", new { agency = "health", question = "GP contacts?" });
        var request = (await FhirTestHub.JsonAsync(asked)).GetProperty("id").GetGuid();
        using (var closed = await Send(HttpMethod.Post, $"/enquiries/{c.Enquiry.Id}/close", "demo-la-lcpp", new { outcome = "noFurtherAction" }))
        {
            Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        }

        using var late = await Send(HttpMethod.Post, $"/information-requests/{request}/responses", "demo-health-practitioner",
            new { kind = "provided", content = "Three GP visits in September" });

        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("closed", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var db = _hub.Contexts.Create();
        Assert.False(await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AnyAsync(db.InformationResponses, r => r.RequestId == request));
    }

    [Fact]
    public async Task Given_an_opened_enquiry_then_its_location_shows_members_with_ids_and_a_member_is_removed_by_that_id()
    {
        var c = await _hub.CaseAsync();
        using var opened = await Send(HttpMethod.Post, "/enquiries", "demo-la-lcpp", new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } },
            grounds = "Bruising seen at school",
            members = new[] { new { agency = "police", user = "demo-police-officer", role = "police" } },
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var id = (await FhirTestHub.JsonAsync(opened)).GetProperty("id").GetGuid();
        Assert.Equal($"/enquiries/{id}", opened.Headers.Location?.ToString());

        using var read = await Send(HttpMethod.Get, $"/enquiries/{id}", "demo-la-lcpp", purpose: "s47-enquiry", enquiry: id);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var enquiry = await FhirTestHub.JsonAsync(read);
        Assert.Equal("demo-la-lcpp", enquiry.GetProperty("lead").GetString());
        Assert.Equal("Bruising seen at school", enquiry.GetProperty("grounds").GetString());
        var police = enquiry.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("user").GetString() == "demo-police-officer");

        using var removed = await Send(HttpMethod.Delete, $"/enquiries/{id}/members/{police.GetProperty("id").GetGuid()}", "demo-la-lcpp");
        Assert.True(removed.IsSuccessStatusCode, $"{(int)removed.StatusCode}");
        using var after = await Send(HttpMethod.Get, $"/enquiries/{id}", "demo-police-officer", purpose: "s47-enquiry", enquiry: id);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        // The front door, even triaging a referral about the same child, does not read the enquiry.
        using var outsider = await _hub.TriageAsync($"/enquiries/{id}", "demo-la-front-door", (await _hub.ReferralAsync(c.LaChild)).Id);
        Assert.Equal(HttpStatusCode.NotFound, outsider.StatusCode);
        using var lead = await Send(HttpMethod.Get, $"/enquiries/{id}", "demo-la-lcpp", purpose: "s47-enquiry", enquiry: id);
        Assert.NotEqual(JsonValueKind.Null, (await FhirTestHub.JsonAsync(lead)).GetProperty("members").EnumerateArray()
            .Single(m => m.GetProperty("user").GetString() == "demo-police-officer").GetProperty("removedAt").ValueKind);
    }

    [Fact]
    public async Task Given_bad_requests_to_open_an_enquiry_then_each_is_refused_with_its_reason_and_nothing_is_stored()
    {
        var c = await _hub.CaseAsync();
        using var notLcpp = await Send(HttpMethod.Post, "/enquiries", "demo-la-front-door", new { subjects = new[] { new { person = c.LaChild.Id, role = "child" } }, grounds = "x" });
        using var noChild = await Send(HttpMethod.Post, "/enquiries", "demo-la-lcpp", new { subjects = new[] { new { person = c.LaChild.Id, role = "household" } }, grounds = "x" });
        using var unknownPerson = await Send(HttpMethod.Post, "/enquiries", "demo-la-lcpp", new { subjects = new[] { new { person = Guid.NewGuid(), role = "child" } }, grounds = "x" });
        using var badMember = await Send(HttpMethod.Post, "/enquiries", "demo-la-lcpp", new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } }, grounds = "x", members = new[] { new { agency = "fire", user = "u", role = "r" } },
        });

        using var notJson = await _hub.SendAsync(HttpMethod.Post, "/enquiries", "demo-la-lcpp",
            content: new StringContent("{bad json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("JSON", (await FhirTestHub.JsonAsync(notJson)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, notLcpp.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noChild.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknownPerson.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badMember.StatusCode);
        Assert.Contains("'fire' is not an agency", (await FhirTestHub.JsonAsync(badMember)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await using var db = _hub.Contexts.Create();
        Assert.Equal(1, await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Enquiries));
    }

    [Fact]
    public async Task Given_a_body_with_several_errors_then_every_one_is_listed_by_its_field_for_a_page_to_show_together()
    {
        var c = await _hub.CaseAsync();

        using var response = await Send(HttpMethod.Post, "/enquiries", "demo-la-lcpp", new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "parent" } },
            grounds = "",
            members = new[] { new { agency = "fire", user = "u", role = "" } },
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await FhirTestHub.JsonAsync(response)).GetProperty("errors");
        Assert.Equal(["grounds", "members[0].agency", "members[0].role", "subjects", "subjects[0].role"],
            errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Contains("'fire' is not an agency", errors.GetProperty("members[0].agency")[0].GetString(), StringComparison.Ordinal);
    }

    private async Task<Guid> OpenAsync(FhirTestHub hub, CaseRecords c)
    {
        using var opened = await hub.SendAsync(HttpMethod.Post, "/enquiries", "demo-la-lcpp", content: JsonContent.Create(new
        {
            subjects = new[] { new { person = c.LaChild.Id, role = "child" } },
            grounds = "Concerns raised at school",
            members = new[] { new { agency = "education", user = "demo-education-lead", role = "education" } },
        }));
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        return (await FhirTestHub.JsonAsync(opened)).GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task Given_a_strategy_meeting_and_fgdm_recorded_then_members_read_them_and_others_see_nothing()
    {
        var c = await _hub.CaseAsync();
        var enquiry = await OpenAsync(_hub, c);

        using var recorded = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/strategy-meetings", "demo-la-lcpp", new
        {
            heldAt = DateTimeOffset.UtcNow.AddHours(-2),
            attendees = new[] { new { agency = "la", user = "demo-la-lcpp", role = "lcpp" }, new { agency = "education", user = "demo-education-lead", role = "education" } },
            contributions = new[] { new { agency = "education", summary = "Attendance fell to 71% this term; two welfare concerns logged" } },
            decisions = "Proceed with section 47 enquiry; joint visit within 24 hours",
        });
        Assert.Equal(HttpStatusCode.Created, recorded.StatusCode);
        using var future = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/strategy-meetings", "demo-la-lcpp", new
        {
            heldAt = DateTimeOffset.UtcNow.AddDays(2), attendees = new[] { new { agency = "la", user = "demo-la-lcpp", role = "lcpp" } },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, future.StatusCode);
        using var offered = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/fgdm", "demo-la-lcpp", new { decisionPoint = "strategy-meeting", status = "offered" });
        using var accepted = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/fgdm", "demo-la-lcpp", new { decisionPoint = "strategy-meeting", status = "accepted" });
        using var nonsense = await Send(HttpMethod.Post, $"/enquiries/{enquiry}/fgdm", "demo-la-lcpp", new { decisionPoint = "strategy-meeting", status = "maybe" });
        Assert.Equal(HttpStatusCode.OK, offered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, nonsense.StatusCode);

        using var member = await _hub.GetAsync($"/enquiries/{enquiry}/strategy-meetings", "demo-education-lead", "strategy-meeting", enquiry);
        using var outsider = await _hub.GetAsync($"/enquiries/{enquiry}/strategy-meetings", "demo-health-practitioner", "strategy-meeting", enquiry);

        var meeting = Assert.Single((await FhirTestHub.JsonAsync(member)).GetProperty("meetings").EnumerateArray());
        Assert.Equal("Proceed with section 47 enquiry; joint visit within 24 hours", meeting.GetProperty("decisions").GetString());
        Assert.Contains("Attendance fell", meeting.GetProperty("contributions")[0].GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        Assert.DoesNotContain("Attendance", await outsider.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var db = _hub.Contexts.Create();
        var fgdm = db.Set<Core.Records.FgdmDecision>().Where(f => f.EnquiryId == enquiry).OrderBy(f => f.RecordedAt).Select(f => f.Status).ToList();
        Assert.Equal([Core.Records.FgdmStatus.Offered, Core.Records.FgdmStatus.Accepted], fgdm);
    }

    [Fact]
    public async Task Given_an_information_request_past_its_due_time_then_it_escalates_once_to_the_council_and_the_asked_agency()
    {
        var clock = new Testing.ManualClock(new DateTimeOffset(2026, 11, 3, 10, 0, 0, TimeSpan.Zero));
        await using var hub = await FhirTestHub.StartAsync(engine, new Dictionary<string, string?> { ["SharingHub:Notifications:PollSeconds"] = "0.1" }, clock);
        var c = await hub.CaseAsync();
        var enquiry = await OpenAsync(hub, c);
        using var asked = await hub.SendAsync(HttpMethod.Post, $"/enquiries/{enquiry}/information-requests", "demo-la-lcpp",
            content: JsonContent.Create(new { agency = "police", question = "Call-outs to the address this year?" }));
        var request = (await FhirTestHub.JsonAsync(asked)).GetProperty("id").GetGuid();

        async Task<List<string>> Escalations()
        {
            await using var db = hub.Contexts.Create();
            return db.Notifications.Where(n => n.Kind == "information-request.overdue").Select(n => n.Organisation).ToList();
        }
        await Task.Delay(400);
        Assert.Empty(await Escalations());

        clock.Advance(TimeSpan.FromDays(2));
        for (var i = 0; i < 100 && (await Escalations()).Count < 2; i++)
        {
            await Task.Delay(50);
        }
        await Task.Delay(400);

        Assert.Equal(["la", "police"], (await Escalations()).Order(StringComparer.Ordinal));
        await using var check = hub.Contexts.Create();
        Assert.NotNull(check.InformationRequests.Single(r => r.Id == request).EscalatedAt);
    }

    private async Task<Guid> MemberId(Guid enquiry, string user)
    {
        await using var db = _hub.Contexts.Create();
        return db.Set<Core.Records.EnquiryMember>().Single(m => m.EnquiryId == enquiry && m.UserSubject == user).Id;
    }
}

public sealed class SqliteEnquiryWorkflowTests() : EnquiryWorkflowTests(DatabaseEngine.Sqlite);

public sealed class PostgresEnquiryWorkflowTests() : EnquiryWorkflowTests(DatabaseEngine.Postgres);
