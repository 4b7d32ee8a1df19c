using System.Security.Cryptography;
using System.Text;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;

namespace SharingHub.Core.Tests.People;

/// <summary>Probabilistic linkage (issue 22): what each comparison concludes, the hard rules before any score, and estimation.</summary>
public sealed class FellegiSunterTests
{
    private sealed class TestIndexer(byte[] key) : IBlindIndexer
    {
        public byte[] Compute(string purpose, string normalisedValue) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(purpose + "\0" + normalisedValue));
    }

    private static readonly IBlindIndexer Indexer = new TestIndexer(Enumerable.Repeat((byte)7, 32).ToArray());
    private static readonly LinkageEncoder Encoder = new(Indexer);
    private static readonly FellegiSunterModel Model = FellegiSunterModel.Default;

    private static LinkageCandidate Person(string agency, string given, string family, string birth, string? address, string sex = "female",
        PersonKind kind = PersonKind.Child, params (IdentifierKind Kind, string Value)[] ids) => Person(agency, given, family, birth, address, null, sex, kind, ids);

    private static LinkageCandidate Person(string agency, string given, string family, string birth, string? address, string[]? previous, string sex = "female",
        PersonKind kind = PersonKind.Child, params (IdentifierKind Kind, string Value)[] ids)
    {
        var date = DateOnly.Parse(birth, System.Globalization.CultureInfo.InvariantCulture);
        var postcode = AgencyIdentifiers.PostcodeIndexForm(address);
        return new LinkageCandidate(Guid.NewGuid(), agency, kind, sex, Indexer.Compute(PersonSealer.FamilyNamePurpose, NameForms.Normal(family)),
            Indexer.Compute(PersonSealer.BirthDatePurpose, birth), postcode is null ? null : Indexer.Compute(PersonSealer.PostcodePurpose, postcode),
            ids.Select(i => (i.Kind, Indexer.Compute(i.Kind.ToString(), i.Value))).ToList())
        {
            Encoding = Encoder.Encode(given, family, date, address, previous),
        };
    }

    [Fact]
    public void Given_a_family_that_moved_and_one_agency_recording_the_old_address_as_previous_then_the_address_agrees_as_a_previous_one_and_the_pair_links()
    {
        // A common name and a common given name: without the address the pair is not decided.
        var school = Person("education", "Oliver", "Smith", "2015-06-02", "7 New Street, Testtown TE5 2CD", ["4 Mill Lane, Testtown TE1 4AB"], "male");
        var police = Person("police", "Oliver", "Smith", "2015-06-02", "4 Mill Lane, Testtown TE1 4AB", "male");
        var stale = Person("police", "Oliver", "Smith", "2015-06-02", "4 Mill Lane, Testtown TE1 4AB", "male");
        var elsewhere = Person("health", "Oliver", "Smith", "2015-06-02", "9 Low Road, Othertown OT9 9ZZ", "male");
        var schoolWithoutHistory = Person("education", "Oliver", "Smith", "2015-06-02", "7 New Street, Testtown TE5 2CD", "male");

        var area = Model.ForPopulation(1_000_000);   // a million records: a common name and birth date alone are not enough
        var withHistory = area.Score(school, police, familyNameShare: 0.015, givenNameShare: 0.02);
        var withoutHistory = area.Score(schoolWithoutHistory, stale, familyNameShare: 0.015, givenNameShare: 0.02);

        Assert.Equal(1, FellegiSunterModel.Compare(school, police).Postcode);
        Assert.Equal(1, FellegiSunterModel.Compare(police, school).Postcode);
        Assert.Contains(withHistory.Evidence, e => e.Field == LinkageField.Postcode && e.Level == "previous address" && e.Weight > 5);
        Assert.Equal(LinkageOutcome.Link, withHistory.Outcome);
        Assert.True(withHistory.Weight > withoutHistory.Weight + 5);
        Assert.NotEqual(LinkageOutcome.Link, withoutHistory.Outcome);
        // Another address altogether is no previous address.
        Assert.Equal(3, FellegiSunterModel.Compare(school, elsewhere).Postcode);
    }

    [Fact]
    public void Given_an_address_that_changes_then_the_old_postcode_becomes_the_first_previous_one_each_once_and_never_the_current_one()
    {
        byte[] Index(string postcode) => Indexer.Compute(PersonSealer.PostcodePurpose, postcode);
        var (a, b, c, d) = (Index("TE11AA"), Index("TE22BB"), Index("TE33CC"), Index("TE44DD"));

        var moved = LinkageEncoding.History(current: b, moved: a, previous: null);
        var again = LinkageEncoding.History(current: c, moved: b, previous: moved);
        var back = LinkageEncoding.History(current: a, moved: c, previous: again);
        var full = LinkageEncoding.History(current: d, moved: a, previous: [.. c, .. b, .. a]);

        Assert.Equal(a, moved);
        Assert.Equal([.. b, .. a], again!);
        Assert.Equal([.. c, .. b], back!);                 // back at the first address: it is current, not previous
        Assert.Equal([.. a, .. c, .. b], full!);           // at most three, the most recent first
        Assert.Null(LinkageEncoding.History(current: a, moved: null, previous: a));
        Assert.True(new LinkageEncoding(null, null, null, null, null, null, null, null) { PreviousPostcodes = again }.LivedAt(a));
        Assert.False(new LinkageEncoding(null, null, null, null, null, null, null, null) { PreviousPostcodes = again }.LivedAt(c));
    }

    [Fact]
    public void Given_a_model_kept_before_the_postcode_had_its_previous_address_level_then_it_loads_with_the_default_for_that_field_only()
    {
        var kept = System.Text.Json.Nodes.JsonNode.Parse(Model.ToJson())!;
        kept["M"]!["Postcode"] = new System.Text.Json.Nodes.JsonArray(0.7, 0.1, 0.2);
        kept["U"]!["Postcode"] = new System.Text.Json.Nodes.JsonArray(0.01, 0.03, 0.96);
        kept["M"]!["BirthDate"] = new System.Text.Json.Nodes.JsonArray(0.9, 0.05, 0.03, 0.02);

        var loaded = FellegiSunterModel.FromJson(kept.ToJsonString());

        Assert.Equal(FellegiSunterModel.Default.M[LinkageField.Postcode], loaded.M[LinkageField.Postcode]);
        Assert.Equal(FellegiSunterModel.Default.U[LinkageField.Postcode], loaded.U[LinkageField.Postcode]);
        Assert.Equal([0.9, 0.05, 0.03, 0.02], loaded.M[LinkageField.BirthDate]);
    }

    [Fact]
    public void Given_barrows_recorded_as_barros_by_health_without_an_address_then_the_records_link_or_go_to_review_on_the_name_that_sounds_alike()
    {
        var council = Person("la", "Ella", "Barrows", "2017-03-14", "4 Mill Lane, Testtown TE1 4AB");
        var health = Person("health", "Ella", "Barros", "2017-03-14", null);

        var score = Model.Score(council, health);

        Assert.NotEqual(LinkageOutcome.NoLink, score.Outcome);
        Assert.Contains(score.Evidence, e => e.Field == LinkageField.FamilyName && e.Level is "a letter apart" or "similar spelling" or "sounds alike" && e.Weight > 0);
        Assert.DoesNotContain(score.Evidence, e => e.Field == LinkageField.Postcode);
    }

    [Theory]
    [InlineData("Jones", "Jnes")]       // a letter dropped
    [InlineData("Shaw", "Shaws")]       // a letter added
    [InlineData("Thomas", "Tohmas")]    // two letters swapped
    [InlineData("Barrows", "Barros")]
    [InlineData("Clarke", "Clarka")]    // a letter changed
    public void Given_family_names_a_letter_apart_then_they_agree_at_that_level_which_weighs_more_than_sounding_alike(string one, string other)
    {
        var council = Person("la", "Ella", one, "2017-03-14", null);
        var health = Person("health", "Ella", other, "2017-03-14", null);

        var score = Model.Score(council, health);

        Assert.Equal(1, FellegiSunterModel.Compare(council, health).FamilyName);
        Assert.Equal(1, FellegiSunterModel.Compare(health, council).FamilyName);
        var family = Assert.Single(score.Evidence, e => e.Field == LinkageField.FamilyName);
        Assert.Equal("a letter apart", family.Level);
        Assert.True(family.Weight > Math.Log2(Model.M[LinkageField.FamilyName][3] / Model.U[LinkageField.FamilyName][3]) + 1);
    }

    [Theory]
    [InlineData("Wilson", "Wilkinson")]   // one Soundex code (W425), several letters apart
    [InlineData("Singh", "Shuing")]
    public void Given_family_names_that_only_sound_alike_then_they_are_not_a_letter_apart(string one, string other)
    {
        var a = Person("la", "Adam", one, "1992-05-22", null, "male", PersonKind.Adult);
        var b = Person("health", "Adam", other, "1992-05-22", null, "male", PersonKind.Adult);

        var level = FellegiSunterModel.Compare(a, b).FamilyName;

        Assert.Equal(3, level);
        Assert.Equal("sounds alike", FellegiSunterModel.Levels[LinkageField.FamilyName][level]);
        Assert.Equal(FellegiSunterModel.Different(LinkageField.FamilyName), FellegiSunterModel.Compare(a, Person("health", "Adam", "Okonkwo", "1992-05-22", null, "male", PersonKind.Adult)).FamilyName);
    }

    [Fact]
    public void Given_a_family_name_then_its_variants_are_keyed_eight_bytes_each_bounded_and_say_nothing_under_another_key()
    {
        var variants = Encoder.FamilyVariants("Barrows")!;
        var longName = Encoder.FamilyVariants(new string('x', 10) + "abcdefghijklmnopqrstuvwxyz")!;
        var otherKey = new LinkageEncoder(new TestIndexer(Enumerable.Repeat((byte)9, 32).ToArray()));

        // BARROWS and its seven one-letter-short forms, BARROWS less one R once: seven distinct forms.
        Assert.Equal(7 * LinkageEncoder.VariantBytes, variants.Length);
        Assert.True(longName.Length <= (LinkageEncoder.VariantLetters + 1) * LinkageEncoder.VariantBytes);
        Assert.False(new LinkageEncoding(null, null, null, null, null, null, null, null) { FamilyVariants = variants }
            .FamilyLetterApart(new LinkageEncoding(null, null, null, null, null, null, null, null) { FamilyVariants = otherKey.FamilyVariants("Barros") }));
        Assert.Null(Encoder.FamilyVariants(" "));
    }

    [Fact]
    public void Given_a_model_kept_before_family_names_had_the_letter_apart_level_then_it_loads_with_the_default_for_the_family_name_only()
    {
        var kept = System.Text.Json.Nodes.JsonNode.Parse(Model.ToJson())!;
        kept["M"]!["FamilyName"] = new System.Text.Json.Nodes.JsonArray(0.88, 0.06, 0.02, 0.04);
        kept["U"]!["FamilyName"] = new System.Text.Json.Nodes.JsonArray(0.002, 0.0005, 0.005, 0.9925);
        kept["M"]!["GivenName"] = new System.Text.Json.Nodes.JsonArray(0.9, 0.05, 0.03, 0.02);

        var loaded = FellegiSunterModel.FromJson(kept.ToJsonString());

        Assert.Equal(FellegiSunterModel.Default.M[LinkageField.FamilyName], loaded.M[LinkageField.FamilyName]);
        Assert.Equal(5, loaded.U[LinkageField.FamilyName].Length);
        Assert.Equal([0.9, 0.05, 0.03, 0.02], loaded.M[LinkageField.GivenName]);
    }

    [Fact]
    public void Given_two_children_with_the_same_family_name_and_birth_date_but_different_given_names_and_homes_then_they_do_not_link()
    {
        var one = Person("la", "Mia", "Smith", "2016-05-14", "1 High Street, Testtown TE1 1AA");
        var other = Person("health", "Ruby", "Smith", "2016-05-14", "9 Low Road, Othertown OT9 9ZZ");

        var score = Model.Score(one, other, familyNameShare: 0.012);

        Assert.Equal(LinkageOutcome.NoLink, score.Outcome);
        Assert.Contains(score.Evidence, e => e.Field == LinkageField.GivenName && e.Weight < 0);
    }

    [Fact]
    public void Given_the_same_child_with_an_agencys_nickname_and_swapped_day_and_month_then_the_records_link_and_the_evidence_says_why()
    {
        var council = Person("la", "Rebecca", "Welch", "2015-04-07", "3 Church Road, Testtown TE2 2BB");
        var school = Person("education", "Becky", "Welch", "2015-07-04", "3 Church Road, Testtown TE2 2BB");

        var score = Model.Score(council, school, familyNameShare: 0.0004);

        Assert.Equal(LinkageOutcome.Link, score.Outcome);
        Assert.Contains(score.Evidence, e => e.Field == LinkageField.GivenName && e.Level == "exact or nickname");
        Assert.Contains(score.Evidence, e => e.Field == LinkageField.BirthDate && e.Level == "day and month swapped");
        Assert.True(score.Probability >= Model.LinkAbove);
    }

    [Fact]
    public void Given_different_nhs_numbers_each_asserted_by_health_then_the_records_never_link_whatever_else_agrees()
    {
        var a = Person("health", "Noah", "Reed", "2014-02-02", "5 Oak Way, Testtown TE3 3CC", "male", ids: (IdentifierKind.NhsNumber, "9990000026"));
        var b = Person("health", "Noah", "Reed", "2014-02-02", "5 Oak Way, Testtown TE3 3CC", "male", ids: (IdentifierKind.NhsNumber, "9990000034"));

        var score = Model.Score(a, b);

        Assert.Equal(LinkageOutcome.NoLink, score.Outcome);
        Assert.NotNull(score.Veto);
        Assert.Contains("different identifiers", score.Veto, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_the_same_nhs_number_asserted_by_health_then_linked_however_the_names_differ_but_another_agencys_claim_only_adds_weight()
    {
        var health = Person("health", "Noah", "Reed", "2014-02-02", null, "male", ids: (IdentifierKind.NhsNumber, "9990000026"));
        var again = Person("health", "Noel", "Read", "2014-02-02", null, "male", ids: (IdentifierKind.NhsNumber, "9990000026"));
        var claimed = Person("police", "Zed", "Welch", "2001-01-01", null, "male", ids: (IdentifierKind.NhsNumber, "9990000026"));

        Assert.Equal(LinkageOutcome.Link, Model.Score(health, again).Outcome);
        // A writer can put any NHS number on its own record: the claim alone never links to a child.
        Assert.Equal(LinkageOutcome.NoLink, Model.Score(claimed, health).Outcome);
    }

    [Fact]
    public void Given_a_child_and_an_adult_then_they_never_link()
    {
        var child = Person("la", "Sam", "Hart", "2012-01-01", null, kind: PersonKind.Child);
        var adult = Person("police", "Sam", "Hart", "2012-01-01", null, kind: PersonKind.Adult);
        Assert.Equal(LinkageOutcome.NoLink, Model.Score(child, adult).Outcome);
    }

    [Theory]
    [InlineData(0.985, LinkageOutcome.Link)]
    [InlineData(0.975, LinkageOutcome.Review)]
    [InlineData(0.85, LinkageOutcome.NoLink)]
    public void Given_a_name_and_birth_date_without_an_address_at_a_probability_then_it_links_from_098_and_waits_for_a_person_from_09(double probability, LinkageOutcome expected)
    {
        // One name and birth date, the same sex, one record without an address: the commonest kind of pair near the thresholds.
        var vector = new ComparisonVector(ComparisonVector.Missing, 0, 0, 0, 0, ComparisonVector.Missing);
        var evidence = FellegiSunterModel.Default.Score(vector).Weight - Math.Log2(FellegiSunterModel.Default.Prior / (1 - FellegiSunterModel.Default.Prior));
        // The prior that gives this pair the probability asked for (a population of the size that makes it so).
        var priorOdds = probability / (1 - probability) / Math.Pow(2, evidence);
        var model = new FellegiSunterModel(FellegiSunterModel.Default.M, FellegiSunterModel.Default.U, priorOdds / (1 + priorOdds));

        var score = model.Score(vector);

        Assert.Equal(probability, score.Probability, 6);
        Assert.Equal(expected, score.Outcome);
    }

    [Fact]
    public void Given_exact_agreement_on_a_family_name_then_a_common_name_counts_for_less_than_a_rare_one()
    {
        var vector = new ComparisonVector(ComparisonVector.Missing, 0, 3, 0, 0, ComparisonVector.Missing);
        Assert.True(Model.Score(vector, familyNameShare: 0.01).Weight < Model.Score(vector, familyNameShare: 0.00001).Weight - 5);
    }

    [Fact]
    public void Given_pairs_drawn_from_known_m_and_u_then_estimation_recovers_them()
    {
        var random = new Random(22);
        var trueM = new Dictionary<LinkageField, double[]>
        {
            [LinkageField.Identifier] = [0.9, 0.1], [LinkageField.FamilyName] = [0.75, 0.1, 0.05, 0.05, 0.05], [LinkageField.GivenName] = [0.85, 0.05, 0.05, 0.05],
            [LinkageField.BirthDate] = [0.9, 0.04, 0.03, 0.03], [LinkageField.Sex] = [0.97, 0.03], [LinkageField.Postcode] = [0.55, 0.05, 0.2, 0.2],
        };
        var trueU = new Dictionary<LinkageField, double[]>
        {
            [LinkageField.Identifier] = [0.001, 0.999], [LinkageField.FamilyName] = [0.05, 0.01, 0.02, 0.08, 0.84], [LinkageField.GivenName] = [0.03, 0.01, 0.04, 0.92],
            [LinkageField.BirthDate] = [0.01, 0.005, 0.1, 0.885], [LinkageField.Sex] = [0.5, 0.5], [LinkageField.Postcode] = [0.05, 0.01, 0.15, 0.79],
        };
        ComparisonVector Draw(IReadOnlyDictionary<LinkageField, double[]> p)
        {
            sbyte Level(LinkageField f)
            {
                var x = random.NextDouble();
                for (var i = 0; i < p[f].Length; i++)
                {
                    x -= p[f][i];
                    if (x <= 0)
                    {
                        return (sbyte)i;
                    }
                }
                return (sbyte)(p[f].Length - 1);
            }
            return new ComparisonVector(Level(LinkageField.Identifier), Level(LinkageField.FamilyName), Level(LinkageField.GivenName),
                Level(LinkageField.BirthDate), Level(LinkageField.Sex), Level(LinkageField.Postcode));
        }
        var candidates = Enumerable.Range(0, 20_000).Select(_ => random.NextDouble() < 0.3 ? Draw(trueM) : Draw(trueU)).ToList();
        var randomPairs = Enumerable.Range(0, 20_000).Select(_ => Draw(trueU)).ToList();

        // The candidates are all the pairs there are here, three in ten of them matches.
        var estimated = FellegiSunterModel.Estimate(candidates, candidates, randomPairs, candidates, allPairs: candidates.Count);

        Assert.InRange(estimated.Prior, 0.27, 0.33);
        foreach (var field in Enum.GetValues<LinkageField>())
        {
            for (var level = 0; level < trueM[field].Length; level++)
            {
                Assert.InRange(estimated.M[field][level], trueM[field][level] - 0.03, trueM[field][level] + 0.03);
                Assert.InRange(estimated.U[field][level], trueU[field][level] - 0.02, trueU[field][level] + 0.02);
            }
        }
    }

    [Fact]
    public void Given_records_of_people_known_to_two_agencies_then_training_learns_that_agreement_means_a_match_and_the_model_keeps_and_scales()
    {
        var random = new Random(5);
        string[] families = ["Barrows", "Okafor", "Nowak", "Smith", "Jones", "Reed", "Welch", "Patel", "Hart", "Lee"];
        string[] givens = ["Ella", "Noah", "Mia", "Omar", "Ruby", "Leo", "Ava", "Kai", "Zara", "Finn"];
        var records = new List<LinkageCandidate>();
        for (var person = 0; person < 1_500; person++)
        {
            var family = families[random.Next(families.Length)] + (person % 37 == 0 ? "" : new string((char)('a' + person % 26), 1));
            var given = givens[random.Next(givens.Length)];
            var birth = new DateOnly(2005, 1, 1).AddDays(random.Next(0, 6_000)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            records.Add(Person("la", given, family, birth, $"{random.Next(1, 99)} High Street, Testtown TE{random.Next(1, 9)} 1AA"));
            records.Add(Person("health", given, random.NextDouble() < 0.05 ? family + "e" : family, birth, null));
        }

        var model = LinkageTraining.Estimate(records);
        var kept = FellegiSunterModel.FromJson(model.ToJson());

        Assert.True(model.M[LinkageField.FamilyName][0] > 0.8, $"m(family exact) {model.M[LinkageField.FamilyName][0]}");
        Assert.True(model.U[LinkageField.BirthDate][0] < 0.01, $"u(birth date exact) {model.U[LinkageField.BirthDate][0]}");
        Assert.Equal(records.Count, model.EstimatedFor);
        Assert.Equal(model.ToJson(), kept.ToJson());
        Assert.Equal(model.Prior / 2, model.ForPopulation(records.Count * 2).Prior, 12);
    }

    [Theory]
    [InlineData("Barrows", "B620")]
    [InlineData("Barros", "B620")]
    [InlineData("Robert", "R163")]
    [InlineData("Rupert", "R163")]
    [InlineData("Ashcraft", "A261")]
    [InlineData("Tymczak", "T522")]
    [InlineData("Pfister", "P236")]
    public void Given_a_name_then_its_soundex_code_is_the_standard_one(string name, string code) =>
        Assert.Equal(code, NameForms.Soundex(NameForms.Normal(name)));

    [Fact]
    public void Given_names_a_letter_apart_then_their_keyed_bloom_filters_are_similar_and_unrelated_names_are_not_and_another_key_gives_other_bits()
    {
        DateOnly birth = new(2015, 1, 1);
        byte[] Bloom(LinkageEncoder encoder, string family) => encoder.Encode("Ann", family, birth, null).FamilyBloom!;

        Assert.True(LinkageEncoder.Dice(Bloom(Encoder, "Barrows"), Bloom(Encoder, "Barros")) >= FellegiSunterModel.SimilarName);
        Assert.True(LinkageEncoder.Dice(Bloom(Encoder, "Barrows"), Bloom(Encoder, "Okonkwo")) < 0.5);
        var otherKey = new LinkageEncoder(new TestIndexer(Enumerable.Repeat((byte)9, 32).ToArray()));
        Assert.True(LinkageEncoder.Dice(Bloom(Encoder, "Barrows"), Bloom(otherKey, "Barrows")) < 0.5);
        Assert.Equal("REBECCA", NameForms.FormalGivenName(NameForms.Normal("Becky")));
        Assert.Equal("ZOE", NameForms.Normal("Zoë"));
    }
}
