using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Workflow;

namespace SharingHub.Server.Pages;

/// <summary>
/// The case lead's forms on the case page: ask an agency for information, remove a member, close the enquiry with its
/// outcome. Each posts with the session's CSRF token to the very handler the API's endpoint calls (its lead check, version
/// check, audit and notifications), and reads its answer: done goes back to the case (post, redirect, get); refused shows
/// the handler's own words.
/// </summary>
internal static class LeadPages
{
    public static RouteGroupBuilder MapLeadPages(this RouteGroupBuilder work)
    {
        work.MapPost("/{purpose}/cases/{id:guid}/information-requests", AskAsync).Audited("page.enquiry.information-request").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/members", AddAsync).Audited("page.enquiry.member-add").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/members/{memberId:guid}/remove", RemoveAsync).Audited("page.enquiry.member-remove").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/fgdm", FgdmAsync).Audited("page.enquiry.fgdm").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/strategy-decision", StrategyDecisionAsync).Audited("page.strategy-discussion.decide").Takes(HubActions.EnquiryLead)
            .DisableAntiforgery();
        work.MapPost("/{purpose}/referrals/{referral:guid}/strategy-discussion", ConveneAsync).Audited("page.strategy-discussion.convene").Takes(HubActions.EnquiryOpen)
            .DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/strategy-meetings", MeetingAsync).Audited("page.enquiry.strategy-meeting").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/conferences", ConferenceAsync).Audited("page.case.conference").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/core-group-meetings", CoreGroupAsync).Audited("page.case.core-group-meeting").Takes(HubActions.EnquiryLead)
            .DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/emergency-actions", EmergencyAsync).Audited("page.enquiry.emergency-action").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/pre-proceedings", PreProceedingsAsync).Audited("page.case.pre-proceedings").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/lead", HandOverAsync).Audited("page.case.lead-handover").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        work.MapPost("/{purpose}/cases/{id:guid}/close", CloseAsync).Audited("page.enquiry.close").Takes(HubActions.EnquiryLead).DisableAntiforgery();
        return work;
    }

    private static async Task<IResult> AskAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, IFieldCipher cipher,
        PolicyDecisionPoint policy, WorkingCalendar calendar, AuditScope audit, TimeProvider clock, NotificationOutbox outbox) =>
        await FormAsync(http, antiforgery) is not { } form ? Forged(http)
            : Answer(http, purpose, id, await EnquiryEndpoints.RequestInformationAsync(id,
                new InformationRequestInput(form["agency"].FirstOrDefault(), form["question"].FirstOrDefault()), http, store, cipher, policy, calendar, audit, clock, outbox));

    /// <summary>A member chosen from the MACPT directory ("agency|user|role" of a current nomination; the handler checks the nomination again).</summary>
    private static async Task<IResult> AddAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, PolicyDecisionPoint policy,
        AuditScope audit, TimeProvider clock, NotificationOutbox outbox, Data.Storage.IHubDbContextFactory contexts)
    {
        if (await FormAsync(http, antiforgery) is not { } form)
        {
            return Forged(http);
        }
        var parts = (form["nominee"].FirstOrDefault() ?? "").Split('|');
        if (parts.Length != 3)
        {
            return ApiErrors.For(http, new ApiError(422, "refused", "Not recorded", "Choose a person from the MACPT directory."));
        }
        return Answer(http, purpose, id, await EnquiryEndpoints.AddMemberAsync(id, new MemberInput(parts[0], parts[1], parts[2]), http, store, policy, audit, clock, outbox, contexts));
    }

    private static async Task<IResult> RemoveAsync(string purpose, Guid id, Guid memberId, HttpContext http, IAntiforgery antiforgery, IRecordStore store, AuditScope audit,
        TimeProvider clock, NotificationOutbox outbox) =>
        await FormAsync(http, antiforgery) is null ? Forged(http)
            : Answer(http, purpose, id, await EnquiryEndpoints.RemoveMemberAsync(id, memberId, http, store, audit, clock, outbox));

    private static async Task<IResult> FgdmAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox) =>
        await FormAsync(http, antiforgery) is not { } form ? Forged(http)
            : Answer(http, purpose, id, await StrategyMeetingEndpoints.RecordFgdmAsync(id, new FgdmInput(form["decisionPoint"].FirstOrDefault(), form["status"].FirstOrDefault()),
                http, store, audit, clock, outbox));

    private static async Task<IResult> StrategyDecisionAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, IFieldCipher cipher,
        AuditScope audit, TimeProvider clock, NotificationOutbox outbox, WorkingCalendar calendar) =>
        await FormAsync(http, antiforgery) is not { } form ? Forged(http)
            : Answer(http, purpose, id, await StrategyDiscussionEndpoints.DecideAsync(id, new StrategyDecisionInput(form["decision"].FirstOrDefault(), form["reasons"].FirstOrDefault()),
                http, store, cipher, audit, clock, outbox, calendar));

    /// <summary>
    /// The LCPP convenes a strategy discussion about a referral's child from the referral's page, with participants from the
    /// MACPT directory ("agency|user|role" each); the handler checks the referral's decision, the nominations and the grounds.
    /// </summary>
    private static async Task<IResult> ConveneAsync(string purpose, Guid referral, HttpContext http, IAntiforgery antiforgery, IRecordStore store,
        Data.Storage.IHubDbContextFactory contexts, IFieldCipher cipher, PolicyDecisionPoint policy, AuditScope audit, TimeProvider clock, WorkingCalendar calendar,
        Data.Linkage.PersonLinker linker)
    {
        if (await FormAsync(http, antiforgery) is not { } form)
        {
            return Forged(http);
        }
        Guid? child;
        await using (var db = contexts.Create())
        {
            child = await db.Referrals.Where(r => r.Id == referral).Select(r => (Guid?)r.SubjectPersonId).FirstOrDefaultAsync(http.RequestAborted);
        }
        if (child is null)
        {
            return ApiErrors.For(http, new ApiError(404, "not-found", "Not found", "There is no referral at this address."));
        }
        var members = form["participant"].Select(p => (p ?? "").Split('|')).Where(p => p.Length == 3).Select(p => new MemberInput(p[0], p[1], p[2])).ToList();
        var opened = await EnquiryEndpoints.OpenCaseAsync(new OpenEnquiryInput([new SubjectInput(child.Value, "child")], form["grounds"].FirstOrDefault(), members, referral),
            Core.Records.CaseStage.StrategyDiscussion, http, store, contexts, cipher, policy, audit, clock, calendar, linker);
        return opened is JsonHttpResult<EnquiryOpened> { Value: { } created }
            ? Results.Redirect($"{PageEndpoints.Base}/strategy-meeting/cases/{created.Id}")
            : Answer(http, purpose, referral, opened);
    }

    /// <summary>
    /// A strategy meeting: when (date and time, UK), who attended ("agency|user|role" of current members), what each agency
    /// brought (one field per agency), what was decided.
    /// </summary>
    private static async Task<IResult> MeetingAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, IFieldCipher cipher,
        PolicyDecisionPoint policy, AuditScope audit, TimeProvider clock)
    {
        if (await FormAsync(http, antiforgery) is not { } form)
        {
            return Forged(http);
        }
        var held = Held(form);
        var attendees = form["attendee"].Select(a => (a ?? "").Split('|')).Where(a => a.Length == 3).Select(a => new MemberInput(a[0], a[1], a[2])).ToList();
        var contributions = policy.Policy.Agencies.Keys.Where(a => !string.IsNullOrWhiteSpace(form[$"contribution-{a}"]))
            .Select(a => new ContributionInput(a, form[$"contribution-{a}"].ToString())).ToList();
        return Answer(http, purpose, id, await StrategyMeetingEndpoints.RecordAsync(id,
            new StrategyMeetingInput(held, attendees, contributions, form["decisions"].FirstOrDefault()), http, store, cipher, policy, audit, clock));
    }

    /// <summary>
    /// A child protection conference: when, each agency invited with whether it attended and gave a report, the decision, and
    /// for a plan its category and core group (current members, "agency|user|role"); the handler holds the journey's rules.
    /// </summary>
    private static async Task<IResult> ConferenceAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, AuditScope audit,
        TimeProvider clock, NotificationOutbox outbox, PolicyDecisionPoint policy, WorkingCalendar calendar, Data.Storage.IHubDbContextFactory contexts, IFieldCipher cipher)
    {
        if (await FormAsync(http, antiforgery) is not { } form)
        {
            return Forged(http);
        }
        var invited = form["invited"].Where(a => a is not null).Select(a => a!).ToList();
        var attendance = invited.Select(a => new AttendanceInput(a, form["attended"].Contains(a), form["report"].Contains(a))).ToList();
        var coreGroup = form["coreGroup"].Select(a => (a ?? "").Split('|')).Where(a => a.Length == 3).Select(a => new MemberInput(a[0], a[1], a[2])).ToList();
        var input = new ConferenceInput(form["kind"].FirstOrDefault(), Held(form), attendance, form["decision"].FirstOrDefault(), form["category"].FirstOrDefault(), coreGroup);
        return Answer(http, purpose, id, await ConferenceEndpoints.RecordAsync(id, input, http, store, audit, clock, outbox, policy, calendar, contexts, cipher),
            // A plan's case is worked under the plan's purpose from now on; one that ends closes.
            form["decision"] == "plan" || form["decision"] == "continue-plan" ? $"{PageEndpoints.Base}/child-protection-plan/cases/{id}" : $"{PageEndpoints.Base}/cases");
    }

    private static async Task<IResult> CoreGroupAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, AuditScope audit,
        TimeProvider clock, NotificationOutbox outbox) =>
        await FormAsync(http, antiforgery) is not { } form ? Forged(http)
            : Answer(http, purpose, id, await ConferenceEndpoints.RecordCoreGroupAsync(id, new CoreGroupMeetingInput(Held(form)), http, store, audit, clock, outbox));

    /// <summary>The date and time a form gives (heldDate, heldTime) in UK time, or null.</summary>
    private static DateTimeOffset? Held(IFormCollection form) =>
        DateTime.TryParseExact($"{form["heldDate"]} {form["heldTime"]}", "yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out var local)
            ? new DateTimeOffset(local, PageText.London.GetUtcOffset(local)) : null;

    /// <summary>An Emergency Protection Order or police protection inside the enquiry: what, when (UK time), who acted; the enquiry stays open.</summary>
    private static async Task<IResult> EmergencyAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, AuditScope audit,
        TimeProvider clock, NotificationOutbox outbox, PolicyDecisionPoint policy) =>
        await FormAsync(http, antiforgery) is not { } form ? Forged(http)
            : Answer(http, purpose, id, await EmergencyActionEndpoints.RecordAsync(id,
                new EmergencyActionInput(form["kind"].FirstOrDefault(), Held(form), form["agency"].FirstOrDefault(), Blank(form["user"].FirstOrDefault())),
                http, store, audit, clock, outbox, policy));

    /// <summary>The decision to enter pre-proceedings (UK time), with family group decision making offered at that point.</summary>
    private static async Task<IResult> PreProceedingsAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, AuditScope audit,
        TimeProvider clock, NotificationOutbox outbox) =>
        await FormAsync(http, antiforgery) is not { } form ? Forged(http)
            : Answer(http, purpose, id, await ConferenceEndpoints.RecordPreProceedingsAsync(id, new PreProceedingsInput(Held(form), form["fgdm"].FirstOrDefault()),
                http, store, audit, clock, outbox));

    /// <summary>The lead handed to another of the council's LCPPs from the directory; the former lead leaves unless they stay a member.</summary>
    private static async Task<IResult> HandOverAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, AuditScope audit,
        TimeProvider clock, NotificationOutbox outbox, Data.Storage.IHubDbContextFactory contexts)
    {
        if (await FormAsync(http, antiforgery) is not { } form)
        {
            return Forged(http);
        }
        var stay = form["stayMember"].FirstOrDefault() == "true";
        return Answer(http, purpose, id, await LeadEndpoints.HandOverAsync(id, new HandOverInput(Blank(form["user"].FirstOrDefault()), stay), http, store, audit, clock, outbox, contexts),
            // A former lead who leaves the case cannot open it afterwards: back to their cases.
            stay ? null : $"{PageEndpoints.Base}/cases");
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static async Task<IResult> CloseAsync(string purpose, Guid id, HttpContext http, IAntiforgery antiforgery, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox) =>
        await FormAsync(http, antiforgery) is not { } form ? Forged(http)
            : Answer(http, purpose, id, await EnquiryEndpoints.CloseAsync(id, new CloseInput(form["outcome"].FirstOrDefault()), http, store, audit, clock, outbox),
                // A closed enquiry opens nothing after its grace period: back to the person's cases.
                $"{PageEndpoints.Base}/cases");

    /// <summary>
    /// The posted form, or null when its CSRF token is not one this session was given, or it is no form at all (a broken
    /// multipart body, a key past the form limits, a body too large): the caller's error, answered as a refused form.
    /// </summary>
    internal static async Task<IFormCollection?> FormAsync(HttpContext http, IAntiforgery antiforgery)
    {
        try
        {
            return await antiforgery.IsRequestValidAsync(http) ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
        }
        catch (Exception e) when (e is AntiforgeryValidationException or InvalidDataException or BadHttpRequestException)
        {
            return null;
        }
    }

    internal static IResult Forged(HttpContext http) => ApiErrors.For(http, new ApiError(400, "csrf", "Bad request",
        "This form could not be accepted: it has expired or did not come from SharingHub. Nothing was recorded. Go back, reload the page and try again."));

    /// <summary>The handler's answer as a person reads it: done, back to the case; refused, its own words (every field at fault).</summary>
    private static IResult Answer(HttpContext http, string purpose, Guid id, IResult result, string? done = null)
    {
        var answer = Workflow.WorkflowAnswer.Of(result);
        if (answer.Succeeded)
        {
            return Results.Redirect(done ?? $"{PageEndpoints.Base}/{purpose}/cases/{id}", permanent: false, preserveMethod: false);
        }
        var detail = answer.Errors.Count > 0
            ? string.Join(" ", answer.Errors.Select(e => e.Message).Select(m => char.ToUpperInvariant(m[0]) + m[1..] + (m.EndsWith('.') ? "" : ".")))
            : answer.Detail ?? "The change was refused.";
        return ApiErrors.For(http, new ApiError(answer.Status, "refused", "Not recorded", detail[..1].ToUpperInvariant() + detail[1..] + (detail.EndsWith('.') ? "" : ".")));
    }
}
