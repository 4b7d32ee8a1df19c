using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Access;

namespace SharingHub.Server.Fhir;

/// <summary>The resource types the FHIR API serves and the stored records behind them.</summary>
internal static class FhirTypes
{
    public const string Patient = "Patient";
    public const string Observation = "Observation";
    public const string EpisodeOfCare = "EpisodeOfCare";
    public const string Flag = "Flag";
    public const string Group = "Group";
    public const string RelatedPerson = "RelatedPerson";
    public const string Consent = "Consent";

    /// <summary>Family Help plans (a child protection plan is also a CarePlan, read from its case: see <see cref="FhirJourney"/>).</summary>
    public const string CarePlan = "CarePlan";

    public static readonly IReadOnlyList<string> Readable = [Patient, Observation, EpisodeOfCare, Flag, Group, RelatedPerson, Consent];

    /// <summary>Each stored record with the children a resource needs, already narrowed to what this caller could ever see.</summary>
    public static IQueryable<Record> Query(HubDbContext db, string type, RecordAccess access) => Stored(db, type, access);

    /// <summary>
    /// The one record of <paramref name="type"/> with that id, or null when there is none or no rule could ever share it with
    /// this caller for this purpose (the same answer as <see cref="Query"/> narrowed in the database). A read by id finds
    /// its row by the primary key and tests the short list of reachable (agency, data class) pairs in memory, so its
    /// statement is the same whoever asks; what is shown is still decided and audited by the caller.
    /// </summary>
    public static async Task<Record?> FindAsync(HubDbContext db, string type, Guid id, RecordAccess access, CancellationToken ct)
    {
        var record = await Stored(db, type, null).FirstOrDefaultAsync(r => r.Id == id, ct);
        return record is not null && access.CouldReach(record) ? record : null;
    }

    private static IQueryable<Record> Stored(HubDbContext db, string type, RecordAccess? access) => type switch
    {
        Patient => Narrow(db.People.AsNoTracking().Include(p => p.Identifiers), access),
        Observation => Narrow(db.Events.AsNoTracking().Include(e => e.Subjects), access),
        EpisodeOfCare => Narrow(db.Involvements.AsNoTracking(), access),
        Flag => Narrow(db.States.AsNoTracking(), access),
        Group => Narrow(db.Households.AsNoTracking().Include(h => h.Members), access),
        RelatedPerson => Narrow(db.Relationships.AsNoTracking(), access),
        Consent => Narrow(db.Consents.AsNoTracking(), access),
        CarePlan => Narrow(db.FamilyHelpPlans.AsNoTracking(), access),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a FHIR type the hub serves"),
    };

    private static IQueryable<T> Narrow<T>(IQueryable<T> query, RecordAccess? access)
        where T : Record => access is null ? query : query.ReachableBy(access);

    public static object ToResource(FhirMapping map, Disclosure d) => d.Record switch
    {
        Person => map.Patient(d),
        ChronologyEvent => map.Observation(d),
        Involvement => map.EpisodeOfCare(d),
        PersonState => map.Flag(d),
        Household => map.Group(d),
        Relationship => map.RelatedPerson(d),
        Core.Records.Consent => map.Consent(d),
        FamilyHelpPlan => map.FamilyHelpPlan(d),
        _ => throw new ArgumentOutOfRangeException(nameof(d), d.Record.GetType().Name, "no FHIR mapping"),
    };

    public static string TypeOf(Record record) => record switch
    {
        Person => Patient,
        ChronologyEvent => Observation,
        Involvement => EpisodeOfCare,
        PersonState => Flag,
        Household => Group,
        Relationship => RelatedPerson,
        Core.Records.Consent => Consent,
        FamilyHelpPlan => CarePlan,
        Referral => "Task",
        _ => record.GetType().Name,
    };
}

internal static class EventQueries
{
    /// <summary>
    /// Events about any of <paramref name="people"/>, found from the event-subject index so that the cost
    /// follows those people's records, not the size of the events table.
    /// </summary>
    public static IQueryable<ChronologyEvent> About(this IQueryable<ChronologyEvent> events, HubDbContext db, IReadOnlyCollection<Guid> people)
    {
        var eventIds = db.Set<EventSubject>().Where(s => people.Contains(s.PersonId)).Select(s => s.EventId);
        return events.Where(e => eventIds.Contains(e.Id));
    }
}
