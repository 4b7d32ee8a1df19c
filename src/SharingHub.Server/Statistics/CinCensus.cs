using System.Globalization;
using System.Text;
using System.Xml;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Statistics;

/// <summary>Settings of the Children in Need census export (SharingHub:Census).</summary>
public sealed class CensusOptions
{
    public const string Section = "SharingHub:Census";

    /// <summary>The council's three-digit DfE local authority number, the census header's LEA; unset, the header leaves it out.</summary>
    public string? LaNumber { get; set; }
}

/// <summary>One element of the census the hub fills, how, or why it cannot.</summary>
public sealed record CensusField(string Element, string Filled, string Source);

/// <summary>A child in the census year the council holds no record of, named by the case's reference (never by anything about the child).</summary>
public sealed record CensusGap(string Reference, string Reason);

/// <summary>What an export holds and cannot hold: the year, the children, the fields and the cases it could not return.</summary>
public sealed record CensusSummary(string Year, DateOnly ReferenceDate, int Children, int Episodes, IReadOnlyList<CensusField> Fields, IReadOnlyList<CensusGap> Gaps);

/// <summary>
/// The Children in Need census return (issue 29) for a census year (1 April to 31 March): each child the council worked with
/// in the year, from the council's own record of the child (its identifier, UPN, date of birth or expected date, sex) and the
/// dates of the referrals, section 47 enquiries, conferences and plans the hub holds, in the structure of the DfE's CIN census
/// XML (Message, Header, Children, Child, ChildIdentifiers, CINdetails, Section47, ChildProtectionPlans, Reviews). It is made by
/// the council's returns officer (action census.export) under the purpose cin-census, which opens nothing but this export;
/// each child's record is decided by the policy and only its permitted fields are opened; the audit entry names each child
/// exported. What the hub does not record (ethnicity, disability, primary need, assessments, reasons for closure) is left out
/// and said per field.
/// </summary>
public static class CinCensus
{
    public const string Purpose = "cin-census";
    private const string Council = "la";

    /// <summary>The elements of the return, how the hub fills each (always, when recorded, or never) and from what.</summary>
    public static readonly IReadOnlyList<CensusField> Fields =
    [
        new("LAchildID", "when recorded", "the council's own identifier of the child (identifier kind LaPersonId on the council's record of the child)"),
        new("UPN", "when recorded", "the unique pupil number on the council's own record of the child; a school's record is never read for it"),
        new("FormerUPN", "never", "not recorded by the hub"),
        new("UPNunknown", "never", "the reason a UPN is missing is not recorded by the hub"),
        new("PersonBirthDate", "when recorded", "the council's record of the child (a born child)"),
        new("ExpectedPersonBirthDate", "when recorded", "the council's record of an unborn child (its expected date of delivery)"),
        new("GenderCurrent", "always", "the council's record of the child: 1 male, 2 female, 9 other (not specified), 0 not known"),
        new("PersonDeathDate", "never", "not recorded by the hub"),
        new("Ethnicity", "never", "not recorded by the hub"),
        new("Disabilities", "never", "not recorded by the hub"),
        new("CINreferralDate", "always", "the date the front door received the referral (an enquiry opened without a referral in the hub: the date it was opened)"),
        new("ReferralSource", "always", "the referring agency: 2A schools (education), 3F health services, 5B the council's own services, 6 police, 7 other legal agency (probation), 10 unknown; the hub does not record which health service or individual referred"),
        new("PrimaryNeedCode", "never", "the hub records a referral's category of concern, not the primary need an assessment finds"),
        new("CINclosureDate", "when recorded", "the date of a decision of no further action on the referral, or of the enquiry's closure with no further action"),
        new("ReasonForClosure", "never", "why a case closed is recorded in the council's case system, not in the hub"),
        new("DateOfInitialCPC", "when recorded", "the initial child protection conference of the episode's case"),
        new("ReferralNFA", "always", "true when the front door decided no further action on the referral"),
        new("Assessments", "never", "statutory assessments are recorded in the council's case system, not in the hub"),
        new("CINPlanDates", "never", "child in need plans are recorded in the council's case system, not in the hub"),
        new("S47ActualStartDate", "when recorded", "the date the strategy discussion started the section 47 enquiry"),
        new("InitialCPCtarget", "when recorded", "the date the initial conference was due (15 working days from the strategy discussion)"),
        new("ICPCnotRequired", "when recorded", "true when the enquiry ended without needing an initial conference"),
        new("CPPstartDate", "when recorded", "the date the initial conference made the child protection plan"),
        new("CPPendDate", "when recorded", "the date a review conference ended the plan"),
        new("InitialCategoryOfAbuse", "when recorded", "the plan's category: NEG neglect, PHY physical, EMO emotional, SAB sexual abuse"),
        new("LatestCategoryOfAbuse", "when recorded", "the plan's category as it is now (the hub keeps one category per plan)"),
        new("NumberOfPreviousCPP", "when recorded", "the child's earlier plans held in the hub (plans made before the hub are not counted)"),
        new("CPPreviewDate", "when recorded", "each review conference of the plan"),
    ];

