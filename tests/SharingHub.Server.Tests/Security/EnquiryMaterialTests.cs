using System.Net;
using System.Net.Http.Json;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Security;

/// <summary>Enquiry material is for the enquiry's members under its purposes, whichever agency employs the reader (issue 18, high).</summary>
public abstract class EnquiryMaterialTests(DatabaseEngine engine) : HubTest(engine)
{

    [Theory]
    [InlineData("demo-la-fhlp", "family-help")]
    [InlineData("demo-la-fhlp", "fgdm")]
    [InlineData("demo-la-front-door", "front-door-triage")]
    public async Task Given_council_staff_outside_the_enquiry_then_its_meetings_grounds_and_requests_are_not_theirs_to_read(string user, string purpose)
    {
        var c = await Hub.CaseAsync();
        using (var meeting = await Hub.SendAsync(HttpMethod.Post, $"/enquiries/{c.Enquiry.Id}/strategy-meetings", "demo-la-lcpp", content: JsonContent.Create(new
        {
            heldAt = DateTimeOffset.UtcNow.AddHours(-1),
            attendees = new[] { new { agency = "la", user = "demo-la-lcpp", role = "lcpp" }, new { agency = "police", user = "demo-police-officer", role = "police" } },
            contributions = new[] { new { agency = "police", summary = "Two call-outs to the address in August" } },
            decisions = "Joint visit tomorrow",
        })))
        {
            Assert.Equal(HttpStatusCode.Created, meeting.StatusCode);
        }
        using (var asked = await Hub.SendAsync(HttpMethod.Post, $"/enquiries/{c.Enquiry.Id}/information-requests", "demo-la-lcpp",
            content: JsonContent.Create(new { agency = "health", question = "GP contacts for the household?" })))
        {
            Assert.Equal(HttpStatusCode.Created, asked.StatusCode);
        }
        using var member = await Hub.GetAsync($"/enquiries/{c.Enquiry.Id}/strategy-meetings", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);
        Assert.Contains("call-outs", await member.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The front door reads for a referral about the child, and still sees nothing of the enquiry.
        var triage = (await Hub.ReferralAsync(c.LaChild)).Id;
        foreach (var path in new[] { $"/enquiries/{c.Enquiry.Id}/strategy-meetings", "/odata/Enquiries", "/odata/InformationRequests", "/odata/StrategyMeetings", $"/fhir/Task?code=information-request&patient=Patient/{c.LaChild.Id}" })
        {
            using var response = purpose == "front-door-triage" ? await Hub.TriageAsync(path, user, triage) : await Hub.GetAsync(path, user, purpose);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
            Assert.DoesNotContain("call-outs", body, StringComparison.Ordinal);
            Assert.DoesNotContain("Joint visit", body, StringComparison.Ordinal);
            Assert.DoesNotContain(c.Enquiry.Reference, body, StringComparison.Ordinal);
            Assert.DoesNotContain("GP contacts", body, StringComparison.Ordinal);
        }
    }
}

public sealed class SqliteEnquiryMaterialTests() : EnquiryMaterialTests(DatabaseEngine.Sqlite);

public sealed class PostgresEnquiryMaterialTests() : EnquiryMaterialTests(DatabaseEngine.Postgres);
