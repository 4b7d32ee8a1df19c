using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.OData;
using Microsoft.OData.UriParser;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Fhir;

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
    PersonSealer people,
    PolicyDecisionPoint policy,
    ODataAuditReader auditReader,
    IOptions<ODataOptions> options)
{
    private const int Batch = 200;
    private const int MaxQueryLength = 4_096;
    private static readonly string[] QueryOptions = ["$filter", "$orderby", "$select", "$expand", "$top", "$skip", "$skiptoken", "$count", "$format"];

    /// <summary>
    /// Answers an OData GET. Record sets are read under the request's opened access; the audit log (its own route, which
    /// opens no records) passes none, and a record set reached without one is refused.
    /// </summary>
    public async Task<IResult> GetAsync(HttpContext http, RecordAccess? access)
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
        catch (UriFormatException)
        {
            return ODataPayload.Error(400, ODataErrors.InvalidQuery, "the request's path or query is not a valid URL");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            return ODataPayload.Error(400, ODataErrors.Timeout, $"the query ran longer than {options.Value.TimeoutSeconds} s and was stopped; narrow it with $filter");
        }
    }

    private async Task<IResult> GetCoreAsync(HttpContext http, RecordAccess? access, CancellationToken ct)
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
        // "./" keeps a first segment with a colon in it ("E:x") a path segment, as RFC 3986 says, not a scheme or a drive.
        var parser = new ODataUriParser(model.Model, root, new Uri(root, "./" + relative))
        {
            Resolver = new StringAsEnumResolver { EnableCaseInsensitive = false },
        };
        parser.Settings.MaximumExpansionDepth = 1;
        parser.Settings.MaximumExpansionCount = 4;
        var segments = parser.ParsePath().ToList();
        var (set, request) = Target(http, root, parser, segments);
        return set switch
        {
            AuditSet auditSet => await auditReader.ReadAsync(auditSet, request, ct),
            // Only the append-only audit log pages by $skiptoken; records page by $skip through their next links.
            _ when http.Request.Query.ContainsKey("$skiptoken") => throw ODataRefusal.NotSupported("$skiptoken pages AuditEntries; other sets page with $skip"),
            _ when access is null => throw ODataRefusal.NotSupported("this route reads the audit log only"),
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
        // A key is a UUID; an alias ("Events/@x") or anything else in its place is the caller's (found by the parser runs, issue 28).
        Guid? key = rest.FirstOrDefault() is KeySegment k
            ? k.Keys.Single().Value is Guid id ? id : throw ODataRefusal.Invalid($"a key is an id (a UUID), for example {set.Name}(6a1c2f0e-3b8e-4d5f-9a7b-0c1d2e3f4a5b)")
            : null;
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
        if (!SmartScopes.HasScope(http, set.ScopeType, get.Key is null ? 's' : 'r'))
        {
            throw new ODataRefusal(403, ODataErrors.Forbidden, $"the access token's scopes do not cover reading {set.Name}");
        }
        await using var db = contexts.Create();
        // A collection is narrowed to the case's people; a read by key is decided (and its refusal audited) as it is.
        var rows = get.Key is null ? set.Query(db, access).WithinCase(db, access) : set.Query(db, access);
        if (get.ChronologyOf is { } personId)
        {
            rows = (IQueryable<T>)await ChronologyAsync(db, access, personId, ct);
        }
        var binder = new ODataBinder<T>(set, db, people, access.Now, o.MaxNodes);
        var (selected, expanded) = ODataQueryShape.Shape(model, set, get.Parser.ParseSelectAndExpand());
        if (get.Key is { } key)
        {
            var found = get.ChronologyOf is null ? await set.FindAsync(db, access, key, ct) : await rows.Where(r => r.Id == key).ToListAsync(ct);
            var decided = (await set.DecideAsync(db, access, found, ct)).Where(x => x.Decision.IsPermit).ToList();
            if (decided.Count == 0)
            {
                // The same answer for a record that does not exist and one this caller may not know of.
                return ODataPayload.Error(404, ODataErrors.NotFound, $"{set.Name}({key}) is not known");
            }
            CheckReadable(access, expanded.Select(e => e.Navigation.PolicyField));
            var one = await EntitiesAsync(db, access, set, decided, selected, expanded, ct);
            return await ODataPayload.SingleAsync(model.Model, get.ServiceRoot, set, get.Parser.ParseSelectAndExpand(), one[0]);
        }
        if (get.Parser.ParseFilter() is { } filter)
        {
            rows = rows.Where(binder.Filter(filter));
        }
        var filtered = rows;
        rows = binder.Order(rows, get.Parser.ParseOrderBy(), r => r.Id);
        CheckReadable(access, binder.Touched.Concat(expanded.Select(e => e.Navigation.PolicyField)));
        var (top, skip) = ODataQueryShape.Paging(get.Parser, options.Value);
        var count = get.CountOnly || get.Parser.ParseCount() == true;
        var pageSize = (int)Math.Min(top ?? int.MaxValue, ODataQueryShape.PageSize(http, options.Value));
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
        // No more than one past the candidate limit is ever decided, so the query says so: the database can
        // then stop early (a top-N through an index) rather than join and sort every reachable row first.
        await foreach (var row in rows.Take(o.MaxCandidates + 1).AsAsyncEnumerable().WithCancellation(ct))
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
        var next = more ? ODataQueryShape.NextLink(http, get.ServiceRoot, skip + page.Count, top is null ? null : top - page.Count) : null;
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

    /// <summary>Writes the page: only selected fields are read, only permitted ones opened; expanded entities are decided on their own.</summary>
    private async Task<List<ODataEntity>> EntitiesAsync<T>(HubDbContext db, RecordAccess access, ODataSet set, List<(T Record, Decision Decision)> page,
        IReadOnlyList<ODataField> selected, IReadOnlyList<ODataExpand> expanded, CancellationToken ct)
        where T : Record
    {
        var disclosed = page.Select(x => access.Disclose(x.Record, x.Decision)).ToList();
        var targets = new Dictionary<ODataExpand, Dictionary<Guid, (Record Record, Decision Decision)>>();
        foreach (var expand in expanded)
        {
            var ids = page.Where(x => Readable(x.Decision, expand.Navigation.PolicyField)).SelectMany(x => expand.Navigation.Targets(x.Record)).Distinct().ToList();
            targets[expand] = ids.Count == 0 ? [] : await model.Sets[expand.Navigation.TargetSet].PermittedAsync(db, access, ids, ct);
        }
        access.Prefetch(page.Select(x => (Record)x.Record).Concat(targets.Values.SelectMany(t => t.Values.Select(v => v.Record))));
        return disclosed.Select(d => Entity(set, d, selected, expanded.Select(e =>
        {
            if (!d.Shows(e.Navigation.PolicyField))
            {
                return ((ODataNavigation, IReadOnlyList<ODataEntity>)?)null;
            }
            var related = e.Navigation.Targets(d.Record).Where(targets[e].ContainsKey)
                .Select(id => Entity(e.Target, access.Disclose(targets[e][id].Record, targets[e][id].Decision), e.Selected, [])).ToList();
            return (e.Navigation, related);
        }).OfType<(ODataNavigation, IReadOnlyList<ODataEntity>)>().ToList())).ToList();
    }

    private static ODataEntity Entity(ODataSet set, Disclosure d, IReadOnlyList<ODataField> selected,
        IReadOnlyList<(ODataNavigation, IReadOnlyList<ODataEntity>)> expanded)
    {
        var properties = new List<ODataProperty>();
        var parts = new List<ODataParts>();
        foreach (var field in selected)
        {
            var value = field.Read(d);
            if (value.Value is ODataParts complex)
            {
                parts.Add(complex);
            }
            else if (value.Present)
            {
                properties.Add(new ODataProperty { Name = field.Name, Value = value.Value });
            }
        }
        return new ODataEntity(set, properties, d.Record.ETag, d.Withheld, d.Unavailable, expanded) { Parts = parts };
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

    private static ODataRefusal TooBroad(ODataOptions o) =>
        new(400, ODataErrors.TooBroad, $"the query reaches more than {o.MaxCandidates} records to decide on; narrow it with $filter");

    private static string Safe(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
