using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Linkage;

/// <summary>
/// Links each agency's record of a person with the other agencies' records of the same individual. Linking happens when
/// a person record is written: the record is compared, through blocking keys, with a bounded set of candidates, each pair
/// is scored (<see cref="FellegiSunterModel"/>, from keyed encodings only), and pairs that score a link or a review are
/// stored with their evidence (<see cref="PersonPair"/>), in the same transaction as the record. Reading follows the stored
/// links (a person's confirmation or rejection always beats the score) and never recomputes them, so a chronology costs
/// the same whatever the population.
/// </summary>
/// <remarks>
/// Reads are kept for <see cref="CacheFor"/>: the same enquiry's subjects are linked on every request made in it. A person
/// written or decided through this process clears the cache at once (<see cref="Forget"/>), and a read that was under way
/// then is not kept. On PostgreSQL the other hub processes are told too (<see cref="Cluster.ClusterNotices"/>) and clear
/// theirs within milliseconds; a process that cannot hear them (its listening connection lost) sees the change within
/// <see cref="CacheFor"/>, as on a single node before.
/// </remarks>
public sealed class PersonLinker(IHubDbContextFactory contexts, TimeProvider clock, Microsoft.Extensions.Options.IOptions<LinkageOptions> options)
{
    public const int MaxRecords = 400;
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private const int MaxCached = 10_000;
    private const int MaxCandidates = 6 * LinkageBlocking.PerKey;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset At, LinkedPeople Linked)> _cache = new(StringComparer.Ordinal);

    private static readonly TimeSpan ModelFor = TimeSpan.FromMinutes(5);
    private (DateTimeOffset At, FellegiSunterModel Model)? _model;

    /// <summary>
    /// The model new records are scored with: the latest the hub estimated from its own records (re-read every few minutes,
    /// so every hub process uses it), or the documented default until there are enough records to estimate one.
    /// </summary>
    public async Task<FellegiSunterModel> ModelAsync(HubDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var now = clock.GetUtcNow();
        if (_model is { } cached && now - cached.At < ModelFor)
        {
            return cached.Model;
        }
        var latest = await db.LinkageModels.AsNoTracking().OrderByDescending(m => m.EstimatedAt).Select(m => m.Parameters).FirstOrDefaultAsync(cancellationToken);
        var model = options.Value.Apply(latest is null ? FellegiSunterModel.Default : FellegiSunterModel.FromJson(latest));
        _model = (now, model);
        return model;
    }

    private (DateTimeOffset At, long Count)? _population;
    private readonly Lock _populationGate = new();

    /// <summary>
    /// How many person records the hub holds with <paramref name="adding"/> more, for the model's prior (the chance that two
    /// records are one person falls as the population grows). Counted in the database at most every few minutes, like the
    /// model is re-read, and kept up to date in between with the people this process adds: a count of every person on every
    /// write cost a full scan, and made a bundle's write several times slower at a million events than at ten thousand
    /// (benchmark, issue 27). Another process's writes reach the prior within minutes; a write that fails is counted anyway,
    /// which moves the prior by one person in a population.
    /// </summary>
    private async Task<long> PopulationAsync(HubDbContext db, int adding, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        lock (_populationGate)
        {
            if (_population is { } cached && now - cached.At < ModelFor)
            {
                _population = (cached.At, cached.Count + adding);
                return cached.Count + adding;
            }
        }
        var count = await db.People.LongCountAsync(cancellationToken) + adding;
        lock (_populationGate)
        {
            _population = (now, count);
        }
        return count;
    }

    /// <summary>Estimates the model from these records and keeps it (<see cref="LinkageTraining"/>); the default stays below its minimum.</summary>
    private async Task<FellegiSunterModel> EstimateAsync(HubDbContext db, IReadOnlyList<LinkageCandidate> records, CancellationToken cancellationToken)
    {
        if (records.Count < LinkageTraining.MinimumRecords)
        {
            return await ModelAsync(db, cancellationToken);
        }
        var estimated = LinkageTraining.Estimate(records);
        db.LinkageModels.Add(new LinkageModelRow { Id = Guid.NewGuid(), EstimatedAt = clock.GetUtcNow(), Records = records.Count, Parameters = estimated.ToJson() });
        await db.SaveChangesAsync(cancellationToken);
        // Kept as estimated; the partnership's thresholds, when set, apply to it here as to a kept one read back.
        var model = options.Value.Apply(estimated);
        _model = (clock.GetUtcNow(), model);
        return model;
    }

    private long _generation;

    /// <summary>Raised by <see cref="Forget"/> after the cache is cleared, so other hub processes can be told.</summary>
    public event Action? Forgotten;

    /// <summary>Drops every cached result; called whenever a person record or a pair is written (after its commit).</summary>
    public void Forget()
    {
        ForgetHere();
        Forgotten?.Invoke();
    }

    /// <summary>
    /// Drops every cached result of this process only (another process changed the links). A read under way keeps its answer
    /// but does not cache it: the generation it started in is over.
    /// </summary>
    internal void ForgetHere()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    /// <summary>A stored person as linkage compares it: blind indexes and keyed encodings, never plaintext.</summary>
    public static LinkageCandidate Candidate(Person p) =>
        new(p.Id, p.OwningAgency, p.Kind, p.Sex, p.FamilyNameIndex, p.BirthDateIndex, p.PostcodeIndex, p.Identifiers.Select(i => (i.Kind, i.ValueIndex)).ToList())
        {
            Encoding = PersonSealer.EncodingOf(p),
        };

    /// <summary>
    /// Scores the people added or changed on <paramref name="db"/> against their candidates and stages the pairs, to be
    /// saved with them. A changed person's automatic pairs are scored afresh; a person's decision on a pair stays.
    /// </summary>
    public async Task StagePairsAsync(HubDbContext db, IReadOnlyCollection<Person> people, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(people);
        if (people.Count == 0)
        {
            return;
        }
        var staged = people.ToDictionary(p => p.Id);
        var total = await PopulationAsync(db, people.Count(p => db.Entry(p).State == EntityState.Added), cancellationToken);
        // The prior for the records the hub will hold (when the partnership says how many), the names' shares of those it holds.
        var model = (await ModelAsync(db, cancellationToken)).ForPopulation(options.Value.PriorRecords(total));
        var now = clock.GetUtcNow();
        var shares = new Shares(total, _terms);
        foreach (var person in people)
        {
            var id = person.Id;
            // A person this unit of work adds has no stored pairs yet: no statement to find them.
            var existing = db.Entry(person).State == EntityState.Added
                ? []
                : await db.PersonPairs.Where(p => p.PersonA == id || p.PersonB == id).ToListAsync(cancellationToken);
            db.PersonPairs.RemoveRange(existing.Where(p => p.State == PairState.Automatic));
            var decided = existing.Where(p => p.State != PairState.Automatic).ToDictionary(p => p.PersonA == id ? p.PersonB : p.PersonA);
            var self = Candidate(person);
            var others = await CandidatesAsync(db, self, cancellationToken);
            // People staged in this same unit of work (a transaction bundle) are compared with each other once.
            others.AddRange(staged.Values.Where(o => o.Id.CompareTo(id) < 0).Select(Candidate).Where(o => LinkageBlocking.Keys(o).Intersect(LinkageBlocking.Keys(self)).Any()));
            var scores = await ScoreEachAsync(db, model, shares, self, others.DistinctBy(o => o.Id).Where(o => o.Id != id), cancellationToken);
            if (await JoinsConflictingIdentifiersAsync(db, self, scores.Where(x => x.Score.Outcome == LinkageOutcome.Link).Select(x => x.Other.Id).ToList(), cancellationToken))
            {
                // Linking would put two different verified identifiers of one kind (two NHS numbers) in one person's records,
                // through this record: never automatically; a person decides each link.
                scores = scores.Select(x => (x.Other, LinkageRules.Hold(x.Score))).ToList();
            }
            foreach (var (other, score) in scores)
            {
                if (decided.TryGetValue(other.Id, out var kept))
                {
                    // A person's decision beats the score; the evidence shown with it is brought up to date.
                    Record(kept, score, now);
                    continue;
                }
                if (score.Outcome == LinkageOutcome.NoLink)
                {
                    continue;
                }
                var (a, b) = PersonPair.Ordered(id, other.Id);
                var pair = new PersonPair { Id = Guid.NewGuid(), PersonA = a, PersonB = b, State = PairState.Automatic, Version = 1 };
                Record(pair, score, now);
                db.PersonPairs.Add(pair);
            }
        }
    }

    /// <summary>
    /// Whether linking <paramref name="self"/> to these records would bring, into one individual's records (theirs, everything
    /// already linked to them, and this one), two different identifiers of one kind each asserted by its issuer.
    /// </summary>
    private async Task<bool> JoinsConflictingIdentifiersAsync(HubDbContext db, LinkageCandidate self, List<Guid> linkedTo, CancellationToken cancellationToken)
    {
        if (linkedTo.Count == 0)
        {
            return false;
        }
        var cluster = (await LinkAsync(linkedTo, cancellationToken)).Expand(linkedTo);
        cluster.Remove(self.Id);
        var records = await LoadAsync(db.People.Where(p => cluster.Contains(p.Id)), MaxRecords, cancellationToken);
        records.Add(self);
        return LinkageRules.Conflict(records.SelectMany(LinkageRules.Asserted));
    }

    private static void Record(PersonPair pair, LinkageScore score, DateTimeOffset now)
    {
        pair.Outcome = score.Outcome == LinkageOutcome.Link ? PairOutcome.Link : PairOutcome.Review;
        pair.Weight = double.IsFinite(score.Weight) ? Math.Round(score.Weight, 2) : score.Weight > 0 ? 99 : -99;
        pair.Probability = score.Probability;
        var evidence = score.Evidence.Select(e => new { field = e.Field.ToString(), level = e.Level, weight = double.IsFinite(e.Weight) ? e.Weight : (double?)null }).ToList();
        if (score.Veto is { } rule)
        {
            // Why a score that would link waits for a person instead.
            evidence.Add(new { field = "Rule", level = rule, weight = (double?)null });
        }
        pair.Evidence = JsonSerializer.Serialize(evidence);
        pair.ScoredAt = now;
    }

    /// <summary>How common the family name is among person records (term frequency, as <see cref="LinkageFrequencies"/> counts it).</summary>
    private static async Task<double?> FamilyShareAsync(HubDbContext db, TermCounts counts, LinkageCandidate other, long total, CancellationToken cancellationToken) =>
        other.FamilyName is not { } family || total < LinkageFrequencies.MinimumRecords ? null
            : LinkageFrequencies.Share(await counts.CountAsync(db, [(nameof(Person.FamilyNameIndex), family)], cancellationToken), total, LinkageFrequencies.MinimumRecords);

    /// <summary>How common the given name is among people born the same month (or, with too few of them, among everyone).</summary>
    private static async Task<double?> GivenShareAsync(HubDbContext db, TermCounts counts, LinkageCandidate other, long total, CancellationToken cancellationToken)
    {
        if (other.Encoding.GivenName is not { } given || total < LinkageFrequencies.MinimumRecords)
        {
            return null;
        }
        if (other.Encoding.BirthYearMonth is { } month)
        {
            var cohort = await counts.CountAsync(db, [(nameof(Person.BirthYearMonthIndex), month)], cancellationToken);
            if (cohort >= LinkageFrequencies.MinimumCohort)
            {
                return LinkageFrequencies.Share(await counts.CountAsync(db, [(nameof(Person.BirthYearMonthIndex), month), (nameof(Person.GivenNameIndex), given)], cancellationToken),
                    cohort, LinkageFrequencies.MinimumCohort);
            }
        }
        return LinkageFrequencies.Share(await counts.CountAsync(db, [(nameof(Person.GivenNameIndex), given)], cancellationToken), total, LinkageFrequencies.MinimumRecords);
    }

    private readonly TermCounts _terms = new(clock);

    /// <summary>
    /// How many person records hold a name (or a given name in a birth month), counted in the database at most every few
    /// minutes, like the population and the model: the count of a common family name reads as many index entries as it has
    /// records, a share of the population, on every write that meets it. Term frequencies weigh an agreement, as Splink's are
    /// computed once per training run; a few minutes' new records do not move a name's share. Keyed by blind indexes only; bounded.
    /// </summary>
    private sealed class TermCounts(TimeProvider clock)
    {
        private const int MaxKept = 100_000;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset At, long Count)> _counts = new(StringComparer.Ordinal);

        public async Task<long> CountAsync(HubDbContext db, (string Property, byte[] Value)[] parts, CancellationToken cancellationToken)
        {
            var key = string.Join('|', parts.Select(p => p.Property + "=" + Convert.ToBase64String(p.Value)));
            var now = clock.GetUtcNow();
            if (_counts.TryGetValue(key, out var kept) && now - kept.At < ModelFor)
            {
                return kept.Count;
            }
            var count = await db.People.LongCountAsync(All(parts), cancellationToken);
            if (_counts.Count >= MaxKept)
            {
                _counts.Clear();
            }
            _counts[key] = (now, count);
            return count;
        }
    }

    /// <summary>p.A == a &amp;&amp; p.B == b ..., each value sent as a parameter.</summary>
    private static Expression<Func<Person, bool>> All(params (string Property, byte[] Value)[] parts)
    {
        var p = Expression.Parameter(typeof(Person), "p");
        return Expression.Lambda<Func<Person, bool>>(parts.Select(x => (Expression)Expression.Equal(Expression.Property(p, x.Property), Box(x.Value))).Aggregate(Expression.AndAlso), p);
    }

    /// <summary>
    /// The blocking keys (LinkageBlocking): the columns each looks up by equality, and the record's value for each. Every key is
    /// served by an index whose leading columns are its columns (a test holds the model to it), so each looks up a bounded set.
    /// </summary>
    private static readonly (string Column, Func<LinkageCandidate, byte[]?> Value)[][] Blocking =
    [
        [(nameof(Person.BirthDateIndex), r => r.BirthDate), (nameof(Person.FamilyPhoneticIndex), r => r.Encoding.FamilyPhonetic)],
        [(nameof(Person.BirthDateIndex), r => r.Encoding.BirthDateSwapped), (nameof(Person.FamilyPhoneticIndex), r => r.Encoding.FamilyPhonetic)],
        [(nameof(Person.BirthDateSwappedIndex), r => r.BirthDate), (nameof(Person.FamilyPhoneticIndex), r => r.Encoding.FamilyPhonetic)],
        [(nameof(Person.BirthDateIndex), r => r.BirthDate), (nameof(Person.GivenNameIndex), r => r.Encoding.GivenName)],
        [(nameof(Person.BirthDateIndex), r => r.BirthDate), (nameof(Person.PostcodeSectorIndex), r => r.Encoding.PostcodeSector)],
        [(nameof(Person.BirthYearMonthIndex), r => r.Encoding.BirthYearMonth), (nameof(Person.FamilyNameIndex), r => r.FamilyName),
            (nameof(Person.GivenNameIndex), r => r.Encoding.GivenName)],
    ];

    /// <summary>The columns of each blocking key.</summary>
    internal static IEnumerable<string[]> BlockingColumns => Blocking.Select(key => key.Select(part => part.Column).ToArray());

    /// <summary>
    /// The stored records that share a blocking key with <paramref name="record"/> (LinkageBlocking), at most a bounded number:
    /// at most <see cref="LinkageBlocking.PerKey"/> from each key (the lowest ids), all read in one statement (the keys'
    /// lookups joined with UNION ALL, their records and identifiers read with them). It was a statement per key, six to
    /// eight round trips for each new record on PostgreSQL. When more keys than <see cref="MaxCandidates"/> allows are full,
    /// the records of the earlier keys are kept, as before.
    /// </summary>
    private static async Task<List<LinkageCandidate>> CandidatesAsync(HubDbContext db, LinkageCandidate record, CancellationToken cancellationToken)
    {
        var id = record.Id;
        var keys = Blocking.Select(key => key.Select(part => (part.Column, Value: part.Value(record), Of: part.Value)).ToArray())
            .Where(key => key.All(part => part.Value is not null)).ToList();
        var kinds = record.Identifiers.GroupBy(i => i.Kind, i => i.Index).ToList();
        IQueryable<Guid>? ids = null;
        foreach (var key in keys)
        {
            var predicate = All(key.Select(part => (part.Column, part.Value!)).ToArray());
            ids = Union(ids, db.People.Where(predicate).Where(x => x.Id != id).OrderBy(x => x.Id).Select(x => x.Id).Take(LinkageBlocking.PerKey));
        }
        foreach (var kind in kinds)
        {
            var code = kind.Key;
            var owners = db.PersonIdentifiers.Where(i => i.Kind == code).Where(AnyEqual<PersonIdentifier>(i => i.ValueIndex, kind.ToList())).Select(i => i.PersonId);
            ids = Union(ids, db.People.Where(x => owners.Contains(x.Id) && x.Id != id).OrderBy(x => x.Id).Select(x => x.Id).Take(LinkageBlocking.PerKey));
        }
        if (ids is null)
        {
            return [];
        }
        var found = await LoadAsync(db.People.Where(p => ids.Contains(p.Id)), int.MaxValue, cancellationToken);
        if (found.Count <= MaxCandidates)
        {
            return found;
        }
        // Each record ranked by the first key it shares with this one, as the keys were read one by one before.
        int Rank(LinkageCandidate other)
        {
            var at = keys.FindIndex(key => key.All(part => part.Of(other) is { } value && value.AsSpan().SequenceEqual(part.Value)));
            if (at >= 0)
            {
                return at;
            }
            at = kinds.FindIndex(kind => other.Identifiers.Any(i => i.Kind == kind.Key && kind.Any(v => v.AsSpan().SequenceEqual(i.Index))));
            return keys.Count + (at >= 0 ? at : kinds.Count);
        }
        return found.OrderBy(Rank).ThenBy(c => c.Id).Take(MaxCandidates).ToList();
    }

    private static IQueryable<Guid> Union(IQueryable<Guid>? so, IQueryable<Guid> more) => so is null ? more : so.Concat(more);

    /// <summary>
    /// Scores a record that is not stored (a brokered query's person) against the stored records blocking finds for it,
    /// with the same model and term frequencies as a write; the caller decides what the scores mean for its answer.
    /// </summary>
    public async Task<IReadOnlyList<(LinkageCandidate Record, LinkageScore Score, ComparisonVector Vector)>> ScoreAsync(HubDbContext db, LinkageCandidate query,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(query);
        // Counted as a write's prior is (kept a few minutes): a brokered query was a full count of every person each time.
        var total = await PopulationAsync(db, 0, cancellationToken);
        var model = (await ModelAsync(db, cancellationToken)).ForPopulation(options.Value.PriorRecords(total));
        var scores = await ScoreEachAsync(db, model, new Shares(total, _terms), query, await CandidatesAsync(db, query, cancellationToken), cancellationToken);
        return scores.Select(x => (x.Other, x.Score, FellegiSunterModel.Compare(query, x.Other))).ToList();
    }

    /// <summary>Scores <paramref name="self"/> against each candidate, with the term frequencies of the candidates' names.</summary>
    private static async Task<List<(LinkageCandidate Other, LinkageScore Score)>> ScoreEachAsync(HubDbContext db, FellegiSunterModel model, Shares shares,
        LinkageCandidate self, IEnumerable<LinkageCandidate> candidates, CancellationToken cancellationToken)
    {
        var scores = new List<(LinkageCandidate Other, LinkageScore Score)>();
        foreach (var other in candidates)
        {
            scores.Add((other, model.Score(self, other, await shares.FamilyAsync(db, other, cancellationToken), await shares.GivenAsync(db, other, cancellationToken))));
        }
        return scores;
    }

    /// <summary>
    /// The term frequencies one write (or query) needs, each counted once: candidates often share a family name or a
    /// birth month, and a transaction scores several people against the same candidates.
    /// </summary>
    private sealed class Shares(long total, TermCounts counts)
    {
        private readonly Dictionary<string, double?> _family = new(StringComparer.Ordinal);
        private readonly Dictionary<string, double?> _given = new(StringComparer.Ordinal);

        public async Task<double?> FamilyAsync(HubDbContext db, LinkageCandidate other, CancellationToken cancellationToken)
        {
            var key = other.FamilyName is { } f ? Convert.ToBase64String(f) : "";
            if (!_family.TryGetValue(key, out var share))
            {
                share = await FamilyShareAsync(db, counts, other, total, cancellationToken);
                _family[key] = share;
            }
            return share;
        }

        public async Task<double?> GivenAsync(HubDbContext db, LinkageCandidate other, CancellationToken cancellationToken)
        {
            var key = Convert.ToBase64String(LinkageFrequencies.Join(other.Encoding.GivenName, other.Encoding.BirthYearMonth) ?? other.Encoding.GivenName ?? []);
            if (!_given.TryGetValue(key, out var share))
            {
                share = await GivenShareAsync(db, counts, other, total, cancellationToken);
                _given[key] = share;
            }
            return share;
        }
    }

    /// <summary>
    /// Links every stored person at once, as records arriving one after another would be (a demo or a backfill): with enough
    /// records it first estimates the model from them; then in memory, through the same blocking keys, model and rule on
    /// asserted identifiers as a write (a record whose links would join two NHS numbers waits for a person), storing the
    /// pairs in batches. Pairs already stored are left as they are, and the links among them count as a write's would.
    /// </summary>
    public async Task<int> LinkAllAsync(CancellationToken cancellationToken)
    {
        await using var db = contexts.Create();
        var records = await LoadAsync(db.People.AsNoTracking().Where(p => p.BirthDateIndex != null), int.MaxValue, cancellationToken);
        var stored = await db.PersonPairs.AsNoTracking().Select(p => new { p.PersonA, p.PersonB, p.State, p.Outcome }).ToListAsync(cancellationToken);
        var known = stored.Select(p => (p.PersonA, p.PersonB)).ToHashSet();
        var position = records.Select((r, i) => (r.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var individuals = new LinkedIndividuals(records);
        foreach (var pair in stored.Where(p => p.State == PairState.Confirmed || (p.State == PairState.Automatic && p.Outcome == PairOutcome.Link)))
        {
            if (position.TryGetValue(pair.PersonA, out var a) && position.TryGetValue(pair.PersonB, out var b))
            {
                individuals.Join(a, b);
            }
        }
        // With enough records the model is estimated from them first, and kept for the records written after.
        var model = (await EstimateAsync(db, records, cancellationToken)).ForPopulation(options.Value.PriorRecords(records.Count));
        var frequencies = new LinkageFrequencies();
        records.ForEach(frequencies.Add);
        var blocking = new LinkageBlocking();
        var now = clock.GetUtcNow();
        var added = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var scores = new List<(int Other, LinkageScore Score)>();
            foreach (var j in blocking.Candidates(records[i]))
            {
                if (known.Contains(PersonPair.Ordered(records[i].Id, records[j].Id)))
                {
                    continue;
                }
                var score = model.Score(records[i], records[j], frequencies.FamilyShare(records[j]), frequencies.GivenShare(records[j]));
                if (score.Outcome != LinkageOutcome.NoLink)
                {
                    scores.Add((j, score));
                }
            }
            var linkedTo = scores.Where(s => s.Score.Outcome == LinkageOutcome.Link).Select(s => s.Other).ToList();
            var held = individuals.WouldConflict(i, linkedTo);
            foreach (var (j, found) in scores)
            {
                var score = held ? LinkageRules.Hold(found) : found;
                if (score.Outcome == LinkageOutcome.Link)
                {
                    individuals.Join(i, j);
                }
                var (a, b) = PersonPair.Ordered(records[i].Id, records[j].Id);
                var pair = new PersonPair { Id = Guid.NewGuid(), PersonA = a, PersonB = b, State = PairState.Automatic, Version = 1 };
                Record(pair, score, now);
                db.PersonPairs.Add(pair);
                known.Add((a, b));
                if (++added % 2_000 == 0)
                {
                    await db.SaveChangesAsync(cancellationToken);
                    db.ChangeTracker.Clear();
                }
            }
            blocking.Add(records[i], i);
        }
        await db.SaveChangesAsync(cancellationToken);
        Forget();
        return added;
    }

    /// <summary>The records linked to <paramref name="personIds"/>, following the stored links, with those awaiting review.</summary>
    public async Task<LinkedPeople> LinkAsync(IReadOnlyCollection<Guid> personIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(personIds);
        if (personIds.Count == 0)
        {
            return new LinkedPeople([], []);
        }
        var key = string.Join(',', personIds.Order());
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && now - cached.At < CacheFor)
        {
            return cached.Linked;
        }
        var generation = Interlocked.Read(ref _generation);
        var linked = await LinkUncachedAsync(personIds, cancellationToken);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        var entry = (now, linked);
        _cache[key] = entry;
        // Kept only if no change came while it was read (it may predate the change). Stored, then checked: a change after the
        // check clears it anyway.
        if (Interlocked.Read(ref _generation) != generation)
        {
            _cache.TryRemove(new KeyValuePair<string, (DateTimeOffset, LinkedPeople)>(key, entry));
        }
        return linked;
    }

    private async Task<LinkedPeople> LinkUncachedAsync(IReadOnlyCollection<Guid> personIds, CancellationToken cancellationToken)
    {
        await using var db = contexts.Create();
        var known = personIds.ToHashSet();
        var links = new List<PersonLink>();
        var pairs = new HashSet<(Guid, Guid)>();
        var reviews = new List<PersonPair>();
        var frontier = personIds.ToList();
        while (frontier.Count > 0 && known.Count < MaxRecords)
        {
            var touching = await db.PersonPairs.AsNoTracking()
                .Where(p => frontier.Contains(p.PersonA) || frontier.Contains(p.PersonB))
                .Where(p => p.State == PairState.Confirmed || (p.State == PairState.Automatic && (p.Outcome == PairOutcome.Link || p.Outcome == PairOutcome.Review)))
                .Take(MaxRecords).ToListAsync(cancellationToken);
            var next = new List<Guid>();
            foreach (var pair in touching)
            {
                if (pair.AwaitsReview)
                {
                    reviews.Add(pair);
                    continue;
                }
                if (pairs.Add((pair.PersonA, pair.PersonB)))
                {
                    links.Add(new PersonLink(pair.PersonA, pair.PersonB, pair.State == PairState.Confirmed ? LinkBasis.Confirmed : LinkBasis.Probabilistic));
                }
                foreach (var other in new[] { pair.PersonA, pair.PersonB })
                {
                    if (known.Count < MaxRecords && known.Add(other))
                    {
                        next.Add(other);
                    }
                }
            }
            frontier = next;
        }
        await KeptAtErasureAsync(db, known.ToList(), links, pairs, cancellationToken);
        // A possible record of these people that a person has yet to decide on (and that no link has joined to them):
        // what is shown of them may be incomplete.
        var pending = reviews.Where(r => known.Contains(r.PersonA) != known.Contains(r.PersonB))
            .Select(r => known.Contains(r.PersonA) ? r.PersonA : r.PersonB).ToHashSet();
        return new LinkedPeople(personIds, links) { PendingReview = pending };
    }

    /// <summary>
    /// The links of erased records that touch the records found: an erased record's encodings are gone, so the links it had
    /// when it was erased stand in for the evidence (its whole linked set was kept then).
    /// </summary>
    private static async Task KeptAtErasureAsync(HubDbContext db, List<Guid> found, List<PersonLink> links, HashSet<(Guid, Guid)> pairs, CancellationToken cancellationToken)
    {
        var erased = await db.ErasedLinks.AsNoTracking()
            .Where(l => found.Contains(l.ErasedPersonId) || found.Contains(l.LinkedPersonId))
            .Select(l => l.ErasedPersonId).Distinct().OrderBy(id => id).Take(MaxRecords).ToListAsync(cancellationToken);
        if (erased.Count == 0)
        {
            return;
        }
        var kept = await db.ErasedLinks.AsNoTracking().Where(l => erased.Contains(l.ErasedPersonId))
            .OrderBy(l => l.ErasedPersonId).Take(MaxRecords).ToListAsync(cancellationToken);
        foreach (var link in kept)
        {
            if (pairs.Add(PersonPair.Ordered(link.ErasedPersonId, link.LinkedPersonId)))
            {
                links.Add(new PersonLink(link.ErasedPersonId, link.LinkedPersonId, LinkBasis.KeptAtErasure));
            }
        }
    }

    /// <summary>x.Field == v1 || x.Field == v2 ...: equality on byte arrays translates on both engines, a list Contains does not.</summary>
    private static Expression<Func<T, bool>> AnyEqual<T>(Expression<Func<T, byte[]>> field, IReadOnlyList<byte[]> values)
    {
        var parameter = field.Parameters[0];
        Expression body = Expression.Constant(false);
        foreach (var value in values.DistinctBy(Convert.ToHexString))
        {
            body = Expression.OrElse(body, Expression.Equal(field.Body, Box(value)));
        }
        return Expression.Lambda<Func<T, bool>>(body, parameter);
    }

    /// <summary>A closure member (not a constant), so EF sends the value as a parameter.</summary>
    private static Expression Box(byte[] value) => Expression.Property(Expression.Constant(new Holder(value)), nameof(Holder.Value));

    private sealed class Holder(byte[] value)
    {
        public byte[] Value { get; } = value;
    }

    private static async Task<List<LinkageCandidate>> LoadAsync(IQueryable<Person> people, int limit, CancellationToken cancellationToken)
    {
        var rows = await people.AsNoTracking().OrderBy(p => p.Id)
            .Select(p => new
            {
                p.Id, p.OwningAgency, p.Kind, p.Sex, p.FamilyNameIndex, p.BirthDateIndex, p.PostcodeIndex,
                p.FamilyPhoneticIndex, p.FamilyBloom, p.GivenNameIndex, p.GivenPhoneticIndex, p.GivenBloom, p.BirthDateSwappedIndex, p.BirthYearMonthIndex, p.PostcodeSectorIndex,
                p.PreviousPostcodeIndexes, p.FamilyVariantIndexes,
                Identifiers = p.Identifiers.Select(i => new { i.Kind, i.ValueIndex }).ToList(),
            })
            .Take(limit)
            .ToListAsync(cancellationToken);
        return rows.Select(r => new LinkageCandidate(r.Id, r.OwningAgency, r.Kind, r.Sex, r.FamilyNameIndex, r.BirthDateIndex, r.PostcodeIndex,
            r.Identifiers.Select(i => (i.Kind, i.ValueIndex)).ToList())
        {
            Encoding = new LinkageEncoding(r.FamilyPhoneticIndex, r.FamilyBloom, r.GivenNameIndex, r.GivenPhoneticIndex, r.GivenBloom, r.BirthDateSwappedIndex, r.BirthYearMonthIndex, r.PostcodeSectorIndex)
            {
                PreviousPostcodes = r.PreviousPostcodeIndexes,
                FamilyVariants = r.FamilyVariantIndexes,
            },
        }).ToList();
    }
}
