using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Workflow;

/// <summary>
/// The section 47 enquiry's lifecycle: the LCPP opens it with its subjects and members, adds and removes
/// members, asks agencies for information, and closes it with an outcome. Access through the enquiry
/// follows these records at once: a removed member or a closed enquiry (after any grace period) reads
/// nothing more. Each agency answers the requests addressed to it, including a recorded refusal.
/// </summary>
internal static partial class EnquiryEndpoints
{
    private static readonly string[] SubjectRoles = ["child", "household"];
    private static readonly string[] RequiredAgencies = ["police", "health", "education"];

    public static WebApplication MapEnquiries(this WebApplication app)
    {
        var enquiries = app.MapGroup("/enquiries").RequireAuthorization().WithTags("Section 47 enquiries");
        enquiries.MapPost("/", OpenAsync).Audited("enquiry.open").Takes(HubActions.EnquiryOpen)
            .Answers<EnquiryOpened>(201, "Open a section 47 enquiry with its subjects and members (the council's LCPP); Location names it", 400, 403, 422);
        enquiries.MapMyCases();
        enquiries.MapEnquiryReading();
        enquiries.MapPost("/{id:guid}/members", AddMemberAsync).Audited("enquiry.member-add").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Add a member (the enquiry's lead)", 400, 404, 409, 422);
        enquiries.MapDelete("/{id:guid}/members/{memberId:guid}", RemoveMemberAsync).Audited("enquiry.member-remove").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Remove a member by the id GET /enquiries/{id} gives (the enquiry's lead)", 404, 409, 422);
        enquiries.MapPost("/{id:guid}/close", CloseAsync).Audited("enquiry.close").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Close the enquiry with its outcome (the enquiry's lead)", 400, 404, 409, 422);
        enquiries.MapPost("/{id:guid}/information-requests", RequestInformationAsync).Audited("enquiry.information-request").Takes(HubActions.EnquiryLead)
            .Answers<InformationRequested>(201, "Ask another agency for what it holds (the enquiry's lead); due the next working day unless dueAt says", 400, 404, 409, 422);
        app.MapPost("/information-requests/{id:guid}/responses", AnswerAsync).RequireAuthorization().Audited("enquiry.information-response").Takes(HubActions.InformationRequestAnswer)
            .WithTags("Section 47 enquiries")
            .Answers<InformationAnswered>(201, "Answer a request addressed to your agency: provided, nothingHeld, or heldNotShared with its reason", 400, 404, 409, 422);
        return app;
    }

    internal static IResult Problem(int status, string detail) => Results.Problem(statusCode: status, detail: detail);
}
