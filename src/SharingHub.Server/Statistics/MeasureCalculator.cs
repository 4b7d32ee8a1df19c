using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Statistics;

/// <summary>One figure before small numbers are controlled: a count (with its denominator, for a share) or a median.</summary>
public sealed record Cell(string Measure, string Breakdown, string Category, int Count, int? Denominator = null, double? Median = null);

/// <summary>
/// Computes the measures (<see cref="Measures"/>) for periods from the records' plain columns (dates, codes, agencies,
/// states): it never reads a sealed field and holds no cipher, so no figure can carry what a record says. The rows of
/// every period are read once, in as many queries as there are kinds of record, whatever the number of periods.
/// </summary>
public sealed class MeasureCalculator(Data.Cluster.LagTolerantReads reads, WorkingCalendar calendar)
{
    private sealed record ReferralRow(Guid Id, string Agency, Guid Subject, DateTimeOffset ReceivedAt, ReferralDecision? Decision, DateTimeOffset? DecidedAt,
        ReferralUrgency Urgency, ReferralKind Kind);

    private sealed record EnquiryRow(Guid Id, DateTimeOffset OpenedAt, CaseStage Stage, EnquiryOutcome? Outcome, DateTimeOffset? Section47StartedAt,
        string? StrategyDecision, DateTimeOffset? PlanStartedAt, DateTimeOffset? PlanEndedAt, string? PlanCategory);

    private sealed record ConferenceRow(Guid EnquiryId, ConferenceKind Kind, DateTimeOffset HeldAt);

    private sealed record RequestRow(Guid Id, string Agency, DateTimeOffset RequestedAt, DateTimeOffset DueAt);

    private sealed record ResponseRow(Guid RequestId, string Agency, DateTimeOffset RespondedAt, InformationResponseKind Kind);

    private sealed record FamilyHelpRow(Guid Id, string Agency, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, DateTimeOffset? AssessedAt);

    private sealed record LeadRow(Guid PlanId, string Agency, DateTimeOffset From, DateTimeOffset? To);

    /// <summary>Everything the measures of some periods are computed from, read once.</summary>
    private sealed class Rows
    {
        public List<ReferralRow> Referrals { get; init; } = [];
        public Dictionary<Guid, Guid> Child { get; init; } = [];
        public HashSet<Guid> Told { get; init; } = [];
        public List<EnquiryRow> Enquiries { get; init; } = [];
        public ILookup<Guid, ConferenceRow> Conferences { get; init; } = null!;
        public ILookup<Guid, DateTimeOffset> CoreGroups { get; init; } = null!;
        public ILookup<Guid, Guid> Children { get; init; } = null!;
        public List<(EmergencyActionKind Kind, DateTimeOffset StartedAt)> EmergencyActions { get; init; } = [];
        public List<RequestRow> Requests { get; init; } = [];
        public ILookup<Guid, ResponseRow> Responses { get; init; } = null!;
        public List<ResponseRow> AllResponses { get; init; } = [];
        public List<(string Agency, DateTimeOffset At)> Overrides { get; init; } = [];
        public List<(string Agency, ConsentDecision Decision, DateTimeOffset CreatedAt, DateTimeOffset? WithdrawnAt)> Consents { get; init; } = [];
        public List<(string Point, FgdmStatus Status, DateTimeOffset At)> Fgdm { get; init; } = [];
        public List<FamilyHelpRow> FamilyHelp { get; init; } = [];
        public ILookup<Guid, LeadRow> Leads { get; init; } = null!;
    }

