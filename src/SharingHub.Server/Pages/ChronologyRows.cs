using SharingHub.Core.Records;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.Pages;

/// <summary>
/// One line of a chronology as its reader may see it: what the rules withhold is named (so the reader knows something is
/// missing and can ask), a field whose key is gone is marked unavailable, and nothing the rules hide is hinted at.
/// </summary>
public sealed record ChronologyRow(DateTimeOffset At, string Agency, string Kind, string? Significance, string? Summary, string? Detail,
    IReadOnlyList<string> Withheld, IReadOnlyList<string> Unavailable);

/// <summary>A chronology as its page shows it: the person's name as the reader may see it, and the rows, newest first.</summary>
public sealed record ChronologyView(string? Name, IReadOnlyList<ChronologyRow> Rows, bool TooMany, bool MayBeIncomplete);

internal static class ChronologyRows
{
    public static ChronologyView View(ChronologyResult result, RecordAccess access, PolicySet policy)
    {
        string? name = null;
        if (result.Person is { } shown)
        {
            var p = shown.Record;
            var person = access.Disclose(p, shown.Decision);
            var parts = new[] { person.Open(nameof(Person.GivenName), p.GivenName), person.Open(nameof(Person.FamilyName), p.FamilyName) }.Where(n => n is not null).ToList();
            name = parts.Count == 0 ? null : string.Join(' ', parts);
        }
        var rows = result.Entries.OrderByDescending(e => e.At).ThenBy(e => e.Disclosure.Record.Id).Select(e => Row(e, policy)).ToList();
        return new ChronologyView(name, rows, result.TooMany, result.MayBeIncomplete);
    }

    private static ChronologyRow Row(ChronologyEntry entry, PolicySet policy)
    {
        var d = entry.Disclosure;
        var agency = PageText.Organisation(policy, d.Record.OwningAgency, d.Record.OwningOrganisation);
        var withheld = d.Withheld.Select(PageText.Words).ToList();
        var unavailable = d.Unavailable.Select(PageText.Words).ToList();
        return d.Record switch
        {
            ChronologyEvent e => new ChronologyRow(entry.At, agency,
                d.Shows(nameof(ChronologyEvent.Category)) ? PageText.Words(e.Category) : "Event",
                d.Shows(nameof(ChronologyEvent.Significance)) ? RecordFields.CamelCase(e.Significance.ToString()) : null,
                d.Open(nameof(ChronologyEvent.Summary), e.Summary), d.Open(nameof(ChronologyEvent.Detail), e.Detail), withheld, unavailable),
            Involvement i => new ChronologyRow(entry.At, agency,
                d.Shows(nameof(Involvement.Service)) ? $"Involvement: {PageText.Words(i.Service)}" : "Involvement",
                null, Involved(d, i), d.Open(nameof(Involvement.Summary), i.Summary), withheld, unavailable),
            PersonState s => new ChronologyRow(entry.At, agency,
                d.Shows(nameof(PersonState.Code)) ? $"State: {PageText.Words(s.Code)}" : "State",
                null, s.EndedAt is { } ended && d.Shows(nameof(PersonState.EndedAt)) ? $"Ended {PageText.Date(ended)}" : "In force",
                d.Open(nameof(PersonState.Detail), s.Detail), withheld, unavailable),
            Referral r => new ChronologyRow(entry.At, agency,
                $"{(d.Shows(nameof(Referral.Kind)) && r.Kind == ReferralKind.Contact ? "Contact" : "Referral")} to the front door"
                    + (r.ConcernCategory is { } category && d.Shows(nameof(Referral.ConcernCategory)) ? $": {PageText.Words(category)}" : ""),
                null, d.Open(nameof(Referral.Concern), r.Concern),
                r.Decision is { } decided && d.Shows(nameof(Referral.Decision)) ? $"Decided: {ReferralsText.Decision(RecordFields.CamelCase(decided.ToString()))}" : "Not decided yet",
                withheld, unavailable),
            FamilyHelpPlan f => new ChronologyRow(entry.At, agency, "Family Help",
                null, string.Join("; ", new[]
                {
                    d.Shows(nameof(FamilyHelpPlan.Status)) ? PageText.Words(RecordFields.CamelCase(f.Status.ToString())) : null,
                    d.Shows(nameof(FamilyHelpPlan.LeadPractitioner)) ? $"lead practitioner {f.LeadPractitioner}" : null,
                    f.ReviewDueAt is { } review && f.Status != FamilyHelpStatus.Closed && d.Shows(nameof(FamilyHelpPlan.ReviewDueAt)) ? $"review due {PageText.Date(review)}" : null,
                }.Where(x => x is not null)),
                d.Open(nameof(FamilyHelpPlan.Needs), f.Needs), withheld, unavailable),
            _ => new ChronologyRow(entry.At, agency, FhirTypes.TypeOf(d.Record), null, null, null, withheld, unavailable),
        };
    }

    private static string Involved(Disclosure d, Involvement i)
    {
        var status = d.Shows(nameof(Involvement.Status)) ? PageText.Words(RecordFields.CamelCase(i.Status.ToString())) : null;
        var team = d.Shows(nameof(Involvement.Team), i.Team is not null) ? i.Team : null;
        var lead = d.Open(nameof(Involvement.LeadWorker), i.LeadWorker);
        return string.Join("; ", new[] { status, team is null ? null : $"team {team}", lead is null ? null : $"lead worker {lead}" }.Where(x => x is not null));
    }
}
