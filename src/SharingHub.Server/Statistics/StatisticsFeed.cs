using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.OData;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;
using Microsoft.OData.UriParser.Aggregation;
using SharingHub.Server.OData;

namespace SharingHub.Server.Statistics;

/// <summary>Settings of the statistics feed (SharingHub:Statistics).</summary>
public sealed class StatisticsOptions
{
    public const string Section = "SharingHub:Statistics";

    /// <summary>The most figures in one page of the feed; @odata.nextLink leads to the rest.</summary>
    public int PageSize { get; set; } = 1_000;
}

/// <summary>One published figure in the feed: a row of <see cref="SmallNumbers"/>' output with its period's bounds and a key.</summary>
internal sealed record FeedRow(string Id, string Period, string Grain, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, MeasureRow Row)
{
    /// <summary>A property as the feed names it (the entity type's structural properties).</summary>
    public object? this[string property] => property switch
    {
        "Id" => Id,
        "Period" => Period,
        "Grain" => Grain,
        "PeriodStart" => PeriodStart,
        "PeriodEnd" => PeriodEnd,
        "Area" => Row.Area,
        "Measure" => Row.Measure,
        "Unit" => Row.Unit,
        "Breakdown" => Row.Breakdown,
        "Category" => Row.Category,
        "Count" => Row.Count,
        "Denominator" => Row.Denominator,
        "Percent" => Row.Percent,
        "Median" => Row.Median,
        "Suppressed" => Row.Suppressed,
        _ => throw new ODataRefusal(400, ODataErrors.InvalidQuery, $"the feed has no property '{property}'"),
    };
}

/// <summary>
/// The measures as an OData v4 feed at /statistics/odata, for Power BI Desktop's OData feed connector and Excel: a service
/// document, $metadata, the entity sets Measures (every published figure of every month, quarter and year since the
/// records start) and Definitions, with $filter, $select, $orderby, $top, $skip, $count, server-driven paging
/// (@odata.nextLink with a $skiptoken) and $apply (filter, groupby, aggregate with sum, min, max, average,
/// countdistinct and $count). Everything is computed over the published figures only, after small numbers are
/// suppressed, so no query of the feed can learn more than its rows show.
/// </summary>
internal static class StatisticsFeed
{
    public const string Base = "/statistics/odata";
    public const string Namespace = "SharingHub.Statistics";
    public const string MeasuresSet = "Measures";
    public const string DefinitionsSet = "Definitions";
    private const int MaxNodes = 100;
    private static readonly string[] QueryOptions = ["$filter", "$select", "$orderby", "$top", "$skip", "$skiptoken", "$count", "$apply", "$format"];

    public static readonly IEdmModel Model = BuildModel();

    private static IEdmModel BuildModel()
    {
        var model = new EdmModel();
        var figure = new EdmEntityType(Namespace, "Figure");
        figure.AddKeys(figure.AddStructuralProperty("Id", EdmPrimitiveTypeKind.String, isNullable: false));
        foreach (var name in new[] { "Period", "Grain" })
        {
            figure.AddStructuralProperty(name, EdmPrimitiveTypeKind.String, isNullable: false);
        }
        figure.AddStructuralProperty("PeriodStart", EdmPrimitiveTypeKind.DateTimeOffset, isNullable: false);
        figure.AddStructuralProperty("PeriodEnd", EdmPrimitiveTypeKind.DateTimeOffset, isNullable: false);
        foreach (var name in new[] { "Area", "Measure", "Unit", "Breakdown", "Category" })
        {
            figure.AddStructuralProperty(name, EdmPrimitiveTypeKind.String, isNullable: false);
        }
        figure.AddStructuralProperty("Count", EdmPrimitiveTypeKind.Int32, isNullable: true);
        figure.AddStructuralProperty("Denominator", EdmPrimitiveTypeKind.Int32, isNullable: true);
        figure.AddStructuralProperty("Percent", EdmPrimitiveTypeKind.Double, isNullable: true);
        figure.AddStructuralProperty("Median", EdmPrimitiveTypeKind.Double, isNullable: true);
        figure.AddStructuralProperty("Suppressed", EdmPrimitiveTypeKind.Boolean, isNullable: false);
        model.AddElement(figure);

        var definition = new EdmEntityType(Namespace, "MeasureDefinition");
        definition.AddKeys(definition.AddStructuralProperty("Code", EdmPrimitiveTypeKind.String, isNullable: false));
        foreach (var name in new[] { "Area", "Unit", "Definition" })
        {
            definition.AddStructuralProperty(name, EdmPrimitiveTypeKind.String, isNullable: false);
        }
        definition.AddStructuralProperty("Breakdowns", new EdmCollectionTypeReference(new EdmCollectionType(EdmCoreModel.Instance.GetString(false))));
        model.AddElement(definition);

        var container = new EdmEntityContainer(Namespace, "Statistics");
        container.AddEntitySet(MeasuresSet, figure);
        container.AddEntitySet(DefinitionsSet, definition);
        model.AddElement(container);
        return model;
    }

