using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Keys;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Writing;

/// <summary>Why a save did not happen: the record changed meanwhile, or a concurrent write took the same unique value.</summary>
internal enum SaveConflict
{
    Stale,
    Duplicate,
}

/// <summary>
/// What every write of an agency's own records does, whichever API it arrives through (FHIR or OData): new records are
/// stamped, sealed and indexed before they reach the context, references and ownership are checked against what is stored
/// and staged, and the unit of work is saved once, so a transaction is all or nothing.
/// </summary>
internal sealed class RecordWriter(PersonSealer people, IFieldCipher cipher, TimeProvider clock, PersonLinker linker, SubjectKeys keys)
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
            var people = db.ChangeTracker.Entries<Person>().Where(e => e.State is EntityState.Added or EntityState.Modified).Select(e => e.Entity).ToList();
            var peopleChanged = people.Count > 0;
            // Linked in the same transaction: each new or changed person's pairs are scored and saved with it.
            using (Core.Telemetry.HubDiagnostics.Source.StartActivity("write.link"))
            {
                await linker.StagePairsAsync(db, people, ct);
            }
            using (Core.Telemetry.HubDiagnostics.Source.StartActivity("write.save"))
            {
                await db.SaveUnitOfWorkAsync(ct);
            }
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
        catch (Exception e) when (IsConstraintViolation(e))
        {
            return SaveConflict.Duplicate;
        }
        // Anything else (the storage full, the store gone) is not the caller's conflict: the error handling answers it
        // (503 "storage is full" or "unavailable"), never a 409 that would tell the caller its record already exists.
    }

    /// <summary>A unique, foreign-key or check constraint refused the row (SQLite's SQLITE_CONSTRAINT, PostgreSQL's class 23).</summary>
    private static bool IsConstraintViolation(Exception? e) => e switch
    {
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 19,
        Npgsql.PostgresException postgres => postgres.SqlState.StartsWith("23", StringComparison.Ordinal),
        DbUpdateException update => IsConstraintViolation(update.InnerException),
        _ => false,
    };

    /// <summary>A new event of the agency's, sealed, from a checked draft (FHIR and OData writes both come here).</summary>
    public ChronologyEvent NewEvent(RecordOwner owner, EventDraft draft, IEnumerable<Guid> subjects)
    {
        var ev = Stamp(owner.Owns(new ChronologyEvent
        {
            Id = Guid.NewGuid(), DataClass = draft.DataClass, OccurredAt = draft.OccurredAt, Category = draft.Category,
            Significance = draft.Significance, SourceReference = draft.SourceReference,
        }));
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

    /// <summary>
    /// A new person of the writer's organisation, sealed, indexed and staged on the unit of work with the person's own data key
    /// (its id is drawn here, so no key of it exists yet), to be saved together.
    /// </summary>
    public Person StagePerson(HubDbContext db, RecordOwner owner, PersonDetails details)
    {
        var person = Stamp(owner.Owns(new Person { Id = Guid.NewGuid(), DataClass = "person.demographics" }));
        keys.StageFirst(db, person.OwningAgency, person.DataClass, person.Id);
        people.Seal(person, details);
        db.People.Add(person);
        return person;
    }

    /// <summary>Whether the writer's organisation already has an event with this case-system reference (stored, or staged in this unit of work).</summary>
    public static async Task<bool> HasReferenceAsync(HubDbContext db, RecordOwner owner, string reference, CancellationToken ct) =>
        Staged<ChronologyEvent>(db).Any(e => e.OwningOrganisation == owner.Organisation && e.SourceReference == reference)
        || await db.Events.AnyAsync(e => e.OwningOrganisation == owner.Organisation && e.SourceReference == reference, ct);

    /// <summary>
    /// Whether the person is the writer's organisation's own record (stored, or staged in this unit of work): events and
    /// referrals name the writer's own records, never another school's or trust's, even in the same sector.
    /// </summary>
    public static async Task<bool> OwnsPersonAsync(HubDbContext db, RecordOwner owner, Guid person, CancellationToken ct) =>
        Staged<Person>(db).Any(p => p.Id == person && p.OwningOrganisation == owner.Organisation)
        || await db.People.AnyAsync(p => p.Id == person && p.OwningOrganisation == owner.Organisation, ct);

    /// <summary>
    /// The records of a type this unit of work tracks (staged or loaded), without the scan for changes that EF runs over every
    /// tracked record each time a set's <c>Local</c> view is asked for: a transaction of 49 events asked twice per event, so the
    /// scans grew with the square of its size. What is looked up here (ids, owners, references) is set before a record is staged;
    /// the save still detects every change.
    /// </summary>
    public static IEnumerable<T> Staged<T>(DbContext db)
        where T : class
    {
        var detect = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            return db.Set<T>().Local;
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = detect;
        }
    }

    /// <summary>Which of these source references the writer's organisation already has, in one query for a whole transaction.</summary>
    public static async Task<IReadOnlySet<string>> StoredReferencesAsync(HubDbContext db, RecordOwner owner, IReadOnlyCollection<string> references, CancellationToken ct) =>
        references.Count == 0 ? new HashSet<string>()
            : (await db.Events.AsNoTracking().Where(e => e.OwningOrganisation == owner.Organisation && references.Contains(e.SourceReference!)).Select(e => e.SourceReference!).ToListAsync(ct))
                .ToHashSet(StringComparer.Ordinal);

    /// <summary>A new record's first version, created and updated now.</summary>
    public T Stamp<T>(T record)
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
