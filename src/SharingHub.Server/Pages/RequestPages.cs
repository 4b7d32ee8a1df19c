using Microsoft.AspNetCore.Antiforgery;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;
using SharingHub.Server.Workflow;

namespace SharingHub.Server.Pages;

/// <summary>
/// An agency practitioner's information requests: the inbox, a request read under the case's purpose (decided and audited
/// like any record), and the answer form (provided, nothing held, or held and not shared with a reason), which posts with a
/// CSRF token and goes through the same use case as the API's answer.
/// </summary>
internal static class RequestPages
{
    public static RouteGroupBuilder MapRequestPages(this RouteGroupBuilder work)
    {
        work.MapGet("/requests", InboxAsync).Audited("page.requests").Takes(HubActions.InformationRequestAnswer);
        work.MapGet("/{purpose}/cases/{id:guid}/requests/{request:guid}", ReadAsync).Audited("page.request").OpensRecords();
        work.MapPost("/{purpose}/cases/{id:guid}/requests/{request:guid}", AnswerAsync).Audited("page.information-response")
            .Takes(HubActions.InformationRequestAnswer).OpensRecords().DisableAntiforgery();
        return work;
    }

    private static async Task<IResult> InboxAsync(HttpContext http, IHubDbContextFactory contexts, PolicyDecisionPoint policy, TimeProvider clock, AuditScope audit) =>
        PageEndpoints.Render<InboxPage>(200, new()
        {
            ["User"] = PageEndpoints.UserOf(http, policy),
            ["Inbox"] = await RequestInboxEndpoints.ListAsync(http.HubPrincipal(), contexts, clock, audit, http.RequestAborted),
        });

    private static async Task<IResult> ReadAsync(string purpose, Guid id, Guid request, HttpContext http, RecordAccess access, IHubDbContextFactory contexts,
        PolicyDecisionPoint policy, TimeProvider clock, IAntiforgery antiforgery) =>
        await ViewAsync(id, request, http, access, contexts, policy, clock) is { } view
            ? Form(http, policy, antiforgery, purpose, view, 200, null, null)
            : NotFound(http);

    private static IResult NotFound(HttpContext http) =>
        ApiErrors.For(http, new ApiError(404, "not-found", "Not found", "There is no information request at this address that you may see for this purpose."));

    private static IResult Form(HttpContext http, PolicyDecisionPoint policy, IAntiforgery antiforgery, string purpose, RequestView view, int status,
        IReadOnlyList<KeyValuePair<string, string>>? errors, ResponseInput? entered) =>
        PageEndpoints.Render<RequestPage>(status, new()
        {
            ["User"] = PageEndpoints.UserOf(http, policy, purpose), ["Purpose"] = purpose, ["Request"] = view,
            ["Csrf"] = antiforgery.GetAndStoreTokens(http).RequestToken, ["Errors"] = errors ?? [],
            ["Kind"] = entered?.Kind, ["Content"] = entered?.Content, ["Reason"] = entered?.Reason,
        });

    /// <summary>The case's information requests as this reader may see each (its answers with it), newest first.</summary>
    internal static async Task<IReadOnlyList<RequestView>> OfCaseAsync(Guid id, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, PolicyDecisionPoint policy,
        TimeProvider clock)
    {
        await using var db = contexts.Create();
        // The case and its latest requests with their answers in two queries, however many requests it has.
        var requests = await db.InformationRequests.AsNoTracking().Include(r => r.Responses).Where(r => r.EnquiryId == id)
            .OrderByDescending(r => r.RequestedAt).Take(100).ToListAsync(http.RequestAborted);
        return await ViewsAsync(db, id, requests, http, access, policy, clock);
    }

    /// <summary>The request as this reader may see it, under the page's purpose: its question and the answers they may see.</summary>
    private static async Task<RequestView?> ViewAsync(Guid id, Guid requestId, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, PolicyDecisionPoint policy,
        TimeProvider clock)
    {
        await using var db = contexts.Create();
        var request = await db.InformationRequests.AsNoTracking().Include(r => r.Responses).Where(r => r.Id == requestId && r.EnquiryId == id).ToListAsync(http.RequestAborted);
        return (await ViewsAsync(db, id, request, http, access, policy, clock)).FirstOrDefault();
    }

