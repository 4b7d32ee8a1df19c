using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.Writing.Kinds;

/// <summary>What a write of a kind did: the record created, found (conditional create) or changed, or the refusal with its status and field.</summary>
internal sealed record KindOutcome(Record? Record, bool Created, int Status, IReadOnlyList<(string Field, string Message)> Problems)
{
    public static KindOutcome Refused(int status, string field, string message) => new(null, false, status, [(field, message)]);
}

/// <summary>
/// Creates and changes the records of every writable kind, the same way whichever API the fields came through: only the
/// writer's organisation's records, about its own record of the person (a write never widens what its writer can read),
/// one record per source reference, a change only to the version read, history kept. Staged on the caller's context,
/// which saves once (so a FHIR transaction is all or nothing).
/// </summary>
internal sealed class KindWriter(RecordWriter records, IFieldCipher cipher, Core.People.PersonSealer people, PolicyDecisionPoint policy, TimeProvider clock)
{
    public static readonly IReadOnlyList<WritableKind> Kinds = [new StateKind(), new InvolvementKind(), new ConsentKind(), new RelationshipWritable(), new HouseholdKind(), new FamilyHelpKind()];

    public static WritableKind? ForFhir(string type) => Kinds.FirstOrDefault(k => k.FhirType == type);

    public static WritableKind? ForOData(string set) => Kinds.FirstOrDefault(k => k.ODataSet == set);

    /// <summary>
    /// Creates a record. With <paramref name="ifNoneExist"/> (a reference the writer already may have), a record already
    /// stored under it is the answer and nothing is written; without, a reference already used is a conflict.
    /// </summary>
    public async Task<KindOutcome> CreateAsync(HubDbContext db, WritableKind kind, RecordOwner owner, KindFields fields, string? ifNoneExist, CancellationToken ct)
    {
        if (ifNoneExist is not null && await kind.ByReferenceAsync(db, owner.Organisation, ifNoneExist, ct) is { } existing)
        {
            return new KindOutcome(existing, false, StatusCodes.Status200OK, []);
        }
        var problems = new KindProblems();
        await PersonAsync(db, kind, owner, fields, problems, ct);
        var record = records.Stamp(owner.Owns(kind.New()));
        record.Id = Guid.NewGuid();
        kind.Apply(record, fields, new KindContext(policy.Policy, owner.Agency, cipher, people, clock.UtcNowForStorage()), problems);
        if (problems.Items.Count > 0)
        {
            return new KindOutcome(null, false, StatusCodes.Status422UnprocessableEntity, problems.Items);
        }
        if (fields.Text(kind.ReferenceField) is { } reference && await kind.ByReferenceAsync(db, owner.Organisation, reference, ct) is not null)
        {
            return KindOutcome.Refused(StatusCodes.Status409Conflict, kind.ReferenceField,
                $"your organisation already has a {kind.FhirType} with reference '{SearchParameters.Safe(reference)}'; a create that may be retried names it as its condition");
        }
        db.Add(record);
        return new KindOutcome(record, true, StatusCodes.Status201Created, []);
    }

    /// <summary>
    /// Changes a record of the writer's organisation at the version read: every field (a FHIR update), or only those given,
    /// merged over the stored ones (an OData PATCH). The version before is kept in the record's history.
    /// </summary>
    public async Task<KindOutcome> UpdateAsync(HubDbContext db, WritableKind kind, RecordOwner owner, Guid id, long expected, KindFields fields, bool partial, CancellationToken ct)
    {
        // Only the owning organisation changes a record; to anyone else it is not there to change.
        if (await kind.OwnAsync(db, owner.Organisation, id, ct) is not { } record)
        {
            return KindOutcome.Refused(StatusCodes.Status404NotFound, "id", $"{kind.FhirType}/{id} is not known");
        }
        if (record.Version != expected)
        {
            return KindOutcome.Refused(StatusCodes.Status412PreconditionFailed, "version", $"{kind.FhirType}/{id} is at version {record.Version}, not {expected}: read it again and reapply your change");
        }
        if (partial)
        {
            if (kind.Current(record, cipher) is not { } current)
            {
                return KindOutcome.Refused(StatusCodes.Status409Conflict, "id", "the record's key is unavailable, so the change cannot be merged; nothing was changed");
            }
            foreach (var (name, value) in fields.Values)
            {
                current.Values[name] = value;
            }
            fields = current;
        }
        var problems = new KindProblems();
        await PersonAsync(db, kind, owner, fields, problems, ct);
        if (fields.Text(kind.ReferenceField) is { } reference && await kind.ByReferenceAsync(db, owner.Organisation, reference, ct) is { } other && other.Id != id)
        {
            problems.Add(kind.ReferenceField, $"your organisation already has another {kind.FhirType} with reference '{SearchParameters.Safe(reference)}'");
        }
        var before = Data.History.RecordSnapshots.Of(record);
        if (problems.Items.Count == 0)
        {
            kind.Apply(record, fields, new KindContext(policy.Policy, owner.Agency, cipher, people, clock.UtcNowForStorage()), problems);
        }
        if (problems.Items.Count > 0)
        {
            return new KindOutcome(null, false, StatusCodes.Status422UnprocessableEntity, problems.Items);
        }
        db.RecordHistory.Add(before);
        record.Version = expected + 1;
        record.UpdatedAt = clock.UtcNowForStorage();
        return new KindOutcome(record, false, StatusCodes.Status200OK, []);
    }

    private static async Task PersonAsync(HubDbContext db, WritableKind kind, RecordOwner owner, KindFields fields, KindProblems problems, CancellationToken ct)
    {
        foreach (var (field, id, required) in kind.People(fields))
        {
            if (required && (id is not { } person || !await RecordWriter.OwnsPersonAsync(db, owner, person, ct)))
            {
                problems.Add(field, "the person must be your organisation's own record of them (a Patient you hold): a record is written against your own record of the person");
            }
        }
    }
}