    public static IServiceCollection AddSharingHubCensus(this IServiceCollection services)
    {
        services.AddOptions<CensusOptions>().BindConfiguration(CensusOptions.Section)
            .Validate(o => o.LaNumber is null || (o.LaNumber.Length == 3 && o.LaNumber.All(char.IsAsciiDigit)), $"{CensusOptions.Section}:LaNumber is the council's three-digit DfE number")
            .ValidateOnStart();
        return services;
    }

    public static WebApplication MapCinCensus(this WebApplication app)
    {
        app.MapGet("/statistics/census/children-in-need", SummaryAsync).RequireAuthorization().WithTags("Statistics")
            .Audited(HubActions.CensusExport).Takes(HubActions.CensusExport).OpensRecords()
            .Answers<CensusSummary>(200, "What the Children in Need census return of a year (year=2026-27) holds: children, episodes, each field filled or why not, and the cases the council holds no record of", 400, 403);
        app.MapGet("/statistics/census/children-in-need.xml", XmlAsync).RequireAuthorization().WithTags("Statistics")
            .Audited(HubActions.CensusExport).Takes(HubActions.CensusExport).OpensRecords()
            .Produces(200, contentType: "application/xml").ProducesProblem(400).ProducesProblem(403);
        return app;
    }

    /// <summary>The returns officer's page (/work/cin-census/census): the year's summary, its gaps and fields, and the file to download.</summary>
    public static RouteGroupBuilder MapCensusPages(this RouteGroupBuilder work)
    {
        work.MapGet("/{purpose}/census", PageAsync).Audited("page.census").Takes(HubActions.CensusExport).OpensRecords();
        work.MapGet("/{purpose}/census.xml", XmlAsync).Audited(HubActions.CensusExport).Takes(HubActions.CensusExport).OpensRecords();
        return work;
    }

    private static async Task<IResult> PageAsync(HttpContext http, RecordAccess access, IHubDbContextFactory contexts, WorkingCalendar calendar,
        Policies.Decisions.PolicyDecisionPoint policy, TimeProvider clock, string? year)
    {
        var now = clock.GetUtcNow();
        var years = StatisticsPeriod.Between(now.AddYears(-3), now, calendar.Zone).Where(p => p.Grain == "financial-year").OrderByDescending(p => p.From)
            .Select(p => p.Code).ToList();
        var (census, refusal) = await BuildAsync(http, access, contexts, calendar, year ?? years[0]);
        return refusal ?? Pages.PageEndpoints.Render<CinCensusPage>(200, new()
        {
            ["User"] = Pages.PageEndpoints.UserOf(http, policy, Purpose),
            ["Census"] = census,
            ["Years"] = years,
        });
    }

    private static async Task<IResult> SummaryAsync(HttpContext http, RecordAccess access, IHubDbContextFactory contexts, WorkingCalendar calendar, string? year)
    {
        var (census, refusal) = await BuildAsync(http, access, contexts, calendar, year);
        return refusal ?? Results.Json(new CensusSummary(census!.Year, census.ReferenceDate, census.Children.Count, census.Children.Sum(c => c.Episodes.Count), Fields, census.Gaps));
    }

