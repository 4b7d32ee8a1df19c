using Microsoft.AspNetCore.Antiforgery;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;
using SharingHub.Server.Journey.FrontDoor;

namespace SharingHub.Server.Pages;

/// <summary>
/// The Integrated Front Door's pages: the worklist of referrals with each one's working-day deadline (the council's front
/// door sees every referral made to it; a partner's front door the ones it made, with their outcomes), a referral opened
/// under front-door-triage bound to it (so its child's records open for this referral only), and the decision form,
/// through the same use case as FHIR's $decide.
/// </summary>
internal static class FrontDoorPages
{
    public const int MaxReferrals = 500;

    public static RouteGroupBuilder MapFrontDoorPages(this RouteGroupBuilder work)
    {
        work.MapGet("/{purpose}/referrals", WorklistAsync).Audited("page.referrals").OpensRecords(listsCases: true);
        work.MapGet("/{purpose}/referrals/{referral:guid}", ReadAsync).Audited("page.referral").OpensRecords();
        work.MapGet("/{purpose}/referrals/{referral:guid}/people/{person:guid}", ChronologyAsync).Audited("page.referral-chronology").OpensRecords();
        // Referring writes the referrer's own records and discloses none: no purpose, the write action.
        work.MapGet("/refer", ReferFormAsync).Audited("page.refer-form").Takes(HubActions.RecordWrite);
        work.MapPost("/refer", ReferAsync).Audited("page.refer").Takes(HubActions.RecordWrite).DisableAntiforgery();
        work.MapPost("/{purpose}/referrals/{referral:guid}", DecideAsync).Audited("page.referral-decide").Takes(HubActions.ReferralDecide).OpensRecords()
            .DisableAntiforgery();
        return work;
    }

    private static async Task<IResult> WorklistAsync(string purpose, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, PolicyDecisionPoint policy)
    {
        await using var db = contexts.Create();
        var rows = await db.Referrals.AsNoTracking().ReachableBy(access)
            .OrderBy(r => r.Decision == null ? 0 : 1).ThenBy(r => r.DecisionDueAt).Take(MaxReferrals).ToListAsync(http.RequestAborted);
        await access.PrepareAsync(rows.Select(r => r.SubjectPersonId), http.RequestAborted);
        var shown = access.Permitted(rows).Select(x => View(access.Disclose(x.Record, x.Decision), access.Now, policy.Policy)).ToList();
        return PageEndpoints.Render<ReferralsPage>(200, new() { ["User"] = PageEndpoints.UserOf(http, policy, purpose), ["Purpose"] = purpose, ["Referrals"] = shown });
    }

    private static ReferralView View(Disclosure d, DateTimeOffset now, PolicySet policy)
    {
        var r = (Referral)d.Record;
        var decision = r.Decision is { } decided && d.Shows(nameof(Referral.Decision)) ? RecordFields.CamelCase(decided.ToString()) : null;
        return new ReferralView(r.Id, PageText.Organisation(policy, r.OwningAgency, r.OwningOrganisation), r.ReceivedAt, r.DecisionDueAt,
            r.Decision is null && now > r.DecisionDueAt, decision, r.DecidedAt, d.Open(nameof(Referral.Concern), r.Concern),
            d.Open(nameof(Referral.ReferrerIdentity), r.ReferrerIdentity), r.SubjectPersonId)
        {
            Urgency = d.Shows(nameof(Referral.Urgency)) ? RecordFields.CamelCase(r.Urgency.ToString()) : null,
            Kind = d.Shows(nameof(Referral.Kind)) ? (r.Kind == ReferralKind.Contact ? "Contact" : "Referral") : null,
            Reference = r.Reference is not null && d.Shows(nameof(Referral.Reference)) ? r.Reference : null,
            Category = r.ConcernCategory is not null && d.Shows(nameof(Referral.ConcernCategory)) ? PageText.Words(r.ConcernCategory) : null,
            Rationale = d.Open(nameof(Referral.DecisionRationale), r.DecisionRationale),
            DecidedBy = r.DecidedBy is not null && d.Shows(nameof(Referral.DecidedBy))
                ? r.SignedOffBy is not null && d.Shows(nameof(Referral.SignedOffBy)) ? $"{r.DecidedBy}, signed off by {r.SignedOffBy}" : r.DecidedBy : null,
        };
    }

