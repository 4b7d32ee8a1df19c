using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;

namespace SharingHub.Server.Fhir;

/// <summary>
/// Patient/{id}/$chronology: one child's multi-agency story, "one system, one story". The child's
/// records at every agency are found by linkage; their events, involvements and states are merged in
/// date order. Each entry is decided on its own: what the caller may not know of is simply not there,
/// withheld fields are removed and the resource is labelled REDACTED.
/// </summary>
internal sealed class Chronology(IHubDbContextFactory contexts, FhirMapping map, FhirTasks tasks)
{
    public const int MaxEntries = 5_000;

    /// <summary>What a chronology says when another record may be this person's and a person has yet to decide.</summary>
    public const string MayBeIncomplete = "This chronology may be incomplete: another agency's record may be this person's and awaits review by the data team.";
    internal static readonly string[] Parameters = ["from", "to", "agency", "category", "significance", "household"];

    public async Task<IResult> ReadAsync(HttpContext http, RecordAccess access, string id)
    {
        var unknown = http.Request.Query.Keys.FirstOrDefault(k => !Parameters.Contains(k) && k != "_format");
        if (unknown is not null)
        {
            return FhirResults.BadRequest($"$chronology does not take '{SearchParameters.Safe(unknown)}'; it takes {string.Join(", ", Parameters)}");
        }
        var filter = ChronologyFilter.Parse(http.Request.Query);
        if (filter.Error is { } error)
        {
            return FhirResults.BadRequest(error);
        }
        if (!Guid.TryParse(id, out var personId))
        {
            return FhirResults.NotFound(FhirTypes.Patient, id);
        }
        var result = await BuildAsync(access, personId, filter, http.RequestAborted);
        if (result.Person is null)
        {
            return FhirResults.NotFound(FhirTypes.Patient, id);
        }
        if (result.TooMany)
        {
            return FhirResults.Outcome(400, "too-costly", $"the chronology has more than {MaxEntries} entries to decide on; narrow it with from, to, agency or category");
        }
        var baseUrl = FhirEndpoints.BaseUrl(http);
        var entries = result.Entries.Select(e => new BundleEntry($"{baseUrl}/{FhirTypes.TypeOf(e.Disclosure.Record)}/{e.Disclosure.Record.Id}",
            e.Disclosure.Record is Referral ? tasks.ReferralTask(e.Disclosure, access.Now) : FhirTypes.ToResource(map, e.Disclosure), new BundleSearch("match"))).ToList();
        var total = entries.Count;
        if (result.MayBeIncomplete)
        {
            // A possible record of this person awaits a person's review: say so, never what or whose it is.
            entries.Add(new BundleEntry($"urn:uuid:{Guid.NewGuid()}", new OperationOutcome([new OperationOutcomeIssue("information", "incomplete", MayBeIncomplete,
                new CodeableConcept([new Coding(FhirSystems.Linkage, "may-be-incomplete", "a possible match awaits review")]))]), new BundleSearch("outcome")));
        }
        return FhirResults.Resource(new Bundle("searchset")
        {
            Timestamp = FhirMapping.Instant(access.Now),
            Total = total,
            Link = [new BundleLink("self", $"{baseUrl}/Patient/{personId}/$chronology{http.Request.QueryString}")],
            Entry = entries.Count == 0 ? null : entries,
        });
    }