    private static async Task<IResult> XmlAsync(HttpContext http, RecordAccess access, IHubDbContextFactory contexts, WorkingCalendar calendar, IOptions<CensusOptions> options,
        TimeProvider clock, string? year)
    {
        var (census, refusal) = await BuildAsync(http, access, contexts, calendar, year);
        if (refusal is not null)
        {
            return refusal;
        }
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"sharinghub-cin-census-{census!.Year}.xml\"";
        return Results.Text(Xml(census, options.Value.LaNumber, clock.GetUtcNow(), calendar.Zone), "application/xml; charset=utf-8");
    }

    /// <summary>A child's record of a referral and what followed it in the year.</summary>
    public sealed record Episode(DateOnly ReferralDate, string Source, bool NoFurtherAction, DateOnly? ClosedOn, IReadOnlyList<Section47> Enquiries,
        IReadOnlyList<Plan> Plans, DateOnly? InitialConference);

    public sealed record Section47(DateOnly? StartedOn, DateOnly? ConferenceTarget, DateOnly? ConferenceHeld, bool ConferenceNotRequired);

    public sealed record Plan(DateOnly StartedOn, DateOnly? EndedOn, string? Category, int Previous, IReadOnlyList<DateOnly> Reviews);

    public sealed record Child(string? LaChildId, string? Upn, DateOnly? BirthDate, DateOnly? ExpectedBirthDate, string Gender, IReadOnlyList<Episode> Episodes);

    public sealed record Census(string Year, DateOnly ReferenceDate, IReadOnlyList<Child> Children, IReadOnlyList<CensusGap> Gaps);

    private sealed record CaseRow(Guid Id, Guid? ReferralId, string Reference, DateTimeOffset OpenedAt, EnquiryStatus Status, DateTimeOffset? ClosedAt, EnquiryOutcome? Outcome,
        DateTimeOffset? Section47StartedAt, DateTimeOffset? ConferenceDueBy, DateTimeOffset? PlanStartedAt, DateTimeOffset? PlanEndedAt, string? PlanCategory);

