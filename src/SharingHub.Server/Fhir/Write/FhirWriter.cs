using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;

namespace SharingHub.Server.Fhir.Write;

/// <summary>Why a save did not happen: the record changed meanwhile, or a concurrent write took the same unique value.</summary>
internal enum SaveConflict
{
    Stale,
    Duplicate,
}

/// <summary>What a write did: the record created, found (conditional create) or updated, or why it was refused.</summary>
internal sealed record WriteOutcome(Record? Record, bool Created, IResult? Problem)
{
    public static WriteOutcome Refused(IResult problem) => new(null, false, problem);
}

/// <summary>
/// Writes of an agency's own records, staged on a context that the caller saves once: a single create
/// and a whole transaction bundle go through the same steps, so a transaction is all or nothing.
/// Every sensitive field is sealed and every searchable value indexed before it reaches the context.
/// </summary>
internal sealed class FhirWriter(PersonSealer people, IFieldCipher cipher, TimeProvider clock, PolicyDecisionPoint policy, PersonLinker linker, WorkingCalendar calendar)
{
    public const string StaleMessage = "the record changed while this request was being made: read it again and reapply your change";
    public const string ConflictMessage = "the write conflicts with a record stored at the same time (for example the same source reference); nothing was saved";

    /// <summary>
    /// Saves everything staged, in one transaction (FHIR and OData writes both come here); a concurrent
    /// change or duplicate reference is a conflict, not an error, answered in each API's own format.
    /// </summary>
    public async Task<SaveConflict?> SaveChangesAsync(HubDbContext db, CancellationToken ct)
    {
        try
        {
            var peopleChanged = db.ChangeTracker.Entries<Person>().Any(e => e.State is EntityState.Added or EntityState.Modified);
            await db.SaveChangesAsync(ct);
            if (peopleChanged)
            {
                // A new or changed person may link to (or away from) others: read-time linkage starts afresh.
                linker.Forget();
            }
            return null;
        }
        catch (DbUpdateConcurrencyException)
        {
            return SaveConflict.Stale;
        }
        catch (DbUpdateException)
        {
            return SaveConflict.Duplicate;
        }
    }

    public async Task<IResult?> SaveAsync(HubDbContext db, CancellationToken ct) => await SaveChangesAsync(db, ct) switch
    {
        null => null,
        SaveConflict.Stale => FhirResults.PreconditionFailed(StaleMessage),
        _ => FhirResults.Conflict(ConflictMessage),
    };

    public async Task<WriteOutcome> CreatePatientAsync(HubDbContext db, string agency, JsonElement root, string? ifNoneExist, Guid? id, CancellationToken ct)
    {
        var errors = new InputErrors();
        var details = ResourceInput.Patient(root, clock.GetUtcNow(), errors);
        if (details is null)
        {
            return WriteOutcome.Refused(errors.ToResult());
        }
        if (ifNoneExist is not null)
        {
            var (matches, problem) = await PatientsMatchingAsync(db, agency, ifNoneExist, ct);
            if (problem is not null)
            {
                return WriteOutcome.Refused(problem);
            }
            if (matches.Count > 1)
            {
                return WriteOutcome.Refused(FhirResults.PreconditionFailed($"If-None-Exist matches {matches.Count} of your agency's patients; it must match at most one"));
            }
            if (matches.Count == 1)
            {
                return new WriteOutcome(matches[0], false, null);
            }
        }
        var person = NewPerson(agency, details, id);
        db.People.Add(person);
        return new WriteOutcome(person, true, null);
    }

    public async Task<WriteOutcome> UpdatePatientAsync(HubDbContext db, string agency, Guid id, JsonElement root, string? ifMatch, CancellationToken ct)
    {
        if (ifMatch is null)
        {
            return WriteOutcome.Refused(FhirResults.PreconditionFailed("an update needs If-Match with the version you last read (W/\"n\"), so no one's change is lost"));
        }
        if (!TryVersion(ifMatch, out var expected))
        {
            return WriteOutcome.Refused(FhirResults.BadRequest("If-Match must be a version tag like W/\"3\""));
        }
        if (ResourceInput.Text(root, "id") is { } bodyId && bodyId != id.ToString())
        {
            return WriteOutcome.Refused(FhirResults.BadRequest("the resource's id does not match the id in the URL", "Patient.id"));
        }
        var errors = new InputErrors();
        var details = ResourceInput.Patient(root, clock.GetUtcNow(), errors);
        if (details is null)
        {
            return WriteOutcome.Refused(errors.ToResult());
        }
        // Only the owning agency updates a record; to anyone else it is not there to update.
        var person = await db.People.Include(p => p.Identifiers).FirstOrDefaultAsync(p => p.Id == id && p.OwningAgency == agency, ct);
        if (person is null)
        {
            return WriteOutcome.Refused(FhirResults.NotFound(FhirTypes.Patient, id.ToString()));
        }
        if (person.Version != expected)
        {
            return WriteOutcome.Refused(FhirResults.PreconditionFailed($"Patient/{id} is at version {person.Version}, not {expected}: read it again and reapply your change"));
        }
        db.RecordHistory.Add(Data.History.RecordSnapshots.Of(person));
        db.PersonIdentifiers.RemoveRange(person.Identifiers);
        people.Seal(person, details);
        db.PersonIdentifiers.AddRange(person.Identifiers);
        person.Version = expected + 1;
        person.UpdatedAt = clock.UtcNowForStorage();
        return new WriteOutcome(person, false, null);
    }

