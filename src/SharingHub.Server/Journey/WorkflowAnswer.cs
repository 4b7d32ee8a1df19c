using Microsoft.AspNetCore.Http.HttpResults;

namespace SharingHub.Server.Workflow;

/// <summary>
/// A workflow handler's answer read back by the other ways into it (FHIR, OData actions, pages), each of which says it in its
/// own format: its status, each field's error (a validation problem), or the one reason.
/// </summary>
internal sealed record WorkflowAnswer(int Status, IReadOnlyList<(string Field, string Message)> Errors, string? Detail)
{
    public bool Succeeded => Status is >= 200 and < 300;

    public static WorkflowAnswer Of(IResult result)
    {
        // A JSON answer without an explicit status is a 200.
        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
        if (result is not ProblemHttpResult problem)
        {
            return new(status, [], null);
        }
        var errors = problem.ProblemDetails is HttpValidationProblemDetails validation
            ? validation.Errors.SelectMany(e => e.Value.Select(m => (e.Key, m))).ToList()
            : [];
        return new(status, errors, problem.ProblemDetails.Detail);
    }
}