    /// <summary>What the agencies hold about the referral's child, read under the purpose bound to this referral (front-door-triage).</summary>
    private static async Task<IResult> ChronologyAsync(string purpose, Guid referral, Guid person, HttpContext http, RecordAccess access, IHubDbContextFactory contexts,
        Fhir.Chronology chronology, PolicyDecisionPoint policy)
    {
        await using var db = contexts.Create();
        var record = await db.Referrals.AsNoTracking().ReachableBy(access).FirstOrDefaultAsync(r => r.Id == referral, http.RequestAborted);
        if (record is null || record.SubjectPersonId != person)
        {
            return NotFound(http);
        }
        await access.PrepareAsync([person], http.RequestAborted);
        return access.Decide(record).IsPermit
            ? await PageEndpoints.ChronologyPageAsync(purpose, person, http, access, chronology, policy, $"{PageEndpoints.Base}/{purpose}/referrals/{referral}", "the referral",
                "Referral to the front door")
            : NotFound(http);
    }

    private static IResult ReferFormAsync(HttpContext http, IAntiforgery antiforgery, PolicyDecisionPoint policy) =>
        ReferForm(http, antiforgery, policy, 200, new Dictionary<string, string>(), []);

    private static IResult ReferForm(HttpContext http, IAntiforgery antiforgery, PolicyDecisionPoint policy, int status, IReadOnlyDictionary<string, string> form,
        IReadOnlyList<KeyValuePair<string, string>> errors) =>
        PageEndpoints.Render<ReferPage>(status, new()
        {
            ["User"] = PageEndpoints.UserOf(http, policy), ["Csrf"] = antiforgery.GetAndStoreTokens(http).RequestToken, ["Form"] = form, ["Errors"] = errors,
        });

    /// <summary>
    /// A referral from the page: the child found as the referrer's organisation records them (by its identifier), or recorded now
    /// with what the referrer knows; then the referral, as FHIR's POST /Task makes it. Nothing is stored unless all of it is.
    /// </summary>
    private static async Task<IResult> ReferAsync(HttpContext http, IAntiforgery antiforgery, PolicyDecisionPoint policy, IHubDbContextFactory contexts,
        Writing.RecordWriter records, Core.People.PersonSealer people, MakeReferral referrals, AuditScope audit, TimeProvider clock)
    {
        if (await LeadPages.FormAsync(http, antiforgery) is not { } posted)
        {
            return LeadPages.Forged(http);
        }
        var form = posted.Keys.Where(k => k != "__csrf").ToDictionary(k => k, k => posted[k].ToString(), StringComparer.Ordinal);
        string? Given(string name) => form.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        var errors = new List<KeyValuePair<string, string>>();
        void Add(string field, string? message)
        {
            if (message is not null)
            {
                errors.Add(new(field, message));
            }
        }
        var now = clock.GetUtcNow();
        IdentifierKind? kind = ReferralsText.Identifiers.Any(i => i.Value == Given("identifierKind")) ? Enum.Parse<IdentifierKind>(Given("identifierKind")!) : null;
        var identifier = Given("identifier");
        Add("identifier", kind is null ? "choose the kind of identifier" : identifier is null ? "enter your identifier for the child" : Writing.RecordRules.Identifier(kind.Value, identifier));
        var given = Given("givenName");
        var family = Given("familyName");
        Add("givenName", Writing.RecordRules.Name(given, "given"));
        Add("familyName", Writing.RecordRules.Name(family, "family"));
        var unborn = Given("born") == "unborn";
        DateOnly? date = int.TryParse(Given("date-day"), out var day) && int.TryParse(Given("date-month"), out var month) && int.TryParse(Given("date-year"), out var year)
            && year is >= 1000 and <= 9999 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month) ? new DateOnly(year, month, day) : null;
        Add("date", date is not { } d ? $"enter the {(unborn ? "expected date of delivery" : "date of birth")} as a real day, month and year"
            : unborn ? Writing.RecordRules.ExpectedDelivery(d, now) : Writing.RecordRules.BirthDate(d, now));
        var concern = Given("concern");
        Add("concern", concern is null ? "say what worries you about the child" : concern.Length > 4_000 ? "the concern is up to 4,000 characters" : null);
        ReferralUrgency? urgency = (Given("urgency") ?? "amber") switch
        {
            "red" => ReferralUrgency.Red,
            "amber" => ReferralUrgency.Amber,
            "green" => ReferralUrgency.Green,
            _ => null,
        };
        Add("urgency", urgency is null ? "choose how urgent it is" : null);
        var category = ReferralsText.Categories.Any(c => c.Value == Given("category")) ? Given("category") : null;
        var referrer = Given("referrer");
        Add("referrer", referrer is { Length: > 200 } ? "your name and role is up to 200 characters" : null);
        if (errors.Count > 0)
        {
            return ReferForm(http, antiforgery, policy, 422, form, errors);
        }

