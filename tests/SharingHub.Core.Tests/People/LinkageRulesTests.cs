using SharingHub.Core.People;
using SharingHub.Core.Records;

namespace SharingHub.Core.Tests.People;

public sealed class LinkageRulesTests
{
    private static byte[] H(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    private static LinkageCandidate Record(string agency = "la", string family = "SMITH", string birth = "2015-01-02", string? postcode = "AB11AA",
        string sex = "female", PersonKind kind = PersonKind.Child, params (IdentifierKind, string)[] ids) =>
        new(Guid.NewGuid(), agency, kind, sex, H(family), H(birth), postcode is null ? null : H(postcode), ids.Select(i => (i.Item1, H(i.Item2))).ToList());

    [Fact]
    public void Given_the_same_nhs_number_asserted_by_health_on_both_then_linked_on_the_identifier_even_when_everything_else_differs()
    {
        var a = Record(agency: "health", family: "SMITH", ids: [(IdentifierKind.NhsNumber, "9990001234")]);
        var b = Record(agency: "health", family: "JONES", birth: "2001-01-01", ids: [(IdentifierKind.NhsNumber, "9990001234")]);
        Assert.Equal(LinkBasis.SharedIdentifier, LinkageRules.Compare(a, b));
    }

    [Theory]
    [InlineData("la")]
    [InlineData("police")]
    public void Given_an_nhs_number_asserted_by_another_agency_and_a_different_birth_date_then_not_linked(string claimant)
    {
        var health = Record(agency: "health", family: "SMITH", ids: [(IdentifierKind.NhsNumber, "9990001234")]);
        var claim = Record(agency: claimant, family: "JONES", birth: "2001-01-01", ids: [(IdentifierKind.NhsNumber, "9990001234")]);
        Assert.Null(LinkageRules.Compare(claim, health));
        Assert.Null(LinkageRules.Compare(health, claim));
    }

    [Fact]
    public void Given_an_nhs_number_asserted_by_the_council_with_the_same_birth_date_then_it_supports_a_link_the_names_alone_would_miss()
    {
        var health = Record(agency: "health", family: "BARROS", postcode: null, ids: [(IdentifierKind.NhsNumber, "9990001234")]);
        var council = Record(agency: "la", family: "BARROWS", ids: [(IdentifierKind.NhsNumber, "9990001234")]);
        Assert.Equal(LinkBasis.IdentifierAndBirthDate, LinkageRules.Compare(council, health));
    }

    [Theory]
    [InlineData(IdentifierKind.NhsNumber, "health")]
    [InlineData(IdentifierKind.Upn, "education")]
    [InlineData(IdentifierKind.PncId, "police")]
    [InlineData(IdentifierKind.Crn, "probation")]
    [InlineData(IdentifierKind.LaPersonId, "la")]
    public void Given_each_identifier_kind_then_its_issuer_is_the_agency_that_assigns_it(IdentifierKind kind, string issuer)
    {
        Assert.Equal(issuer, LinkageRules.Issuer(kind));
    }

    [Fact]
    public void Given_the_same_value_under_different_identifier_kinds_then_not_linked()
    {
        var a = Record(birth: "2015-01-01", ids: [(IdentifierKind.LaPersonId, "123456")]);
        var b = Record(birth: "2016-01-01", ids: [(IdentifierKind.Crn, "123456")]);
        Assert.Null(LinkageRules.Compare(a, b));
    }

    [Fact]
    public void Given_family_name_and_birth_date_agree_then_linked_across_agencies()
    {
        Assert.Equal(LinkBasis.NameAndBirthDate, LinkageRules.Compare(Record(agency: "police", postcode: null), Record(agency: "education", postcode: "ZZ99ZZ")));
    }

    [Fact]
    public void Given_a_typo_in_the_family_name_then_birth_date_postcode_and_sex_still_link()
    {
        Assert.Equal(LinkBasis.BirthDatePostcodeAndSex, LinkageRules.Compare(Record(family: "SMITH"), Record(family: "SMTIH")));
    }

    [Theory]
    [InlineData("male")]
    public void Given_a_typo_and_a_different_sex_then_not_linked(string sex)
    {
        Assert.Null(LinkageRules.Compare(Record(family: "SMITH"), Record(family: "SMTIH", sex: sex)));
    }

    [Fact]
    public void Given_a_child_and_an_adult_with_one_name_and_birth_date_then_not_linked()
    {
        Assert.Null(LinkageRules.Compare(Record(kind: PersonKind.Child), Record(kind: PersonKind.Adult)));
    }

    [Fact]
    public void Given_siblings_with_one_name_and_address_but_different_birth_dates_then_not_linked()
    {
        Assert.Null(LinkageRules.Compare(Record(birth: "2015-01-02"), Record(birth: "2017-06-30")));
    }

    [Fact]
    public void Given_links_a_to_b_and_b_to_c_then_the_cluster_of_a_holds_all_three_and_d_stays_alone()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid(), d = Guid.NewGuid();
        var linked = new LinkedPeople([a, d], [new PersonLink(a, b, LinkBasis.NameAndBirthDate), new PersonLink(b, c, LinkBasis.SharedIdentifier)]);
        Assert.Equal(new HashSet<Guid> { a, b, c }, linked.Of(a));
        Assert.Equal(new HashSet<Guid> { a, b, c }, linked.Of(c));
        Assert.Equal(new HashSet<Guid> { d }, linked.Of(d));
        Assert.Equal(4, linked.Expand([a, d]).Count);
    }
}
