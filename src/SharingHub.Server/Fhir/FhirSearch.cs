using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;

namespace SharingHub.Server.Fhir;

/// <summary>
/// FHIR search. The database applies the filters and the narrowing to what any rule could share; then
/// every candidate is decided, and only permitted ones whose searched fields the caller may read count,
/// page or appear. So Bundle.total and the paging links say nothing about hidden records.
/// </summary>
internal sealed class FhirSearch(IHubDbContextFactory contexts, FhirMapping map, PersonSealer people, PolicyDecisionPoint policy)
{
    /// <summary>Above this many candidates the search must be narrowed; nothing is materialised beyond it.</summary>
    public const int MaxCandidates = 2_000;

    private static readonly Dictionary<string, (string[] Supported, string[] Repeatable, string[] Sorts)> Capabilities = new()
    {
        [FhirTypes.Patient] = (["_id", "_lastUpdated", "identifier", "family", "birthdate"], ["_lastUpdated"], ["_lastUpdated", "-_lastUpdated"]),
        [FhirTypes.Observation] = (["_id", "_lastUpdated", "identifier", "patient", "subject", "date", "category"], ["_lastUpdated", "date"],
            ["date", "-date", "_lastUpdated", "-_lastUpdated"]),
        [FhirTypes.EpisodeOfCare] = (["_id", "_lastUpdated", "patient", "status", "date"], ["_lastUpdated", "date"], ["date", "-date", "_lastUpdated", "-_lastUpdated"]),
        [FhirTypes.Flag] = (["_id", "_lastUpdated", "patient", "subject", "status", "date"], ["_lastUpdated", "date"], ["date", "-date", "_lastUpdated", "-_lastUpdated"]),
        [FhirTypes.Group] = (["_id", "_lastUpdated", "member"], ["_lastUpdated"], ["_lastUpdated", "-_lastUpdated"]),
        [FhirTypes.RelatedPerson] = (["_id", "_lastUpdated", "patient"], ["_lastUpdated"], ["_lastUpdated", "-_lastUpdated"]),
        [FhirTypes.Consent] = (["_id", "_lastUpdated", "patient", "status"], ["_lastUpdated"], ["_lastUpdated", "-_lastUpdated"]),
    };

    /// <summary>The search parameters each type supports, for the CapabilityStatement.</summary>
    public static IReadOnlyDictionary<string, string[]> Supported => Capabilities.ToDictionary(c => c.Key, c => c.Value.Supported);

    public async Task<IResult> SearchAsync(HttpContext http, RecordAccess access, string type, IEnumerable<KeyValuePair<string, StringValues>> query)
    {
        var (supported, repeatable, sorts) = Capabilities[type];
        var given = query.ToList();
        var parameters = SearchParameters.Parse(given, supported, repeatable, sorts);
        if (parameters.Error is { } error)
        {
            return FhirResults.BadRequest(error);
        }
        // The fields a filter reads: a filter on a field no rule lets this caller read is refused outright.
        var searched = SearchedFields(type, parameters).ToList();
        if (searched.FirstOrDefault(f => !policy.MaySee(access.Principal, access.Purpose, f)) is { } withheld)
        {
            return FhirResults.Forbidden($"searching on '{withheld}' is refused: no rule lets you read it for purpose '{access.Purpose}'");
        }
        await using var db = contexts.Create();
        var (filtered, problem) = Filter(db, type, access, parameters);
        if (problem is not null)
        {
            return FhirResults.BadRequest(problem);
        }
        var candidates = await Sort(filtered!, parameters.Sort).Take(MaxCandidates + 1).ToListAsync(http.RequestAborted);
        if (candidates.Count > MaxCandidates)
        {
            return FhirResults.Outcome(400, "too-costly", $"the search matches too many records to decide on; narrow it (at most {MaxCandidates})");
        }
        await access.PrepareAsync(candidates.SelectMany(c => RecordFacts.For(c).SubjectIds), http.RequestAborted);
        var visible = candidates
            .Select(c => (Record: c, Decision: access.Decide(c)))
            .Where(x => x.Decision.IsPermit && searched.All(x.Decision.Fields.Contains))
            .ToList();
        var page = parameters.Shaping.Count ? [] : visible.Skip(parameters.Offset).Take(parameters.Count).ToList();
        access.Prefetch(page.Select(x => (Record)x.Record));
        var baseUrl = FhirEndpoints.BaseUrl(http);
        var entries = page.Select(x => new BundleEntry($"{baseUrl}/{type}/{x.Record.Id}",
            parameters.Shaping.Apply(FhirTypes.ToResource(map, access.Disclose(x.Record, x.Decision))), new BundleSearch("match"))).ToList();
        return FhirResults.Resource(new Bundle("searchset")
        {
            Timestamp = FhirMapping.Instant(access.Now),
            Total = parameters.One("_total") == "none" ? null : visible.Count,
            Link = Links(given, baseUrl, type, parameters, visible.Count),
            Entry = entries.Count == 0 ? null : entries,
        });
    }

