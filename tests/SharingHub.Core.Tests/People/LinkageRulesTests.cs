using SharingHub.Core.People;
using SharingHub.Core.Records;

namespace SharingHub.Core.Tests.People;

/// <summary>Who issues each identifier, and how stored links make clusters (the comparisons themselves: FellegiSunterTests).</summary>
public sealed class LinkageRulesTests
{
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
    public void Given_links_a_to_b_and_b_to_c_then_the_cluster_of_a_holds_all_three_and_d_stays_alone()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid(), d = Guid.NewGuid();
        var linked = new LinkedPeople([a, d], [new PersonLink(a, b, LinkBasis.Probabilistic), new PersonLink(b, c, LinkBasis.Confirmed)]);
        Assert.Equal(new HashSet<Guid> { a, b, c }, linked.Of(a));
        Assert.Equal(new HashSet<Guid> { a, b, c }, linked.Of(c));
        Assert.Equal(new HashSet<Guid> { d }, linked.Of(d));
        Assert.Equal(4, linked.Expand([a, d]).Count);
    }

    [Fact]
    public void Given_a_record_of_the_cluster_awaits_review_then_the_whole_cluster_may_be_incomplete_and_another_is_not()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), d = Guid.NewGuid();
        var linked = new LinkedPeople([a, d], [new PersonLink(a, b, LinkBasis.Probabilistic)]) { PendingReview = new HashSet<Guid> { b } };
        Assert.True(linked.MayBeIncomplete(a));
        Assert.False(linked.MayBeIncomplete(d));
    }
    private static LinkageCandidate Record(string agency, params (IdentifierKind Kind, byte Index)[] identifiers) =>
        new(Guid.NewGuid(), agency, PersonKind.Child, "female", [1], [2], null, identifiers.Select(i => (i.Kind, new[] { i.Index })).ToList());

    [Fact]
    public void Given_two_namesakes_records_each_with_its_own_asserted_nhs_number_then_one_individual_holding_both_conflicts()
    {
        var hers = Record("health", (IdentifierKind.NhsNumber, 1));
        var theirs = Record("health", (IdentifierKind.NhsNumber, 2));
        var council = Record("la", (IdentifierKind.LaPersonId, 7));
        Assert.True(LinkageRules.Conflict(new[] { hers, council, theirs }.SelectMany(LinkageRules.Asserted)));
        Assert.False(LinkageRules.Conflict(new[] { hers, council }.SelectMany(LinkageRules.Asserted)));
    }

    [Fact]
    public void Given_a_council_record_claims_another_nhs_number_then_the_claim_neither_conflicts_nor_counts_and_the_same_number_twice_is_one()
    {
        var health = Record("health", (IdentifierKind.NhsNumber, 1));
        var claim = Record("la", (IdentifierKind.NhsNumber, 2), (IdentifierKind.LaPersonId, 7));
        Assert.Equal([(IdentifierKind.LaPersonId, Convert.ToBase64String([7]))], LinkageRules.Asserted(claim));
        Assert.False(LinkageRules.Conflict(new[] { health, claim, Record("health", (IdentifierKind.NhsNumber, 1)) }.SelectMany(LinkageRules.Asserted)));
        Assert.True(LinkageRules.Conflict(new[] { claim, Record("la", (IdentifierKind.LaPersonId, 8)) }.SelectMany(LinkageRules.Asserted)));
    }

    [Fact]
    public void Given_a_record_like_two_namesakes_with_their_own_nhs_numbers_then_linking_it_to_both_conflicts_and_to_one_does_not()
    {
        // 0 and 1: health's records of two children with one name and birth date; 2: the school's record, like both.
        var records = new[] { Record("health", (IdentifierKind.NhsNumber, 1)), Record("health", (IdentifierKind.NhsNumber, 2)), Record("education", (IdentifierKind.Upn, 9)) };
        var individuals = new LinkedIndividuals(records);

        Assert.True(individuals.WouldConflict(2, [0, 1]));
        Assert.False(individuals.WouldConflict(2, [0]));
        individuals.Join(2, 0);
        Assert.True(individuals.Together(0, 2));
        // Through the school's record, now one individual with the first child, the second child's record would join them.
        Assert.True(individuals.WouldConflict(1, [2]));
        Assert.False(individuals.Together(1, 2));
        Assert.False(individuals.WouldConflict(2, [0]));
    }

    [Fact]
    public void Given_a_score_that_would_link_then_held_it_waits_for_review_saying_why_and_other_outcomes_are_unchanged()
    {
        var link = new LinkageScore(LinkageOutcome.Link, 30, 0.999, []);
        var held = LinkageRules.Hold(link);
        Assert.Equal(LinkageOutcome.Review, held.Outcome);
        Assert.Contains("different verified identifiers", held.Veto, StringComparison.Ordinal);
        Assert.Equal(30, held.Weight);
        var review = new LinkageScore(LinkageOutcome.Review, 5, 0.5, []);
        Assert.Same(review, LinkageRules.Hold(review));
    }
}
