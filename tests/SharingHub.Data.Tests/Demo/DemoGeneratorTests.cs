using System.Text.Json;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Demo;

namespace SharingHub.Data.Tests.Demo;

public sealed class DemoGeneratorTests
{
    private static string Snapshot(DemoOptions options) =>
        JsonSerializer.Serialize(new DemoGenerator(options).Generate().ToList(), new JsonSerializerOptions { IncludeFields = true });

    [Fact]
    public void Given_the_same_seed_when_generated_twice_then_the_data_is_identical() =>
        Assert.Equal(Snapshot(new DemoOptions { Seed = 7, Families = 5 }), Snapshot(new DemoOptions { Seed = 7, Families = 5 }));

    [Fact]
    public void Given_another_seed_when_generated_then_the_data_differs() =>
        Assert.NotEqual(Snapshot(new DemoOptions { Seed = 7, Families = 5 }), Snapshot(new DemoOptions { Seed = 8, Families = 5 }));

    [Fact]
    public void Given_a_family_when_regenerated_alone_then_it_equals_the_same_family_from_a_full_run()
    {
        var options = new DemoOptions { Seed = 11, Families = 6 };
        var full = new DemoGenerator(options).Generate().ToList();
        Assert.Equal(JsonSerializer.Serialize(full[4]), JsonSerializer.Serialize(new DemoGenerator(options).GenerateFamily(4)));
    }

    [Fact]
    public void Given_the_default_demo_then_no_text_has_a_hole_where_a_name_should_be_and_no_closed_involvement_ends_after_the_anchor()
    {
        var options = new DemoOptions();
        var families = new DemoGenerator(options).Generate().ToList();
        var texts = families.SelectMany(f => f.Events).SelectMany(e => new[] { e.Summary, e.Detail }).ToList();

        Assert.DoesNotContain(texts, t => t.Contains(" . ", StringComparison.Ordinal) || t.Contains("by .", StringComparison.Ordinal)
            || t.Contains("  ", StringComparison.Ordinal) || t.StartsWith(' ') || t.Contains('{', StringComparison.Ordinal));
        Assert.All(families.SelectMany(f => f.Involvements).Where(i => i.EndedAt is not null),
            i => Assert.True(i.EndedAt <= options.Anchor && i.EndedAt >= i.StartedAt, $"{i.Service}: {i.StartedAt:d} to {i.EndedAt:d}"));
    }

    [Theory]
    [InlineData(20261122)]
    [InlineData(7)]
    [InlineData(12345)]
    public void Given_any_seed_then_the_first_family_shows_the_policy_refuge_intelligence_mental_health_a_refusal_and_an_erasure_in_the_newest_enquiry(int seed)
    {
        var families = new DemoGenerator(new DemoOptions { Seed = seed, Families = 8 }).Generate().ToList();
        var first = families[0];
        var mother = first.People.Where(p => p.IndividualKey.EndsWith("-mother", StringComparison.Ordinal)).ToList();

        Assert.True(first.Households.Single().IsRefuge);
        Assert.All(mother, p => Assert.True(p.AddressConfidential));
        var police = Assert.Single(mother, p => p.Agency == "police");
        var health = Assert.Single(mother, p => p.Agency == "health");
        Assert.Contains(first.Events, e => e.DataClass == "police.intelligence" && e.SubjectIds.Contains(police.Id));
        Assert.Contains(first.Events, e => e.DataClass == "health.mental-health" && e.SubjectIds.Contains(health.Id));
        Assert.Contains(first.Consents, c => c.Decision == ConsentDecision.Deny && c.Status == ConsentStatus.Active);
        Assert.Equal(health.Id, Assert.Single(first.Erasures).PersonId);
        Assert.All(families.Skip(1), f => Assert.Empty(f.Erasures));
        var newest = families.SelectMany(f => f.Enquiries).Where(e => e.Status == EnquiryStatus.Open).MaxBy(e => e.OpenedAt);
        Assert.Equal(first.Enquiries.Single().Id, newest!.Id);
    }