    public static Uri ServiceRoot(HttpContext http) => new($"{Identity.IdentityOptions.PublicBase(http)}{Base}/");

    public static string Unit(MeasureUnit unit) => unit switch { MeasureUnit.Share => "share", MeasureUnit.MedianWorkingDays => "median-working-days", _ => "count" };

    /// <summary>Answers a GET of the feed's sets; an OData error for anything it cannot answer.</summary>
    public static async Task<IResult> ReadAsync(HttpContext http, StatisticsSnapshots snapshots)
    {
        try
        {
            return await ReadCoreAsync(http, snapshots);
        }
        catch (ODataRefusal refusal)
        {
            return ODataPayload.Error(refusal);
        }
        catch (ODataUnrecognizedPathException)
        {
            return ODataPayload.Error(404, ODataErrors.NotFound, $"no such resource; the service document at {Base} lists the entity sets");
        }
        catch (ODataException e)
        {
            return ODataPayload.Error(400, ODataErrors.InvalidQuery, e.Message);
        }
        catch (UriFormatException)
        {
            return ODataPayload.Error(400, ODataErrors.InvalidQuery, "the request's path or query is not a valid URL");
        }
    }

    private static async Task<IResult> ReadCoreAsync(HttpContext http, StatisticsSnapshots snapshots)
    {
        var query = http.Request.Query;
        if (query.Keys.FirstOrDefault(k => !QueryOptions.Contains(k)) is { } unknown)
        {
            throw ODataRefusal.NotSupported($"the query option '{new string(unknown.Take(40).Where(c => !char.IsControl(c)).ToArray())}' is not supported; use {string.Join(", ", QueryOptions)}");
        }
        if (query["$format"].FirstOrDefault() is { } format && format is not ("json" or "application/json"))
        {
            throw ODataRefusal.NotSupported("the only format is json");
        }
        if (http.Request.QueryString.Value?.Length > 4_096 || query.Any(q => q.Value.Count > 1))
        {
            throw new ODataRefusal(400, ODataErrors.TooComplex, "the query string is longer than 4,096 characters or repeats an option; simplify it");
        }
        var root = ServiceRoot(http);
        var relative = http.Request.GetEncodedPathAndQuery()[(http.Request.PathBase.Value?.Length ?? 0)..][(Base.Length + 1)..];
        var parser = new ODataUriParser(Model, root, new Uri(root, "./" + relative));
        var segments = parser.ParsePath().ToList();
        if (segments.FirstOrDefault() is not EntitySetSegment set || segments.Count > 2 || (segments.Count == 2 && segments[1] is not CountSegment))
        {
            throw ODataRefusal.NotSupported($"address {MeasuresSet} or {DefinitionsSet}, or their $count");
        }
        var countOnly = segments.Count == 2;
        var snapshot = await snapshots.GetAsync(SkipToken(query["$skiptoken"].FirstOrDefault()).Snapshot, http.RequestAborted);
        var audit = http.RequestServices.GetRequiredService<Audit.AuditScope>();
        if (set.EntitySet.Name == DefinitionsSet)
        {
            if (query.Keys.Any(k => k != "$format"))
            {
                throw ODataRefusal.NotSupported($"{DefinitionsSet} is read whole (there are {Measures.All.Count})");
            }
            audit.Count = Measures.All.Count;
            return await ODataPayload.WriteAsync(Model, root, null, async writer =>
            {
                var w = await writer.CreateODataResourceSetWriterAsync(set.EntitySet, set.EntitySet.EntityType);
                await w.WriteStartAsync(new ODataResourceSet());
                foreach (var m in Measures.All)
                {
                    await w.WriteStartAsync(new ODataResource
                    {
                        TypeName = $"{Namespace}.MeasureDefinition",
                        Properties =
                        [
                            new ODataProperty { Name = "Code", Value = m.Code }, new ODataProperty { Name = "Area", Value = m.Area },
                            new ODataProperty { Name = "Unit", Value = Unit(m.Unit) }, new ODataProperty { Name = "Definition", Value = m.Definition },
                            new ODataProperty { Name = "Breakdowns", Value = new ODataCollectionValue { TypeName = "Collection(Edm.String)", Items = m.Breakdowns.Cast<object>().ToList() } },
                        ],
                    });
                    await w.WriteEndAsync();
                }
                await w.WriteEndAsync();
                await w.FlushAsync();
            });
        }

        IEnumerable<FeedRow> rows = snapshot.Rows;
        if (parser.ParseApply() is { } apply)
        {
            if (query.ContainsKey("$filter") || query.ContainsKey("$orderby") || query.ContainsKey("$select") || query.ContainsKey("$skiptoken") || countOnly)
            {
                throw ODataRefusal.NotSupported("with $apply, filter inside it (filter(...)/groupby(...)); $filter, $orderby, $select and paging apply to the figures themselves");
            }
            var groups = Apply(apply, rows);
            audit.Count = groups.Count;
            return Aggregated(root, groups);
        }
        if (parser.ParseFilter() is { } filter)
        {
            var evaluator = new FeedFilter();
            var predicate = filter.Expression;
            rows = rows.Where(r => evaluator.Matches(predicate, r));
        }
        if (parser.ParseOrderBy() is { } order)
        {
            rows = Order(rows, order);
        }
        var matched = rows.ToList();
        if (countOnly)
        {
            audit.Count = 1;
            return ODataPayload.Count(matched.Count);
        }
        var skip = (int)Math.Min(parser.ParseSkip() ?? 0, int.MaxValue);
        var top = parser.ParseTop() is { } t ? (int)Math.Min(t, int.MaxValue) : int.MaxValue;
        var (_, offset) = SkipToken(query["$skiptoken"].FirstOrDefault());
        var start = skip + offset;
        var end = top == int.MaxValue ? matched.Count : Math.Min(matched.Count, skip + top);
        var pageSize = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<StatisticsOptions>>().Value.PageSize;
        var page = matched.Skip(start).Take(Math.Max(0, Math.Min(pageSize, end - start))).ToList();
        Uri? next = start + page.Count < end ? NextLink(http, root, snapshot.Id, offset + page.Count) : null;
        var select = parser.ParseSelectAndExpand();
        var selected = Selected(select);
        audit.Count = page.Count;
        return await ODataPayload.WriteAsync(Model, root, select, async writer =>
        {
            var w = await writer.CreateODataResourceSetWriterAsync(set.EntitySet, set.EntitySet.EntityType);
            await w.WriteStartAsync(new ODataResourceSet { Count = parser.ParseCount() == true ? end - Math.Min(skip, end) : null, NextPageLink = next });
            foreach (var row in page)
            {
                await w.WriteStartAsync(new ODataResource
                {
                    TypeName = $"{Namespace}.Figure",
                    Properties = selected.Select(p => new ODataProperty { Name = p, Value = row[p] }).ToList(),
                });
                await w.WriteEndAsync();
            }
            await w.WriteEndAsync();
            await w.FlushAsync();
        });
    }

