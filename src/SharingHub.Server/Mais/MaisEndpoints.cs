using System.Diagnostics;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Fhir;
using SharingHub.Server.Fhir.Write;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Mais;

/// <summary>
/// POST /fhir/Patient/$person-info-query: the hub answers the MAIS query from what it holds (for partner
/// systems and other hubs). POST /mais/person-info-query: an enquiry member's query, answered by the hub
/// and fanned out to every registered partner in parallel, merged, within a deadline.
/// </summary>
internal static class MaisEndpoints
{
    /// <summary>Where partners ask this hub: the MAIS standard defines person-info-query as an operation on a FHIR server's Patient.</summary>
    public const string AnswerPath = "/fhir/Patient/$person-info-query";

    public static IServiceCollection AddSharingHubMais(this IServiceCollection services)
    {
        services.AddOptions<MaisOptions>()
            .BindConfiguration(MaisOptions.Section)
            .Validate(o => o.DeadlineMs is >= 200 and <= 60_000 && o.Retries is >= 0 and <= 5 && o.RetryDelayMs is >= 10 and <= 5_000
                && o.BreakAfterFailures is >= 2 and <= 100 && o.BreakSeconds is >= 1 and <= 3_600,
                $"{MaisOptions.Section}: DeadlineMs 200-60000, Retries 0-5, RetryDelayMs 10-5000, BreakAfterFailures 2-100, BreakSeconds 1-3600")
            .ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<MaisOptions>, MaisContactsValidation>();
        services.AddSingleton<PersonInfoAnswerer>();
        services.AddSingleton<PartnerGateway>();
        return services;
    }

    public static IEndpointRouteBuilder MapMais(this IEndpointRouteBuilder app)
    {
        app.MapPost(AnswerPath, AnswerAsync).Audited("mais.answer");
        app.MapPost("/mais/person-info-query", BrokeredAsync).Audited("mais.brokered").OpensRecords().WithTags("MAIS")
            .Accepts<System.Text.Json.JsonElement>("application/fhir+json")
            .Answers<System.Text.Json.JsonElement>(200, "A brokered MAIS person-info-query for an open enquiry you are a member of: this hub and its partners answer", 400, 403);
        return app;
    }

    private static async Task<IResult> AnswerAsync(HttpContext http, PersonInfoAnswerer answerer, AuditScope audit)
    {
        if (SmartScopes.ScopeProblem(http, "Patient", 'r') is { } scope)
        {
            return FhirResults.Forbidden(scope);
        }
        var (root, problem) = await FhirBody.ReadAsync(http, "Parameters", MaisMessages.MaxQueryBytes);
        if (problem is not null)
        {
            return problem;
        }
        var (query, invalid) = MaisMessages.ReadQuery(root);
        if (query is null)
        {
            return FhirResults.BadRequest(invalid!);
        }
        var me = http.HubPrincipal();
        var principal = me.ToPolicyPrincipal();
        audit.MaisReason = query.Reason;
        var stated = http.Request.Headers[PurposeOfUse.PurposeHeader].FirstOrDefault();
        var (resolved, unresolved) = answerer.PurposeFor(principal, query.Reason, string.IsNullOrWhiteSpace(stated) ? null : stated.Trim());
        if (resolved is not { } purpose)
        {
            return unresolved!.Contains("several", StringComparison.Ordinal) ? FhirResults.BadRequest(unresolved) : FhirResults.Forbidden(unresolved);
        }
        audit.Purpose = purpose;
        if (await EnquiryRefusalAsync(http, principal, purpose, answerer, audit) is { } notMember)
        {
            return notMember;
        }
        var answer = await answerer.AnswerAsync(principal, purpose, query, audit, http.RequestAborted);
        audit.Count = answer.Involvements.Count + answer.Contacts.Count;
        return FhirResults.Resource(MaisMessages.Answer(answer, query.IgnoredSystems));
    }

    /// <summary>
    /// A person asking under an enquiry's reason (section 47) names that enquiry and must be a current member of
    /// it, as on the brokered endpoint. A partner system or hub asks for its own enquiry, which this hub cannot
    /// see: its assertion of the reason is trusted through its registration and recorded in the audit entry.
    /// </summary>
    private static async Task<IResult?> EnquiryRefusalAsync(HttpContext http, Principal principal, string purpose, PersonInfoAnswerer answerer, AuditScope audit)
    {
        if (!principal.IsPerson || !answerer.RequiresEnquiry(purpose))
        {
            return null;
        }
        var refusal = FhirResults.Forbidden($"a person-info-query for this reason is made by a member of an open enquiry: name it in {PurposeOfUse.EnquiryHeader}");
        if (!Guid.TryParse(http.Request.Headers[PurposeOfUse.EnquiryHeader].ToString(), out var id))
        {
            return refusal;
        }
        audit.EnquiryId = id;
        return await answerer.IsOpenMemberAsync(id, principal, http.RequestAborted) ? null : refusal;
    }