    private static IEnumerable<string> SearchedFields(string type, SearchParameters p)
    {
        foreach (var name in p.Names)
        {
            var field = (type, name) switch
            {
                (FhirTypes.Patient, "identifier") => "identifiers",
                (FhirTypes.Patient, "family") => "familyName",
                (FhirTypes.Patient, "birthdate") => "birthDate",
                (FhirTypes.Observation, "patient" or "subject") => "subjects",
                (FhirTypes.Observation, "date") => "occurredAt",
                (FhirTypes.Observation, "category") => "category",
                (FhirTypes.Observation, "identifier") => "sourceReference",
                (FhirTypes.EpisodeOfCare or FhirTypes.Flag, "patient" or "subject") => "personId",
                (FhirTypes.EpisodeOfCare, "status") => "status",
                (FhirTypes.Flag, "status") => "endedAt",
                (FhirTypes.EpisodeOfCare or FhirTypes.Flag, "date") => "startedAt",
                (FhirTypes.Group, "member") => "members",
                (FhirTypes.RelatedPerson, "patient") => "relatedPersonId",
                (FhirTypes.Consent, "patient") => "subjectPersonId",
                (FhirTypes.Consent, "status") => "status",
                _ => null,
            };
            if (field is not null)
            {
                yield return field;
            }
        }
    }

    private (IQueryable<Record>? Query, string? Problem) Filter(HubDbContext db, string type, RecordAccess access, SearchParameters p)
    {
        IQueryable<Record> query = FhirTypes.Query(db, type, access);
        if (p.AnyOf("_id") is { Count: > 0 } ids)
        {
            var guids = ids.Select(i => Guid.TryParse(i, out var g) ? g : Guid.Empty).ToList();
            query = query.Where(r => guids.Contains(r.Id));
        }
        var (updated, problem) = InRange(query, p.All("_lastUpdated"), r => r.UpdatedAt, "_lastUpdated");
        if (problem is not null)
        {
            return (null, problem);
        }
        query = updated!;
        return type switch
        {
            FhirTypes.Patient => FilterPatients(db, query.Cast<Person>(), p),
            FhirTypes.Observation => FilterEvents(db, query.Cast<ChronologyEvent>(), p),
            FhirTypes.EpisodeOfCare => FilterInvolvements(query.Cast<Involvement>(), p),
            FhirTypes.Flag => FilterStates(query.Cast<PersonState>(), p),
            FhirTypes.Group => ByPatient(query.Cast<Household>(), p, "member", id => h => h.Members.Any(m => m.PersonId == id)),
            FhirTypes.RelatedPerson => ByPatient(query.Cast<Relationship>(), p, "patient", id => r => r.RelatedPersonId == id),
            _ => FilterConsents(query.Cast<Consent>(), p),
        };
    }

    private (IQueryable<Record>?, string?) FilterPatients(HubDbContext db, IQueryable<Person> query, SearchParameters p)
    {
        if (p.One("identifier") is { } identifier)
        {
            var bar = identifier.IndexOf('|', StringComparison.Ordinal);
            var kinds = bar < 0 ? Enum.GetValues<IdentifierKind>().ToList() : FhirSystems.KindOf(identifier[..bar]) is { } kind ? [kind] : [];
            if (kinds.Count == 0)
            {
                return (null, $"identifier system '{SearchParameters.Safe(identifier[..bar])}' is not one the hub holds");
            }
            var value = bar < 0 ? identifier : identifier[(bar + 1)..];
            var owners = kinds
                .Select(k => (Kind: k, Index: people.IdentifierIndex(k, value)))
                .Select(x => db.PersonIdentifiers.Where(i => i.Kind == x.Kind && i.ValueIndex == x.Index).Select(i => i.PersonId))
                .Aggregate((a, b) => a.Concat(b));
            query = query.Where(person => owners.Contains(person.Id));
        }
        if (p.One("family") is { } family)
        {
            var index = people.FamilyNameIndex(family);
            query = query.Where(person => person.FamilyNameIndex == index);
        }
        if (p.One("birthdate") is { } birth)
        {
            if (!DateOnly.TryParseExact(birth.StartsWith("eq", StringComparison.Ordinal) ? birth[2..] : birth, "yyyy-MM-dd", out var day))
            {
                return (null, "birthdate is matched exactly (it is searched by a keyed index): give yyyy-MM-dd, with no prefix other than eq");
            }
            var index = people.BirthDateIndex(day);
            query = query.Where(person => person.BirthDateIndex == index);
        }
        if (!p.Names.Any(n => n is "_id" or "identifier" or "family" or "birthdate"))
        {
            return (null, "a Patient search needs _id, identifier, or family and birthdate");
        }
        return (query, null);
    }

