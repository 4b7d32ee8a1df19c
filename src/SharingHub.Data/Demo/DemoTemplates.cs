using SharingHub.Core.Agencies;
using SharingHub.Core.Records;

namespace SharingHub.Data.Demo;

internal enum TemplateSubject
{
    Child,
    Adult,
    ChildAndAdult,
}

/// <summary>One kind of chronology event an agency records, with wording in the agency's own register.</summary>
internal sealed record EventTemplate(
    string Agency,
    string Category,
    string DataClass,
    Significance Low,
    Significance High,
    TemplateSubject Subject,
    bool AtNight,
    string Summary,
    string Detail);

/// <summary>
/// Wording for the synthetic chronologies. Placeholders: {child}, {adult}, {place}. Every name that
/// fills them is made up by the generator.
/// </summary>
internal static class DemoTemplates
{
    public static readonly IReadOnlyList<EventTemplate> Events =
    [
        new(AgencyCodes.Police, "domestic-abuse-incident", "police.incident", Significance.High, Significance.Critical, TemplateSubject.ChildAndAdult, true,
            "Police attended a domestic abuse incident at the home; {child} was present.",
            "Call from a neighbour reporting shouting. {adult} had a visible injury and declined to support a prosecution. DASH risk assessment completed. {child} was seen and appeared frightened."),
        new(AgencyCodes.Police, "missing-episode", "police.incident", Significance.Medium, Significance.Critical, TemplateSubject.Child, true,
            "{child} reported missing from home; found the next morning.",
            "Reported missing at 22:40 by {adult}. Located at {place} by patrol at 07:15. Return home interview requested from children's services. Possible links to older males noted."),
        new(AgencyCodes.Police, "police-attendance", "police.incident", Significance.Low, Significance.Medium, TemplateSubject.Adult, true,
            "Police attended following a report of a disturbance involving {adult}.",
            "Officers attended; {adult} was intoxicated and verbally aggressive. No offences disclosed. Words of advice given."),
        new(AgencyCodes.Police, "arrest", "police.incident", Significance.Medium, Significance.High, TemplateSubject.Adult, false,
            "{adult} arrested on suspicion of an offence; released under investigation.",
            "Arrested at {place}. Interviewed under caution. Released under investigation pending forensic results. Bail conditions not imposed."),
        new(AgencyCodes.Police, "intelligence", "police.intelligence", Significance.Medium, Significance.High, TemplateSubject.Adult, false,
            "Intelligence received concerning {adult}.",
            "Graded intelligence suggests {adult} is associating with individuals involved in supply of controlled drugs near {place}. Not to be disclosed to the subject."),
        new(AgencyCodes.Health, "ae-attendance", "health.clinical", Significance.Medium, Significance.High, TemplateSubject.Child, false,
            "{child} attended A&E with an injury; explanation given by {adult}.",
            "Presented at {place} with bruising to the upper arm. {adult} said {child} fell from a bed. Injury pattern discussed with the paediatric registrar; safeguarding form completed."),
        new(AgencyCodes.Health, "missed-appointment", "health.clinical", Significance.Low, Significance.Medium, TemplateSubject.Child, false,
            "{child} was not brought to a health appointment.",
            "Second consecutive missed appointment at {place}. Letter sent to {adult}; health visitor informed."),
        new(AgencyCodes.Health, "health-visitor-contact", "health.clinical", Significance.Low, Significance.Medium, TemplateSubject.ChildAndAdult, false,
            "Health visitor home visit; {child} seen with {adult}.",
            "Home conditions cluttered but adequate. {child} meeting most milestones. {adult} reported feeling low and was signposted to the GP."),
        new(AgencyCodes.Health, "mental-health-contact", "health.mental-health", Significance.Medium, Significance.High, TemplateSubject.Adult, false,
            "{adult} seen by the community mental health team.",
            "Reports low mood and intrusive thoughts; no current plans to self-harm. Medication reviewed. Safeguarding of children in the household discussed."),
        new(AgencyCodes.Health, "camhs-referral", "health.mental-health", Significance.Medium, Significance.High, TemplateSubject.Child, false,
            "{child} referred to CAMHS.",
            "Referred by the GP following disclosure of self-harm. Triage appointment offered at {place}."),
        new(AgencyCodes.Education, "safeguarding-concern", "education.welfare", Significance.Medium, Significance.High, TemplateSubject.Child, false,
            "Designated safeguarding lead logged a concern about {child}.",
            "{child} arrived hungry and wearing the same clothes for the third day. Said that {adult} was 'asleep all the time'. DSL spoke to {adult} at collection."),
        new(AgencyCodes.Education, "exclusion", "education.behaviour", Significance.Medium, Significance.High, TemplateSubject.Child, false,
            "{child} received a fixed-term suspension.",
            "Suspended for three days after an assault on a peer at {place}. Reintegration meeting arranged with {adult}."),
        new(AgencyCodes.Education, "attendance-concern", "education.attendance", Significance.Low, Significance.Medium, TemplateSubject.Child, false,
            "Attendance of {child} fell below 90 per cent this half term.",
            "Attendance 84 per cent; unauthorised absences on Mondays. Letter sent to {adult}; attendance officer to visit."),
        new(AgencyCodes.LocalAuthority, "contact", "la.social-care", Significance.Low, Significance.Medium, TemplateSubject.Child, false,
            "Contact received at the Integrated Front Door about {child}.",
            "Contact from a professional raising concerns about neglect. Information gathered from partners; threshold discussed with the team manager."),
        new(AgencyCodes.LocalAuthority, "assessment", "la.social-care", Significance.Medium, Significance.High, TemplateSubject.ChildAndAdult, false,
            "Child and family assessment of {child} completed.",
            "Assessment found {adult} struggling with mental health and debt; {child} presenting as withdrawn. Recommendation: Family Help with a lead practitioner."),
        new(AgencyCodes.LocalAuthority, "home-visit", "la.social-care", Significance.Low, Significance.Medium, TemplateSubject.ChildAndAdult, false,
            "Social worker home visit; {child} seen alone.",
            "{child} seen alone in the bedroom and said things were 'better now'. {adult} engaged with the plan. Home conditions improved since the last visit."),
        new(AgencyCodes.LocalAuthority, "strategy-discussion", "la.social-care", Significance.High, Significance.Critical, TemplateSubject.Child, false,
            "Strategy discussion held about {child}.",
            "Strategy discussion with police, health and school. Agreed threshold for a section 47 enquiry is met; joint visit planned."),
        new(AgencyCodes.Probation, "probation-contact", "probation.supervision", Significance.Low, Significance.Medium, TemplateSubject.Adult, false,
            "{adult} attended a probation supervision appointment.",
            "Reported to the office at {place}. Discussed accommodation and compliance with licence conditions."),
        new(AgencyCodes.Probation, "risk-assessment", "probation.risk", Significance.Medium, Significance.High, TemplateSubject.Adult, false,
            "Risk of serious harm assessment updated for {adult}.",
            "Assessed as medium risk of serious harm to known adults and children in the household. Domestic abuse perpetrator programme recommended."),
    ];