    private static async Task<(Census? Census, IResult? Refusal)> BuildAsync(HttpContext http, RecordAccess access, IHubDbContextFactory contexts, WorkingCalendar calendar,
        string? year)
    {
        if (access.Purpose != Purpose)
        {
            return (null, ApiErrors.For(http, new ApiError(400, "purpose_not_census", "Purpose of use", $"the census is exported under the purpose '{Purpose}', not '{access.Purpose}'")));
        }
        var (period, wrong) = StatisticsPeriod.Parse(year, calendar.Zone);
        if (period is null || period.Grain != "financial-year")
        {
            return (null, ApiErrors.For(http, new ApiError(400, "invalid_year", "Census year",
                wrong ?? $"the census is made for a census year, 1 April to 31 March, written like 2026-27; '{year}' is a {period!.Grain}")));
        }
        var ct = http.RequestAborted;
        var (from, to) = (period.From, period.To);
        await using var db = contexts.Create();
        // The cases of the year: referrals received in it, and the enquiries open at any time in it (with the referrals they came from).
        var cases = await db.Enquiries.AsNoTracking().Where(e => e.OpenedAt < to && (e.Status == EnquiryStatus.Open || e.ClosedAt >= from || e.PlanEndedAt >= from))
            .Select(e => new CaseRow(e.Id, e.ReferralId, e.Reference, e.OpenedAt, e.Status, e.ClosedAt, e.Outcome, e.Section47StartedAt, e.ConferenceDueBy, e.PlanStartedAt,
                e.PlanEndedAt, e.PlanCategory))
            .ToListAsync(ct);
        // The year's cases, children and records are thousands of ids; each list goes to the database as one parameter (the hub's
        // setting on SQLite, Npgsql's array on PostgreSQL; a parameter per id took most of the return's time on SQLite: at 1M
        // events 6 queries, 3.1 s of a 4.5 s request).
        var caseIds = cases.Select(c => c.Id).ToList();
        var caseReferrals = cases.Where(c => c.ReferralId is not null).Select(c => c.ReferralId!.Value).ToList();
        var referrals = await db.Referrals.AsNoTracking()
            .Where(r => r.Kind == ReferralKind.Referral && ((r.ReceivedAt >= from && r.ReceivedAt < to) || caseReferrals.Contains(r.Id)))
            .Select(r => new { r.Id, r.OwningAgency, r.SubjectPersonId, r.ReceivedAt, r.Decision, r.DecidedAt, r.Reference })
            .ToListAsync(ct);
        var children = await db.Set<EnquirySubject>().AsNoTracking().Where(s => s.Role == "child" && caseIds.Contains(s.EnquiryId))
            .Select(s => new { s.EnquiryId, s.PersonId }).ToListAsync(ct);
        var conferences = (await db.Set<CaseConference>().AsNoTracking().Where(c => caseIds.Contains(c.EnquiryId))
            .Select(c => new { c.EnquiryId, c.Kind, c.HeldAt }).ToListAsync(ct)).ToLookup(c => c.EnquiryId);

        // Each child as the council records them: the council's record among the records linked to the case's subject.
        var subjects = referrals.Select(r => r.SubjectPersonId).Concat(children.Select(c => c.PersonId)).ToHashSet();
        var childrenOf = children.ToLookup(c => c.EnquiryId, c => c.PersonId);
        await access.PrepareAsync(subjects, ct);
        var linked = subjects.SelectMany(s => access.Links.Of(s)).ToHashSet();
        var linkedIds = linked.ToList();
        var councilRecords = await db.People.AsNoTracking().Include(p => p.Identifiers)
            .Where(p => p.OwningAgency == Council && p.Kind != PersonKind.Adult && linkedIds.Contains(p.Id)).ToListAsync(ct);
        var byRecord = councilRecords.ToDictionary(p => p.Id);
        Person? CouncilRecordOf(Guid subject) =>
            access.Links.Of(subject).Select(id => byRecord.GetValueOrDefault(id)).OfType<Person>().OrderBy(p => p.CreatedAt).ThenBy(p => p.Id).FirstOrDefault();

        DateOnly Day(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, calendar.Zone).DateTime);