    private static readonly string[] FigureProperties =
        ["Id", "Period", "Grain", "PeriodStart", "PeriodEnd", "Area", "Measure", "Unit", "Breakdown", "Category", "Count", "Denominator", "Percent", "Median", "Suppressed"];

    private static List<string> Selected(SelectExpandClause? select)
    {
        if (select is null || select.AllSelected)
        {
            return [.. FigureProperties];
        }
        var named = select.SelectedItems.OfType<PathSelectItem>().Select(i => i.SelectedPath.LastSegment).OfType<PropertySegment>().Select(s => s.Property.Name).ToHashSet();
        return FigureProperties.Where(named.Contains).ToList();
    }

    /// <summary>The snapshot and offset a $skiptoken carries ("snapshot-offset"); none: the latest snapshot, from the start.</summary>
    private static (string? Snapshot, int Offset) SkipToken(string? token)
    {
        if (token is null)
        {
            return (null, 0);
        }
        var dash = token.LastIndexOf('-');
        return dash > 0 && int.TryParse(token.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? (token[..dash], offset)
            : throw ODataRefusal.Invalid("$skiptoken is the one an @odata.nextLink gave; send that link as it is");
    }

    private static Uri NextLink(HttpContext http, Uri root, string snapshot, int offset)
    {
        var query = http.Request.Query.Where(q => q.Key != "$skiptoken")
            .Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}")
            .Append($"$skiptoken={Uri.EscapeDataString($"{snapshot}-{offset}")}");
        return new Uri(root, $"{MeasuresSet}?{string.Join('&', query)}");
    }