    /// <summary>The cells of every measure for each period, keyed by the period's code.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<Cell>>> ComputeAsync(IReadOnlyList<StatisticsPeriod> periods, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(periods);
        var result = new Dictionary<string, IReadOnlyList<Cell>>(StringComparer.Ordinal);
        if (periods.Count == 0)
        {
            return result;
        }
        var rows = await ReadAsync(periods.Min(p => p.From), periods.Max(p => p.To), cancellationToken);
        foreach (var period in periods)
        {
            result[period.Code] = Compute(rows, period.From, period.To);
        }
        return result;
    }

    private async Task<Rows> ReadAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        // Lag-tolerant: a replica within its stated lag may answer (figures, never a decision).
        await using var db = reads.Create();
        // A referral counts as a repeat of one in the 12 months before it; a plan or a case may have started long before.
        var lookback = from.AddMonths(-12);
        var referrals = await db.Referrals.AsNoTracking()
            .Where(r => r.ReceivedAt < to && (r.ReceivedAt >= lookback || (r.DecidedAt != null && r.DecidedAt >= from)))
            .Select(r => new ReferralRow(r.Id, r.OwningAgency, r.SubjectPersonId, r.ReceivedAt, r.Decision, r.DecidedAt, r.Urgency, r.Kind))
            .ToListAsync(ct);
        var told = new HashSet<Guid>();
        foreach (var payload in await db.Notifications.AsNoTracking()
            .Where(n => n.Kind == "referral.decided" && n.DeliveredAt != null && n.CreatedAt >= from).Select(n => n.Payload).ToListAsync(ct))
        {
            if (TaskOf(payload) is { } id)
            {
                told.Add(id);
            }
        }

        IQueryable<Enquiry> relevant = db.Enquiries.Where(e => e.OpenedAt < to && (e.Status == EnquiryStatus.Open || e.ClosedAt >= lookback || e.PlanEndedAt >= lookback));
        var enquiries = await relevant.AsNoTracking()
            .Select(e => new EnquiryRow(e.Id, e.OpenedAt, e.Stage, e.Outcome, e.Section47StartedAt, e.StrategyDecision, e.PlanStartedAt, e.PlanEndedAt, e.PlanCategory))
            .ToListAsync(ct);
        var conferences = await db.Set<CaseConference>().AsNoTracking().Where(c => relevant.Any(e => e.Id == c.EnquiryId))
            .Select(c => new ConferenceRow(c.EnquiryId, c.Kind, c.HeldAt)).ToListAsync(ct);
        var coreGroups = await db.Set<CoreGroupMeeting>().AsNoTracking().Where(m => relevant.Any(e => e.Id == m.EnquiryId))
            .Select(m => new { m.EnquiryId, m.HeldAt }).ToListAsync(ct);
        var children = await db.Set<EnquirySubject>().AsNoTracking().Where(s => s.Role == "child" && relevant.Any(e => e.Id == s.EnquiryId))
            .Select(s => new { s.EnquiryId, s.PersonId }).ToListAsync(ct);
        var emergency = await db.Set<EmergencyAction>().AsNoTracking().Where(a => a.StartedAt >= from && a.StartedAt < to)
            .Select(a => new { a.Kind, a.StartedAt }).ToListAsync(ct);

        var requests = await db.InformationRequests.AsNoTracking().Where(r => r.RequestedAt < to && (r.RequestedAt >= from || r.DueAt >= from))
            .Select(r => new RequestRow(r.Id, r.RequestedAgency, r.RequestedAt, r.DueAt)).ToListAsync(ct);
        var responses = await db.InformationResponses.AsNoTracking().Where(x => x.RespondedAt < to && (x.RespondedAt >= lookback))
            .Select(x => new ResponseRow(x.RequestId, x.OwningAgency, x.RespondedAt, x.Kind)).ToListAsync(ct);
        var overrides = await db.AuditEntries.AsNoTracking().Where(a => a.IsOverride && a.RecordedAt >= from && a.RecordedAt < to)
            .Select(a => new { a.Agency, a.RecordedAt }).ToListAsync(ct);
        var consents = await db.Consents.AsNoTracking()
            .Where(c => (c.Decision == ConsentDecision.Deny && c.CreatedAt >= from && c.CreatedAt < to) || (c.WithdrawnAt >= from && c.WithdrawnAt < to))
            .Select(c => new { c.OwningAgency, c.Decision, c.CreatedAt, c.WithdrawnAt }).ToListAsync(ct);
        var fgdm = await db.Set<FgdmDecision>().AsNoTracking().Where(f => f.RecordedAt >= from && f.RecordedAt < to)
            .Select(f => new { f.DecisionPoint, f.Status, f.RecordedAt }).ToListAsync(ct);

        IQueryable<FamilyHelpPlan> help = db.FamilyHelpPlans.Where(p => p.StartedAt < to && (p.EndedAt == null || p.EndedAt >= from || p.AssessedAt >= from));
        var familyHelp = await help.AsNoTracking().Select(p => new FamilyHelpRow(p.Id, p.OwningAgency, p.StartedAt, p.EndedAt, p.AssessedAt)).ToListAsync(ct);
        var leads = await db.Set<FamilyHelpLead>().AsNoTracking().Where(l => help.Any(p => p.Id == l.PlanId))
            .Select(l => new LeadRow(l.PlanId, l.Agency, l.From, l.To)).ToListAsync(ct);

        return new Rows
        {
            Referrals = referrals,
            Child = await ChildrenOfAsync(db, referrals.Select(r => r.Subject).ToHashSet(), ct),
            Told = told,
            Enquiries = enquiries,
            Conferences = conferences.ToLookup(c => c.EnquiryId),
            CoreGroups = coreGroups.ToLookup(m => m.EnquiryId, m => m.HeldAt),
            Children = children.ToLookup(s => s.EnquiryId, s => s.PersonId),
            EmergencyActions = emergency.Select(a => (a.Kind, a.StartedAt)).ToList(),
            Requests = requests,
            Responses = responses.ToLookup(x => x.RequestId),
            AllResponses = responses,
            Overrides = overrides.Select(o => (o.Agency, o.RecordedAt)).ToList(),
            Consents = consents.Select(c => (c.OwningAgency, c.Decision, c.CreatedAt, c.WithdrawnAt)).ToList(),
            Fgdm = fgdm.Select(f => (f.DecisionPoint, f.Status, f.RecordedAt)).ToList(),
            FamilyHelp = familyHelp,
            Leads = leads.ToLookup(l => l.PlanId),
        };
    }

    /// <summary>The referral a referral.decided notice is about ("task": "Task/{id}"), or null for a payload that names none.</summary>
    private static Guid? TaskOf(string payload)
    {
        try
        {
            using var json = JsonDocument.Parse(payload);
            return json.RootElement.TryGetProperty("task", out var task) && task.GetString() is { } text
                && text.StartsWith("Task/", StringComparison.Ordinal) && Guid.TryParse(text.AsSpan(5), out var id) ? id : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// One id per child among the referrals' subjects: each agency's record of a child is joined to the others it is linked
    /// to (the stored links, as a chronology follows them), so a referral by the school and one by the police about the
    /// same child are one child's two referrals.
    /// </summary>
    /// <remarks>
    /// The links are read once, all of them (two ids a link), and joined in memory. Following them outward from the
    /// subjects, 500 at a time for four hops, cost one query of 500 parameters per chunk per side: 9 of a year's 9.3 seconds
    /// on SQLite at a million events (benchmark, issue 29); reading every link there costs a fraction of that, and stays
    /// proportionate to the population, as the rest of a period's rows do.
    /// </remarks>
    private static async Task<Dictionary<Guid, Guid>> ChildrenOfAsync(HubDbContext db, HashSet<Guid> subjects, CancellationToken ct)
    {
        var parent = subjects.ToDictionary(s => s, s => s);
        Guid Root(Guid x)
        {
            if (!parent.TryGetValue(x, out var up))
            {
                parent[x] = x;
                return x;
            }
            while (up != x)
            {
                var grand = parent[up];
                parent[x] = grand;
                x = up;
                up = grand;
            }
            return x;
        }
        var links = db.PersonPairs.AsNoTracking()
            .Where(p => p.State == PairState.Confirmed || (p.State == PairState.Automatic && p.Outcome == PairOutcome.Link))
            .Select(p => new { p.PersonA, p.PersonB })
            .AsAsyncEnumerable();
        await foreach (var pair in links.WithCancellation(ct))
        {
            var (a, b) = (Root(pair.PersonA), Root(pair.PersonB));
            if (a != b)
            {
                parent[a] = b;
            }
        }
        return subjects.ToDictionary(s => s, Root);
    }

    private List<Cell> Compute(Rows rows, DateTimeOffset from, DateTimeOffset to)
    {
        bool In(DateTimeOffset? at) => at is { } t && t >= from && t < to;
        var cells = new List<Cell>();
        void Counts<T>(string measure, IReadOnlyCollection<T> items, params (string Breakdown, Func<T, string> Category)[] by)
        {
            cells.Add(new Cell(measure, Measures.Total, Measures.Total, items.Count));
            foreach (var (breakdown, category) in by)
            {
                cells.AddRange(items.GroupBy(category).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new Cell(measure, breakdown, g.Key, g.Count())));
            }
        }
        void Shares<T>(string measure, IReadOnlyCollection<T> items, Func<T, bool> counted, params (string Breakdown, Func<T, string> Category)[] by)
        {
            cells.Add(new Cell(measure, Measures.Total, Measures.Total, items.Count(counted), items.Count));
            foreach (var (breakdown, category) in by)
            {
                cells.AddRange(items.GroupBy(category).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new Cell(measure, breakdown, g.Key, g.Count(counted), g.Count())));
            }
        }

        // The front door.
        var received = rows.Referrals.Where(r => In(r.ReceivedAt)).ToList();
        Counts("contacts-received", received.Where(r => r.Kind == ReferralKind.Contact).ToList(), ("source-agency", r => r.Agency), ("urgency", r => Code(r.Urgency)));
        var referrals = received.Where(r => r.Kind == ReferralKind.Referral).ToList();
        Counts("referrals-received", referrals, ("source-agency", r => r.Agency), ("urgency", r => Code(r.Urgency)));
        var decided = rows.Referrals.Where(r => In(r.DecidedAt) && r.Decision is not null).ToList();
        Counts("front-door-decisions", decided, ("outcome", r => Code(r.Decision!.Value)));
        Shares("decided-in-time", decided, r => r.DecidedAt <= calendar.DecisionDue(r.ReceivedAt, r.Urgency), ("urgency", r => Code(r.Urgency)));
        var byChild = rows.Referrals.Where(r => r.Kind == ReferralKind.Referral).ToLookup(r => rows.Child[r.Subject]);
        Shares("repeat-referrals", referrals, r => byChild[rows.Child[r.Subject]].Any(o => o.Id != r.Id && o.ReceivedAt < r.ReceivedAt && o.ReceivedAt >= r.ReceivedAt.AddMonths(-12)),
            ("source-agency", r => r.Agency));
        Shares("referrers-told-outcome", decided, r => rows.Told.Contains(r.Id), ("source-agency", r => r.Agency));

        // Strategy discussions and section 47 enquiries.
        Counts("strategy-discussions", rows.Enquiries.Where(e => In(e.OpenedAt) && (e.StrategyDecision is not null || e.Stage == CaseStage.StrategyDiscussion)).ToList(),
            ("decision", e => e.StrategyDecision ?? "undecided"));
        Counts("section-47-enquiries-started", rows.Enquiries.Where(e => In(e.Section47StartedAt)).ToList(),
            ("started-from", e => e.StrategyDecision is null ? "opened-directly" : "strategy-discussion"), ("outcome", Outcome));
        var initial = rows.Enquiries
            .Select(e => (Enquiry: e, Held: rows.Conferences[e.Id].Where(c => c.Kind == ConferenceKind.Initial).Select(c => (DateTimeOffset?)c.HeldAt).Min()))
            .Where(x => In(x.Held) && x.Enquiry.Section47StartedAt is not null).ToList();
        Shares("initial-conference-within-15-working-days", initial,
            x => x.Held <= WorkingDaysAfter(x.Enquiry.Section47StartedAt!.Value, Journey.ConferenceWorkingDays));
        var days = initial.Select(x => WorkingDaysBetween(x.Enquiry.Section47StartedAt!.Value, x.Held!.Value)).Order().ToList();
        cells.Add(new Cell("working-days-to-initial-conference", Measures.Total, Measures.Total, days.Count, Median: Median(days)));
        Counts("emergency-actions", rows.EmergencyActions, ("kind", a => Code(a.Kind)));

        // Child protection plans: one per child of the case.
        var onPlan = rows.Enquiries.Where(e => e.PlanStartedAt < to && (e.PlanEndedAt is null || e.PlanEndedAt >= to))
            .SelectMany(e => rows.Children[e.Id].Select(_ => e)).ToList();
        Counts("children-on-plan", onPlan, ("category", e => e.PlanCategory ?? "not-recorded"));
        Counts("plans-started", rows.Enquiries.Where(e => In(e.PlanStartedAt)).SelectMany(e => rows.Children[e.Id].Select(_ => e)).ToList(),
            ("category", e => e.PlanCategory ?? "not-recorded"));
        Counts("plans-ended", rows.Enquiries.Where(e => In(e.PlanEndedAt) && e.PlanStartedAt is not null).SelectMany(e => rows.Children[e.Id].Select(_ => e)).ToList(),
            ("duration", e => Duration(e.PlanStartedAt!.Value, e.PlanEndedAt!.Value)));
        var coreGroupDue = rows.Enquiries.Where(e => e.PlanStartedAt is not null)
            .Select(e => (Enquiry: e, Due: WorkingDaysAfter(e.PlanStartedAt!.Value, Journey.CoreGroupWorkingDays))).Where(x => In(x.Due)).ToList();
        Shares("core-group-within-10-working-days", coreGroupDue,
            x => rows.CoreGroups[x.Enquiry.Id].Any(held => held >= x.Enquiry.PlanStartedAt && held <= x.Due));
        var reviews = new List<bool>();
        foreach (var e in rows.Enquiries)
        {
            var held = rows.Conferences[e.Id].OrderBy(c => c.HeldAt).ToList();
            for (var i = 1; i < held.Count; i++)
            {
                if (held[i].Kind == ConferenceKind.Review && In(held[i].HeldAt))
                {
                    reviews.Add(held[i].HeldAt <= held[i - 1].HeldAt.AddMonths(held[i - 1].Kind == ConferenceKind.Initial ? 3 : 6));
                }
            }
        }
        Shares("reviews-on-time", reviews, onTime => onTime);

        // Information sharing.
        Counts("information-requests", rows.Requests.Where(r => In(r.RequestedAt)).ToList(), ("agency", r => r.Agency));
        Shares("information-requests-answered-in-time", rows.Requests.Where(r => In(r.DueAt)).ToList(),
            r => rows.Responses[r.Id].Any(x => x.RespondedAt <= r.DueAt), ("agency", r => r.Agency));
        Counts("held-not-shared", rows.AllResponses.Where(x => x.Kind == InformationResponseKind.HeldNotShared && In(x.RespondedAt)).ToList(), ("agency", x => x.Agency));
        Counts("overrides", rows.Overrides, ("agency", o => o.Agency));
        Counts("consent-refused", rows.Consents.Where(c => c.Decision == ConsentDecision.Deny && In(c.CreatedAt)).ToList(), ("agency", c => c.Agency));
        Counts("consent-withdrawn", rows.Consents.Where(c => In(c.WithdrawnAt)).ToList(), ("agency", c => c.Agency));

        // Family group decision making.
        foreach (var (status, measure) in new[] { (FgdmStatus.Offered, "fgdm-offered"), (FgdmStatus.Accepted, "fgdm-accepted"), (FgdmStatus.Declined, "fgdm-declined") })
        {
            Counts(measure, rows.Fgdm.Where(f => f.Status == status).ToList(), ("decision-point", f => f.Point));
        }

        // Family Help.
        var withLead = rows.FamilyHelp.Where(p => p.StartedAt < to && (p.EndedAt is null || p.EndedAt >= to))
            .Select(p => rows.Leads[p.Id].FirstOrDefault(l => l.From < to && (l.To is null || l.To >= to))).OfType<LeadRow>().ToList();
        Counts("families-with-lead-practitioner", withLead, ("agency", l => l.Agency));
        Counts("family-help-started", rows.FamilyHelp.Where(p => In(p.StartedAt)).ToList(), ("agency", p => p.Agency));
        Counts("family-help-assessments-completed", rows.FamilyHelp.Where(p => In(p.AssessedAt)).ToList(), ("agency", p => p.Agency));
        Counts("family-help-ended", rows.FamilyHelp.Where(p => In(p.EndedAt)).ToList(), ("agency", p => p.Agency));
        return cells;
    }

    /// <summary>Deadlines of the journey, in working days (Working Together 2023), as the journey's own code sets them.</summary>
    private static class Journey
    {
        public const int ConferenceWorkingDays = Workflow.EnquiryEndpoints.ConferenceWorkingDays;
        public const int CoreGroupWorkingDays = Workflow.EnquiryEndpoints.CoreGroupWorkingDays;
    }

    private DateTimeOffset WorkingDaysAfter(DateTimeOffset from, int days) => Workflow.EnquiryEndpoints.WorkingDaysAfter(calendar, from, days);

    /// <summary>The working days from one moment to another: the fewest whole working days of working time that reach it.</summary>
    private int WorkingDaysBetween(DateTimeOffset from, DateTimeOffset to)
    {
        for (var days = 0; days < 1_000; days++)
        {
            if (WorkingDaysAfter(from, days) >= to)
            {
                return days;
            }
        }
        return 1_000;
    }

    private static double? Median(List<int> sorted) => sorted.Count == 0 ? null
        : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2.0;

    /// <summary>The Children in Need census's bands of a plan's length.</summary>
    private static string Duration(DateTimeOffset started, DateTimeOffset ended) =>
        ended < started.AddMonths(3) ? "under-3-months"
        : ended < started.AddMonths(6) ? "3-to-6-months"
        : ended < started.AddYears(1) ? "6-to-12-months"
        : ended < started.AddYears(2) ? "1-to-2-years"
        : "2-years-or-more";

    private static string Outcome(EnquiryRow e) => e.Outcome switch
    {
        EnquiryOutcome.ChildProtectionConference or EnquiryOutcome.NoChildProtectionPlan or EnquiryOutcome.PlanEnded => "initial-conference",
        EnquiryOutcome.FamilyHelp => "family-help",
        EnquiryOutcome.NoFurtherAction => "no-further-action",
        EnquiryOutcome.EmergencyAction => "emergency-action",
        _ => e.PlanStartedAt is not null ? "initial-conference" : "under-way",
    };

    /// <summary>An enumeration value as the APIs write codes (ImmediateProtection: immediate-protection).</summary>
    private static string Code<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) ? (i == 0 ? "" : "-") + char.ToLowerInvariant(c) : c.ToString()));
}
