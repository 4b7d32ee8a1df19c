namespace SharingHub.Server.Statistics;

/// <summary>How a measure's figure reads: a count, a share of a denominator, or a median of working days.</summary>
public enum MeasureUnit
{
    Count,
    Share,
    MedianWorkingDays,
}

/// <summary>One measure: its code, the area of work it belongs to, what it counts, and the breakdowns it is given by.</summary>
public sealed record MeasureDefinition(string Code, string Area, MeasureUnit Unit, IReadOnlyList<string> Breakdowns, string Definition);

/// <summary>
/// The measures the hub computes from its own records (issue 29: the Families First measures and the statutory ones
/// around child protection), each defined once here: the API, the CSV export and the README's table read this list.
/// Every figure is a number over records, never a record; a breakdown of "total" is the measure over everything.
/// </summary>
public static class Measures
{
    public const string Total = "total";

    public static readonly IReadOnlyList<MeasureDefinition> All =
    [
        new("contacts-received", "front-door", MeasureUnit.Count, [Total, "source-agency", "urgency"],
            "Contacts (concerns or requests for advice) the front door received in the period, by the agency that made them and their urgency."),
        new("referrals-received", "front-door", MeasureUnit.Count, [Total, "source-agency", "urgency"],
            "Referrals (requests for a service or an assessment) the front door received in the period."),
        new("front-door-decisions", "front-door", MeasureUnit.Count, [Total, "outcome"],
            "Contacts and referrals decided in the period, by what was decided."),
        new("decided-in-time", "front-door", MeasureUnit.Share, [Total, "urgency"],
            "Of the contacts and referrals decided in the period, those decided within the time their urgency allows: red within its hours around the clock, amber within one working day, green within its working days (policies/working-days.yaml; weekends and bank holidays are not working days)."),
        new("repeat-referrals", "front-door", MeasureUnit.Share, [Total, "source-agency"],
            "Of the referrals received in the period, those about a child already referred in the 12 months before (any agency's record of the child, following the hub's links between records)."),
        new("referrers-told-outcome", "front-door", MeasureUnit.Share, [Total, "source-agency"],
            "Of the contacts and referrals decided in the period, those whose referrer's system has been sent the decision (the referral.decided notice delivered)."),
        new("strategy-discussions", "section-47", MeasureUnit.Count, [Total, "decision"],
            "Child protection cases opened in the period as a strategy discussion, by what it decided (undecided while it has not)."),
        new("section-47-enquiries-started", "section-47", MeasureUnit.Count, [Total, "started-from", "outcome"],
            "Section 47 enquiries started in the period, by whether a strategy discussion started them and by their outcome so far."),
        new("initial-conference-within-15-working-days", "section-47", MeasureUnit.Share, [Total],
            "Of the initial child protection conferences held in the period, those held within 15 working days of the strategy discussion that started the enquiry (Working Together 2023)."),
        new("working-days-to-initial-conference", "section-47", MeasureUnit.MedianWorkingDays, [Total],
            "The median number of working days from the start of the section 47 enquiry to its initial conference, over the initial conferences held in the period."),
        new("emergency-actions", "section-47", MeasureUnit.Count, [Total, "kind"],
            "Emergency protection orders and police protection started in the period."),
        new("children-on-plan", "plans", MeasureUnit.Count, [Total, "category"],
            "Children subject to a child protection plan at the end of the period, by category of abuse."),
        new("plans-started", "plans", MeasureUnit.Count, [Total, "category"],
            "Children who became subject to a child protection plan in the period."),
        new("plans-ended", "plans", MeasureUnit.Count, [Total, "duration"],
            "Children whose child protection plan ended in the period, by how long it lasted (the Children in Need census bands)."),
        new("core-group-within-10-working-days", "plans", MeasureUnit.Share, [Total],
            "Of the plans whose first core group meeting fell due in the period, those whose core group met within 10 working days of the initial conference."),
        new("reviews-on-time", "plans", MeasureUnit.Share, [Total],
            "Of the review conferences held in the period, those held on time: the first within 3 months of the initial conference, later ones within 6 months of the one before."),
        new("information-requests", "information-sharing", MeasureUnit.Count, [Total, "agency"],
            "Information requests the enquiries made in the period, by the agency asked."),
        new("information-requests-answered-in-time", "information-sharing", MeasureUnit.Share, [Total, "agency"],
            "Of the information requests due in the period, those the agency asked answered by the time due."),
        new("held-not-shared", "information-sharing", MeasureUnit.Count, [Total, "agency"],
            "Answers in the period saying the agency holds information it will not share. Its reasons are sealed in the record and are not counted."),
        new("overrides", "information-sharing", MeasureUnit.Count, [Total, "agency"],
            "Records shared without consent on a practitioner's written justification (break glass) in the period, by the agency of the practitioner."),
        new("consent-refused", "information-sharing", MeasureUnit.Count, [Total, "agency"],
            "Refusals of consent to share recorded in the period, by the agency that recorded them."),
        new("consent-withdrawn", "information-sharing", MeasureUnit.Count, [Total, "agency"],
            "Consents withdrawn in the period, by the agency that recorded them."),
        new("fgdm-offered", "fgdm", MeasureUnit.Count, [Total, "decision-point"],
            "Family group decision making offered in the period, by where in the case it was offered."),
        new("fgdm-accepted", "fgdm", MeasureUnit.Count, [Total, "decision-point"],
            "Family group decision making accepted by the family in the period."),
        new("fgdm-declined", "fgdm", MeasureUnit.Count, [Total, "decision-point"],
            "Family group decision making declined by the family in the period."),
        new("families-with-lead-practitioner", "family-help", MeasureUnit.Count, [Total, "agency"],
            "Children in Family Help at the end of the period with a Family Help Lead Practitioner, by the lead's agency."),
        new("family-help-started", "family-help", MeasureUnit.Count, [Total, "agency"],
            "Family Help started in the period, by the agency that leads it."),
        new("family-help-assessments-completed", "family-help", MeasureUnit.Count, [Total, "agency"],
            "Single Family Help assessments completed in the period."),
        new("family-help-ended", "family-help", MeasureUnit.Count, [Total, "agency"],
            "Family Help ended in the period."),
    ];

    public static MeasureDefinition? Find(string code) => All.FirstOrDefault(m => m.Code == code);
}