        var owner = Writing.RecordOwner.Of(http.HubPrincipal());
        await using var db = contexts.Create();
        var index = people.IdentifierIndex(kind!.Value, identifier!);
        var held = await db.People.Include(p => p.Identifiers)
            .Where(p => p.OwningOrganisation == owner.Organisation && p.Identifiers.Any(i => i.Kind == kind && i.ValueIndex == index)).Take(2).ToListAsync(http.RequestAborted);
        if (held.Count > 1)
        {
            return ReferForm(http, antiforgery, policy, 422, form, [new("identifier", "more than one of your organisation's records has this identifier: refer from your case system, which knows which child it is")]);
        }
        var child = held.SingleOrDefault();
        if (child is null)
        {
            child = records.StagePerson(db, owner, new Core.People.PersonDetails(unborn ? PersonKind.Unborn : Writing.RecordRules.KindOn(date!.Value, now), given!, family!, date!.Value,
                null, null, [(kind.Value, identifier!)]));
        }
        var referral = referrals.Stage(db, owner, child.Id, new ReferralInput(concern!, referrer, urgency!.Value, Given("kind") == "contact" ? ReferralKind.Contact : ReferralKind.Referral, category));
        if (await records.SaveChangesAsync(db, http.RequestAborted) is not null)
        {
            return ApiErrors.For(http, new ApiError(409, "conflict", "Not sent", "Your records changed while the referral was being sent, so nothing was recorded. Go back and send it again."));
        }
        if (held.Count == 0)
        {
            audit.RecordWrite(RecordFacts.For(child), "create");
        }
        audit.RecordWrite(RecordFacts.For(referral), "create");
        var user = PageEndpoints.UserOf(http, policy);
        return PageEndpoints.Render<DonePage>(200, new()
        {
            ["User"] = user, ["Title"] = "Referral sent",
            ["Body"] = $"Your {(referral.Kind == ReferralKind.Contact ? "contact" : "referral")} is {MakeReferral.Acknowledgement(referral)}. "
                + $"The front door will decide it by {PageText.DateTime(referral.DecisionDueAt)}, and you will see the outcome.",
            ["Next"] = policy.PurposesFor(http.HubPrincipal().ToPolicyPrincipal()).Any(p => p.Code == "front-door-triage") ? "/work/front-door-triage/referrals" : "/",
            ["NextText"] = "See your referrals and their outcomes",
        });
    }

    private static IResult NotFound(HttpContext http) =>
        ApiErrors.For(http, new ApiError(404, "not-found", "Not found", "There is no referral at this address that you may see for this purpose."));

    private static async Task<IResult> ReadAsync(string purpose, Guid referral, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, PolicyDecisionPoint policy,
        IAntiforgery antiforgery, DecideReferral decide) =>
        await FormAsync(purpose, referral, http, access, contexts, policy, antiforgery, decide, 200, null);

    private static async Task<IResult> FormAsync(string purpose, Guid referral, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, PolicyDecisionPoint policy,
        IAntiforgery antiforgery, DecideReferral decide, int status, string? error)
    {
        await using var db = contexts.Create();
        var record = await db.Referrals.AsNoTracking().ReachableBy(access).FirstOrDefaultAsync(r => r.Id == referral, http.RequestAborted);
        if (record is null)
        {
            return NotFound(http);
        }
        await access.PrepareAsync([record.SubjectPersonId], http.RequestAborted);
        var decision = access.Decide(record);
        if (!decision.IsPermit)
        {
            return NotFound(http);
        }
        var view = View(access.Disclose(record, decision), access.Now, policy.Policy);
        // The child as this referral opens their record (front-door-triage is bound to the referral's people).
        var child = (await CasePeople.NamesAsync(access, contexts, [record.SubjectPersonId], http.RequestAborted))[record.SubjectPersonId];
        return PageEndpoints.Render<ReferralPage>(status, new()
        {
            ["User"] = PageEndpoints.UserOf(http, policy, purpose), ["Purpose"] = purpose, ["Referral"] = view, ["Child"] = child, ["Policy"] = policy.Policy,
            ["MayDecide"] = view.Decision is null && decide.MayDecide(http.HubPrincipal()), ["Csrf"] = antiforgery.GetAndStoreTokens(http).RequestToken, ["Error"] = error,
            // A referral decided for a section 47 enquiry (or immediate protection) is where the LCPP convenes the strategy discussion.
            ["Directory"] = view.Decision is "section47Enquiry" or "immediateProtection" && policy.MayTake(http.HubPrincipal(), HubActions.EnquiryOpen).IsPermit
                ? await Workflow.MacptNominationEndpoints.DirectoryAsync(contexts, http.RequestAborted) : null,
        });
    }

    private static async Task<IResult> DecideAsync(string purpose, Guid referral, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, PolicyDecisionPoint policy,
        IAntiforgery antiforgery, DecideReferral decide)
    {
        if (await LeadPages.FormAsync(http, antiforgery) is not { } form)
        {
            return LeadPages.Forged(http);
        }
        var chosen = Enum.GetValues<ReferralDecision>().Where(d => RecordFields.CamelCase(d.ToString()) == form["decision"].FirstOrDefault())
            .Select(d => (ReferralDecision?)d).FirstOrDefault();
        if (chosen is null)
        {
            return await FormAsync(purpose, referral, http, access, contexts, policy, antiforgery, decide, 422, "Choose the front door's decision");
        }
        string? Given(string name) => form[name].FirstOrDefault() is { } text && !string.IsNullOrWhiteSpace(text) ? text : null;
        return await decide.HandleAsync(http.HubPrincipal(), referral, new ReferralDecisionInput(chosen.Value, Given("rationale"), Given("signedOffBy")), access, http.RequestAborted) switch
        {
            ReferralDecisionResult.Invalid invalid => await FormAsync(purpose, referral, http, access, contexts, policy, antiforgery, decide, 422,
                char.ToUpperInvariant(invalid.Problem[0]) + invalid.Problem[1..]),
            ReferralDecisionResult.Decided => PageEndpoints.Render<DonePage>(200, new()
            {
                ["User"] = PageEndpoints.UserOf(http, policy, purpose), ["Title"] = "Decision recorded",
                ["Body"] = $"The referral is decided: {ReferralsText.Decision(RecordFields.CamelCase(chosen.Value.ToString()))}. The referring agency is told.",
                ["Next"] = $"/work/{purpose}/referrals", ["NextText"] = "Back to the referrals",
            }),
            ReferralDecisionResult.AlreadyDecided a => ApiErrors.For(http, new ApiError(409, "conflict", "Already decided",
                $"This referral was already decided ({ReferralsText.Decision(RecordFields.CamelCase(a.Earlier.ToString()))}); a decision is not changed afterwards.")),
            ReferralDecisionResult.Changed => ApiErrors.For(http, new ApiError(409, "conflict", "Changed", "The referral changed while you were deciding it. Open it again.")),
            ReferralDecisionResult.NotADecider => ApiErrors.For(http, new ApiError(403, "forbidden", "Forbidden", "Only the council's front door decides referrals.")),
            _ => NotFound(http),
        };
    }
}