    private static (IQueryable<Record>?, string?) FilterEvents(HubDbContext db, IQueryable<ChronologyEvent> query, SearchParameters p)
    {
        var patient = p.One("patient") ?? p.One("subject");
        if (patient is not null)
        {
            if (PatientId(patient) is not { } id)
            {
                return (null, "patient must be a Patient reference (Patient/{id}) or id");
            }
            query = query.About(db, [id]);
        }
        var (dated, dateProblem) = InRange(query, p.All("date"), e => e.OccurredAt, "date");
        if (dateProblem is not null)
        {
            return (null, dateProblem);
        }
        query = dated!;
        if (p.AnyOf("category") is { Count: > 0 } categories)
        {
            var codes = categories.Select(c => c.StartsWith(FhirSystems.EventCategory + "|", StringComparison.Ordinal) ? c[(FhirSystems.EventCategory.Length + 1)..] : c).ToList();
            query = query.Where(e => codes.Contains(e.Category));
        }
        if (p.One("identifier") is { } identifier)
        {
            var bar = identifier.IndexOf('|', StringComparison.Ordinal);
            var value = bar < 0 ? identifier : identifier[(bar + 1)..];
            query = query.Where(e => e.SourceReference == value);
            if (bar >= 0)
            {
                var system = identifier[..bar];
                var prefix = FhirSystems.SourceReference + ":";
                var agency = system.StartsWith(prefix, StringComparison.Ordinal) ? system[prefix.Length..] : null;
                query = query.Where(e => e.OwningAgency == agency);
            }
        }
        if (patient is null && p.One("_id") is null && p.One("identifier") is null)
        {
            return (null, "an Observation search needs patient (or subject), _id or identifier");
        }
        return (query, null);
    }

    private static (IQueryable<Record>?, string?) FilterInvolvements(IQueryable<Involvement> query, SearchParameters p)
    {
        var (about, problem) = ByPatient(query, p, "patient", id => i => i.PersonId == id, "an EpisodeOfCare search needs patient or _id");
        if (problem is not null)
        {
            return (null, problem);
        }
        query = about!;
        if (p.One("status") is { } status)
        {
            InvolvementStatus? wanted = status switch { "active" => InvolvementStatus.Open, "finished" => InvolvementStatus.Closed, _ => null };
            if (wanted is not { } w)
            {
                return (null, "EpisodeOfCare status is active or finished");
            }
            query = query.Where(i => i.Status == w);
        }
        return InRange(query, p.All("date"), i => i.StartedAt, "date");
    }

    private static (IQueryable<Record>?, string?) FilterStates(IQueryable<PersonState> query, SearchParameters p)
    {
        var (about, problem) = ByPatient(query, p, "patient", id => s => s.PersonId == id, "a Flag search needs patient (or subject) or _id", alias: "subject");
        if (problem is not null)
        {
            return (null, problem);
        }
        query = about!;
        if (p.One("status") is { } status)
        {
            if (status is not ("active" or "inactive"))
            {
                return (null, "Flag status is active or inactive");
            }
            query = status == "active" ? query.Where(s => s.EndedAt == null) : query.Where(s => s.EndedAt != null);
        }
        return InRange(query, p.All("date"), s => s.StartedAt, "date");
    }

    /// <summary>Each date value narrows <paramref name="field"/> to the range it covers (repeated values are ANDed, as FHIR says).</summary>
    private static (IQueryable<T>? Query, string? Problem) InRange<T>(IQueryable<T> query, IReadOnlyList<string> values,
        Expression<Func<T, DateTimeOffset>> field, string name)
    {
        foreach (var value in values)
        {
            if (!DateRange.TryParse(value, out var range))
            {
                return (null, $"{name} '{SearchParameters.Safe(value)}' is not a FHIR date between the years 1000 and 9000 (yyyy, yyyy-MM, yyyy-MM-dd or an instant with a zone), optionally prefixed eq, ge, le, gt or lt");
            }
            var (from, to) = range.Bounds;
            query = from is { } f ? query.Where(Compare(field, f, ExpressionType.GreaterThanOrEqual)) : query;
            query = to is { } t ? query.Where(Compare(field, t, ExpressionType.LessThan)) : query;
        }
        return (query, null);
    }

