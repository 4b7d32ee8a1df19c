using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;

using SharingHub.Server.Writing;

namespace SharingHub.Server.Fhir.Write;

/// <summary>What a write did: the record created, found (conditional create) or updated, or why it was refused.</summary>
internal sealed record WriteOutcome(Record? Record, bool Created, IResult? Problem)
{
    /// <summary>What the writer is told besides "created" (a referral's acknowledgement), when there is more to say.</summary>
    public string? Message { get; init; }

    public static WriteOutcome Refused(IResult problem) => new(null, false, problem);
}

/// <summary>
/// Writes of an organisation's own records, staged on a context that the caller saves once: a single create
/// and a whole transaction bundle go through the same steps, so a transaction is all or nothing.
/// Every sensitive field is sealed and every searchable value indexed before it reaches the context.
/// </summary>
internal sealed class FhirWriter(RecordWriter records, PersonSealer people, TimeProvider clock, PolicyDecisionPoint policy,
    Writing.Kinds.KindWriter kinds, Journey.FrontDoor.MakeReferral referrals)
{

    public async Task<IResult?> SaveAsync(HubDbContext db, CancellationToken ct) => await records.SaveChangesAsync(db, ct) switch
    {
        null => null,
        SaveConflict.Stale => FhirResults.PreconditionFailed(RecordWriter.StaleMessage),
        _ => FhirResults.Conflict(RecordWriter.ConflictMessage),
    };

    public async Task<WriteOutcome> CreatePatientAsync(HubDbContext db, RecordOwner owner, JsonElement root, string? ifNoneExist, CancellationToken ct)
    {
        var errors = new InputErrors();
        var details = ResourceInput.Patient(root, clock.GetUtcNow(), errors);
        if (details is null)
        {
            return WriteOutcome.Refused(errors.ToResult());
        }
        if (ifNoneExist is not null)
        {
            var (matches, problem) = await PatientsMatchingAsync(db, owner, ifNoneExist, ct);
            if (problem is not null)
            {
                return WriteOutcome.Refused(problem);
            }
            if (matches.Count > 1)
            {
                return WriteOutcome.Refused(FhirResults.PreconditionFailed($"If-None-Exist matches {matches.Count} of your organisation's patients; it must match at most one"));
            }
            if (matches.Count == 1)
            {
                return new WriteOutcome(matches[0], false, null);
            }
        }
        return new WriteOutcome(records.StagePerson(db, owner, details), true, null);
    }

    public async Task<WriteOutcome> UpdatePatientAsync(HubDbContext db, RecordOwner owner, Guid id, JsonElement root, string? ifMatch, CancellationToken ct)
    {
        if (ifMatch is null)
        {
            return WriteOutcome.Refused(FhirResults.PreconditionFailed("an update needs If-Match with the version you last read (W/\"n\"), so no one's change is lost"));
        }
        if (!RecordWriter.TryVersion(ifMatch, out var expected))
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
        // Only the owning organisation updates a record; to anyone else it is not there to update.
        var person = await db.People.Include(p => p.Identifiers).FirstOrDefaultAsync(p => p.Id == id && p.OwningOrganisation == owner.Organisation, ct);
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

    // stored: the organisation's source references already stored, when the caller looked them up for a whole
    // transaction at once; null to look this one up.
    public async Task<WriteOutcome> CreateObservationAsync(HubDbContext db, RecordOwner owner, JsonElement root, string? ifNoneExist,
        IReadOnlyDictionary<string, Guid> placeholders, CancellationToken ct, IReadOnlySet<string>? stored = null)
    {
        var errors = new InputErrors();
        var draft = ResourceInput.Observation(root, owner.Agency, policy.Policy, errors);
        if (draft is null)
        {
            return WriteOutcome.Refused(errors.ToResult());
        }
        if (ifNoneExist is not null)
        {
            const string prefix = "identifier=";
            var wanted = ifNoneExist.StartsWith(prefix, StringComparison.Ordinal) ? Uri.UnescapeDataString(ifNoneExist[prefix.Length..]) : null;
            var system = $"{FhirSystems.SourceReference}:{owner.Organisation}|";
            if (wanted is null || !wanted.StartsWith(system, StringComparison.Ordinal))
            {
                return WriteOutcome.Refused(FhirResults.BadRequest($"If-None-Exist for an Observation is identifier={system}{{your reference}}"));
            }
            var reference = wanted[system.Length..];
            var existing = await db.Events.AsNoTracking().Include(e => e.Subjects).FirstOrDefaultAsync(e => e.OwningOrganisation == owner.Organisation && e.SourceReference == reference, ct)
                ?? RecordWriter.Staged<ChronologyEvent>(db).FirstOrDefault(e => e.OwningOrganisation == owner.Organisation && e.SourceReference == reference);
            if (existing is not null)
            {
                return new WriteOutcome(existing, false, null);
            }
        }
        if (draft.SourceReference is { } source
            && (stored is not null ? stored.Contains(source) || RecordWriter.Staged<ChronologyEvent>(db).Any(e => e.OwningOrganisation == owner.Organisation && e.SourceReference == source)
                : await RecordWriter.HasReferenceAsync(db, owner, source, ct)))
        {
            return WriteOutcome.Refused(FhirResults.Conflict($"your organisation already has an event with reference '{SearchParameters.Safe(source)}'; use If-None-Exist to make pushes idempotent"));
        }
        var subjects = new List<Guid>();
        foreach (var reference in draft.SubjectReferences)
        {
            var id = placeholders.TryGetValue(reference, out var placed) ? placed : FhirSearch.PatientId(reference);
            var own = id is { } g && await RecordWriter.OwnsPersonAsync(db, owner, g, ct);
            if (!own)
            {
                return WriteOutcome.Refused(FhirResults.Unprocessable($"'{SearchParameters.Safe(reference)}' is not a Patient your organisation holds: an event is recorded against your own record of the person", "Observation.subject"));
            }
            subjects.Add(id!.Value);
        }
        var ev = records.NewEvent(owner, draft, subjects);
        db.Events.Add(ev);
        return new WriteOutcome(ev, true, null);
    }

    /// <summary>
    /// Creates a record of a writable kind (Flag, EpisodeOfCare...). If-None-Exist is <c>identifier={system}|{reference}</c> with
    /// the organisation's own system: a record stored under that reference is the answer and nothing is written.
    /// </summary>
    public async Task<WriteOutcome> CreateKindAsync(HubDbContext db, RecordOwner owner, Writing.Kinds.WritableKind kind, JsonElement root, string? ifNoneExist,
        IReadOnlyDictionary<string, Guid> placeholders, CancellationToken ct)
    {
        string? condition = null;
        if (ifNoneExist is not null)
        {
            const string prefix = "identifier=";
            var system = kind.IdentifierSystem(owner.Organisation) + "|";
            var wanted = ifNoneExist.StartsWith(prefix, StringComparison.Ordinal) ? Uri.UnescapeDataString(ifNoneExist[prefix.Length..]) : null;
            if (wanted is null || !wanted.StartsWith(system, StringComparison.Ordinal) || wanted.Length == system.Length)
            {
                return WriteOutcome.Refused(FhirResults.BadRequest($"If-None-Exist for a {kind.FhirType} is identifier={system}{{your reference}}"));
            }
            condition = wanted[system.Length..];
        }
        var errors = new InputErrors();
        var fields = kind.FromFhir(root, kind.IdentifierSystem(owner.Organisation), r => placeholders.TryGetValue(r, out var placed) ? placed : FhirSearch.PatientId(r), errors.Add);
        if (errors.Any)
        {
            return WriteOutcome.Refused(errors.ToResult());
        }
        if (condition is not null && fields.Text(kind.ReferenceField) != condition)
        {
            return WriteOutcome.Refused(FhirResults.Unprocessable($"the {kind.FhirType}'s identifier must be the one If-None-Exist names", $"{kind.FhirType}.identifier"));
        }
        return Outcome(kind, await kinds.CreateAsync(db, kind, owner, fields, condition, ct));
    }

    /// <summary>Replaces a record of a writable kind at the version If-Match names; the version before is kept in its history.</summary>
    public async Task<WriteOutcome> UpdateKindAsync(HubDbContext db, RecordOwner owner, Writing.Kinds.WritableKind kind, Guid id, JsonElement root, string? ifMatch, CancellationToken ct)
    {
        if (ifMatch is null)
        {
            return WriteOutcome.Refused(FhirResults.PreconditionFailed("an update needs If-Match with the version you last read (W/\"n\"), so no one's change is lost"));
        }
        if (!RecordWriter.TryVersion(ifMatch, out var expected))
        {
            return WriteOutcome.Refused(FhirResults.BadRequest("If-Match must be a version tag like W/\"3\""));
        }
        if (ResourceInput.Text(root, "id") is { } bodyId && bodyId != id.ToString())
        {
            return WriteOutcome.Refused(FhirResults.BadRequest($"the resource's id does not match the id in the URL", $"{kind.FhirType}.id"));
        }
        var errors = new InputErrors();
        var fields = kind.FromFhir(root, kind.IdentifierSystem(owner.Organisation), FhirSearch.PatientId, errors.Add);
        if (errors.Any)
        {
            return WriteOutcome.Refused(errors.ToResult());
        }
        return Outcome(kind, await kinds.UpdateAsync(db, kind, owner, id, expected, fields, partial: false, ct));
    }

    private static WriteOutcome Outcome(Writing.Kinds.WritableKind kind, Writing.Kinds.KindOutcome outcome)
    {
        if (outcome.Record is not null)
        {
            return new WriteOutcome(outcome.Record, outcome.Created, null);
        }
        if (outcome.Status == StatusCodes.Status422UnprocessableEntity)
        {
            var errors = new InputErrors();
            foreach (var (field, message) in outcome.Problems)
            {
                errors.Add(kind.FhirPath(field), message);
            }
            return WriteOutcome.Refused(errors.ToResult());
        }
        var (_, text) = outcome.Problems[0];
        return WriteOutcome.Refused(outcome.Status switch
        {
            StatusCodes.Status404NotFound => FhirResults.Outcome(404, "not-found", text),
            StatusCodes.Status412PreconditionFailed => FhirResults.PreconditionFailed(text),
            _ => FhirResults.Conflict(text),
        });
    }

    /// <summary>A referral to the Integrated Front Door: received now, its decision due one working day later.</summary>
    public async Task<WriteOutcome> CreateReferralAsync(HubDbContext db, RecordOwner owner, JsonElement root, CancellationToken ct)
    {
        var errors = new InputErrors();
        var draft = ResourceInput.Referral(root, errors);
        if (draft is null)
        {
            return WriteOutcome.Refused(errors.ToResult());
        }
        var subject = FhirSearch.PatientId(draft.Subject);
        if (subject is not { } id || !await db.People.AnyAsync(p => p.Id == id && p.OwningOrganisation == owner.Organisation, ct))
        {
            return WriteOutcome.Refused(FhirResults.Unprocessable("Task.for must be a Patient your organisation holds: a referral names the child as your organisation records them", "Task.for"));
        }
        var referral = referrals.Stage(db, owner, id, new Journey.FrontDoor.ReferralInput(draft.Concern, draft.Referrer, draft.Urgency, draft.Kind, draft.Category));
        return new WriteOutcome(referral, true, null)
        {
            Message = $"Task/{referral.Id} created: {Journey.FrontDoor.MakeReferral.Acknowledgement(referral)}, to be decided by {FhirMapping.Instant(referral.DecisionDueAt)}",
        };
    }

    private async Task<(List<Person> Matches, IResult? Problem)> PatientsMatchingAsync(HubDbContext db, RecordOwner owner, string condition, CancellationToken ct)
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
            .Where(p => p.OwningOrganisation == owner.Organisation && p.Identifiers.Any(i => i.Kind == kind && i.ValueIndex == index)).OrderBy(p => p.Id).Take(2).ToListAsync(ct);
        matches.AddRange(RecordWriter.Staged<Person>(db).Where(p => p.OwningOrganisation == owner.Organisation && p.Identifiers.Any(i => i.Kind == kind && i.ValueIndex.AsSpan().SequenceEqual(index))));
        return (matches.DistinctBy(p => p.Id).ToList(), null);
    }

}