    // stored: the agency's source references already stored, when the caller looked them up for a whole
    // transaction at once; null to look this one up.
    public async Task<WriteOutcome> CreateObservationAsync(HubDbContext db, string agency, JsonElement root, string? ifNoneExist,
        IReadOnlyDictionary<string, Guid> placeholders, CancellationToken ct, IReadOnlySet<string>? stored = null)
    {
        var errors = new InputErrors();
        var draft = ResourceInput.Observation(root, agency, policy.Policy, errors);
        if (draft is null)
        {
            return WriteOutcome.Refused(errors.ToResult());
        }
        if (ifNoneExist is not null)
        {
            const string prefix = "identifier=";
            var wanted = ifNoneExist.StartsWith(prefix, StringComparison.Ordinal) ? Uri.UnescapeDataString(ifNoneExist[prefix.Length..]) : null;
            var system = $"{FhirSystems.SourceReference}:{agency}|";
            if (wanted is null || !wanted.StartsWith(system, StringComparison.Ordinal))
            {
                return WriteOutcome.Refused(FhirResults.BadRequest($"If-None-Exist for an Observation is identifier={system}{{your reference}}"));
            }
            var reference = wanted[system.Length..];
            var existing = await db.Events.AsNoTracking().Include(e => e.Subjects).FirstOrDefaultAsync(e => e.OwningAgency == agency && e.SourceReference == reference, ct)
                ?? db.Events.Local.FirstOrDefault(e => e.OwningAgency == agency && e.SourceReference == reference);
            if (existing is not null)
            {
                return new WriteOutcome(existing, false, null);
            }
        }
        if (draft.SourceReference is { } source
            && (stored is not null ? stored.Contains(source) || db.Events.Local.Any(e => e.OwningAgency == agency && e.SourceReference == source)
                : await HasReferenceAsync(db, agency, source, ct)))
        {
            return WriteOutcome.Refused(FhirResults.Conflict($"your agency already has an event with reference '{SearchParameters.Safe(source)}'; use If-None-Exist to make pushes idempotent"));
        }
        var subjects = new List<Guid>();
        foreach (var reference in draft.SubjectReferences)
        {
            var id = placeholders.TryGetValue(reference, out var placed) ? placed : FhirSearch.PatientId(reference);
            var own = id is { } g && await OwnsPersonAsync(db, agency, g, ct);
            if (!own)
            {
                return WriteOutcome.Refused(FhirResults.Unprocessable($"'{SearchParameters.Safe(reference)}' is not a Patient your agency holds: an event is recorded against your own record of the person", "Observation.subject"));
            }
            subjects.Add(id!.Value);
        }
        var ev = NewEvent(agency, draft, subjects);
        db.Events.Add(ev);
        return new WriteOutcome(ev, true, null);
    }

    /// <summary>A new event of the agency's, sealed, from a checked draft (FHIR and OData writes both come here).</summary>
    public ChronologyEvent NewEvent(string agency, EventDraft draft, IEnumerable<Guid> subjects)
    {
        var ev = Stamp(new ChronologyEvent
        {
            Id = Guid.NewGuid(), OwningAgency = agency, DataClass = draft.DataClass, OccurredAt = draft.OccurredAt, Category = draft.Category,
            Significance = draft.Significance, SourceReference = draft.SourceReference,
        });
        ev.Subjects = subjects.Distinct().Select(s => new EventSubject { EventId = ev.Id, PersonId = s }).ToList();
        Reseal(ev, draft.Summary, draft.Detail);
        return ev;
    }

    /// <summary>Seals an event's summary and detail (on creation, and when an update changes them).</summary>
    public void Reseal(ChronologyEvent ev, string summary, string? detail)
    {
        ev.Summary = cipher.Encrypt(summary, SensitiveFields.For(ev, nameof(ChronologyEvent.Summary)));
        ev.Detail = detail is null ? null : cipher.Encrypt(detail, SensitiveFields.For(ev, nameof(ChronologyEvent.Detail)));
    }

    /// <summary>A new person of the agency's, sealed and indexed.</summary>
    public Person NewPerson(string agency, PersonDetails details, Guid? id = null)
    {
        var person = Stamp(new Person { Id = id ?? Guid.NewGuid(), OwningAgency = agency, DataClass = "person.demographics" });
        people.Seal(person, details);
        return person;
    }