    private static IEnumerable<FeedRow> Order(IEnumerable<FeedRow> rows, OrderByClause clause)
    {
        IOrderedEnumerable<FeedRow>? ordered = null;
        for (var item = clause; item is not null; item = item.ThenBy)
        {
            var name = Property(item.Expression);
            var descending = item.Direction == OrderByDirection.Descending;
            ordered = ordered is null
                ? (descending ? rows.OrderByDescending(r => r[name], FeedValues.Comparer) : rows.OrderBy(r => r[name], FeedValues.Comparer))
                : (descending ? ordered.ThenByDescending(r => r[name], FeedValues.Comparer) : ordered.ThenBy(r => r[name], FeedValues.Comparer));
        }
        return ordered?.ThenBy(r => r.Id, StringComparer.Ordinal) ?? rows;
    }

    private static string Property(SingleValueNode node) => node switch
    {
        SingleValuePropertyAccessNode p => p.Property.Name,
        ConvertNode c => Property(c.Source),
        _ => throw ODataRefusal.NotSupported("order and group by the figures' own properties"),
    };

    /// <summary>$apply over the published figures: filters, then one groupby (with an aggregate) or one aggregate.</summary>
    private static List<Dictionary<string, object?>> Apply(ApplyClause apply, IEnumerable<FeedRow> rows)
    {
        var transformations = apply.Transformations.ToList();
        var filter = new FeedFilter();
        var i = 0;
        for (; i < transformations.Count && transformations[i] is FilterTransformationNode f; i++)
        {
            var predicate = f.FilterClause.Expression;
            rows = rows.Where(r => filter.Matches(predicate, r)).ToList();
        }
        var rest = transformations.Skip(i).ToList();
        switch (rest)
        {
            case []:
                return rows.Select(r => FigureProperties.ToDictionary(p => p, p => r[p])).ToList();
            case [GroupByTransformationNode groupBy]:
            {
                var keys = groupBy.GroupingProperties.Select(g => g.Expression is null
                    ? throw ODataRefusal.NotSupported("group by the figures' own properties (Measure, Period, Breakdown, Category ...)")
                    : Property(g.Expression)).ToList();
                var aggregate = groupBy.ChildTransformations switch
                {
                    null => null,
                    AggregateTransformationNode a => a,
                    _ => throw ODataRefusal.NotSupported("groupby takes an aggregate(...) as its second argument"),
                };
                return rows.GroupBy(r => string.Join('\u001f', keys.Select(k => Convert.ToString(r[k], CultureInfo.InvariantCulture))))
                    .Select(g =>
                    {
                        var result = keys.ToDictionary(k => k, k => g.First()[k]);
                        foreach (var (alias, value) in aggregate is null ? [] : Aggregates(aggregate, g.ToList()))
                        {
                            result[alias] = value;
                        }
                        return result;
                    })
                    .OrderBy(d => string.Join('\u001f', keys.Select(k => Convert.ToString(d[k], CultureInfo.InvariantCulture))), StringComparer.Ordinal).ToList();
            }
            case [AggregateTransformationNode aggregate]:
                return [Aggregates(aggregate, rows.ToList()).ToDictionary(a => a.Alias, a => a.Value)];
            default:
                throw ODataRefusal.NotSupported("$apply takes filter(...) steps followed by one groupby(...) or aggregate(...)");
        }
    }

