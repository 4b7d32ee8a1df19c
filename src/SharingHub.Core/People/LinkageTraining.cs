namespace SharingHub.Core.People;

/// <summary>
/// Estimates the linkage model from the records themselves (as Splink trains on the data it links): a sample of records
/// gives pairs sharing a birth date (to learn every other field's m), pairs sharing both names (to learn the birth
/// date's), pairs drawn at random (u), and the pairs blocking would score (the prior). Keyed encodings only.
/// </summary>
public static class LinkageTraining
{
    /// <summary>Fewer records than this say too little: the documented default model is used instead.</summary>
    public const int MinimumRecords = 5_000;

    private const int SampleSize = 100_000;
    private const int PairsPerSet = 200_000;
    private const int PerBucket = 20;

    public static FellegiSunterModel Estimate(IReadOnlyList<LinkageCandidate> records, int seed = 22)
    {
        ArgumentNullException.ThrowIfNull(records);
        var random = new Random(seed);
        var sample = Enumerable.Range(0, records.Count).OrderBy(_ => random.Next()).Take(SampleSize).ToArray();
        List<ComparisonVector> PairsSharing(Func<LinkageCandidate, string?> key)
        {
            var pairs = new List<ComparisonVector>();
            foreach (var bucket in sample.GroupBy(i => key(records[i])).Where(g => g.Key is not null))
            {
                var members = bucket.Take(PerBucket).ToArray();
                for (var a = 0; a < members.Length && pairs.Count < PairsPerSet; a++)
                {
                    for (var b = a + 1; b < members.Length; b++)
                    {
                        pairs.Add(FellegiSunterModel.Compare(records[members[a]], records[members[b]]));
                    }
                }
            }
            return pairs;
        }
        var sameBirthDate = PairsSharing(r => r.BirthDate is null ? null : Convert.ToBase64String(r.BirthDate));
        var sameNames = PairsSharing(r => r.FamilyName is null || r.Encoding.GivenName is null ? null : Convert.ToBase64String(r.FamilyName) + Convert.ToBase64String(r.Encoding.GivenName));
        var blocking = new LinkageBlocking();
        var scored = new List<ComparisonVector>();
        foreach (var i in sample)
        {
            scored.AddRange(blocking.Candidates(records[i]).Select(j => FellegiSunterModel.Compare(records[i], records[j])));
            blocking.Add(records[i], i);
        }
        var randomPairs = Enumerable.Range(0, PairsPerSet).Select(_ => FellegiSunterModel.Compare(records[random.Next(records.Count)], records[random.Next(records.Count)])).ToList();
        // The scored pairs come from the sample: the pairs they stand for are the sample's pairs.
        // A uniform sample keeps the share of matches among pairs: the prior is the population's, at its present size.
        var model = FellegiSunterModel.Estimate(sameBirthDate, sameNames, randomPairs, scored, allPairs: sample.Length * (sample.Length - 1.0) / 2);
        return new FellegiSunterModel(model.M, model.U, model.Prior, model.LinkAbove, model.ReviewAbove) { EstimatedFor = records.Count };
    }
}
