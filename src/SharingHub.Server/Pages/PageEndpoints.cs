using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.FileProviders;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Fhir;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;
using SharingHub.Server.Workflow;

namespace SharingHub.Server.Pages;

/// <summary>
/// The pages people work in, under /work: the same requests as the APIs, made another way. A page is signed in with the
/// person's session at their own agency's identity provider; it names its purpose of use and enquiry in its address (never
/// from headers), and opens records through the same <see cref="RecordAccess"/> (purpose checks, policy decisions,
/// decryption of permitted fields only) and the same audit filter as the API endpoint beside it. A refusal is a page
/// that says what to do, audited like the API's.
/// </summary>
internal static class PageEndpoints
{
    public const string Base = "/work";

    public static IServiceCollection AddSharingHubPages(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "sh.csrf";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__csrf";
        });
        ApiErrors.AddApiErrorFormat(services, Base, error => Render<ErrorPage>(error.Status, new()
        {
            ["Title"] = error.Status == StatusCodes.Status404NotFound ? "Page not found" : error.Status == StatusCodes.Status403Forbidden ? "You cannot see this" : "There is a problem",
            ["Detail"] = error.Detail,
        }));
        return services;
    }

    /// <summary>The styles and images of the pages (pages/ beside the binary), cacheable: they hold nothing about anyone.</summary>
    public static WebApplication UseSharingHubPageAssets(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "pages");
        if (Directory.Exists(root))
        {
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(root),
                OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "public, max-age=3600",
            });
        }
        return app;
    }

    public static WebApplication MapPages(this WebApplication app)
    {
        var work = app.MapGroup(Base)
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = PeopleSignIn.CookieScheme })
            .AddEndpointFilter(SessionAsync)
            .WithMetadata(new ExcludeFromDescriptionAttribute());
        work.MapGet("/cases", CasesAsync).Audited("page.cases");
        work.MapGet("/cases/{id:guid}", CaseChoiceAsync).Audited("page.case-purposes");
        work.MapGet("/oversight", OversightAsync).Audited("page.oversight").Takes(HubActions.CaseOversee);
        work.MapGet("/{purpose}/cases/{id:guid}", CaseAsync).Audited("page.case").OpensRecords();
        work.MapGet("/{purpose}/cases/{id:guid}/people/{person:guid}", ChronologyAsync).Audited("page.chronology").OpensRecords();
        work.MapAuditPages();
        work.MapRequestPages();
        work.MapFrontDoorPages();
        work.MapLeadPages();
        work.MapFamilyHelpPages();
        Statistics.StatisticsPages.MapStatisticsPages(work);
        Statistics.CinCensus.MapCensusPages(work);
        // Any other address under /work: a page that says so, for a signed-in person (the sign-in page otherwise).
        work.MapFallback((Func<HttpContext, IResult>)(http => ApiErrors.For(http, new ApiError(404, "not-found", "Page not found",
            "There is no page at this address. Check it, or start from your cases.")))).Audited("page.not-found");
        return app;
    }

    /// <summary>
    /// The person behind the session is the request's principal, as a bearer token's is for an API request; the purpose and
    /// enquiry the page names in its address are the request's scope, whatever headers came with it.
    /// </summary>
    private static async ValueTask<object?> SessionAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var session = await http.AuthenticateAsync(PeopleSignIn.CookieScheme);
        if (!session.Succeeded || FromSession(session.Principal!, session.Properties?.ExpiresUtc) is not { } me)
        {
            return Results.Redirect("/");
        }
        http.SetHubPrincipal(me);
        var route = http.Request.RouteValues;
        // A break-glass page's form carries the override's justification; only a form that came from the hub is believed.
        var justification = "";
        if (HttpMethods.IsPost(http.Request.Method) && http.GetEndpoint()?.Metadata.GetMetadata<BreakGlassPage>() is not null)
        {
            if (await LeadPages.FormAsync(http, http.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>()) is not { } form)
            {
                return LeadPages.Forged(http);
            }
            // Too short to be reviewed, it is no override at all: the page says why and reads nothing more.
            justification = form["justification"].ToString().Trim();
            if (justification.Length < PolicyDecisionPoint.MinimumJustificationLength)
            {
                justification = "";
                http.Items[BreakGlassPage.TooShort] = true;
            }
        }
        http.Features.Set(new RequestScope(route["purpose"] as string ?? "", route["purpose"] is null ? "" : route["id"] as string ?? "", justification,
            route["referral"] as string ?? ""));
        return await next(context);
    }

    private static HubPrincipal? FromSession(ClaimsPrincipal user, DateTimeOffset? expires)
    {
        var subject = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var agency = user.FindFirstValue(HubPrincipal.AgencyClaim);
        var organisation = user.FindFirstValue(HubPrincipal.OrganisationClaim);
        if (subject is null || agency is null || organisation is null)
        {
            return null;
        }
        return new HubPrincipal(agency, organisation, subject, user.FindFirstValue(ClaimTypes.Name),
            user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal), null, new HashSet<string>(),
            user.FindFirstValue("sharinghub:issuer") ?? "", expires ?? DateTimeOffset.MaxValue);
    }

    internal static RazorComponentResult Render<TPage>(int status, Dictionary<string, object?> parameters)
        where TPage : Microsoft.AspNetCore.Components.IComponent =>
        new RazorComponentResult<TPage>(parameters) { StatusCode = status, ContentType = "text/html; charset=utf-8" };

    /// <summary>Who is signed in, for the page's header: the same words on every page.</summary>
    internal static PageUser UserOf(HttpContext http, PolicyDecisionPoint policy, string? purpose = null)
    {
        var me = http.HubPrincipal();
        var agency = policy.Policy.Agencies.TryGetValue(me.Agency, out var a) ? a.Name : me.Agency;
        var title = purpose is not null && policy.Policy.Purposes.TryGetValue(purpose, out var p) ? p.Title : null;
        return new PageUser(me.DisplayName ?? me.Subject, agency, title);
    }

    private static async Task<IResult> CasesAsync(HttpContext http, IHubDbContextFactory contexts, PolicyDecisionPoint policy, TimeProvider clock, AuditScope audit) =>
        Render<CasesPage>(200, new()
        {
            ["User"] = UserOf(http, policy),
            ["Cases"] = await MyCasesEndpoints.ListAsync(http.HubPrincipal(), contexts, policy, clock, audit, http.RequestAborted),
            ["Policy"] = policy.Policy,
        });

    /// <summary>Before a case opens, the person chooses why: only the purposes the case's stage and their roles allow.</summary>
    private static async Task<IResult> CaseChoiceAsync(Guid id, HttpContext http, IHubDbContextFactory contexts, PolicyDecisionPoint policy, TimeProvider clock, AuditScope audit)
    {
        var mine = await MyCasesEndpoints.ListAsync(http.HubPrincipal(), contexts, policy, clock, audit, http.RequestAborted);
        audit.EnquiryId = id;
        if (mine.Cases.FirstOrDefault(c => c.Id == id) is not { } chosen)
        {
            return ApiErrors.For(http, new ApiError(404, "not-found", "Not found", "You are not a member of an open case with that address. Choose one of your cases."));
        }
        if (chosen.Purposes.Count == 1)
        {
            return Results.Redirect($"{Base}/{chosen.Purposes[0]}/cases/{id}");
        }
        return Render<CasePurposePage>(200, new() { ["User"] = UserOf(http, policy), ["Case"] = chosen, ["Policy"] = policy.Policy });
    }

    private static async Task<IResult> CaseAsync(string purpose, Guid id, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, PolicyDecisionPoint policy,
        TimeProvider clock, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery)
    {
        var found = await EnquiryReading.ViewAsync(id, access, contexts, clock.GetUtcNow(), http.RequestAborted);
        if (found is not { } shown)
        {
            return ApiErrors.For(http, new ApiError(404, "not-found", "Not found", "There is no case at this address that you may see for this purpose."));
        }
        var people = await CasePeople.NamesAsync(access, contexts, shown.View.Subjects?.Select(s => s.Person).ToList() ?? [], http.RequestAborted);
        // The lead's forms: shown to the case's lead while the case is open (the handlers check again).
        var me = http.HubPrincipal();
        var lead = shown.Case.LeadPractitioner == me.Subject && shown.Case.OwningAgency == me.Agency && shown.Case.Status == Core.Records.EnquiryStatus.Open;
        return Render<CasePage>(200, new()
        {
            ["User"] = UserOf(http, policy, purpose), ["Purpose"] = purpose, ["View"] = shown.View, ["People"] = people, ["Policy"] = policy.Policy,
            ["Now"] = clock.GetUtcNow(),
            ["Lead"] = lead,
            ["Csrf"] = antiforgery.GetAndStoreTokens(http).RequestToken,
            ["Directory"] = lead ? await MacptNominationEndpoints.DirectoryAsync(contexts, http.RequestAborted) : new NominationsView([]),
            ["Meetings"] = await StrategyMeetingEndpoints.MeetingsAsync(id, access, contexts, http.RequestAborted),
            ["Requests"] = await RequestPages.OfCaseAsync(id, http, access, contexts, policy, clock),
        });
    }

    private static async Task<IResult> ChronologyAsync(string purpose, Guid id, Guid person, HttpContext http, RecordAccess access, Chronology chronology,
        IHubDbContextFactory contexts, PolicyDecisionPoint policy, TimeProvider clock)
    {
        var found = await EnquiryReading.ViewAsync(id, access, contexts, clock.GetUtcNow(), http.RequestAborted);
        // A child is opened through the case: one of its subjects, as the case shows them to this reader.
        if (found is not { } shown || shown.View.Subjects?.Any(s => s.Person == person) != true)
        {
            return ApiErrors.For(http, new ApiError(404, "not-found", "Not found", "There is no person at this address in a case you may see for this purpose."));
        }
        return await ChronologyPageAsync(purpose, person, http, access, chronology, policy, $"{Base}/{purpose}/cases/{id}", $"case {shown.View.Reference}",
            $"Case {shown.View.Reference}");
    }

    /// <summary>The oversight table: the same view as GET /oversight/cases, for the council's lead practitioners (case.oversee).</summary>
    private static async Task<IResult> OversightAsync(HttpContext http, IHubDbContextFactory contexts, TimeProvider clock, PolicyDecisionPoint policy, Audit.AuditScope audit)
    {
        var view = await Workflow.CaseOversightEndpoints.BuildAsync(contexts, clock.GetUtcNow(), http.RequestAborted);
        audit.Count = view.Count;
        return Render<OversightPage>(200, new() { ["User"] = UserOf(http, policy), ["View"] = view });
    }

    /// <summary>A person's chronology page, opened through a case or a referral (the caller has checked the person belongs to it).</summary>
    internal static async Task<IResult> ChronologyPageAsync(string purpose, Guid person, HttpContext http, RecordAccess access, Chronology chronology,
        PolicyDecisionPoint policy, string back, string backText, string caption, Dictionary<string, object?>? more = null)
    {
        var filter = ChronologyFilter.Parse(http.Request.Query);
        var result = filter.Error is null ? await chronology.BuildAsync(access, person, filter, http.RequestAborted) : ChronologyResult.NotFound;
        if (filter.Error is null && result.Person is null)
        {
            return ApiErrors.For(http, new ApiError(404, "not-found", "Not found", "You may not see this person's records for this purpose."));
        }
        var parameters = new Dictionary<string, object?>
        {
            ["User"] = UserOf(http, policy, purpose), ["Back"] = back, ["BackText"] = backText, ["Caption"] = caption,
            ["View"] = ChronologyRows.View(result, access, policy.Policy), ["Filter"] = filter, ["FilterError"] = filter.Error, ["Query"] = http.Request.Query,
            ["Policy"] = policy.Policy,
        };
        foreach (var (name, value) in more ?? [])
        {
            parameters[name] = value;
        }
        return Render<ChronologyPage>(filter.Error is null ? 200 : 400, parameters);
    }
}

