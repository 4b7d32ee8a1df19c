using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.OData;
using Microsoft.OData.UriParser;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.OData;

/// <summary>
/// AuditEntries, for information governance officers: access is decided once for the request (the
/// ig-officer role and purpose audit-review, as for /audit/entries), then the filter, order, count and
/// page all run in the database over the entries that concern the officer's own agency.
/// </summary>
internal sealed class ODataAuditReader(
    ODataModel model,
    IHubDbContextFactory contexts,
    PersonSealer people,
    PolicyDecisionPoint policy,
    AuditScope audit,
    TimeProvider clock,
    IOptions<ODataOptions> options)
{
    public async Task<IResult> ReadAsync(AuditSet set, ODataGet get, CancellationToken ct)
    {
        var http = get.Http;
        if (!SmartScopes.HasScope(http, set.ScopeType, 's'))
        {
            throw new ODataRefusal(403, ODataErrors.Forbidden, "the access token's scopes do not cover reading the audit log");
        }
        if (PurposeOfUse.Parse(http, policy).Problem is { } problem)
        {
            throw ODataQueryShape.PurposeRefusal(problem);
        }
        if (AuditAccess.Authorise(http, policy, audit, clock) is { } refusal)
        {
            throw refusal is IStatusCodeHttpResult { StatusCode: 403 }
                ? new ODataRefusal(403, ODataErrors.Forbidden, "reading the audit log needs the ig-officer role and the audit-review purpose")
                : new ODataRefusal(400, ODataErrors.PurposeRequired, $"name the purpose of use audit-review in the {PurposeOfUse.PurposeHeader} header");
        }
        if (get.Key is not null || get.ChronologyOf is not null)
        {
            throw ODataRefusal.NotSupported("audit entries are queried as a set, for example $filter=sequence eq 42");
        }
        await using var db = contexts.Create();
        // The log grows while an IG officer pages through it (each page's own read is appended). Every page of
        // one query reads the log as it stood at the first page: the next link's $skiptoken carries that head
        // sequence and the offset within it, so no entry is seen twice or missed, whatever the $orderby.
        var (head, tokenSkip) = await HeadAsync(db, get, ct);
        var filter = get.Parser.ParseFilter();
        // A filter that holds only one actor's entries reads them through the log's index by actor, as /audit/entries?user= does;
        // the filter itself still applies in full, so the entries are the same either way.
        var entries = new AuditFilters(null, null, ActorNamed(filter?.Expression), null, null, null, null, null, null).Apply(db, http.HubPrincipal())
            .Where(a => a.Sequence <= head);
        var binder = new ODataBinder<AuditEntry>(set, db, people, clock.GetUtcNow(), options.Value.MaxNodes);
        if (filter is not null)
        {
            entries = entries.Where(binder.Filter(filter));
        }
        var selectExpand = get.Parser.ParseSelectAndExpand();
        var (selected, expanded) = ODataQueryShape.Shape(model, set, selectExpand);
        if (expanded.Count > 0)
        {
            throw ODataRefusal.NotSupported("audit entries have nothing to expand");
        }
        long? count = get.CountOnly || get.Parser.ParseCount() == true ? await entries.LongCountAsync(ct) : null;
        if (get.CountOnly)
        {
            return ODataPayload.Count(count!.Value);
        }
        var (top, skip) = ODataQueryShape.Paging(get.Parser, options.Value);
        skip += tokenSkip;
        var pageSize = (int)Math.Min(top ?? int.MaxValue, ODataQueryShape.PageSize(http, options.Value));
        var ordered = get.Parser.ParseOrderBy() is { } orderBy ? binder.Order(entries, orderBy, a => a.Sequence) : entries.OrderByDescending(a => a.Sequence);
        var page = await ordered.Skip((int)skip).Take(pageSize + 1).ToListAsync(ct);
        var more = page.Count > pageSize && (top is null || pageSize < top);
        page = page.Take(pageSize).ToList().AsSeenBy(http.HubPrincipal());
        audit.Count = page.Count;
        var entities = page.Select(a => new ODataEntity(set, selected.Where(f => f.Get is not null).Select(f => new ODataProperty { Name = f.Name, Value = f.Get!(a) }).ToList(),
            null, [], [], [])).ToList();
        var next = more ? ODataQueryShape.NextLink(http, get.ServiceRoot, 0, top is null ? null : top - page.Count,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{head}.{skip + page.Count}")) : null;
        return await ODataPayload.CollectionAsync(model.Model, get.ServiceRoot, set, selectExpand, entities, count, next);
    }

    /// <summary>
    /// The actor a <c>$filter</c> holds every entry to (<c>actor eq 'x'</c>, alone or as one side of an <c>and</c> at any depth),
    /// or null when it may hold entries by several (an <c>or</c>, a <c>not</c>, a function of the actor, no filter).
    /// </summary>
    internal static string? ActorNamed(SingleValueNode? node) => node switch
    {
        BinaryOperatorNode { OperatorKind: BinaryOperatorKind.And } and => ActorNamed(and.Left) ?? ActorNamed(and.Right),
        BinaryOperatorNode { OperatorKind: BinaryOperatorKind.Equal } equal => IsActor(equal.Left) ? Text(equal.Right) : IsActor(equal.Right) ? Text(equal.Left) : null,
        _ => null,
    };

    private static bool IsActor(SingleValueNode node) =>
        Unwrapped(node) is SingleValuePropertyAccessNode { Source: ResourceRangeVariableReferenceNode, Property.Name: "actor" };

    private static string? Text(SingleValueNode node) => Unwrapped(node) is ConstantNode { Value: string text } ? text : null;

    private static SingleValueNode Unwrapped(SingleValueNode node) => node is ConvertNode convert ? Unwrapped(convert.Source) : node;

    /// <summary>The log's head for this query: from the $skiptoken of a next link, or the newest entry now.</summary>
    private static async Task<(long Head, long Skip)> HeadAsync(Data.Storage.HubDbContext db, ODataGet get, CancellationToken ct)
    {
        if (get.Parser.ParseSkipToken() is { } token)
        {
            var parts = token.Split('.');
            var culture = System.Globalization.CultureInfo.InvariantCulture;
            return parts.Length == 2 && long.TryParse(parts[0], System.Globalization.NumberStyles.None, culture, out var head)
                && long.TryParse(parts[1], System.Globalization.NumberStyles.None, culture, out var skip)
                ? (head, skip)
                : throw ODataRefusal.Invalid("$skiptoken is the value a nextLink gave", "$skiptoken");
        }
        return (await db.AuditEntries.MaxAsync(a => (long?)a.Sequence, ct) ?? 0, 0);
    }
}
