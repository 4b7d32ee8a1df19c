using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;
using SharingHub.Server.Audit;

namespace SharingHub.Server.OData;

/// <summary>A navigation to expand, the set it leads to and the properties selected there.</summary>
internal sealed record ODataExpand(ODataNavigation Navigation, ODataSet Target, IReadOnlyList<ODataField> Selected);

/// <summary>What a query asks to see and how much: $select/$expand, $top/$skip, the page size and the next link; shared by the record and audit reads.</summary>
internal static class ODataQueryShape
{
    /// <summary>The properties to write ($select, the key always) and the navigations to expand, with their own $select and nothing else.</summary>
    public static (IReadOnlyList<ODataField> Selected, IReadOnlyList<ODataExpand> Expanded) Shape(ODataModel model, ODataSet set, SelectExpandClause? clause)
    {
        var expanded = new List<ODataExpand>();
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
                    expanded.Add(new ODataExpand(navigation, target, Shape(model, target, expand.SelectAndExpand).Selected));
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

    public static (long? Top, long Skip) Paging(ODataUriParser parser, ODataOptions o)
    {
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
    public static int PageSize(HttpContext http, ODataOptions o)
    {
        var max = o.MaxPageSize;
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

    public static Uri NextLink(HttpContext http, Uri root, long skip, long? top, string? skipToken = null)
    {
        var kept = http.Request.Query.Where(q => q.Key is not ("$skip" or "$top" or "$skiptoken"))
            .SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"))
            .Append(skipToken is null ? $"$skip={skip}" : $"$skiptoken={Uri.EscapeDataString(skipToken)}");
        if (top is { } t)
        {
            kept = kept.Append($"$top={t}");
        }
        var path = http.Request.Path.Value![(ODataEndpoints.Base.Length + 1)..];
        return new Uri(root, $"{path}?{string.Join('&', kept)}");
    }

    public static ODataRefusal PurposeRefusal(PurposeProblem problem)
    {
        return new ODataRefusal(400, ODataErrors.ForHubCode(problem.Code), problem.Message);
    }
}
