using SharingHub.Core.Records;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Fhir.Write;
using SharingHub.Server.Identity;
using SharingHub.Server.Journey.FrontDoor;

namespace SharingHub.Server.Fhir;

/// <summary>
/// Task/{id}/$decide: the FHIR form of deciding a referral. It reads the decision from a Parameters resource, calls
/// <see cref="DecideReferral"/> and answers the decided referral as a Task, or an OperationOutcome.
/// </summary>
internal static class FhirReferralDecisions
{
    public static RouteGroupBuilder MapFhirReferralDecisions(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/Task/{id}/$decide", DecideAsync).Audited("fhir.referral-decide").Takes(HubActions.ReferralDecide).OpensRecords("Task", 'u', listsCases: true);
        return fhir;
    }

    private static async Task<IResult> DecideAsync(string id, HttpContext http, RecordAccess access, DecideReferral decide, FhirTasks tasks)
    {
        var (parameters, problem) = await FhirBody.ReadAsync(http, "Parameters");
        if (problem is not null)
        {
            return problem;
        }
        var code = ResourceInput.Array(parameters, "parameter").Where(p => ResourceInput.Text(p, "name") == "decision").Select(p => ResourceInput.Text(p, "valueCode")).FirstOrDefault();
        var decision = Enum.GetValues<ReferralDecision>().Where(d => RecordFields.CamelCase(d.ToString()) == code).Select(d => (ReferralDecision?)d).FirstOrDefault();
        if (decision is not { } chosen)
        {
            return FhirResults.Unprocessable("parameter 'decision' (valueCode) is one of " +
                string.Join(", ", Enum.GetValues<ReferralDecision>().Select(d => RecordFields.CamelCase(d.ToString()))), "Parameters.parameter");
        }
        if (!Guid.TryParse(id, out var guid))
        {
            return FhirResults.NotFound("Task", SearchParameters.Safe(id));
        }
        string? Text(string name) => ResourceInput.Array(parameters, "parameter").Where(p => ResourceInput.Text(p, "name") == name).Select(p => ResourceInput.Text(p, "valueString")).FirstOrDefault();
        var revise = ResourceInput.Array(parameters, "parameter").Any(p => ResourceInput.Text(p, "name") == "revise"
            && p.TryGetProperty("valueBoolean", out var b) && b.ValueKind == System.Text.Json.JsonValueKind.True);
        var input = new ReferralDecisionInput(chosen, Text("rationale"), Text("signedOffBy"), revise);
        return await decide.HandleAsync(http.HubPrincipal(), guid, input, access, http.RequestAborted) switch
        {
            ReferralDecisionResult.Invalid i => FhirResults.Unprocessable(i.Problem, $"Parameters.parameter.where(name='{i.Field}')"),
            ReferralDecisionResult.Decided d => FhirResults.Resource(tasks.ReferralTask(d.Referral, access.Now), etag: d.Referral.Record.ETag),
            ReferralDecisionResult.NotADecider => FhirResults.Forbidden("you may not decide referrals (policy action referral.decide)"),
            ReferralDecisionResult.AlreadyDecided a => FhirResults.Conflict(
                $"this referral was already decided ({RecordFields.CamelCase(a.Earlier.ToString())}); to revise it, send revise (valueBoolean true) with the rationale"),
            ReferralDecisionResult.Changed => FhirResults.PreconditionFailed("the referral changed while it was being decided: read it again"),
            _ => FhirResults.NotFound("Task", id),
        };
    }
}