    private static IEnumerable<(string Alias, object? Value)> Aggregates(AggregateTransformationNode node, List<FeedRow> rows)
    {
        foreach (var expression in node.AggregateExpressions)
        {
            if (expression is not AggregateExpression aggregate)
            {
                throw ODataRefusal.NotSupported("aggregate the figures' own properties");
            }
            if (aggregate.Method == AggregationMethod.VirtualPropertyCount)
            {
                yield return (aggregate.Alias, rows.Count);
                continue;
            }
            var name = Property(aggregate.Expression);
            var values = rows.Select(r => r[name]).Where(v => v is not null).ToList();
            yield return (aggregate.Alias, aggregate.Method switch
            {
                AggregationMethod.CountDistinct => values.Distinct().Count(),
                AggregationMethod.Min => values.Min(FeedValues.Comparer),
                AggregationMethod.Max => values.Max(FeedValues.Comparer),
                AggregationMethod.Sum when values.All(v => v is int) => values.Sum(v => (long)(int)v!),
                AggregationMethod.Sum when values.All(FeedValues.IsNumber) => values.Sum(FeedValues.ToDouble),
                AggregationMethod.Average when values.All(FeedValues.IsNumber) => values.Count == 0 ? null : values.Average(FeedValues.ToDouble),
                _ => throw ODataRefusal.NotSupported($"{aggregate.Method} of {name} is not supported: sum and average take numbers (Count, Denominator, Percent, Median)"),
            });
        }
    }