        // Every plan the hub holds for these children (in any year, under any agency's record of them), to count the plans before each.
        var plansByChild = new Dictionary<Guid, HashSet<(Guid Case, DateTimeOffset Started)>>();
        var everyPlan = await db.Set<EnquirySubject>().AsNoTracking().Where(s => s.Role == "child" && linkedIds.Contains(s.PersonId))
            .Join(db.Enquiries.Where(e => e.PlanStartedAt != null && e.PlanStartedAt < to), s => s.EnquiryId, e => e.Id, (s, e) => new { s.PersonId, e.Id, Started = e.PlanStartedAt!.Value })
            .ToListAsync(ct);
        foreach (var plan in everyPlan)
        {
            if (CouncilRecordOf(plan.PersonId) is { } child)
            {
                (plansByChild.TryGetValue(child.Id, out var set) ? set : plansByChild[child.Id] = []).Add((plan.Id, plan.Started));
            }
        }
        var episodes = new Dictionary<Guid, List<Episode>>();
        var gaps = new List<CensusGap>();
        var referralById = referrals.ToDictionary(r => r.Id);
        var used = new HashSet<Guid>();
        void Add(Guid subject, string reference, Episode episode)
        {
            if (CouncilRecordOf(subject) is not { } record)
            {
                gaps.Add(new CensusGap(reference, "the council holds no record of the child linked to this case's record of them"));
                return;
            }
            (episodes.TryGetValue(record.Id, out var list) ? list : episodes[record.Id] = []).Add(episode);
        }
        // Only what happened by the end of the year is returned, whenever the export is made.
        DateOnly? Within(DateTimeOffset? at) => at is { } a && a < to ? Day(a) : null;
        foreach (var c in cases)
        {
            var referral = c.ReferralId is { } rid ? referralById.GetValueOrDefault(rid) : null;
            if (referral is not null)
            {
                used.Add(referral.Id);
            }
            var initial = Within(conferences[c.Id].Where(x => x.Kind == ConferenceKind.Initial).OrderBy(x => x.HeldAt).Select(x => (DateTimeOffset?)x.HeldAt).FirstOrDefault());
            var ended = Within(c.ClosedAt);
            var s47 = Within(c.Section47StartedAt) is { } s47Start
                ? new List<Section47>
                {
                    new(s47Start, c.ConferenceDueBy is { } due ? Day(due) : null, initial,
                        ended is not null && c.Outcome is EnquiryOutcome.NoFurtherAction or EnquiryOutcome.FamilyHelp),
                }
                : [];
            var reviews = conferences[c.Id].Where(x => x.Kind == ConferenceKind.Review && x.HeldAt < to).OrderBy(x => x.HeldAt).Select(x => Day(x.HeldAt)).ToList();
            var closed = c.Outcome == EnquiryOutcome.NoFurtherAction ? ended : null;
            foreach (var subject in childrenOf[c.Id].Distinct())
            {
                var record = CouncilRecordOf(subject);
                var plans = c.PlanStartedAt is { } started && started < to
                    ? new List<Plan>
                    {
                        new(Day(started), Within(c.PlanEndedAt), Category(c.PlanCategory),
                            record is null ? 0 : plansByChild.GetValueOrDefault(record.Id, []).Count(p => p.Started < started), reviews),
                    }
                    : [];
                var nfa = referral?.Decision == ReferralDecision.NoFurtherAction && Within(referral.DecidedAt) is not null;
                Add(subject, referral?.Reference ?? c.Reference,
                    new Episode(Day(referral?.ReceivedAt ?? c.OpenedAt), Source(referral?.OwningAgency), nfa, closed, s47, plans, initial));
            }
        }
        foreach (var r in referrals.Where(r => !used.Contains(r.Id) && r.ReceivedAt >= from))
        {
            var nfa = r.Decision == ReferralDecision.NoFurtherAction ? Within(r.DecidedAt) : null;
            Add(r.SubjectPersonId, r.Reference ?? "a referral without a reference",
                new Episode(Day(r.ReceivedAt), Source(r.OwningAgency), nfa is not null, nfa, [], [], null));
        }

