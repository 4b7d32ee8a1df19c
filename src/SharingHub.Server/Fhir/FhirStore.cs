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
    public static IQueryable<Record> Query(HubDbContext db, string type, RecordAccess access) => type switch
    {
        Patient => db.People.AsNoTracking().Include(p => p.Identifiers).ReachableBy(access),
        Observation => db.Events.AsNoTracking().Include(e => e.Subjects).ReachableBy(access),
        EpisodeOfCare => db.Involvements.AsNoTracking().ReachableBy(access),
        Flag => db.States.AsNoTracking().ReachableBy(access),
        Group => db.Households.AsNoTracking().Include(h => h.Members).ReachableBy(access),
        RelatedPerson => db.Relationships.AsNoTracking().ReachableBy(access),
        Consent => db.Consents.AsNoTracking().ReachableBy(access),
        CarePlan => db.FamilyHelpPlans.AsNoTracking().ReachableBy(access),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a FHIR type the hub serves"),
    };

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
