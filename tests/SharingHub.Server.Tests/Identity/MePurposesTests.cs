using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Identity;

/// <summary>A practitioner sees, for each purpose they may name, the lawful basis of sharing under their agency's regime and where it is set out (issue 21).</summary>
public sealed class MePurposesTests() : HubTest(DatabaseEngine.Sqlite)
{
    [Theory]
    [InlineData("demo-police-officer", "s47-enquiry", "DPA 2018 Part 3", "https://www.legislation.gov.uk/ukpga/1989/41/section/47")]
    [InlineData("demo-education-fhlp", "family-help", "not as the lawful basis", "https://www.gov.uk/government/publications/safeguarding-practitioners-information-sharing-advice")]
    [InlineData("demo-la-fhlp", "family-help", "6(1)(e) public task", "https://www.legislation.gov.uk/ukpga/1989/41/section/17")]
    public async Task Given_a_practitioner_then_me_names_each_purposes_lawful_basis_for_their_agency_and_its_sources(string user, string code, string basis, string source)
    {
        using var me = await Hub.GetAsync("/me", user);

        var purpose = (await FhirTestHub.JsonAsync(me)).GetProperty("purposes").EnumerateArray().Single(p => p.GetProperty("code").GetString() == code);
        Assert.Contains(basis, purpose.GetProperty("lawfulBasis").GetString(), StringComparison.Ordinal);
        Assert.Contains(source, purpose.GetProperty("sources").EnumerateArray().Select(s => s.GetString()));
    }

    [Theory]
    [InlineData("demo-education-dsl", "child-protection-plan family-help s47-enquiry strategy-meeting")]
    [InlineData("demo-health-nurse", "child-protection-plan s47-enquiry strategy-meeting")]
    [InlineData("demo-la-team-manager", "front-door-triage statistics")]
    [InlineData("demo-la-fgdm-coordinator", "fgdm")]
    [InlineData("demo-la-chair", "child-protection-plan s47-enquiry strategy-meeting")]
    [InlineData("demo-la-analyst", "statistics")]
    public async Task Given_roles_as_the_work_has_them_then_each_may_name_only_the_purposes_agencies_yaml_gives_it(string user, string purposes)
    {
        using var me = await Hub.GetAsync("/me", user);

        var named = (await FhirTestHub.JsonAsync(me)).GetProperty("purposes").EnumerateArray().Select(p => p.GetProperty("code").GetString());
        Assert.Equal(purposes, string.Join(' ', named));
    }

    [Fact]
    public async Task Given_a_schools_lead_then_me_names_their_school_and_the_audit_records_the_school_they_acted_for()
    {
        using var me = await Hub.GetAsync("/me", "demo-education-lead");

        var organisation = (await FhirTestHub.JsonAsync(me)).GetProperty("organisation");
        Assert.Equal(("school-hillside", "Hillside Primary School", "urn", "900001"), (organisation.GetProperty("code").GetString(),
            organisation.GetProperty("name").GetString(), organisation.GetProperty("scheme").GetString(), organisation.GetProperty("id").GetString()));
        var requestId = me.Headers.GetValues("X-Request-Id").Single();
        await using var db = Hub.Contexts.Create();
        var entry = Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.AuditEntries, a => a.RequestId == requestId);
        Assert.Equal(("education", "school-hillside"), ((await entry).Agency, (await entry).Organisation));
    }
}