    public static readonly IReadOnlyDictionary<string, string> Nicknames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Jonathan"] = "Jon", ["Elizabeth"] = "Beth", ["William"] = "Will", ["Thomas"] = "Tom", ["Rebecca"] = "Becky",
        ["Samuel"] = "Sam", ["Joseph"] = "Joe", ["Katherine"] = "Kate", ["Daniel"] = "Dan", ["Alexander"] = "Alex",
        ["Jessica"] = "Jess", ["Matthew"] = "Matt", ["Charlotte"] = "Lottie", ["Nicholas"] = "Nick", ["Benjamin"] = "Ben",
        ["Christopher"] = "Chris", ["Victoria"] = "Vicky", ["Michael"] = "Mike", ["Jennifer"] = "Jen", ["Robert"] = "Rob",
        ["Abigail"] = "Abi", ["Oliver"] = "Ollie", ["Amelia"] = "Millie", ["Isabella"] = "Bella", ["Frederick"] = "Freddie",
    };

    public static readonly IReadOnlyList<string> BoyNames =
        ["Jonathan", "William", "Thomas", "Samuel", "Joseph", "Daniel", "Alexander", "Matthew", "Nicholas", "Benjamin", "Oliver", "Frederick", "Harry", "Leo", "Noah", "Jack", "Kai", "Tyler"];

    public static readonly IReadOnlyList<string> GirlNames =
        ["Elizabeth", "Rebecca", "Katherine", "Jessica", "Charlotte", "Victoria", "Abigail", "Amelia", "Isabella", "Poppy", "Freya", "Ruby", "Maisie", "Chloe", "Lily", "Jade"];

    public static readonly IReadOnlyList<string> Places =
        ["the town centre", "the railway station", "the retail park", "a friend's address", "the bus station", "the park", "the general hospital", "the health centre"];
}