/// <summary>A referral as its reader may see it: the concern and referrer withheld stay null; the decision once made.</summary>
public sealed record ReferralView(Guid Id, string ReferredBy, DateTimeOffset ReceivedAt, DateTimeOffset DueAt, bool Overdue, string? Decision, DateTimeOffset? DecidedAt,
    string? Concern, string? Referrer, Guid Child)
{
    /// <summary>red, amber or green: how soon it is decided.</summary>
    public string? Urgency { get; init; }
    public string? Kind { get; init; }
    public string? Reference { get; init; }
    public string? Category { get; init; }
    public string? Rationale { get; init; }
    public string? DecidedBy { get; init; }
}

public static class ReferralsText
{
    public static readonly (string Value, string Label)[] Decisions =
    [
        ("immediateProtection", "Immediate protection"), ("section47Enquiry", "Section 47 enquiry (strategy discussion)"),
        ("section17Assessment", "Section 17 assessment (child in need)"), ("familyHelp", "Family Help"), ("noFurtherAction", "No further action"),
    ];

    public static string Decision(string value) => Decisions.FirstOrDefault(d => d.Value == value).Label ?? value;

    /// <summary>The identifiers an organisation may know a child by, as the referral page offers them.</summary>
    public static readonly (string Value, string Label)[] Identifiers =
    [
        (nameof(IdentifierKind.LaPersonId), "Council person id"), (nameof(IdentifierKind.NhsNumber), "NHS number"), (nameof(IdentifierKind.Upn), "Unique pupil number"),
        (nameof(IdentifierKind.PncId), "Police National Computer id"), (nameof(IdentifierKind.Crn), "Probation case reference"),
    ];

    /// <summary>Categories of concern the page offers (a case system may send any code).</summary>
    public static readonly (string Value, string Label)[] Categories =
    [
        ("neglect", "Neglect"), ("physical-abuse", "Physical abuse"), ("emotional-abuse", "Emotional abuse"), ("sexual-abuse", "Sexual abuse"),
        ("domestic-abuse", "Domestic abuse"), ("exploitation", "Exploitation"), ("missing", "Missing from home, care or education"),
        ("parental-mental-health", "Parental mental health"), ("parental-substance-misuse", "Parental drug or alcohol use"), ("other", "Something else"),
    ];

    public static readonly (string Value, string Label)[] Urgencies =
    [
        ("red", "Red: the child may be at immediate risk (decided within hours)"), ("amber", "Amber: decided by the end of the next working day"),
        ("green", "Green: decided within three working days"),
    ];

    /// <summary>The GOV.UK tag colour of an urgency.</summary>
    public static string UrgencyTag(string urgency) => urgency switch
    {
        "red" => "govuk-tag--red",
        "green" => "govuk-tag--green",
        _ => "govuk-tag--orange",
    };
}