/// <summary>Marks a page whose POST is a break-glass read: its validated form's justification becomes the request's override.</summary>
internal sealed class BreakGlassPage
{
    public const string TooShort = "sharinghub:break-glass-too-short";
}

/// <summary>The signed-in person as every page's header shows them, and the purpose the page works under.</summary>
public sealed record PageUser(string Name, string Agency, string? PurposeTitle);

/// <summary>The person a session signs in, as the landing page shows them: who, at which agency and organisation, with which roles and purposes.</summary>
public sealed record SignedInPerson(string Name, string Subject, string Agency, string AgencyName, string Organisation, string OrganisationName,
    IReadOnlyList<string> Roles, IReadOnlyList<string> Purposes, IReadOnlyList<string> PurposeCodes)
{
    /// <summary>Whether they may refer a child to the front door (the write action, as for FHIR's POST /Task).</summary>
    public bool MayRefer { get; init; }

    /// <summary>Whether they oversee every open case (the council's lead practitioners: case.oversee).</summary>
    public bool MayOversee { get; init; }

    /// <summary>Whether they read the partnership's measures (statistics.read: the council's analysts and managers).</summary>
    public bool MayReadStatistics { get; init; }

    /// <summary>Whether they make the Children in Need census return (census.export: the council's returns officer).</summary>
    public bool MayExportCensus { get; init; }

    internal static SignedInPerson Of(ClaimsPrincipal user, PolicyDecisionPoint policy)
    {
        var agency = user.FindFirstValue(HubPrincipal.AgencyClaim) ?? "";
        var subject = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
        var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).Order(StringComparer.Ordinal).ToList();
        var organisation = user.FindFirstValue(HubPrincipal.OrganisationClaim) ?? "";
        var principal = new Principal(agency, subject, roles.ToHashSet(StringComparer.Ordinal)) { Organisation = organisation };
        var allowed = policy.PurposesFor(principal);
        return new SignedInPerson(user.FindFirstValue(ClaimTypes.Name) ?? subject, subject, agency, PageText.Agency(policy.Policy, agency), organisation,
            policy.Policy.Organisations.TryGetValue(organisation, out var o) ? o.Name : organisation, roles, allowed.Select(p => p.Title).ToList(), allowed.Select(p => p.Code).ToList())
        {
            MayRefer = policy.MayTake(principal, Access.HubActions.RecordWrite).IsPermit,
            MayOversee = policy.MayTake(principal, Access.HubActions.CaseOversee).IsPermit,
            MayReadStatistics = policy.MayTake(principal, Access.HubActions.StatisticsRead).IsPermit,
            MayExportCensus = policy.MayTake(principal, Access.HubActions.CensusExport).IsPermit,
        };
    }
}