    private static async Task<IResult> BrokeredAsync(HttpContext http, RecordAccess access, PersonInfoAnswerer answerer, PartnerGateway gateway, AuditScope audit,
        Microsoft.Extensions.Options.IOptions<MaisOptions> options, PolicyDecisionPoint policy)
    {
        var me = access.Principal;
        if (access.Enquiry is not { } enquiry || !enquiry.IsOpenAt(access.Now)
            || !enquiry.HasMember(me, access.Now))
        {
            return Results.Problem(statusCode: 403, title: "Not an enquiry member",
                detail: "a brokered person-info-query is made for an open section 47 enquiry you are a member of: name it in X-Enquiry-Id");
        }
        var (root, problem) = await FhirBody.ReadAsync(http, "Parameters", MaisMessages.MaxQueryBytes);
        if (problem is not null)
        {
            return problem;
        }
        var (query, invalid) = MaisMessages.ReadQuery(root);
        if (query is null)
        {
            return Results.Problem(statusCode: 400, title: "Invalid query", detail: invalid);
        }
        var purpose = policy.Policy.Purposes[access.Purpose];
        if (!purpose.RequiresEnquiry)
        {
            // Family Help and the front door have cases of their own, and no brokered query: the broker asks for an enquiry.
            return Results.Problem(statusCode: 403, title: "Not an enquiry's purpose",
                detail: $"a brokered person-info-query is made under the purpose of the enquiry it is for ({string.Join(", ", policy.Policy.Purposes.Values.Where(p => p.RequiresEnquiry).Select(p => p.Code))}), not '{access.Purpose}'",
                extensions: new Dictionary<string, object?> { ["code"] = "purpose_not_brokered" });
        }
        var reason = purpose.MaisReason;
        if (query.Reason != reason)
        {
            return Results.Problem(statusCode: 400, title: "Reason and purpose differ", detail: $"purpose {access.Purpose} asks with the reason {reason}");
        }
        audit.MaisReason = reason;
        // The broker asks about the enquiry's subjects and no one else: the query must describe one of them as this hub
        // knows them (any agency's record linked to a subject), or nobody is asked, here or at a partner.
        await access.PrepareAsync([], http.RequestAborted);
        var matched = await answerer.MatchAsync(query, audit, http.RequestAborted);
        if (!matched.Any(id => access.Enquiry!.SubjectIds.Contains(id)))
        {
            audit.MaisMatch = "the query describes no subject of the enquiry; nobody was asked";
            return Results.Problem(statusCode: 403, title: "Not a subject of the enquiry",
                detail: $"a brokered person-info-query asks about a subject of enquiry {enquiry.Reference}: give the child's identifier, name and birth date as the enquiry's records hold them",
                extensions: new Dictionary<string, object?> { ["code"] = "not_a_subject" });
        }
        var watch = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(options.Value.DeadlineMs);
        // Each partner is asked under the same purpose this hub decided under, not one it would pick for itself.
        // One correlation id for the exchanges of this query: in each partner request's traceparent and in this hub's entry.
        audit.Correlation = Activity.Current is { TraceId: var trace } && trace != default ? trace.ToHexString() : TraceParent.NewTraceId();
        var asked = gateway.Partners.Select(p => gateway.AskAsync(p, query, access.Purpose, audit.Correlation, deadline.Token)).ToList();
        var own = await answerer.AnswerAsync(me, access.Purpose, matched, audit, http.RequestAborted);
        var partners = await Task.WhenAll(asked);
        foreach (var p in partners)
        {
            audit.RecordExchange(p.Partner, p.Agency, p.State, p.ElapsedMs, p.Attempts, p.Answer?.Match);
        }
        var answers = partners.Where(p => p.Answer is { Match: true }).Select(p => p.Answer!).Prepend(own).Where(a => a.Match).ToList();
        audit.Count = answers.Sum(a => a.Involvements.Count);
        // A partner that did not answer (down, slow, refused, invalid) is not a partner that does not know the person:
        // the answer says it is incomplete, and who could not answer, so "not known" is never read into silence.
        var unanswered = partners.Where(p => p.State != PartnerResult.Answered || p.Answer is null).Select(p => p.Partner).ToList();
        return Results.Json(new
        {
            reason = reason.ToString(),
            purpose = access.Purpose,
            enquiry = enquiry.Id,
            correlation = audit.Correlation,
            deadlineMs = options.Value.DeadlineMs,
            elapsedMs = watch.ElapsedMilliseconds,
            known = answers.Count > 0,
            complete = unanswered.Count == 0,
            unanswered,
            knownTo = answers.SelectMany(a => a.Contacts.Select(c => c.Agency).Concat(a.Involvements.Select(i => i.Agency))).Distinct().Order(StringComparer.Ordinal),
            openInvolvements = answers.SelectMany(a => a.Involvements).Where(i => i.Status == "open").Select(View),
            hub = Summary(own),
            partners = partners.Select(p => new
            {
                name = p.Partner,
                agency = p.Agency,
                state = p.State,
                elapsedMs = p.ElapsedMs,
                attempts = p.Attempts,
                detail = p.Detail,
                answer = p.Answer is null ? null : Summary(p.Answer),
            }),
        });
    }

    private static object Summary(PersonAnswer answer) => new
    {
        match = answer.Match,
        contacts = answer.Contacts.Select(c => new { agency = c.Agency, name = c.Name, phone = c.Phone, email = c.Email }),
        involvements = answer.Involvements.Select(View),
    };

    private static object View(InvolvementSummary i) => new { agency = i.Agency, service = i.Service, status = i.Status, start = i.Start, end = i.End };
}
