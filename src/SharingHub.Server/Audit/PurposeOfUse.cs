using SharingHub.Policies.Decisions;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Audit;

/// <summary>
/// Every data request names its purpose of use (header <c>X-Purpose-Of-Use</c>) and, for enquiry
/// purposes, the enquiry (<c>X-Enquiry-Id</c>). A request without a usable purpose is refused with
/// the purposes this caller may use.
/// </summary>
internal static class PurposeOfUse
{
    public const string PurposeHeader = "X-Purpose-Of-Use";
    public const string EnquiryHeader = "X-Enquiry-Id";

    public static (string? Purpose, Guid? Enquiry, IResult? Refusal) Read(HttpContext http, PolicyDecisionPoint policy)
    {
        var me = http.HubPrincipal();
        var allowed = policy.PurposesFor(new Principal(me.Agency, me.Subject, me.Roles, me.ClientId));
        var purpose = http.Request.Headers[PurposeHeader].ToString();
        if (purpose.Length == 0 || allowed.All(p => p.Code != purpose))
        {
            return (null, null, Results.Json(new
            {
                error = purpose.Length == 0 ? "purpose_required" : "purpose_not_allowed",
                error_description = purpose.Length == 0
                    ? $"Name the purpose of use in the {PurposeHeader} header."
                    : $"'{purpose}' is not a purpose of use you may work under.",
                purposes = allowed.Select(p => new { code = p.Code, title = p.Title }),
            }, statusCode: StatusCodes.Status400BadRequest));
        }
        var enquiryText = http.Request.Headers[EnquiryHeader].ToString();
        if (enquiryText.Length > 0 && !Guid.TryParse(enquiryText, out _))
        {
            return (null, null, Results.Json(new { error = "invalid_enquiry", error_description = $"{EnquiryHeader} must be an enquiry id (a UUID)." }, statusCode: 400));
        }
        return (purpose, enquiryText.Length > 0 ? Guid.Parse(enquiryText) : null, null);
    }
}
