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
}