    [Fact]
    public void Given_the_default_demo_then_every_agency_holds_records_and_the_chronology_runs_to_hundreds_of_events()
    {
        var families = new DemoGenerator(new DemoOptions()).Generate().ToList();
        var agencies = families.SelectMany(f => f.People).Select(p => p.Agency).ToHashSet();
        Assert.Equal(["education", "health", "la", "police", "probation"], agencies.Order());
        Assert.InRange(families.Sum(f => f.Events.Count), 200, 2000);
        var categories = families.SelectMany(f => f.Events).Select(e => e.Category).ToHashSet();
        Assert.Contains("missing-episode", categories);
        Assert.Contains("ae-attendance", categories);
        Assert.Contains("domestic-abuse-incident", categories);
        Assert.Contains("exclusion", categories);
        Assert.Contains("probation-contact", categories);
    }

    [Fact]
    public void Given_generated_identifiers_then_each_passes_its_agency_check_and_nhs_numbers_are_in_the_test_range()
    {
        var identifiers = new DemoGenerator(new DemoOptions { Seed = 3, Families = 40 }).Generate()
            .SelectMany(f => f.People).SelectMany(p => p.Identifiers).ToList();
        Assert.All(identifiers, i => Assert.True(AgencyIdentifiers.IsValid(i.Kind, i.Value), $"{i.Kind} {i.Value}"));
        Assert.All(identifiers.Where(i => i.Kind == IdentifierKind.NhsNumber), i => Assert.StartsWith("999", i.Value, StringComparison.Ordinal));
        Assert.Equal(5, identifiers.Select(i => i.Kind).Distinct().Count());
    }

    [Fact]
    public void Given_thousands_of_families_then_each_person_has_one_nhs_number_that_no_other_person_shares()
    {
        // Drawn at random, 3,000 families (about 12,600 people) gave about 90 pairs of unrelated people one number between them.
        var health = new DemoGenerator(new DemoOptions { Seed = 5, Families = 3_000 }).Generate()
            .SelectMany(f => f.People).Where(p => p.Agency == "health")
            .Select(p => (p.IndividualKey, Nhs: Assert.Single(p.Identifiers, i => i.Kind == IdentifierKind.NhsNumber).Value)).ToList();

        Assert.All(health.GroupBy(h => h.Nhs), g => Assert.Single(g.Select(h => h.IndividualKey).Distinct()));
        Assert.All(health, h => Assert.True(AgencyIdentifiers.IsValid(IdentifierKind.NhsNumber, h.Nhs), h.Nhs));
        // A benchmark's own people, counted from the top of the range, meet none of them.
        var benchmarks = Enumerable.Range(0, 10_000).Select(n => SyntheticNhsNumbers.NthFromTop(n)).ToHashSet();
        Assert.DoesNotContain(health, h => benchmarks.Contains(h.Nhs));
    }

    [Fact]
    public void Given_one_individual_known_to_several_agencies_then_some_records_disagree_on_spelling_as_real_data_does()
    {
        var people = new DemoGenerator(new DemoOptions { Seed = 5, Families = 40 }).Generate().SelectMany(f => f.People).ToList();
        var variants = people.GroupBy(p => p.IndividualKey)
            .Count(g => g.Select(p => (p.GivenName, p.FamilyName, p.BirthDate)).Distinct().Count() > 1);
        Assert.True(variants > 5, $"only {variants} individuals have differing records across agencies");
    }

    [Fact]
    public void Given_a_benchmark_size_when_asked_for_by_event_count_then_the_total_is_close_to_it()
    {
        var options = DemoOptions.ForEventCount(10_000, seed: 1);
        var total = new DemoGenerator(options).Generate().Sum(f => f.Events.Count);
        Assert.InRange(total, 9_000, 11_000);
    }
}
