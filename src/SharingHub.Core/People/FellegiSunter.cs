namespace SharingHub.Core.People;

/// <summary>The fields linkage compares; each comparison puts a pair of records at one of its levels (or missing).</summary>
public enum LinkageField
{
    Identifier,
    FamilyName,
    GivenName,
    BirthDate,
    Sex,
    Postcode,
}

/// <summary>How two records compare, field by field: a level per field (0 is the closest agreement), or -1 where either lacks it.</summary>
public readonly record struct ComparisonVector(sbyte Identifier, sbyte FamilyName, sbyte GivenName, sbyte BirthDate, sbyte Sex, sbyte Postcode)
{
    public const sbyte Missing = -1;

    public sbyte this[LinkageField field] => field switch
    {
        LinkageField.Identifier => Identifier,
        LinkageField.FamilyName => FamilyName,
        LinkageField.GivenName => GivenName,
        LinkageField.BirthDate => BirthDate,
        LinkageField.Sex => Sex,
        _ => Postcode,
    };
}

/// <summary>One field's part in a score: its level, in words, and the weight (log2 of m over u) it added.</summary>
public sealed record LinkageEvidence(LinkageField Field, string Level, double Weight);

/// <summary>What linkage concluded about a pair, with its evidence; <see cref="Probability"/> is the posterior match probability.</summary>
public sealed record LinkageScore(LinkageOutcome Outcome, double Weight, double Probability, IReadOnlyList<LinkageEvidence> Evidence, string? Veto = null);

public enum LinkageOutcome
{
    /// <summary>Above the upper threshold, or the same identifier asserted by its issuer on both: the records are linked.</summary>
    Link,

    /// <summary>Between the thresholds: a person of the council's data team confirms or rejects it.</summary>
    Review,

    /// <summary>Below the lower threshold, or vetoed (different verified identifiers, child and adult).</summary>
    NoLink,
}

/// <summary>
/// Probabilistic record linkage in the Fellegi-Sunter framework, as Splink does it: each field's level of agreement
/// adds log2(m/u), where m is the chance of that level among true matches and u among non-matches; the total, with the
/// prior odds of a match, is the posterior match weight. u is estimated from random pairs (how often unrelated records
/// agree by chance), m by expectation maximisation over blocked candidate pairs; agreement on a family name is weighed
/// by how common that name is (term-frequency adjustment), so two Smiths agree less than two Barrowses.
/// Two hard rules come first and a score never overrides them: the same identifier asserted by its issuing authority
/// on both records links them (as before, <see cref="LinkageRules"/>); two different identifiers of one kind, each
/// asserted by its issuer, never link, whatever else agrees. Nor do a child and an adult.
/// </summary>
public sealed class FellegiSunterModel
{
    public static readonly IReadOnlyDictionary<LinkageField, string[]> Levels = new Dictionary<LinkageField, string[]>
    {
        [LinkageField.Identifier] = ["same identifier (not asserted by its issuer on both)", "different identifier of one kind (not both asserted)"],
        [LinkageField.FamilyName] = ["exact", "a letter apart", "similar spelling", "sounds alike", "different"],
        [LinkageField.GivenName] = ["exact or nickname", "similar spelling", "sounds alike", "different"],
        [LinkageField.BirthDate] = ["exact", "day and month swapped", "same year and month", "different"],
        [LinkageField.Sex] = ["same", "different"],
        [LinkageField.Postcode] = ["exact", "previous address", "same postcode sector", "different"],
    };

    /// <summary>
    /// The probability from which a pair links (below it, down to 0.9, it waits for a person). The model is calibrated on the
    /// benchmark's million people (pairs it gives 0.98-0.99 are that often one person), and a link that would join two
    /// asserted identifiers of one kind waits for a person whatever the probability: 0.98 rather than 0.99 there took the
    /// review queue from 1.02% to 0.48% of records and false links from 56 to 74 in 1,089,574 (precision 99.993%). A model
    /// the hub kept before keeps the thresholds it was kept with; a partnership sets its own (LinkageOptions).
    /// </summary>
    public const double DefaultLinkAbove = 0.98;

    /// <summary>Bloom-filter similarity at or above which two names are "similar spelling".</summary>
    public const double SimilarName = 0.75;