    /// <summary>
    /// The chronology as this request may see it, for every way of showing it (FHIR, the pages): the person's own record
    /// (null when it is unknown or not theirs to see), each entry decided and disclosed, in date order.
    /// </summary>
    public async Task<ChronologyResult> BuildAsync(RecordAccess access, Guid personId, ChronologyFilter filter, CancellationToken ct)
    {
        await using var db = contexts.Create();
        var person = (Person?)await FhirTypes.FindAsync(db, FhirTypes.Patient, personId, access, ct);
        if (person is null)
        {
            return ChronologyResult.NotFound;
        }
        await access.PrepareAsync([personId], ct);
        var decision = access.Decide(person);
        if (!decision.IsPermit)
        {
            return ChronologyResult.NotFound;
        }
        var shown = (person, decision);
        var subjects = access.Links.Of(personId).ToList();
        if (filter.Household)
        {
            // Only households the caller may see widen the chronology: a refuge household is itself protected.
            var households = await db.Households.AsNoTracking().Include(h => h.Members).ReachableBy(access)
                .Where(h => h.Members.Any(m => subjects.Contains(m.PersonId))).OrderBy(h => h.Id).Take(20).ToListAsync(ct);
            await access.PrepareAsync(households.SelectMany(h => h.Members.Select(m => m.PersonId)), ct);
            var members = access.Permitted(households).Where(h => h.Decision.Fields.Contains("members"))
                .SelectMany(h => h.Record.Members.Select(m => m.PersonId)).Distinct().ToList();
            await access.PrepareAsync(members, ct);
            subjects = access.Links.Expand(subjects.Concat(members)).ToList();
        }

        var events = db.Events.AsNoTracking().Include(e => e.Subjects).About(db, subjects);
        var involvements = db.Involvements.AsNoTracking().Where(i => subjects.Contains(i.PersonId));
        var states = db.States.AsNoTracking().Where(s => subjects.Contains(s.PersonId));
        // Referrals about the child and what the front door decided, as far as the caller may see each.
        var referrals = db.Referrals.AsNoTracking().Where(r => subjects.Contains(r.SubjectPersonId));
        // Family Help (the assessment and plan, and who leads it), placed at its start.
        var familyHelp = db.FamilyHelpPlans.AsNoTracking().Where(p => subjects.Contains(p.PersonId));
        if (filter.From is { } from)
        {
            familyHelp = familyHelp.Where(p => p.EndedAt == null || p.EndedAt >= from);
            referrals = referrals.Where(r => r.ReceivedAt >= from);
            events = events.Where(e => e.OccurredAt >= from);
            involvements = involvements.Where(i => i.EndedAt == null || i.EndedAt >= from);
            states = states.Where(s => s.EndedAt == null || s.EndedAt >= from);
        }
        if (filter.To is { } to)
        {
            referrals = referrals.Where(r => r.ReceivedAt < to);
            familyHelp = familyHelp.Where(p => p.StartedAt < to);
            events = events.Where(e => e.OccurredAt < to);
            involvements = involvements.Where(i => i.StartedAt < to);
            states = states.Where(s => s.StartedAt < to);
        }
        if (filter.Agencies.Count > 0)
        {
            events = events.Where(e => filter.Agencies.Contains(e.OwningAgency));
            involvements = involvements.Where(i => filter.Agencies.Contains(i.OwningAgency));
            states = states.Where(s => filter.Agencies.Contains(s.OwningAgency));
            referrals = referrals.Where(r => filter.Agencies.Contains(r.OwningAgency));
            familyHelp = familyHelp.Where(p => filter.Agencies.Contains(p.OwningAgency));
        }
        if (filter.Categories.Count > 0)
        {
            events = events.Where(e => filter.Categories.Contains(e.Category));
        }
        if (filter.Significances.Count > 0)
        {
            events = events.Where(e => filter.Significances.Contains(e.Significance));
        }
        // Involvements, states, referrals and Family Help carry no event category or significance: a filter on either keeps events only.
        var eventsOnly = filter.Categories.Count > 0 || filter.Significances.Count > 0;
        // The rows are the subjects' own, so few: each search reads them by person (as the baseline does) and they are held to
        // the reachable pairs in memory, as a read by id is, before any is decided. The pairs' IN list in SQL (70 parameters
        // for a lead practitioner) cost each search 0.3-1.2 ms on SQLite, more than its rows. No LIMIT is sent, since a
        // limit lets PostgreSQL plan the search as a walk in date order: reading stops after MaxEntries + 1 rows. Only a kind
        // with more rows than that is read again with the pairs in SQL, so that the limit counts what the caller could see.
        async Task<List<T>> ReachableAsync<T>(IQueryable<T> ordered) where T : Record
        {
            var read = new List<T>();
            await foreach (var row in ordered.AsAsyncEnumerable().WithCancellation(ct))
            {
                read.Add(row);
                if (read.Count > MaxEntries)
                {
                    break;
                }
            }
            if (read.Count > MaxEntries)
            {
                read = await ordered.ReachableBy(access).Take(MaxEntries + 1).ToListAsync(ct);
            }
            return read.Where(access.CouldReach).ToList();
        }
        var rows = new List<(DateTimeOffset At, Record Record, string Field)>();
        rows.AddRange((await ReachableAsync(events.OrderBy(e => e.OccurredAt))).Select(e => (e.OccurredAt, (Record)e, "occurredAt")));
        if (!eventsOnly)
        {
            rows.AddRange((await ReachableAsync(involvements.OrderBy(i => i.StartedAt))).Select(i => (i.StartedAt, (Record)i, "startedAt")));
            rows.AddRange((await ReachableAsync(states.OrderBy(s => s.StartedAt))).Select(s => (s.StartedAt, (Record)s, "startedAt")));
            rows.AddRange((await ReachableAsync(referrals.OrderBy(r => r.ReceivedAt))).Select(r => (r.ReceivedAt, (Record)r, "receivedAt")));
            rows.AddRange((await ReachableAsync(familyHelp.OrderBy(p => p.StartedAt))).Select(p => (p.StartedAt, (Record)p, "startedAt")));
        }
        if (rows.Count > MaxEntries)
        {
            return new ChronologyResult(shown, true, [], false);
        }
        await access.PrepareAsync(rows.SelectMany(r => RecordFacts.For(r.Record).SubjectIds), ct);
        var erased = access.Links.Erased;
        var entries = rows
            .Select(r => (r.At, r.Record, r.Field, Decision: access.Decide(r.Record)))
            // An entry is placed by its date, so an entry whose date is withheld cannot be placed and is left out.
            .Where(r => r.Decision.IsPermit && r.Decision.Fields.Contains(r.Field))
            .OrderBy(r => r.At).ThenBy(r => r.Record.Id)
            .Select(r => new ChronologyEntry(r.At, access.Disclose(r.Record, r.Decision, RecordFacts.For(r.Record).SubjectIds.Any(erased.Contains))))
            .ToList();
        // A possible record of this person awaits a person's review: the reader is told, never what or whose it is.
        return new ChronologyResult(shown, false, entries, access.Links.MayBeIncomplete(personId));
    }
}

