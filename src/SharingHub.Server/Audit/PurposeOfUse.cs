using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Audit;

/// <summary>Why a request's purpose cannot be used; each API words it in its own error format.</summary>
internal sealed record PurposeProblem(string Code, string Description, IReadOnlyList<Purpose> Allowed)
{
    /// <summary>400 for a request the caller must word differently; 403 for a purpose used outside its case.</summary>
    public int Status { get; init; } = StatusCodes.Status400BadRequest;

    /// <summary>What is wrong and what the caller may name instead: the one wording every API answers with.</summary>
    public string Message => $"{Description} Purposes you may use: {(Allowed.Count == 0 ? "none" : string.Join(", ", Allowed.Select(p => p.Code)))}.";

    /// <summary>The refusal in the API's own format: a FHIR OperationOutcome, an OData error, or problem JSON with the code.</summary>
    public IResult Refusal(HttpContext http) =>
        Hosting.ApiErrors.For(http, new Hosting.ApiError(Status, Code, "Purpose of use", Message));
}

/// <summary>
/// What a request names about why it is made: its purpose of use, the enquiry or referral that purpose is bound to, and
/// any break-glass justification. An API request names them in headers; a page names them in its address (set by the
/// page, which ignores the headers), so both reach the same checks.
/// </summary>
internal sealed record RequestScope(string Purpose, string Enquiry, string Override, string Referral)
{
    public static RequestScope Of(HttpContext http) => http.Features.Get<RequestScope>() ?? new(
        http.Request.Headers[PurposeOfUse.PurposeHeader].ToString(), http.Request.Headers[PurposeOfUse.EnquiryHeader].ToString(),
        http.Request.Headers[PurposeOfUse.OverrideHeader].ToString(), http.Request.Headers[PurposeOfUse.ReferralHeader].ToString());
}

/// <summary>
/// Every data request names its purpose of use (header <c>X-Purpose-Of-Use</c>) and, for enquiry
/// purposes, the enquiry (<c>X-Enquiry-Id</c>). A request without a usable purpose is refused with
/// the purposes this caller may use.
/// </summary>
internal static class PurposeOfUse
{
    public const string PurposeHeader = "X-Purpose-Of-Use";
    public const string EnquiryHeader = "X-Enquiry-Id";
    public const string OverrideHeader = "X-Override-Justification";
    public const string ReferralHeader = "X-Referral-Id";

    /// <summary>The contact or referral a front-door request names (<c>X-Referral-Id</c>), or why the header is not one.</summary>
    public static (Guid? Referral, string? Problem) ReferralOf(HttpContext http)
    {
        var text = RequestScope.Of(http).Referral;
        return text.Length == 0 ? (null, null)
            : Guid.TryParse(text, out var id) ? (id, null)
            : (null, $"{ReferralHeader} must be a referral id (a UUID).");
    }

    public static (string? Purpose, Guid? Enquiry, PurposeProblem? Problem) Parse(HttpContext http, PolicyDecisionPoint policy)
    {
        var me = http.HubPrincipal();
        var allowed = policy.PurposesFor(me.ToPolicyPrincipal());
        var scope = RequestScope.Of(http);
        var purpose = scope.Purpose;
        if (purpose.Length == 0)
        {
            return (null, null, new PurposeProblem("purpose_required", $"Name the purpose of use in the {PurposeHeader} header.", allowed));
        }
        if (allowed.All(p => p.Code != purpose))
        {
            return (null, null, new PurposeProblem("purpose_not_allowed", $"'{Printable(purpose)}' is not a purpose of use you may work under.", allowed));
        }
        // A purpose that reads aggregates only (statistics) is named where the measures are read, and nowhere else.
        if (allowed.First(p => p.Code == purpose).AggregateOnly
            && http.GetEndpoint()?.Metadata.GetMetadata<Access.TakesActionAttribute>()?.Action != Access.HubActions.StatisticsRead)
        {
            return (null, null, new PurposeProblem("purpose_aggregate_only",
                $"The purpose '{purpose}' reads the hub's measures (/statistics), never a record.", allowed) { Status = StatusCodes.Status403Forbidden });
        }
        // A purpose made for one action (a statutory return's) is named by that action's requests and no other.
        if (allowed.First(p => p.Code == purpose).OnlyForAction is { } only
            && http.GetEndpoint()?.Metadata.GetMetadata<Access.TakesActionAttribute>()?.Action != only)
        {
            return (null, null, new PurposeProblem("purpose_only_for_action",
                $"The purpose '{purpose}' is used only to {only} and opens no record anywhere else.", allowed) { Status = StatusCodes.Status403Forbidden });
        }
        var enquiryText = scope.Enquiry;
        if (enquiryText.Length > 0 && !Guid.TryParse(enquiryText, out _))
        {
            return (null, null, new PurposeProblem("invalid_enquiry", $"{EnquiryHeader} must be an enquiry id (a UUID).", allowed));
        }
        // An enquiry purpose is bound to its enquiry: without one it is the caller's mistake, not a missing record.
        if (enquiryText.Length == 0 && allowed.First(p => p.Code == purpose).RequiresEnquiry)
        {
            return (null, null, new PurposeProblem("enquiry_required", $"The purpose '{purpose}' is bound to an enquiry: name it in the {EnquiryHeader} header.", allowed));
        }
        return (purpose, enquiryText.Length > 0 ? Guid.Parse(enquiryText) : null, null);
    }

    /// <summary>
    /// A write needs no purpose (an agency writes its own records), but one it names is held to the same
    /// rules as a read's and recorded in the write's audit entry.
    /// </summary>
    public static PurposeProblem? ForWrite(HttpContext http, PolicyDecisionPoint policy, AuditScope audit)
    {
        var scope = RequestScope.Of(http);
        if (scope.Purpose.Length == 0 && scope.Enquiry.Length == 0)
        {
            return null;
        }
        var (purpose, enquiry, problem) = Parse(http, policy);
        if (problem is not null)
        {
            return problem;
        }
        audit.Purpose = purpose;
        audit.EnquiryId = enquiry;
        return null;
    }

    /// <summary>The audit and other plain JSON endpoints' form of the refusal.</summary>
    public static (string? Purpose, Guid? Enquiry, IResult? Refusal) Read(HttpContext http, PolicyDecisionPoint policy)
    {
        var (purpose, enquiry, problem) = Parse(http, policy);
        return problem is null
            ? (purpose, enquiry, null)
            : (null, null, Results.Json(new
            {
                error = problem.Code,
                error_description = problem.Description,
                purposes = problem.Allowed.Select(p => new { code = p.Code, title = p.Title }),
            }, statusCode: StatusCodes.Status400BadRequest));
    }

    /// <summary>An echoed header value is cut short and stripped of control characters.</summary>
    private static string Printable(string value) => new(value.Take(60).Where(c => !char.IsControl(c)).ToArray());
}
