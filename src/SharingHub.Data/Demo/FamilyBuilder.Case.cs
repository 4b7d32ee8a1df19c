using SharingHub.Core.Agencies;
using SharingHub.Core.Records;

namespace SharingHub.Data.Demo;

internal sealed partial class FamilyBuilder
{
    private void MakeInvolvementsAndStates(List<Individual> individuals, string? probationKey, List<DemoInvolvement> involvements, List<DemoState> states)
    {
        foreach (var person in individuals)
        {
            var age = person.AgeAt(_today);
            if (person.Kind == PersonKind.Child && _r.Bool(0.6f))
            {
                var service = _r.ArrayElement(new[] { "early-help", "child-in-need", "child-protection-plan", "family-help" });
                var started = DaysAgo(700);
                var open = _r.Bool(0.6f);
                involvements.Add(Involvement(AgencyCodes.LocalAuthority, "la.social-care", person, service, started, open,
                    "Children's Social Care Locality Team", $"{service.Replace('-', ' ')} work with the family"));
                if (service == "child-protection-plan")
                {
                    states.Add(new DemoState(NewId(), AgencyCodes.LocalAuthority, "la.social-care", Record(AgencyCodes.LocalAuthority, person).Id,
                        "child-protection-plan", started, open ? null : started.AddDays(_r.Number(90, 400)), "Category: neglect"));
                }
            }
            if (Has(AgencyCodes.Education, person))
            {
                var school = $"{_faker.Address.City()} {(age < 11 ? "Primary School" : "Academy")}";
                involvements.Add(Involvement(AgencyCodes.Education, "education.attendance", person, "school-place", DaysAgo(1000), true, school, "On roll"));
                if (_r.Bool(0.3f))
                {
                    states.Add(new DemoState(NewId(), AgencyCodes.Education, "education.attendance", Record(AgencyCodes.Education, person).Id,
                        "persistent-absence", DaysAgo(200), null, "Attendance below 90 per cent over the last two terms", Record(AgencyCodes.Education, person).Organisation));
                }
            }
            if (person.Kind == PersonKind.Child && age < 5)
            {
                involvements.Add(Involvement(AgencyCodes.Health, "health.clinical", person, "health-visiting", DaysAgo(300), true, "0-19 Public Health Nursing", "Universal plus"));
            }
            if (person.Kind == PersonKind.Child && age >= 11 && _r.Bool(0.2f))
            {
                involvements.Add(Involvement(AgencyCodes.Health, "health.mental-health", person, "camhs", DaysAgo(300), _r.Bool(), "CAMHS Core Team", "Anxiety and low mood"));
            }
            if (person.Key == probationKey)
            {
                involvements.Add(Involvement(AgencyCodes.Probation, "probation.supervision", person, "probation-supervision", DaysAgo(500), true, "Probation Delivery Unit", "Community order with rehabilitation activity"));
                states.Add(new DemoState(NewId(), AgencyCodes.Probation, "probation.supervision", Record(AgencyCodes.Probation, person).Id,
                    "on-licence", DaysAgo(400), null, "Licence conditions include no contact with a named adult"));
            }
            if (person.Role == "mother" && _r.Bool(0.2f))
            {
                states.Add(new DemoState(NewId(), AgencyCodes.LocalAuthority, "la.social-care", Record(AgencyCodes.LocalAuthority, person).Id,
                    "housing-support", DaysAgo(300), null, "Temporary accommodation; rent arrears"));
            }
        }
    }

    private DemoInvolvement Involvement(string agency, string dataClass, Individual person, string service, DateTimeOffset started, bool open, string team, string summary) =>
        new(NewId(), agency, dataClass, Record(agency, person).Id, service, open ? InvolvementStatus.Open : InvolvementStatus.Closed,
            started, open ? null : Ended(started, started.AddDays(_r.Number(30, 400))), team, _faker.Name.FullName(), summary, Record(agency, person).Organisation);

    /// <summary>A closed involvement ended in the past: no later than the day before the demo's anchor, and not before it started.</summary>
    private DateTimeOffset Ended(DateTimeOffset started, DateTimeOffset drawn)
    {
        var latest = _options.Anchor.AddDays(-1);
        return drawn <= latest ? drawn : started <= latest ? latest : started;
    }