        // Each child's record is decided by the policy, and only its permitted fields are opened (the audit entry names each).
        var result = new List<Child>();
        var records = councilRecords.Where(p => episodes.ContainsKey(p.Id)).OrderBy(p => p.Id).ToList();
        access.Prefetch(records);
        foreach (var record in records)
        {
            var decision = access.Decide(record);
            if (!decision.IsPermit)
            {
                gaps.Add(new CensusGap(record.Id.ToString(), "the policy does not let the census read the council's record of this child"));
                continue;
            }
            var shown = access.Disclose(record, decision);
            string? Identifier(IdentifierKind kind) => record.Identifiers.Where(i => i.Kind == kind).Select(shown.OpenIdentifier).FirstOrDefault(v => v is not null);
            var birth = shown.Open(nameof(Person.BirthDate), record.BirthDate) is { } text && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                ? day : (DateOnly?)null;
            var gender = shown.Shows(nameof(Person.Sex)) ? record.Sex switch { "male" => "1", "female" => "2", "other" => "9", _ => "0" } : "0";
            result.Add(new Child(Identifier(IdentifierKind.LaPersonId), Identifier(IdentifierKind.Upn), record.Kind == PersonKind.Unborn ? null : birth,
                record.Kind == PersonKind.Unborn ? birth : null, gender, [.. episodes[record.Id].OrderBy(e => e.ReferralDate)]));
        }
        var end = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to.AddTicks(-1), calendar.Zone).DateTime);
        return (new Census(period.Code, end, result, [.. gaps.DistinctBy(g => g.Reference).OrderBy(g => g.Reference, StringComparer.Ordinal)]), null);
    }

    /// <summary>The DfE's referral source for the referring agency; the hub knows the agency, not the service or person within it.</summary>
    internal static string Source(string? agency) => agency switch
    {
        "education" => "2A",
        "health" => "3F",
        Council => "5B",
        "police" => "6",
        "probation" => "7",
        _ => "10",
    };

    /// <summary>The DfE's category of abuse for a plan's category.</summary>
    internal static string? Category(string? category) => category switch
    {
        "neglect" => "NEG",
        "physical-abuse" => "PHY",
        "emotional-abuse" => "EMO",
        "sexual-abuse" => "SAB",
        "multiple" => "MUL",
        _ => null,
    };

    /// <summary>The census as the DfE's CIN XML: the header, then each child with the elements the hub fills; an element it cannot fill is left out.</summary>
    internal static string Xml(Census census, string? laNumber, DateTimeOffset now, TimeZoneInfo zone)
    {
        static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        using (var xml = XmlWriter.Create(text, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true }))
        {
            void Element(string name, string? value)
            {
                if (value is not null)
                {
                    xml.WriteElementString(name, value);
                }
            }
            xml.WriteStartElement("Message");
            xml.WriteStartElement("Header");
            xml.WriteStartElement("CollectionDetails");
            Element("Collection", "CIN");
            Element("Year", census.ReferenceDate.Year.ToString(CultureInfo.InvariantCulture));
            Element("ReferenceDate", Date(census.ReferenceDate));
            xml.WriteEndElement();
            xml.WriteStartElement("Source");
            Element("SourceLevel", "L");
            Element("LEA", laNumber);
            Element("SoftwareCode", "SharingHub");
            Element("Release", typeof(CinCensus).Assembly.GetName().Version?.ToString(3) ?? "1.0.0");
            Element("SerialNo", "1");
            Element("DateTime", TimeZoneInfo.ConvertTime(now, zone).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteStartElement("Children");
            foreach (var child in census.Children)
            {
                xml.WriteStartElement("Child");
                xml.WriteStartElement("ChildIdentifiers");
                Element("LAchildID", child.LaChildId);
                Element("UPN", child.Upn);
                Element("PersonBirthDate", child.BirthDate is { } b ? Date(b) : null);
                Element("ExpectedPersonBirthDate", child.ExpectedBirthDate is { } e ? Date(e) : null);
                Element("GenderCurrent", child.Gender);
                xml.WriteEndElement();
                foreach (var episode in child.Episodes)
                {
                    xml.WriteStartElement("CINdetails");
                    Element("CINreferralDate", Date(episode.ReferralDate));
                    Element("ReferralSource", episode.Source);
                    Element("CINclosureDate", episode.ClosedOn is { } c ? Date(c) : null);
                    Element("DateOfInitialCPC", episode.InitialConference is { } i ? Date(i) : null);
                    Element("ReferralNFA", episode.NoFurtherAction ? "true" : "false");
                    foreach (var s47 in episode.Enquiries)
                    {
                        xml.WriteStartElement("Section47");
                        Element("S47ActualStartDate", s47.StartedOn is { } s ? Date(s) : null);
                        Element("InitialCPCtarget", s47.ConferenceTarget is { } t ? Date(t) : null);
                        Element("DateOfInitialCPC", s47.ConferenceHeld is { } h ? Date(h) : null);
                        Element("ICPCnotRequired", s47.ConferenceNotRequired ? "true" : "false");
                        xml.WriteEndElement();
                    }
                    foreach (var plan in episode.Plans)
                    {
                        xml.WriteStartElement("ChildProtectionPlans");
                        Element("CPPstartDate", Date(plan.StartedOn));
                        Element("CPPendDate", plan.EndedOn is { } pe ? Date(pe) : null);
                        Element("InitialCategoryOfAbuse", plan.Category);
                        Element("LatestCategoryOfAbuse", plan.Category);
                        Element("NumberOfPreviousCPP", plan.Previous.ToString(CultureInfo.InvariantCulture));
                        if (plan.Reviews.Count > 0)
                        {
                            xml.WriteStartElement("Reviews");
                            foreach (var review in plan.Reviews)
                            {
                                Element("CPPreviewDate", Date(review));
                            }
                            xml.WriteEndElement();
                        }
                        xml.WriteEndElement();
                    }
                    xml.WriteEndElement();
                }
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
            xml.WriteEndElement();
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + text;
    }
}