    public FellegiSunterModel(IReadOnlyDictionary<LinkageField, double[]> m, IReadOnlyDictionary<LinkageField, double[]> u, double prior,
        double linkAbove = DefaultLinkAbove, double reviewAbove = 0.9)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(u);
        foreach (var (field, levels) in Levels)
        {
            if (!m.TryGetValue(field, out var mf) || !u.TryGetValue(field, out var uf) || mf.Length != levels.Length || uf.Length != levels.Length)
            {
                throw new ArgumentException($"m and u need {levels.Length} levels for {field}");
            }
        }
        if (prior is <= 0 or >= 1 || reviewAbove >= linkAbove)
        {
            throw new ArgumentException("the prior is a probability, and the review threshold is below the link threshold");
        }
        M = m;
        U = u;
        Prior = prior;
        LinkAbove = linkAbove;
        ReviewAbove = reviewAbove;
    }

    public IReadOnlyDictionary<LinkageField, double[]> M { get; }
    public IReadOnlyDictionary<LinkageField, double[]> U { get; }

    /// <summary>The chance that a candidate pair (after blocking) is a match, before any field is compared.</summary>
    public double Prior { get; }
    public double LinkAbove { get; }
    public double ReviewAbove { get; }

    /// <summary>
    /// Starting values from the record-linkage literature (Splink's defaults for names, dates and postcodes), used until
    /// the hub has estimated its own from its data (<see cref="Estimate"/>).
    /// </summary>
    public static FellegiSunterModel Default { get; } = new(
        new Dictionary<LinkageField, double[]>
        {
            [LinkageField.Identifier] = [0.9, 0.1],
            [LinkageField.FamilyName] = [0.85, 0.06, 0.03, 0.02, 0.04],
            [LinkageField.GivenName] = [0.9, 0.05, 0.03, 0.02],
            [LinkageField.BirthDate] = [0.92, 0.03, 0.02, 0.03],
            [LinkageField.Sex] = [0.98, 0.02],
            [LinkageField.Postcode] = [0.65, 0.05, 0.1, 0.2],
        },
        new Dictionary<LinkageField, double[]>
        {
            [LinkageField.Identifier] = [0.0001, 0.9999],
            [LinkageField.FamilyName] = [0.002, 0.0002, 0.0005, 0.005, 0.9923],
            [LinkageField.GivenName] = [0.01, 0.001, 0.01, 0.979],
            [LinkageField.BirthDate] = [0.002, 0.001, 0.03, 0.967],
            [LinkageField.Sex] = [0.5, 0.5],
            [LinkageField.Postcode] = [0.01, 0.0005, 0.03, 0.9595],
        },
        prior: 0.002);

    /// <summary>The number of person records the model was estimated from (its prior is for that many); null for the default.</summary>
    public long? EstimatedFor { get; init; }

    /// <summary>
    /// This model with the prior odds for a population of <paramref name="records"/> person records. Matches grow with the
    /// records and pairs with their square, so the prior falls as the population grows: an estimated prior is scaled from
    /// the size it was estimated at; the default assumes <paramref name="matchesPerRecord"/> other records of the same
    /// person for each record. The more records, the likelier a chance agreement, so the more evidence a link needs.
    /// </summary>
    public FellegiSunterModel ForPopulation(long records, double matchesPerRecord = 0.6)
    {
        var prior = EstimatedFor is { } estimated
            ? Prior * estimated / Math.Max(1, records)
            : matchesPerRecord * records / Math.Max(1.0, records * (records - 1.0) / 2);
        return new(M, U, Math.Clamp(prior, 1e-12, Default.Prior), LinkAbove, ReviewAbove) { EstimatedFor = EstimatedFor is null ? null : records };
    }

    /// <summary>This model with other thresholds (a partnership's own, or a benchmark's trial); m, u and the prior unchanged.</summary>
    public FellegiSunterModel WithThresholds(double linkAbove, double reviewAbove) =>
        new(M, U, Prior, linkAbove, reviewAbove) { EstimatedFor = EstimatedFor };

    /// <summary>The model's parameters as JSON, to keep an estimated model (m and u per field and level, the prior, the size it is for).</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(new Parameters(
        M.ToDictionary(p => p.Key.ToString(), p => p.Value), U.ToDictionary(p => p.Key.ToString(), p => p.Value), Prior, EstimatedFor, LinkAbove, ReviewAbove));

    public static FellegiSunterModel FromJson(string json)
    {
        var p = System.Text.Json.JsonSerializer.Deserialize<Parameters>(json) ?? throw new FormatException("no linkage model in the JSON");
        // A model kept before a field gained a level (the postcode's "previous address") has that field's default m and u
        // until the model is estimated again; its other fields are as estimated.
        Dictionary<LinkageField, double[]> Fields(Dictionary<string, double[]> kept, IReadOnlyDictionary<LinkageField, double[]> defaults) =>
            Levels.ToDictionary(l => l.Key, l => kept.TryGetValue(l.Key.ToString(), out var values) && values.Length == l.Value.Length ? values : defaults[l.Key]);
        return new FellegiSunterModel(Fields(p.M, Default.M), Fields(p.U, Default.U), p.Prior, p.LinkAbove, p.ReviewAbove) { EstimatedFor = p.EstimatedFor };
    }

    private sealed record Parameters(Dictionary<string, double[]> M, Dictionary<string, double[]> U, double Prior, long? EstimatedFor, double LinkAbove, double ReviewAbove);

    /// <summary>Compares two records field by field, from their keyed encodings only.</summary>
    public static ComparisonVector Compare(LinkageCandidate a, LinkageCandidate b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var ea = a.Encoding;
        var eb = b.Encoding;
        sbyte identifier = ComparisonVector.Missing;
        foreach (var kind in a.Identifiers.Select(i => i.Kind).Intersect(b.Identifiers.Select(i => i.Kind)))
        {
            var same = a.Identifiers.Where(i => i.Kind == kind).Any(x => b.Identifiers.Any(y => y.Kind == kind && Same(x.Index, y.Index)));
            identifier = same ? (sbyte)0 : identifier == 0 ? (sbyte)0 : (sbyte)1;
        }
        // A family name has one level more than a given name: a letter apart, between the same and a similar spelling.
        var family = Name(a.FamilyName, b.FamilyName, ea.FamilyBloom, eb.FamilyBloom, ea.FamilyPhonetic, eb.FamilyPhonetic);
        family = family > 0 && ea.FamilyLetterApart(eb) ? (sbyte)1 : family > 0 ? (sbyte)(family + 1) : family;
        var given = Name(ea.GivenName, eb.GivenName, ea.GivenBloom, eb.GivenBloom, ea.GivenPhonetic, eb.GivenPhonetic);
        sbyte birth = a.BirthDate is null || b.BirthDate is null
            // A birth date known only to its month agrees, at most, on the month.
            ? ea.BirthYearMonth is null || eb.BirthYearMonth is null ? ComparisonVector.Missing : Same(ea.BirthYearMonth, eb.BirthYearMonth) ? (sbyte)2 : (sbyte)3
            : Same(a.BirthDate, b.BirthDate) ? (sbyte)0
            : Same(a.BirthDate, eb.BirthDateSwapped) || Same(ea.BirthDateSwapped, b.BirthDate) ? (sbyte)1
            : Same(ea.BirthYearMonth, eb.BirthYearMonth) ? (sbyte)2
            : (sbyte)3;
        sbyte sex = a.Sex is null || b.Sex is null ? ComparisonVector.Missing : a.Sex == b.Sex ? (sbyte)0 : (sbyte)1;
        sbyte postcode = a.Postcode is null || b.Postcode is null ? ComparisonVector.Missing
            : Same(a.Postcode, b.Postcode) ? (sbyte)0
            : eb.LivedAt(a.Postcode) || ea.LivedAt(b.Postcode) ? (sbyte)1
            : Same(ea.PostcodeSector, eb.PostcodeSector) ? (sbyte)2
            : (sbyte)3;
        return new ComparisonVector(identifier, family, given, birth, sex, postcode);
    }

    private static sbyte Name(byte[]? exactA, byte[]? exactB, byte[]? bloomA, byte[]? bloomB, byte[]? phoneticA, byte[]? phoneticB)
    {
        if (exactA is null || exactB is null)
        {
            return ComparisonVector.Missing;
        }
        if (Same(exactA, exactB))
        {
            return 0;
        }
        if (bloomA is not null && bloomB is not null && LinkageEncoder.Dice(bloomA, bloomB) >= SimilarName)
        {
            return 1;
        }
        return Same(phoneticA, phoneticB) ? (sbyte)2 : (sbyte)3;
    }

    /// <summary>
    /// Scores a pair. <paramref name="familyNameShare"/> and <paramref name="givenNameShare"/> are the shares of person
    /// records with this family name and this given name (when both agree exactly): agreement on a common name then counts
    /// for less, on a rare one for more.
    /// </summary>
    public LinkageScore Score(LinkageCandidate a, LinkageCandidate b, double? familyNameShare = null, double? givenNameShare = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Kind != b.Kind)
        {
            return new LinkageScore(LinkageOutcome.NoLink, double.NegativeInfinity, 0, [], "one record is of a child and the other of an adult");
        }
        var verified = a.Identifiers.Where(x => LinkageRules.Asserts(a, x.Kind)).ToList();
        var theirs = b.Identifiers.Where(y => LinkageRules.Asserts(b, y.Kind)).ToList();
        if (verified.Any(x => theirs.Any(y => y.Kind == x.Kind && Same(x.Index, y.Index))))
        {
            return new LinkageScore(LinkageOutcome.Link, double.PositiveInfinity, 1, [new(LinkageField.Identifier, "same identifier, asserted by its issuer on both", double.PositiveInfinity)]);
        }
        if (verified.Any(x => theirs.Any(y => y.Kind == x.Kind)))
        {
            return new LinkageScore(LinkageOutcome.NoLink, double.NegativeInfinity, 0, [new(LinkageField.Identifier, "different identifiers of one kind, each asserted by its issuer", double.NegativeInfinity)],
                "different identifiers of one kind, each asserted by its issuing authority");
        }
        var vector = Compare(a, b);
        if (vector.GivenName == Different(LinkageField.GivenName) && vector.FamilyName is >= 0 && vector.FamilyName < Different(LinkageField.FamilyName) && vector.BirthDate is 0 or 1)
        {
            // Where family and birth date agree, the fields are not independent: twins and siblings born the same day share
            // them, and their address. A different given name there is two people, whatever the total says.
            var scored = Score(vector, familyNameShare, givenNameShare);
            return scored with { Outcome = LinkageOutcome.NoLink, Veto = "the same family name and birth date with a different given name: twins are two people" };
        }
        var score = Score(vector, familyNameShare, givenNameShare);
        // A different sex is a recording error at most once in a hundred times; given names that are only alike (Alica,
        // Alissa) with family and birth date agreeing may be twins: neither is linked without a person's review.
        var doubtful = vector.Sex == 1 || (vector.GivenName is 1 or 2 && vector.FamilyName >= 0 && vector.FamilyName < Different(LinkageField.FamilyName) && vector.BirthDate == 0);
        return doubtful && score.Outcome == LinkageOutcome.Link ? score with { Outcome = LinkageOutcome.Review } : score;
    }

    /// <summary>A field's last level: the values disagree.</summary>
    public static sbyte Different(LinkageField field) => (sbyte)(Levels[field].Length - 1);

    /// <summary>Scores a comparison vector (no hard rule applies to it).</summary>
    public LinkageScore Score(ComparisonVector vector, double? familyNameShare = null, double? givenNameShare = null)
    {
        var weight = Math.Log2(Prior / (1 - Prior));
        var evidence = new List<LinkageEvidence>(6);
        foreach (var field in Enum.GetValues<LinkageField>())
        {
            var level = vector[field];
            if (level == ComparisonVector.Missing)
            {
                continue;
            }
            var u = U[field][level];
            if (level == 0 && (field == LinkageField.FamilyName ? familyNameShare : field == LinkageField.GivenName ? givenNameShare : null) is { } share)
            {
                // Term frequency: two unrelated people share this name about as often as it occurs.
                u = Math.Clamp(share, 1e-7, 0.5);
            }
            var w = Math.Log2(M[field][level] / u);
            weight += w;
            evidence.Add(new LinkageEvidence(field, Levels[field][level], Math.Round(w, 2)));
        }
        var probability = 1 / (1 + Math.Pow(2, -weight));
        var outcome = probability >= LinkAbove ? LinkageOutcome.Link : probability >= ReviewAbove ? LinkageOutcome.Review : LinkageOutcome.NoLink;
        return new LinkageScore(outcome, weight, probability, evidence);
    }

    /// <summary>
    /// Estimates the model from the data, as Splink does. u comes from <paramref name="randomPairs"/> (pairs drawn at random,
    /// almost all non-matches). m comes from expectation maximisation in two rounds, each over pairs blocked on fields it
    /// then leaves out, so that the blocking does not teach the model its own agreement: pairs sharing a birth date train
    /// every field but the birth date; pairs sharing both names train the birth date. Last, the prior: the chance that two
    /// records drawn at random are one person, which is the matches expected among <paramref name="scoredPairs"/> (the pairs
    /// blocking gives linkage, which hold almost every match) over <paramref name="allPairs"/>, the number of pairs of
    /// records there are. Blocking only chooses which pairs are scored; it does not change the odds, which is why u comes
    /// from random pairs. Levels never seen get a small floor, never zero.
    /// </summary>
    public static FellegiSunterModel Estimate(IReadOnlyList<ComparisonVector> sameBirthDate, IReadOnlyList<ComparisonVector> sameNames,
        IReadOnlyList<ComparisonVector> randomPairs, IReadOnlyList<ComparisonVector> scoredPairs, double allPairs, FellegiSunterModel? start = null)
    {
        ArgumentNullException.ThrowIfNull(sameBirthDate);
        ArgumentNullException.ThrowIfNull(sameNames);
        ArgumentNullException.ThrowIfNull(randomPairs);
        ArgumentNullException.ThrowIfNull(scoredPairs);
        start ??= Default;
        var u = Enum.GetValues<LinkageField>().ToDictionary(f => f, f => Frequencies(randomPairs, f, null, start.U[f]));
        var m = Enum.GetValues<LinkageField>().ToDictionary(f => f, f => (double[])start.M[f].Clone());
        var names = new[] { LinkageField.FamilyName, LinkageField.GivenName };
        Expect(sameBirthDate, m, u, train: Enum.GetValues<LinkageField>().Where(f => f != LinkageField.BirthDate).ToArray(), ignore: [LinkageField.BirthDate], start);
        Expect(sameNames, m, u, train: [LinkageField.BirthDate], ignore: names, start);
        var prior = Expect(scoredPairs, m, u, train: [], ignore: [], start, allPairs: allPairs);
        return new FellegiSunterModel(m, u, prior, start.LinkAbove, start.ReviewAbove);
    }

    /// <summary>
    /// Expectation maximisation over <paramref name="pairs"/> with u fixed: each round weighs every pair by its match
    /// probability (the <paramref name="ignore"/>d fields left out), then re-estimates the <paramref name="train"/>ed
    /// fields' m and the share of matches, which it returns.
    /// </summary>
    private static double Expect(IReadOnlyList<ComparisonVector> pairs, Dictionary<LinkageField, double[]> m, Dictionary<LinkageField, double[]> u,
        LinkageField[] train, LinkageField[] ignore, FellegiSunterModel start, int iterations = 25, double? allPairs = null)
    {
        var prior = allPairs is { } all ? Math.Min(0.5, pairs.Count / all) : 0.5;
        if (pairs.Count == 0)
        {
            return start.Prior;
        }
        var weights = new double[pairs.Count];
        var ignoreLevel = ComparisonVector.Missing;
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var model = new FellegiSunterModel(m, u, Math.Clamp(prior, 1e-12, 1 - 1e-6), start.LinkAbove, start.ReviewAbove);
            for (var i = 0; i < pairs.Count; i++)
            {
                var p = pairs[i];
                var seen = new ComparisonVector(
                    ignore.Contains(LinkageField.Identifier) ? ignoreLevel : p.Identifier, ignore.Contains(LinkageField.FamilyName) ? ignoreLevel : p.FamilyName,
                    ignore.Contains(LinkageField.GivenName) ? ignoreLevel : p.GivenName, ignore.Contains(LinkageField.BirthDate) ? ignoreLevel : p.BirthDate,
                    ignore.Contains(LinkageField.Sex) ? ignoreLevel : p.Sex, ignore.Contains(LinkageField.Postcode) ? ignoreLevel : p.Postcode);
                weights[i] = model.Score(seen).Probability;
            }
            prior = allPairs is { } total ? weights.Sum() / total : weights.Average();
            foreach (var field in train)
            {
                m[field] = Frequencies(pairs, field, weights, m[field]);
            }
        }
        return Math.Clamp(prior, 1e-12, 1 - 1e-6);
    }

    /// <summary>The share of pairs at each level of a field (weighted by each pair's match probability when given).</summary>
    private static double[] Frequencies(IReadOnlyList<ComparisonVector> pairs, LinkageField field, double[]? weights, double[] fallback)
    {
        var counts = new double[fallback.Length];
        var total = 0.0;
        for (var i = 0; i < pairs.Count; i++)
        {
            var level = pairs[i][field];
            if (level == ComparisonVector.Missing)
            {
                continue;
            }
            var w = weights?[i] ?? 1;
            counts[level] += w;
            total += w;
        }
        if (total < 1)
        {
            return (double[])fallback.Clone();
        }
        const double floor = 1e-6;
        var shares = counts.Select(c => Math.Max(c / total, floor)).ToArray();
        var sum = shares.Sum();
        return shares.Select(s => s / sum).ToArray();
    }

    private static bool Same(byte[]? x, byte[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);
}