/// <summary>One entry of a chronology, disclosed to its reader: placed by its date.</summary>
internal sealed record ChronologyEntry(DateTimeOffset At, Disclosure Disclosure);

/// <summary>A chronology as decided for one reader: Person null when the person is unknown or not theirs to see.</summary>
/// <remarks>The person's own record is decided, not disclosed: a page that shows their name discloses it, FHIR's Bundle does not carry it.</remarks>
internal sealed record ChronologyResult((Person Record, Decision Decision)? Person, bool TooMany, IReadOnlyList<ChronologyEntry> Entries, bool MayBeIncomplete)
{
    public static readonly ChronologyResult NotFound = new(null, false, [], false);
}

public sealed class ChronologyFilter
{
    public DateTimeOffset? From { get; private set; }
    public DateTimeOffset? To { get; private set; }
    public List<string> Agencies { get; } = [];
    public List<string> Categories { get; } = [];
    public List<Significance> Significances { get; } = [];
    public bool Household { get; private set; }
    public string? Error { get; private set; }

    public static ChronologyFilter Parse(IQueryCollection query)
    {
        var filter = new ChronologyFilter();
        if (query["from"].FirstOrDefault() is { } from)
        {
            if (!DateRange.TryParse(from, out var range) || range.Prefix != "eq")
            {
                return filter.Fail("from must be a date between the years 1000 and 9000 (yyyy, yyyy-MM, yyyy-MM-dd or an instant with a zone)");
            }
            filter.From = range.Start;
        }
        if (query["to"].FirstOrDefault() is { } to)
        {
            if (!DateRange.TryParse(to, out var range) || range.Prefix != "eq")
            {
                return filter.Fail("to must be a date between the years 1000 and 9000 (yyyy, yyyy-MM, yyyy-MM-dd or an instant with a zone); the whole of that period is included");
            }
            filter.To = range.End;
        }
        filter.Agencies.AddRange(Split(query["agency"]));
        filter.Categories.AddRange(Split(query["category"]));
        foreach (var s in Split(query["significance"]))
        {
            if (!Enum.TryParse<Significance>(s, ignoreCase: true, out var significance) || !Enum.IsDefined(significance) || s.Any(char.IsDigit))
            {
                return filter.Fail("significance is one or more of low, medium, high, critical (comma-separated)");
            }
            filter.Significances.Add(significance);
        }
        if (query["household"].FirstOrDefault() is { } household)
        {
            if (household is not ("true" or "false"))
            {
                return filter.Fail("household is true or false");
            }
            filter.Household = household == "true";
        }
        return filter;
    }

    private static IEnumerable<string> Split(Microsoft.Extensions.Primitives.StringValues values) =>
        values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    private ChronologyFilter Fail(string error)
    {
        Error = error;
        return this;
    }
}