    /// <summary>Whether the agency already has an event with this case-system reference (stored, or staged in this unit of work).</summary>
    public static async Task<bool> HasReferenceAsync(HubDbContext db, string agency, string reference, CancellationToken ct) =>
        db.Events.Local.Any(e => e.OwningAgency == agency && e.SourceReference == reference)
        || await db.Events.AnyAsync(e => e.OwningAgency == agency && e.SourceReference == reference, ct);

    /// <summary>Whether the person is the agency's own record (stored, or staged in this unit of work): events and referrals name the writer's own records.</summary>
    public static async Task<bool> OwnsPersonAsync(HubDbContext db, string agency, Guid person, CancellationToken ct) =>
        db.People.Local.Any(p => p.Id == person && p.OwningAgency == agency) || await db.People.AnyAsync(p => p.Id == person && p.OwningAgency == agency, ct);

    /// <summary>A referral to the Integrated Front Door: received now, its decision due one working day later.</summary>
    public async Task<WriteOutcome> CreateReferralAsync(HubDbContext db, string agency, JsonElement root, CancellationToken ct)
    {
        var errors = new InputErrors();
        var draft = ResourceInput.Referral(root, errors);
        if (draft is null)
        {
            return WriteOutcome.Refused(errors.ToResult());
        }
        var subject = FhirSearch.PatientId(draft.Value.Subject);
        if (subject is not { } id || !await db.People.AnyAsync(p => p.Id == id && p.OwningAgency == agency, ct))
        {
            return WriteOutcome.Refused(FhirResults.Unprocessable("Task.for must be a Patient your agency holds: a referral names the child as your agency records them", "Task.for"));
        }
        var received = clock.UtcNowForStorage();
        var referral = Stamp(new Referral
        {
            Id = Guid.NewGuid(), OwningAgency = agency, DataClass = "referral", SubjectPersonId = id, ReceivedAt = received,
            DecisionDueAt = TimeProviderExtensions.TruncateForStorage(calendar.DecisionDue(received)),
        });
        referral.Concern = cipher.Encrypt(draft.Value.Concern, SensitiveFields.For(referral, nameof(Referral.Concern)));
        referral.ReferrerIdentity = draft.Value.Referrer is { } who ? cipher.Encrypt(who, SensitiveFields.For(referral, nameof(Referral.ReferrerIdentity))) : null;
        db.Referrals.Add(referral);
        return new WriteOutcome(referral, true, null);
    }

    /// <summary>Which of these source references the agency already has, in one query for a whole transaction.</summary>
    public static async Task<IReadOnlySet<string>> StoredReferencesAsync(HubDbContext db, string agency, IReadOnlyCollection<string> references, CancellationToken ct) =>
        references.Count == 0 ? new HashSet<string>()
            : (await db.Events.AsNoTracking().Where(e => e.OwningAgency == agency && references.Contains(e.SourceReference!)).Select(e => e.SourceReference!).ToListAsync(ct))
                .ToHashSet(StringComparer.Ordinal);

    private async Task<(List<Person> Matches, IResult? Problem)> PatientsMatchingAsync(HubDbContext db, string agency, string condition, CancellationToken ct)
    {
        const string prefix = "identifier=";
        var value = condition.StartsWith(prefix, StringComparison.Ordinal) ? Uri.UnescapeDataString(condition[prefix.Length..]) : null;
        var bar = value?.IndexOf('|', StringComparison.Ordinal) ?? -1;
        if (value is null || bar <= 0 || FhirSystems.KindOf(value[..bar]) is not { } kind)
        {
            return ([], FhirResults.BadRequest("If-None-Exist for a Patient is identifier={system}|{value}, with a system the hub holds"));
        }
        var index = people.IdentifierIndex(kind, value[(bar + 1)..]);
        var matches = await db.People.AsNoTracking().Include(p => p.Identifiers)
            .Where(p => p.OwningAgency == agency && p.Identifiers.Any(i => i.Kind == kind && i.ValueIndex == index)).OrderBy(p => p.Id).Take(2).ToListAsync(ct);
        matches.AddRange(db.People.Local.Where(p => p.OwningAgency == agency && p.Identifiers.Any(i => i.Kind == kind && i.ValueIndex.AsSpan().SequenceEqual(index))));
        return (matches.DistinctBy(p => p.Id).ToList(), null);
    }

    private T Stamp<T>(T record)
        where T : Record
    {
        var now = clock.UtcNowForStorage();
        record.CreatedAt = now;
        record.UpdatedAt = now;
        record.Version = 1;
        return record;
    }

    public static bool TryVersion(string etag, out long version)
    {
        var text = etag.Trim();
        text = text.StartsWith("W/", StringComparison.Ordinal) ? text[2..] : text;
        return long.TryParse(text.Trim('"'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version);
    }
}