    /// <summary>Each request of the case as this reader may see it (those they may not are left out).</summary>
    private static async Task<IReadOnlyList<RequestView>> ViewsAsync(HubDbContext db, Guid id, IReadOnlyList<InformationRequest> requests, HttpContext http, RecordAccess access,
        PolicyDecisionPoint policy, TimeProvider clock)
    {
        var ct = http.RequestAborted;
        var enquiry = requests.Count == 0 ? null : await db.Enquiries.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (enquiry is null)
        {
            return [];
        }
        var subjects = enquiry.Subjects.Select(s => s.PersonId).ToList();
        await access.PrepareAsync(subjects, ct);
        var about = access.Links.Expand(subjects);
        return requests.Select(r => View(r, enquiry, about, http, access, policy, clock)).OfType<RequestView>().ToList();
    }

    private static RequestView? View(InformationRequest request, Enquiry enquiry, IReadOnlySet<Guid> about, HttpContext http, RecordAccess access, PolicyDecisionPoint policy,
        TimeProvider clock)
    {
        var id = enquiry.Id;
        var decision = access.Decide(request, about);
        if (!decision.IsPermit)
        {
            return null;
        }
        var d = access.Disclose(request, decision);
        var answers = request.Responses.Select(r => (Response: r, Decision: access.Decide(r, about))).Where(x => x.Decision.IsPermit).Select(x =>
        {
            var shown = access.Disclose(x.Response, x.Decision);
            return new RequestAnswerView(RecordFields.CamelCase(x.Response.Kind.ToString()), PageText.Agency(policy.Policy, x.Response.OwningAgency), x.Response.RespondedAt,
                shown.Open(nameof(InformationResponse.Content), x.Response.Content), shown.Open(nameof(InformationResponse.Reason), x.Response.Reason));
        }).ToList();
        return new RequestView(request.Id, id, enquiry.Reference, PageText.Agency(policy.Policy, request.RequestedAgency), request.RequestedAt, request.DueAt,
            request.DueAt < clock.GetUtcNow() && request.Status == InformationRequestStatus.Open, RecordFields.CamelCase(request.Status.ToString()),
            d.Open(nameof(InformationRequest.Question), request.Question),
            request.Status == InformationRequestStatus.Open && request.RequestedAgency == http.HubPrincipal().Agency, answers);
    }

    private static async Task<IResult> AnswerAsync(string purpose, Guid id, Guid request, HttpContext http, IRecordStore store, IFieldCipher cipher, AuditScope audit,
        TimeProvider clock, IAntiforgery antiforgery, RecordAccess access, IHubDbContextFactory contexts, PolicyDecisionPoint policy)
    {
        audit.EnquiryId = id;
        // A form the hub did not issue to this session (a forged or expired token) changes nothing.
        if (await LeadPages.FormAsync(http, antiforgery) is not { } form)
        {
            return LeadPages.Forged(http);
        }
        var input = new ResponseInput(form["kind"].FirstOrDefault(), form["content"].FirstOrDefault(), form["kind"] == "heldNotShared" ? form["reason"].FirstOrDefault() : null);
        var outcome = await EnquiryEndpoints.AnswerRequestAsync(request, input, http.HubPrincipal(), store, cipher, audit, clock, http.RequestAborted);
        if (outcome.Answered is not null)
        {
            return PageEndpoints.Render<DonePage>(200, new()
            {
                ["User"] = PageEndpoints.UserOf(http, policy), ["Title"] = "Answer sent",
                ["Body"] = "Your answer is recorded and the case's members can read it now.", ["Next"] = "/work/requests", ["NextText"] = "Back to your information requests",
            });
        }
        if (outcome.Errors is { } errors)
        {
            // Shown again with every field at fault, under the same purpose as when it was read.
            if (await ViewAsync(id, request, http, access, contexts, policy, clock) is { } view)
            {
                return Form(http, policy, antiforgery, purpose, view, 422, errors.First, input);
            }
            return NotFound(http);
        }
        return ApiErrors.For(http, new ApiError(outcome.Status, "refused", "Not recorded", char.ToUpperInvariant(outcome.Problem![0]) + outcome.Problem[1..] + "."));
    }
}

public sealed record RequestAnswerView(string Kind, string Agency, DateTimeOffset At, string? Content, string? Reason);

/// <summary>An information request as its reader may see it: a question withheld stays null.</summary>
public sealed record RequestView(Guid Id, Guid Enquiry, string CaseReference, string Agency, DateTimeOffset RequestedAt, DateTimeOffset DueAt, bool Overdue, string Status,
    string? Question, bool MayAnswer, IReadOnlyList<RequestAnswerView> Answers);
