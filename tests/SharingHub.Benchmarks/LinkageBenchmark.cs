using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;

namespace SharingHub.Benchmarks;

/// <summary>
/// Probabilistic linkage measured on a synthetic population whose truth is known (issue 22): each agency copy arrives
/// in turn, as a write would, is encoded under a key, finds its candidates through blocking keys (bounded, so the work per
/// record does not grow with the population) and is scored against each; the model is first estimated from the data
/// (u from random pairs, m by expectation maximisation). Reports precision, recall, the review queue, and the time to link
/// one new record, at each population size.
/// </summary>
internal static class LinkageBenchmark
{
    private sealed class Indexer(byte[] key) : IBlindIndexer
    {
        public byte[] Compute(string purpose, string normalisedValue) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(purpose + "\0" + normalisedValue));
    }

    public static void Run(Report report, IReadOnlyList<int> populations, bool smoke)
    {
        var rows = new List<string>();
        var weights = "";
        var calibration = new StringBuilder();
        foreach (var people in smoke ? [2_000] : populations)
        {
            var (row, model, bands) = Measure(people);
            rows.Add(row);
            weights = Weights(model);
            calibration.Append(bands.Table(people));
            Console.WriteLine(row);
        }
        var text = new StringBuilder();
        text.AppendLine("Probabilistic linkage over a synthetic population (Fellegi-Sunter, model estimated from the data; keyed encodings only):");
        text.AppendLine();
        text.AppendLine("| people | agency records | true pairs | links made | precision | recall | review queue (records) | records whose links were held (they would join two asserted identifiers) | candidates per record | link time per record (us) | of which the benchmark's GC pauses (us) | encode per record (us) |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        rows.ForEach(r => text.AppendLine(r));
        text.AppendLine();
        text.AppendLine(weights);
        text.AppendLine("Calibration: every pair blocking put before the model that its probability decides (not those an identifier asserted on both");
        text.AppendLine("or a hard rule decided: twins, child and adult), grouped by the probability the model gave that the two records are one person,");
        text.AppendLine("against the share of them that are. The hub reviews from 0.9 and links from 0.98. A band whose share is above its");
        text.AppendLine("probabilities means the model is more careful there than it needs to be on this population; below, less careful.");
        text.AppendLine();
        text.Append(calibration);
        report.AddSection(text.ToString());
    }

    /// <summary>Scored pairs by the model's probability of a match, against the share that are one person.</summary>
    private sealed class Calibration
    {
        private static readonly double[] Edges = [0.5, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999];
        private readonly long[] pairs = new long[Edges.Length + 1];
        private readonly long[] matches = new long[Edges.Length + 1];
        private readonly double[] predicted = new double[Edges.Length + 1];

        public void Add(double weight, bool match)
        {
            var probability = 1 / (1 + Math.Pow(2, -weight));
            var band = Array.FindIndex(Edges, e => probability < e);
            band = band < 0 ? Edges.Length : band;
            pairs[band]++;
            matches[band] += match ? 1 : 0;
            predicted[band] += probability;
        }

        public string Table(int people)
        {
            var text = new StringBuilder();
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {people:N0} people: probability of a match | pairs | mean probability | share that are one person | pairs not one person |"));
            text.AppendLine("| --- | ---: | ---: | ---: | ---: |");
            for (var b = 0; b < pairs.Length; b++)
            {
                var band = b == 0 ? $"below {Edges[0]}" : b == Edges.Length ? $"{Edges[^1]} and above" : $"{Edges[b - 1]} to {Edges[b]}";
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {band} | {pairs[b]:N0} | {(pairs[b] == 0 ? 0 : predicted[b] / pairs[b]):N5} | {(pairs[b] == 0 ? 0 : (double)matches[b] / pairs[b]):N5} | {pairs[b] - matches[b]:N0} |"));
            }
            text.AppendLine();
            return text.ToString();
        }
    }

    private static (string Row, FellegiSunterModel Model, Calibration Bands) Measure(int people)
    {
        var copies = new LinkagePopulation(20261129).Generate(people);
        // The same arrival order and the same key in every run, so that two runs' quality figures differ only by the code.
        var shuffle = new Random(22);
        var order = Enumerable.Range(0, copies.Count).OrderBy(_ => shuffle.Next()).ToArray();
        var indexer = new Indexer(SHA256.HashData(Encoding.UTF8.GetBytes("SharingHub linkage benchmark")));
        var encoder = new LinkageEncoder(indexer);

        var encodeClock = Stopwatch.StartNew();
        var records = new LinkageCandidate[copies.Count];
        for (var i = 0; i < copies.Count; i++)
        {
            var c = copies[i];
            var postcode = AgencyIdentifiers.PostcodeIndexForm(c.Address);
            records[i] = new LinkageCandidate(Guid.Empty, c.Agency, c.Kind, c.Sex, indexer.Compute(PersonSealer.FamilyNamePurpose, NameForms.Normal(c.Family)),
                indexer.Compute(PersonSealer.BirthDatePurpose, c.Birth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                postcode is null ? null : indexer.Compute(PersonSealer.PostcodePurpose, postcode),
                c.Identifiers.Select(x => (x.Kind, indexer.Compute(x.Kind.ToString(), x.Value))).ToList())
            {
                Encoding = encoder.Encode(c.Given, c.Family, c.Birth, c.Address, c.PreviousAddress is { } previous ? [previous] : null),
            };
        }
        var encodeMicros = encodeClock.Elapsed.TotalMicroseconds / copies.Count;

        // Estimate the model from the data itself, as the hub does (LinkageTraining).
        var model = LinkageTraining.Estimate(records).ForPopulation(records.Length);
        // LINKAGE_LINK_ABOVE=0.985 links from a lower probability, to weigh the review queue against precision (the hub's is FellegiSunterModel.DefaultLinkAbove).
        if (double.TryParse(Environment.GetEnvironmentVariable("LINKAGE_LINK_ABOVE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var linkAbove))
        {
            model = model.WithThresholds(linkAbove, model.ReviewAbove);
        }

        // Link each record as it arrives, as a pass from an empty hub. The pass is deterministic (same order, same model), so
        // every pass makes the same links; it is run LINKAGE_PASSES times (3 unless set) and the fastest is the link time, as
        // the machine's noise only ever adds to it.
        var debug = Environment.GetEnvironmentVariable("LINKAGE_DEBUG") is not null;
        // LINKAGE_PRIOR=stored gives each record the prior for the records stored before it, as a hub that takes its population
        // from its own count would, instead of the prior for the whole population it will hold.
        var storedPrior = Environment.GetEnvironmentVariable("LINKAGE_PRIOR") == "stored";
        var passes = int.TryParse(Environment.GetEnvironmentVariable("LINKAGE_PASSES"), out var asked) && asked > 0 ? asked : 3;
        Pass? first = null;
        var linkMicros = double.MaxValue;
        var pauseMicros = 0.0;
        for (var p = 0; p < passes; p++)
        {
            var pass = LinkPass(copies, records, order, model, storedPrior, debug && p == 0);
            first ??= pass;
            if (pass.Micros < linkMicros)
            {
                (linkMicros, pauseMicros) = (pass.Micros, pass.PauseMicros);
            }
        }
        var (links, review, held, candidates, bands, individuals, _, _) = first!;

        // Precision over the links made; recall over every pair of copies of one person, reached through links.
        var correct = links.Count(l => copies[l.Item1].Truth == copies[l.Item2].Truth);
        // The individuals the links made, as linking built them.
        var clusters = individuals;
        long truePairs = 0;
        long found = 0;
        foreach (var group in Enumerable.Range(0, copies.Count).GroupBy(i => copies[i].Truth))
        {
            var members = group.ToList();
            for (var a = 0; a < members.Count; a++)
            {
                for (var b = a + 1; b < members.Count; b++)
                {
                    truePairs++;
                    found += clusters.Find(members[a]) == clusters.Find(members[b]) ? 1 : 0;
                }
            }
        }
        // A candidate already joined to its pair through other links needs no person to look at it.
        var stillInReview = review.Where(r => clusters.Find(r.Item1) != clusters.Find(r.Item2)).SelectMany(r => new[] { r.Item1, r.Item2 }).Distinct().Count();
        var row = string.Create(CultureInfo.InvariantCulture,
            $"| {people:N0} | {copies.Count:N0} | {truePairs:N0} | {links.Count:N0} | {100.0 * correct / Math.Max(1, links.Count):N4}% ({links.Count - correct:N0} false) | {100.0 * found / Math.Max(1, truePairs):N2}% | {stillInReview:N0} ({100.0 * stillInReview / copies.Count:N2}%) | {held:N0} | {(double)candidates / copies.Count:N1} | {linkMicros:N1} | {pauseMicros:N1} | {encodeMicros:N1} |");
        return (row, model, bands);
    }

    private sealed record Pass(List<(int, int)> Links, List<(int, int)> Review, int Held, long Candidates, Calibration Bands, LinkedIndividuals Individuals,
        double Micros, double PauseMicros);

    /// <summary>Links every record in arrival order from an empty hub, timed (the fastest of several passes is reported).</summary>
    private static Pass LinkPass(List<AgencyCopy> copies, LinkageCandidate[] records, int[] order, FellegiSunterModel whole, bool storedPrior, bool debug)
    {
        var blocking = new LinkageBlocking();
        var frequencies = new LinkageFrequencies();
        var links = new List<(int, int)>();
        var review = new List<(int, int)>();
        long candidates = 0;
        var held = 0;
        var bands = new Calibration();
        // The individuals linked so far, and each one's identifiers asserted by their issuers (as the hub keeps them: PersonLinker).
        var individuals = new LinkedIndividuals(records);
        // The benchmark holds every encoded record in memory as its stand-in for the database, so a full collection during
        // the pass walks a heap that grows with the population; the hub's process holds none of them. Its pauses are shown apart.
        GC.Collect();
        var pausedBefore = GC.GetTotalPauseDuration();
        var linkClock = Stopwatch.StartNew();
        var model = whole;
        var arrived = 0;
        foreach (var i in order)
        {
            if (storedPrior && arrived++ % 1000 == 0)
            {
                model = whole.ForPopulation(Math.Max(1000, arrived));
            }
            var record = records[i];
            var linked = new List<(int Other, LinkageScore Score)>();
            foreach (var j in blocking.Candidates(record))
            {
                candidates++;
                var score = model.Score(record, records[j], frequencies.FamilyShare(records[j]), frequencies.GivenShare(records[j]));
                if (double.IsFinite(score.Weight) && score.Veto is null)
                {
                    bands.Add(score.Weight, copies[i].Truth == copies[j].Truth);
                }
                if (score.Outcome == LinkageOutcome.Link)
                {
                    linked.Add((j, score));
                }
                else if (score.Outcome == LinkageOutcome.Review)
                {
                    if (debug && review.Count % 97 == 0)
                    {
                        Console.WriteLine($"REVIEW {copies[i].Truth == copies[j].Truth} {copies[i]} ~ {copies[j]}: {score.Weight:N1} {Evidence(score)}");
                    }
                    review.Add((i, j));
                }
            }
            // As the hub does: links that would bring two different asserted identifiers of one kind into one individual
            // wait for a person instead, every one of this record's.
            if (individuals.WouldConflict(i, linked.Select(l => l.Other)))
            {
                held++;
                review.AddRange(linked.Select(l => (i, l.Other)));
            }
            else
            {
                foreach (var (j, score) in linked)
                {
                    links.Add((i, j));
                    individuals.Join(i, j);
                    // LINKAGE_DEBUG=1 prints each false link with its evidence, for tuning.
                    if (debug && copies[i].Truth != copies[j].Truth)
                    {
                        Console.WriteLine($"FALSE {copies[i]} ~ {copies[j]}: {score.Weight:N1} {Evidence(score)}");
                    }
                }
            }
            blocking.Add(record, i);
            frequencies.Add(record);
        }
        return new Pass(links, review, held, candidates, bands, individuals, linkClock.Elapsed.TotalMicroseconds / copies.Count,
            (GC.GetTotalPauseDuration() - pausedBefore).TotalMicroseconds / copies.Count);

    }

    private static string Evidence(LinkageScore score) => string.Join(", ", score.Evidence.Select(e => $"{e.Field}:{e.Level}:{e.Weight}"));

    private static string Weights(FellegiSunterModel model)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Estimated weights (log2 m/u) of the largest run; prior odds that two records are one person 1 in {(1 - model.Prior) / model.Prior:N0}:"));
        text.AppendLine();
        text.AppendLine("| field | level | m | u | weight |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: |");
        foreach (var (field, levels) in FellegiSunterModel.Levels)
        {
            for (var l = 0; l < levels.Length; l++)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {field} | {levels[l]} | {model.M[field][l]:N4} | {model.U[field][l]:N5} | {Math.Log2(model.M[field][l] / model.U[field][l]):N2} |"));
            }
        }
        return text.ToString();
    }
}