    private List<DemoEvent> MakeEvents(List<Individual> individuals)
    {
        var target = _r.Number(Math.Max(1, _options.EventsPerFamily / 2), Math.Max(1, _options.EventsPerFamily * 3 / 2));
        var events = new List<DemoEvent>(target);
        var children = individuals.Where(i => i.Kind == PersonKind.Child).ToList();
        var adults = individuals.Where(i => i.Kind == PersonKind.Adult).ToList();
        var familyReference = Reference();
        var attempts = 0;
        while (events.Count < target && attempts++ < target * 20)
        {
            var template = _r.ListItem(DemoTemplates.Events.ToList());
            var child = _r.ListItem(children.Where(c => Has(template.Agency, c)).DefaultIfEmpty().ToList());
            var adult = _r.ListItem(adults.Where(a => Has(template.Agency, a)).DefaultIfEmpty().ToList());
            var subjects = template.Subject switch
            {
                TemplateSubject.Child when child is not null => [child],
                TemplateSubject.Adult when adult is not null => [adult],
                TemplateSubject.ChildAndAdult when child is not null && adult is not null => new List<Individual> { child, adult },
                _ => [],
            };
            if (subjects.Count == 0)
            {
                continue;
            }
            events.Add(MakeEvent(template, child, adult, familyReference, events.Count, subjects));
        }
        events.Sort((a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
        return events;
    }

    private DemoEvent MakeEvent(EventTemplate template, Individual? child, Individual? adult, string familyReference, int number, List<Individual> subjects)
    {
        var place = _r.ListItem(DemoTemplates.Places.ToList());
        // A person the agency holds no record of is written as its practitioners would: by role, never as a gap.
        string Fill(string text) => text
            .Replace("{child}", child is null || !Has(template.Agency, child) ? "the child" : Record(template.Agency, child).GivenName, StringComparison.Ordinal)
            .Replace("{adult}", adult is null || !Has(template.Agency, adult) ? "a parent" : Record(template.Agency, adult).GivenName, StringComparison.Ordinal)
            .Replace("{place}", place, StringComparison.Ordinal);
        var significance = (Significance)_r.Number((int)template.Low, (int)template.High);
        return new DemoEvent(NewId(), template.Agency, template.DataClass, DaysAgo(3 * 365, template.AtNight), template.Category, significance,
            Fill(template.Summary), Fill(template.Detail), $"{template.Agency}-{familyReference}-{number:D5}",
            subjects.Select(s => Record(template.Agency, s).Id).ToList(), subjects.Select(s => Record(template.Agency, s).Organisation).FirstOrDefault());
    }

    private List<DemoConsent> MakeConsents(List<Individual> individuals)
    {
        var consents = new List<DemoConsent>();
        var mother = individuals.First(i => i.Role == "mother");
        foreach (var child in individuals.Where(i => i.Kind == PersonKind.Child))
        {
            if (!_r.Bool(0.4f))
            {
                continue;
            }
            var withdrawn = _r.Bool(0.15f);
            var refused = !withdrawn && _r.Bool(0.15f);
            consents.Add(Consent(mother, child, refused, withdrawn));
        }
        return consents;
    }

    /// <summary>The mother's decision, with parental responsibility, on sharing for Family Help: a refusal covers mental-health records.</summary>
    private DemoConsent Consent(Individual mother, Individual child, bool refused, bool withdrawn)
    {
        var start = DaysAgo(300);
        return new DemoConsent(NewId(), AgencyCodes.LocalAuthority, Record(AgencyCodes.LocalAuthority, child).Id,
            Record(AgencyCodes.LocalAuthority, mother).Id, ConsentGrantor.ParentalResponsibility,
            refused ? ConsentDecision.Deny : ConsentDecision.Permit,
            withdrawn ? ConsentStatus.Withdrawn : ConsentStatus.Active,
            [AgencyCodes.LocalAuthority, AgencyCodes.Health, AgencyCodes.Education],
            ["family-help", "fgdm"],
            refused ? ["health.mental-health"] : ["la.social-care", "education.attendance", "health.clinical"],
            start, start.AddYears(1), withdrawn ? start.AddDays(_r.Number(10, 200)) : null);
    }

    private List<DemoEnquiry> MakeEnquiries(List<Individual> individuals)
    {
        // Every fourth family (the first among them) is in an open enquiry, so the demo always has one to work in.
        var current = _index % 4 == 0;
        if (!current && !_r.Bool(0.4f))
        {
            return [];
        }
        // The showcase family's enquiry is the most recently opened, so it is the first a member's /me lists.
        var opened = current ? _options.Anchor.AddDays(-_r.Number(3, 20)) : DaysAgo(200);
        if (Showcase)
        {
            opened = _options.Anchor.AddDays(-1);
        }
        var closed = opened < _options.Anchor.AddDays(-60);
        var children = individuals.Where(i => i.Kind == PersonKind.Child).ToList();
        var members = new List<DemoEnquiryMember>
        {
            new(NewId(), AgencyCodes.LocalAuthority, "demo-la-lcpp", "lcpp", opened),
            new(NewId(), AgencyCodes.Police, "demo-police-officer", "police", opened),
            new(NewId(), AgencyCodes.Health, "demo-health-practitioner", "health", opened),
            new(NewId(), AgencyCodes.Education, "demo-education-lead", "education", opened),
        };
        var subjects = individuals.Select(i => (Record(AgencyCodes.LocalAuthority, i).Id, i.Kind == PersonKind.Child ? "child" : "household")).ToList();
        var requests = new List<DemoInformationRequest>();
        foreach (var agency in new[] { AgencyCodes.Police, AgencyCodes.Health, AgencyCodes.Education, AgencyCodes.Probation })
        {
            if (agency == AgencyCodes.Probation && !individuals.Any(i => Has(AgencyCodes.Probation, i)))
            {
                continue;
            }
            var asked = opened.AddHours(_r.Number(1, 6));
            var due = asked.AddDays(2);
            var answered = closed || _r.Bool(0.6f);
            DemoInformationResponse? response = null;
            if (answered)
            {
                var kind = agency == AgencyCodes.Police && _r.Bool(0.3f) ? InformationResponseKind.HeldNotShared
                    : _r.Bool(0.15f) ? InformationResponseKind.NothingHeld
                    : InformationResponseKind.Provided;
                response = new DemoInformationResponse(NewId(), asked.AddHours(_r.Number(2, 60)), kind,
                    kind == InformationResponseKind.Provided ? $"Summary of {agency} involvement with the family provided for the strategy discussion." : null,
                    kind == InformationResponseKind.HeldNotShared ? "Disclosure at this stage would prejudice an ongoing criminal investigation; to be reviewed in 14 days." : null);
            }
            requests.Add(new DemoInformationRequest(NewId(), agency, asked, due,
                answered ? InformationRequestStatus.Answered : InformationRequestStatus.Open,
                $"Please share what {agency} holds about the children and adults in this household, including any current risks.", response));
        }
        return
        [
            new DemoEnquiry(NewId(), $"S47-{opened.Year}-{Reference()}", closed ? EnquiryStatus.Closed : EnquiryStatus.Open, opened,
                closed ? opened.AddDays(_r.Number(10, 40)) : null,
                closed ? _r.ArrayElement(new EnquiryOutcome?[] { EnquiryOutcome.ChildProtectionConference, EnquiryOutcome.FamilyHelp, EnquiryOutcome.NoFurtherAction }) : null,
                "demo-la-lcpp",
                $"Reasonable cause to suspect that {Record(AgencyCodes.LocalAuthority, children[0]).GivenName} is suffering, or likely to suffer, significant harm.",
                members, subjects, requests),
        ];
    }

    private List<DemoReferral> MakeReferrals(List<Individual> individuals)
    {
        var referrals = new List<DemoReferral>();
        var children = individuals.Where(i => i.Kind == PersonKind.Child).ToList();
        var count = _r.Number(1, 3);
        for (var n = 0; n < count; n++)
        {
            var agency = _r.ArrayElement(new[] { AgencyCodes.Police, AgencyCodes.Education, AgencyCodes.Health });
            var child = _r.ListItem(children);
            var received = DaysAgo(500);
            var due = NextWorkingDay(received);
            var decided = received < _options.Anchor.AddDays(-2) || _r.Bool(0.5f);
            referrals.Add(new DemoReferral(NewId(), agency, Record(AgencyCodes.LocalAuthority, child).Id, received, due,
                decided ? _r.Enum<ReferralDecision>() : null, decided ? received.AddHours(_r.Number(2, 30)) : null,
                $"Concern raised by {agency} about the welfare of {Record(AgencyCodes.LocalAuthority, child).GivenName}.",
                $"{_faker.Name.FullName()}, {agency} safeguarding lead"));
        }
        return referrals;
    }

    /// <summary>Weekends only: the bank holiday calendar belongs to the front door workflow, not the demo.</summary>
    private static DateTimeOffset NextWorkingDay(DateTimeOffset received)
    {
        var due = received.AddDays(1);
        while (due.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            due = due.AddDays(1);
        }
        return due;
    }
}