    private static Expression<Func<T, bool>> Compare<T>(Expression<Func<T, DateTimeOffset>> field,
        DateTimeOffset value, ExpressionType comparison)
    {
        // A member of a closure object, not a constant, so EF sends the bound as a parameter and reuses the plan.
        var bound = Expression.Property(Expression.Constant(new Bound(value)), nameof(Bound.Value));
        return Expression.Lambda<Func<T, bool>>(Expression.MakeBinary(comparison, field.Body, bound), field.Parameters);
    }

    private sealed record Bound(DateTimeOffset Value);

    /// <summary>
    /// The person a resource is about, named by <paramref name="name"/> (or its alias), or else _id: the
    /// filter every person-centred search takes, with the message to give when neither is there.
    /// </summary>
    private static (IQueryable<T>? Query, string? Problem) ByPatient<T>(IQueryable<T> query, SearchParameters p, string name,
        Func<Guid, Expression<Func<T, bool>>> about, string? missing = null, string? alias = null)
        where T : Record
    {
        if ((p.One(name) ?? (alias is null ? null : p.One(alias))) is { } patient)
        {
            return PatientId(patient) is { } id ? (query.Where(about(id)), null) : (null, $"{name} must be a Patient reference (Patient/{{id}}) or id");
        }
        return p.One("_id") is null ? (null, missing ?? $"this search needs {name} or _id") : (query, null);
    }

    private static (IQueryable<Record>?, string?) FilterConsents(IQueryable<Consent> query, SearchParameters p)
    {
        var (filtered, problem) = ByPatient(query, p, "patient", id => c => c.SubjectPersonId == id);
        if (problem is not null || p.One("status") is not { } status)
        {
            return (filtered, problem);
        }
        ConsentStatus? wanted = status switch { "active" => ConsentStatus.Active, "inactive" => ConsentStatus.Withdrawn, _ => null };
        return wanted is { } w ? (filtered!.Where(c => c.Status == w), null) : (null, "Consent status is active or inactive");
    }

    private static IQueryable<Record> Sort(IQueryable<Record> query, string? sort) => query switch
    {
        IQueryable<ChronologyEvent> events when sort is null or "date" => events.OrderBy(e => e.OccurredAt).ThenBy(e => e.Id),
        IQueryable<ChronologyEvent> events when sort == "-date" => events.OrderByDescending(e => e.OccurredAt).ThenBy(e => e.Id),
        IQueryable<Involvement> involvements when sort is null or "date" => involvements.OrderBy(i => i.StartedAt).ThenBy(i => i.Id),
        IQueryable<Involvement> involvements when sort == "-date" => involvements.OrderByDescending(i => i.StartedAt).ThenBy(i => i.Id),
        IQueryable<PersonState> states when sort is null or "date" => states.OrderBy(s => s.StartedAt).ThenBy(s => s.Id),
        IQueryable<PersonState> states when sort == "-date" => states.OrderByDescending(s => s.StartedAt).ThenBy(s => s.Id),
        _ when sort == "-_lastUpdated" => query.OrderByDescending(r => r.UpdatedAt).ThenBy(r => r.Id),
        _ => query.OrderBy(r => r.UpdatedAt).ThenBy(r => r.Id),
    };

    public static Guid? PatientId(string reference)
    {
        var id = reference.StartsWith("Patient/", StringComparison.Ordinal) ? reference["Patient/".Length..] : reference;
        return Guid.TryParse(id, out var guid) ? guid : null;
    }

    private static List<BundleLink> Links(List<KeyValuePair<string, StringValues>> given, string baseUrl, string type, SearchParameters p, int total)
    {
        string Url(int offset)
        {
            var pairs = given.Where(q => q.Key != "_offset")
                .SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"))
                .Append($"_offset={offset}");
            return $"{baseUrl}/{type}?{string.Join('&', pairs)}";
        }
        var links = new List<BundleLink> { new("self", Url(p.Offset)) };
        if (p.Count > 0 && p.Offset + p.Count < total)
        {
            links.Add(new BundleLink("next", Url(p.Offset + p.Count)));
        }
        if (p.Offset > 0)
        {
            links.Add(new BundleLink("previous", Url(Math.Max(0, p.Offset - p.Count))));
        }
        return links;
    }
}
