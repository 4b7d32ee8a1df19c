using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.OData;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Fhir;
using SharingHub.Server.Identity;

namespace SharingHub.Server.OData;

/// <summary>What one GET asks for, once its URL is parsed: the set, a key, a count, the chronology, and the parser for the query options.</summary>
internal sealed record ODataGet(HttpContext Http, Uri ServiceRoot, ODataUriParser Parser, Guid? Key, bool CountOnly, Guid? ChronologyOf);

/// <summary>
/// Answers OData GETs. The filter and order run in the database over rows already narrowed to what
/// some rule could share; rows are then streamed in batches and decided one by one, and only the page
/// is kept, opened and written. Rows the caller may not see are neither returned nor counted, and a
/// row whose decision withholds a field the query reads does not match, so no answer depends on
/// anything the caller could not read directly.
/// </summary>
internal sealed class ODataReader(
    ODataModel model,
    IHubDbContextFactory contexts,
    Disclosures disclosures,
    PersonSealer people,
    PolicyDecisionPoint policy,
    AuditScope audit,
    TimeProvider clock,
    IOptions<ODataOptions> options)
{
    private const int Batch = 200;
    private const int MaxQueryLength = 4_096;
    private static readonly string[] QueryOptions = ["$filter", "$orderby", "$select", "$expand", "$top", "$skip", "$count", "$format"];

    public async Task<IResult> GetAsync(HttpContext http, RecordAccess access)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));
        try
        {
            return await GetCoreAsync(http, access, deadline.Token);
        }
        catch (ODataRefusal refusal)
        {
            return ODataPayload.Error(refusal);
        }
        catch (ODataUnrecognizedPathException)
        {
            return ODataPayload.Error(404, ODataErrors.NotFound, "no such resource; the service document at /odata lists the entity sets");
        }
        catch (ODataException e)
        {
            return ODataPayload.Error(400, ODataErrors.InvalidQuery, e.Message);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            return ODataPayload.Error(400, ODataErrors.Timeout, $"the query ran longer than {options.Value.TimeoutSeconds} s and was stopped; narrow it with $filter");
        }
    }

    private async Task<IResult> GetCoreAsync(HttpContext http, RecordAccess access, CancellationToken ct)
    {
        var query = http.Request.Query;
        if (query.ContainsKey("$search"))
        {
            throw new ODataRefusal(400, ODataErrors.EncryptedField, "$search is not supported: free text lives in encrypted fields, which are never searched");
        }
        if (query.Keys.FirstOrDefault(k => !QueryOptions.Contains(k)) is { } unknown)
        {
            throw ODataRefusal.NotSupported($"the query option '{Safe(unknown)}' is not supported; use {string.Join(", ", QueryOptions)}");
        }
        if (query["$format"].FirstOrDefault() is { } format && format is not ("json" or "application/json"))
        {
            throw ODataRefusal.NotSupported("the only format is json");
        }
        // The parser's own depth limits are generous; a long query string is refused before it is parsed.
        if (http.Request.QueryString.Value?.Length > MaxQueryLength || query.Any(q => q.Value.Count > 1))
        {
            throw new ODataRefusal(400, ODataErrors.TooComplex, $"the query string is longer than {MaxQueryLength} characters or repeats an option; simplify it");
        }
        var root = ODataEndpoints.ServiceRoot(http);
        var relative = http.Request.GetEncodedPathAndQuery()[(http.Request.PathBase.Value?.Length ?? 0)..][(ODataEndpoints.Base.Length + 1)..];
        var parser = new ODataUriParser(model.Model, root, new Uri(root, relative))
        {
            Resolver = new StringAsEnumResolver { EnableCaseInsensitive = false },
        };
        parser.Settings.MaximumExpansionDepth = 1;
        parser.Settings.MaximumExpansionCount = 4;
        var segments = parser.ParsePath().ToList();
        var (set, request) = Target(http, root, parser, segments);
        return set switch
        {
            AuditSet auditSet => await ReadAuditAsync(auditSet, request, ct),
            _ => await set.ReadAsync(this, request, access, ct),
        };
    }

    private (ODataSet, ODataGet) Target(HttpContext http, Uri root, ODataUriParser parser, List<ODataPathSegment> segments)
    {
        if (segments.FirstOrDefault() is not EntitySetSegment first)
        {
            throw ODataRefusal.NotSupported("address an entity set, for example /odata/Events");
        }
        var set = model.Sets[first.EntitySet.Name];
        var rest = segments.Skip(1).ToList();
        Guid? key = rest.FirstOrDefault() is KeySegment k ? (Guid)k.Keys.Single().Value : null;
        if (key is not null)
        {
            rest.RemoveAt(0);
        }
        Guid? chronology = null;
        if (rest.FirstOrDefault() is OperationSegment { Operations: var operations } && operations.Single() == model.ChronologyFunction && key is not null)
        {
            (chronology, key) = (key, null);
            set = model.Sets[ODataModel.Events];
            rest.RemoveAt(0);
        }
        var countOnly = rest.FirstOrDefault() is CountSegment && key is null;
        if (countOnly)
        {
            rest.RemoveAt(0);
        }
        if (rest.Count > 0)
        {
            throw ODataRefusal.NotSupported("this path is not supported: address a set, one entity by key, its $count, or People(id)/SharingHub.chronology(); use $expand for related entities");
        }
        if (key is not null && http.Request.Query.Keys.Any(q => q is not ("$select" or "$expand" or "$format")))
        {
            throw ODataRefusal.Invalid("one entity takes only $select and $expand");
        }
        return (set, new ODataGet(http, root, parser, key, countOnly, chronology));
    }

    /// <summary>The generic read over one record type (called through the set, which knows its CLR type).</summary>
    public async Task<IResult> ReadAsync<T>(RecordSet<T> set, ODataGet get, RecordAccess access, CancellationToken ct)
        where T : Record
    {
        var o = options.Value;
        var http = get.Http;
        if (!FhirRequest.HasScope(http, set.ScopeType, get.Key is null ? 's' : 'r'))
        {
            throw new ODataRefusal(403, ODataErrors.Forbidden, $"the access token's scopes do not cover reading {set.Name}");
        }
        if (await access.OpenAsync(http, ct) is { } problem)
        {
            throw PurposeRefusal(problem);
        }
        await using var db = contexts.Create();
        var rows = set.Query(db, access);
        if (get.ChronologyOf is { } personId)
        {
            rows = (IQueryable<T>)await ChronologyAsync(db, access, personId, ct);
        }
        var binder = new ODataBinder<T>(set, db, people, access.Now, o.MaxNodes);
        var (selected, expanded) = Shape(set, get.Parser.ParseSelectAndExpand());
        if (get.Key is { } key)
        {
            var found = await rows.Where(r => r.Id == key).ToListAsync(ct);
            var decided = (await set.DecideAsync(db, access, found, ct)).Where(x => x.Decision.IsPermit).ToList();
            if (decided.Count == 0)
            {
                // The same answer for a record that does not exist and one this caller may not know of.
                return ODataPayload.Error(404, ODataErrors.NotFound, $"{set.Name}({key}) is not known");
            }
            CheckReadable(access, expanded.Select(e => e.Navigation.PolicyField));
            var one = await EntitiesAsync(db, access, set, decided, selected, expanded, ct);
            access.ScopeCount(1);
            return await ODataPayload.SingleAsync(model.Model, get.ServiceRoot, set, get.Parser.ParseSelectAndExpand(), one[0]);
        }
        if (get.Parser.ParseFilter() is { } filter)
        {
            rows = rows.Where(binder.Filter(filter));
        }
        var filtered = rows;
        rows = binder.Order(rows, get.Parser.ParseOrderBy(), r => r.Id);
        CheckReadable(access, binder.Touched.Concat(expanded.Select(e => e.Navigation.PolicyField)));
        var (top, skip) = Paging(get.Parser);
        var count = get.CountOnly || get.Parser.ParseCount() == true;
        var pageSize = (int)Math.Min(top ?? int.MaxValue, PageSize(http));
        var wanted = get.CountOnly ? 0 : pageSize;

        if (count && await filtered.Select(r => r.Id).Take(o.MaxCandidates + 1).CountAsync(ct) > o.MaxCandidates)
        {
            // A count must decide every row: a query reaching too many is refused at once, before any is read.
            throw TooBroad(o);
        }
        var page = new List<(T Record, Decision Decision)>();
        var visible = 0;
        var examined = 0;
        var more = false;
        var batch = new List<T>(Batch);
        // A first page needs only its own rows decided; later batches are full size.
        var batchSize = count ? Batch : (int)Math.Clamp(skip + wanted + 1, 16, Batch);
        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            batch.Add(row);
            if (batch.Count < batchSize)
            {
                continue;
            }
            batchSize = Batch;
            if (await TakeAsync() && !count)
            {
                batch.Clear();
                break;
            }
        }
        if (batch.Count > 0)
        {
            await TakeAsync();
        }

        async Task<bool> TakeAsync()
        {
            var done = false;
            foreach (var (record, decision) in await set.DecideAsync(db, access, batch, ct))
            {
                if (done && !count)
                {
                    break;
                }
                if (++examined > o.MaxCandidates)
                {
                    throw TooBroad(o);
                }
                if (!decision.IsPermit || !binder.Touched.All(f => Readable(decision, f)))
                {
                    continue;
                }
                visible++;
                var withinTop = top is null || visible <= skip + top;
                if (visible > skip && page.Count < wanted && withinTop)
                {
                    page.Add((record, decision));
                }
                else if (visible > skip + wanted && withinTop)
                {
                    more = true;
                }
                done = more || (top is not null && visible >= skip + top);
            }
            batch.Clear();
            return done;
        }

        if (get.CountOnly)
        {
            return ODataPayload.Count(Math.Max(0, visible));
        }
        var entities = await EntitiesAsync(db, access, set, page, selected, expanded, ct);
        access.ScopeCount(entities.Count + entities.Sum(e => e.Expanded.Sum(x => x.Targets.Count)));
        var next = more ? NextLink(http, get.ServiceRoot, skip + page.Count, top is null ? null : top - page.Count) : null;
        return await ODataPayload.CollectionAsync(model.Model, get.ServiceRoot, set, get.Parser.ParseSelectAndExpand(), entities, count ? visible : null, next);
    }

    private async Task<IQueryable<ChronologyEvent>> ChronologyAsync(HubDbContext db, RecordAccess access, Guid personId, CancellationToken ct)
    {
        var set = (RecordSet<Person>)model.Sets[ODataModel.People];
        var person = await set.Query(db, access).Where(p => p.Id == personId).ToListAsync(ct);
        if ((await set.DecideAsync(db, access, person, ct)).All(x => !x.Decision.IsPermit))
        {
            throw new ODataRefusal(404, ODataErrors.NotFound, $"People({personId}) is not known");
        }
        var subjects = access.Links.Of(personId).ToList();
        return ((RecordSet<ChronologyEvent>)model.Sets[ODataModel.Events]).Query(db, access).About(db, subjects);
    }

    /// <summary>The audit log for an IG officer: one decision for the request, then the filter, order, count and page all in the database.</summary>
    private async Task<IResult> ReadAuditAsync(AuditSet set, ODataGet get, CancellationToken ct)
    {
        var http = get.Http;
        if (!FhirRequest.HasScope(http, set.ScopeType, 's'))
        {
            throw new ODataRefusal(403, ODataErrors.Forbidden, "the access token's scopes do not cover reading the audit log");
        }
        if (PurposeOfUse.Parse(http, policy).Problem is { } problem)
        {
            throw PurposeRefusal(problem);
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
        var entries = new AuditFilters(null, null, null, null, null, null, null, null, null).Apply(db.AuditEntries.AsNoTracking(), http.HubPrincipal().Agency);
        var binder = new ODataBinder<AuditEntry>(set, db, people, clock.GetUtcNow(), options.Value.MaxNodes);
        if (get.Parser.ParseFilter() is { } filter)
        {
            entries = entries.Where(binder.Filter(filter));
        }
        var selectExpand = get.Parser.ParseSelectAndExpand();
        var (selected, expanded) = Shape(set, selectExpand);
        if (expanded.Count > 0)
        {
            throw ODataRefusal.NotSupported("audit entries have nothing to expand");
        }
        long? count = get.CountOnly || get.Parser.ParseCount() == true ? await entries.LongCountAsync(ct) : null;
        if (get.CountOnly)
        {
            return ODataPayload.Count(count!.Value);
        }
        var (top, skip) = Paging(get.Parser);
        var pageSize = (int)Math.Min(top ?? int.MaxValue, PageSize(http));
        var ordered = get.Parser.ParseOrderBy() is { } orderBy ? binder.Order(entries, orderBy, a => a.Sequence) : entries.OrderByDescending(a => a.Sequence);
        var page = await ordered.Skip((int)skip).Take(pageSize + 1).ToListAsync(ct);
        var more = page.Count > pageSize && (top is null || pageSize < top);
        page = page.Take(pageSize).ToList();
        audit.Count = page.Count;
        var entities = page.Select(a => new ODataEntity(set, selected.Where(f => f.Get is not null).Select(f => new ODataProperty { Name = f.Name, Value = f.Get!(a) }).ToList(),
            null, [], [], [])).ToList();
        var next = more ? NextLink(http, get.ServiceRoot, skip + page.Count, top is null ? null : top - page.Count) : null;
        return await ODataPayload.CollectionAsync(model.Model, get.ServiceRoot, set, selectExpand, entities, count, next);
    }

    /// <summary>Writes the page: only selected fields are read, only permitted ones opened; expanded entities are decided on their own.</summary>
    private async Task<List<ODataEntity>> EntitiesAsync<T>(HubDbContext db, RecordAccess access, ODataSet set, List<(T Record, Decision Decision)> page,
        IReadOnlyList<ODataField> selected, IReadOnlyList<ExpandRequest> expanded, CancellationToken ct)
        where T : Record
    {
        var disclosed = page.Select(x => disclosures.Of(x.Record, x.Decision)).ToList();
        var targets = new Dictionary<ExpandRequest, Dictionary<Guid, (Record Record, Decision Decision)>>();
        foreach (var expand in expanded)
        {
            var ids = page.Where(x => Readable(x.Decision, expand.Navigation.PolicyField)).SelectMany(x => expand.Navigation.Targets(x.Record)).Distinct().ToList();
            targets[expand] = ids.Count == 0 ? [] : await model.Sets[expand.Navigation.TargetSet].PermittedAsync(db, access, ids, ct);
        }
        return disclosed.Select(d => Entity(set, d, selected, expanded.Select(e =>
        {
            if (!d.Shows(e.Navigation.PolicyField))
            {
                return ((ODataNavigation, IReadOnlyList<ODataEntity>)?)null;
            }
            var related = e.Navigation.Targets(d.Record).Where(targets[e].ContainsKey)
                .Select(id => Entity(e.Target, disclosures.Of(targets[e][id].Record, targets[e][id].Decision), e.Selected, [])).ToList();
            return (e.Navigation, related);
        }).OfType<(ODataNavigation, IReadOnlyList<ODataEntity>)>().ToList())).ToList();
    }

    private static ODataEntity Entity(ODataSet set, Disclosure d, IReadOnlyList<ODataField> selected,
        IReadOnlyList<(ODataNavigation, IReadOnlyList<ODataEntity>)> expanded)
    {
        var properties = new List<ODataProperty>();
        foreach (var field in selected)
        {
            var value = field.Read(d);
            if (value.Present)
            {
                properties.Add(new ODataProperty { Name = field.Name, Value = value.Value });
            }
        }
        return new ODataEntity(set, properties, d.Record.ETag, d.Withheld, d.Unavailable, expanded);
    }

    private sealed record ExpandRequest(ODataNavigation Navigation, ODataSet Target, IReadOnlyList<ODataField> Selected);

    /// <summary>The properties to write ($select, the key always) and the navigations to expand, with their own $select and nothing else.</summary>
    private (IReadOnlyList<ODataField> Selected, IReadOnlyList<ExpandRequest> Expanded) Shape(ODataSet set, SelectExpandClause? clause)
    {
        var expanded = new List<ExpandRequest>();
        if (clause is null)
        {
            return (set.Fields.Values.ToList(), expanded);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in clause.SelectedItems)
        {
            switch (item)
            {
                case PathSelectItem { SelectedPath.LastSegment: PropertySegment property }:
                    names.Add(property.Property.Name);
                    break;
                case ExpandedNavigationSelectItem expand:
                    if (expand.FilterOption is not null || expand.OrderByOption is not null || expand.TopOption is not null || expand.SkipOption is not null
                        || expand.CountOption is not null || expand.SearchOption is not null || expand.LevelsOption is not null)
                    {
                        throw ODataRefusal.NotSupported("an $expand takes only $select");
                    }
                    var navigation = set.Navigations[((NavigationPropertySegment)expand.PathToNavigationProperty.LastSegment).NavigationProperty.Name];
                    var target = model.Sets[navigation.TargetSet];
                    expanded.Add(new ExpandRequest(navigation, target, Shape(target, expand.SelectAndExpand).Selected));
                    break;
                case PathSelectItem:
                    throw ODataRefusal.NotSupported("$select takes property names");
                default:
                    break;
            }
        }
        var all = clause.AllSelected || names.Count == 0;
        var key = set.Type.Key().Single().Name;
        return (set.Fields.Values.Where(f => all || names.Contains(f.Name) || f.Name == key).ToList(), expanded);
    }

    /// <summary>A field a query reads must be one some rule lets this caller read for this purpose; otherwise the query is refused outright.</summary>
    private void CheckReadable(RecordAccess access, IEnumerable<string> fields)
    {
        if (fields.FirstOrDefault(f => !policy.MaySee(access.Principal, access.Purpose, f)) is { } withheld)
        {
            throw new ODataRefusal(403, ODataErrors.WithheldField,
                $"the query reads '{withheld}', which no rule lets you read for purpose '{access.Purpose}'; filtering, sorting or expanding on it is refused", withheld);
        }
    }

    private static bool Readable(Decision decision, string field) => decision.Fields.Contains(field) && !decision.RedactedFields.Contains(field);

    private (long? Top, long Skip) Paging(ODataUriParser parser)
    {
        var o = options.Value;
        var top = parser.ParseTop();
        var skip = parser.ParseSkip() ?? 0;
        if (top is < 0 || skip < 0)
        {
            throw ODataRefusal.Invalid("$top and $skip are not negative");
        }
        if (top > o.MaxTop)
        {
            throw new ODataRefusal(400, ODataErrors.TopTooLarge, $"$top is at most {o.MaxTop}; follow @odata.nextLink for more", "$top");
        }
        if (skip > o.MaxCandidates)
        {
            throw new ODataRefusal(400, ODataErrors.TooBroad, $"$skip is at most {o.MaxCandidates}; narrow the query with $filter", "$skip");
        }
        return (top, skip);
    }

    /// <summary>The page size: the server's maximum, or less if the client prefers (Prefer: odata.maxpagesize=N).</summary>
    private int PageSize(HttpContext http)
    {
        var max = options.Value.MaxPageSize;
        foreach (var preference in http.Request.Headers["Prefer"].SelectMany(p => (p ?? "").Split(',')))
        {
            var parts = preference.Trim().Split('=', 2);
            if (parts.Length == 2 && parts[0].Equals("odata.maxpagesize", StringComparison.OrdinalIgnoreCase) && int.TryParse(parts[1], out var preferred) && preferred > 0)
            {
                max = Math.Min(max, preferred);
            }
        }
        return max;
    }

    private static Uri NextLink(HttpContext http, Uri root, long skip, long? top)
    {
        var kept = http.Request.Query.Where(q => q.Key is not ("$skip" or "$top"))
            .SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"))
            .Append($"$skip={skip}");
        if (top is { } t)
        {
            kept = kept.Append($"$top={t}");
        }
        var path = http.Request.Path.Value![(ODataEndpoints.Base.Length + 1)..];
        return new Uri(root, $"{path}?{string.Join('&', kept)}");
    }

    private static ODataRefusal TooBroad(ODataOptions o) =>
        new(400, ODataErrors.TooBroad, $"the query reaches more than {o.MaxCandidates} records to decide on; narrow it with $filter");

    private static ODataRefusal PurposeRefusal(PurposeProblem problem)
    {
        var purposes = problem.Allowed.Count == 0 ? "none" : string.Join(", ", problem.Allowed.Select(p => p.Code));
        return new ODataRefusal(400, ODataErrors.PurposeRequired, $"{problem.Description} Purposes you may use: {purposes}.");
    }

    private static string Safe(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
