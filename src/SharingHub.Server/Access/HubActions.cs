using SharingHub.Policies.Decisions;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Access;

/// <summary>The actions the hub's endpoints take; who may take each is in policies/actions.yaml, never here.</summary>
internal static class HubActions
{
    public const string RecordWrite = "record.write";
    public const string ReferralDecide = "referral.decide";
    public const string EnquiryOpen = "enquiry.open";
    public const string EnquiryLead = "enquiry.lead";
    public const string InformationRequestAnswer = "information-request.answer";
    public const string NotificationsRead = "notifications.read";
    public const string LinkageReview = "linkage.review";
    public const string CaseOversee = "case.oversee";
    public const string MacptNominate = "macpt.nominate";
    public const string MacptDirectory = "macpt.directory";
    public const string StatisticsRead = "statistics.read";
    public const string CensusExport = "census.export";

    /// <summary>The policy's decision on whether this request's caller may take the action.</summary>
    public static Decision MayTake(this PolicyDecisionPoint policy, HubPrincipal me, string action) =>
        policy.MayTake(me.ToPolicyPrincipal(), action);
}

/// <summary>The action an endpoint takes, declared where it is mapped; the policy decides who may take it before the handler runs.</summary>
public sealed record TakesActionAttribute(string Action);

/// <summary>Refuses (403, in the endpoint's own error format, audited) a caller the policy does not let take the endpoint's action.</summary>
internal sealed class ActionFilter(PolicyDecisionPoint policy) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var action = http.GetEndpoint()?.Metadata.GetMetadata<TakesActionAttribute>()?.Action
            ?? throw new InvalidOperationException("the action filter runs only on endpoints that declare their action");
        var decision = policy.MayTake(http.HubPrincipal(), action);
        if (!decision.IsPermit)
        {
            return Hosting.ApiErrors.For(http, new Hosting.ApiError(StatusCodes.Status403Forbidden, "forbidden", "Forbidden",
                $"you may not take the action {action}: {string.Join("; ", decision.Reasons)}"));
        }
        return await next(context);
    }
}

internal static class ActionEndpoints
{
    /// <summary>Declares the action the endpoint takes (after <c>Audited</c>, so a refusal is audited).</summary>
    public static TBuilder Takes<TBuilder>(this TBuilder builder, string action)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new TakesActionAttribute(action)).AddEndpointFilter<TBuilder, ActionFilter>();
}