    /// <summary>The result of $apply: OData JSON with a context URL naming the properties each result has.</summary>
    private static ODataBody Aggregated(Uri root, List<Dictionary<string, object?>> results)
    {
        var properties = results.FirstOrDefault()?.Keys.ToList() ?? [];
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("@odata.context", $"{root}$metadata#{MeasuresSet}({string.Join(',', properties)})");
            json.WriteStartArray("value");
            foreach (var result in results)
            {
                json.WriteStartObject();
                json.WriteNull("@odata.id");
                foreach (var (name, value) in result)
                {
                    json.WritePropertyName(name);
                    JsonSerializer.Serialize(json, value);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return new ODataBody(stream.ToArray(), "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8", StatusCodes.Status200OK, null);
    }

    /// <summary>Evaluates a parsed $filter against one figure: comparisons, and, or, not, in, and the string functions.</summary>
    private sealed class FeedFilter
    {
        private int _nodes;

        public bool Matches(SingleValueNode node, FeedRow row)
        {
            _nodes = 0;
            return Evaluate(node, row) is true;
        }

        private object? Evaluate(SingleValueNode node, FeedRow row)
        {
            if (++_nodes > MaxNodes)
            {
                throw new ODataRefusal(400, ODataErrors.TooComplex, $"the filter has more than {MaxNodes} terms; simplify it");
            }
            switch (node)
            {
                case ConstantNode c:
                    return c.Value is ODataEnumValue e ? e.Value : c.Value;
                case ConvertNode c:
                    return Evaluate(c.Source, row);
                case SingleValuePropertyAccessNode p:
                    return row[p.Property.Name];
                case UnaryOperatorNode { OperatorKind: UnaryOperatorKind.Not } u:
                    return Evaluate(u.Operand, row) is bool operand ? !operand : null;
                case BinaryOperatorNode b when b.OperatorKind is BinaryOperatorKind.And or BinaryOperatorKind.Or:
                {
                    var left = Evaluate(b.Left, row) is true;
                    return b.OperatorKind == BinaryOperatorKind.And ? left && Evaluate(b.Right, row) is true : left || Evaluate(b.Right, row) is true;
                }
                case BinaryOperatorNode b:
                    return Compare(b.OperatorKind, Evaluate(b.Left, row), Evaluate(b.Right, row));
                case InNode { Right: CollectionConstantNode list } i:
                {
                    var value = Evaluate(i.Left, row);
                    return list.Collection.Any(item => FeedValues.Comparer.Compare(value, item.Value) == 0 && (value is null) == (item.Value is null));
                }
                case SingleValueFunctionCallNode f when f.Name is "contains" or "startswith" or "endswith" or "tolower" or "toupper":
                {
                    var args = f.Parameters.Cast<SingleValueNode>().Select(a => Evaluate(a, row)).ToList();
                    if (args.Any(a => a is not (string or null)))
                    {
                        throw ODataRefusal.NotSupported($"{f.Name} takes text");
                    }
                    var text = args.Cast<string?>().ToList();
                    return f.Name switch
                    {
                        "tolower" => text[0]?.ToLowerInvariant(),
                        "toupper" => text[0]?.ToUpperInvariant(),
                        _ when text.Any(t => t is null) => false,
                        "contains" => text[0]!.Contains(text[1]!, StringComparison.Ordinal),
                        "startswith" => text[0]!.StartsWith(text[1]!, StringComparison.Ordinal),
                        _ => text[0]!.EndsWith(text[1]!, StringComparison.Ordinal),
                    };
                }
                default:
                    throw ODataRefusal.NotSupported("the feed's $filter takes comparisons (eq, ne, gt, ge, lt, le), and, or, not, in, contains, startswith, endswith, tolower and toupper");
            }
        }

        private static bool? Compare(BinaryOperatorKind kind, object? left, object? right)
        {
            if (kind is not (BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual
                or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual))
            {
                throw ODataRefusal.NotSupported("the feed's $filter compares; it does no arithmetic");
            }
            if (kind is BinaryOperatorKind.Equal or BinaryOperatorKind.NotEqual)
            {
                var equal = left is null || right is null ? left is null && right is null : FeedValues.Comparer.Compare(left, right) == 0;
                return kind == BinaryOperatorKind.Equal ? equal : !equal;
            }
            if (left is null || right is null)
            {
                return false;
            }
            var order = FeedValues.Comparer.Compare(left, right);
            return kind switch
            {
                BinaryOperatorKind.GreaterThan => order > 0,
                BinaryOperatorKind.GreaterThanOrEqual => order >= 0,
                BinaryOperatorKind.LessThan => order < 0,
                _ => order <= 0,
            };
        }
    }
}

/// <summary>Comparison of the feed's values as OData compares them: numbers as numbers, text ordinally, moments in time.</summary>
internal static class FeedValues
{
    public static bool IsNumber(object? value) => value is int or long or double or decimal or float or short or byte;

    public static double ToDouble(object? value) => Convert.ToDouble(value, CultureInfo.InvariantCulture);

    public static readonly IComparer<object?> Comparer = Comparer<object?>.Create((a, b) => (a, b) switch
    {
        (null, null) => 0,
        (null, _) => -1,
        (_, null) => 1,
        _ when IsNumber(a) && IsNumber(b) => ToDouble(a).CompareTo(ToDouble(b)),
        (string x, string y) => string.CompareOrdinal(x, y),
        (bool x, bool y) => x.CompareTo(y),
        (DateTimeOffset x, DateTimeOffset y) => x.CompareTo(y),
        _ => throw ODataRefusal.Invalid($"a {a.GetType().Name} cannot be compared with a {b.GetType().Name}"),
    });
}
