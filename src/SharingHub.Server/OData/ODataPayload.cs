using System.Text;
using System.Text.Json;
using Microsoft.OData;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;

namespace SharingHub.Server.OData;

/// <summary>One entity as it is written: its properties, ETag, what was withheld or unavailable, and any expanded navigations.</summary>
internal sealed record ODataEntity(
    ODataSet Set,
    IReadOnlyList<ODataProperty> Properties,
    string? ETag,
    IReadOnlyList<string> Withheld,
    IReadOnlyList<string> Unavailable,
    IReadOnlyList<(ODataNavigation Navigation, IReadOnlyList<ODataEntity> Targets)> Expanded)
{
    /// <summary>The record's parts shown with it (complex collections), written after its own properties.</summary>
    public IReadOnlyList<ODataParts> Parts { get; init; } = [];

    /// <summary>Alerts a write raised (a child's state and whom to contact), as the SharingHub.alerts annotation.</summary>
    public IReadOnlyList<string> Alerts { get; init; } = [];
}

/// <summary>
/// Writes OData JSON with the library's own payload writers (context URL, count, next link, ETags) and
/// errors in the OData JSON error format. Bodies are written to memory first: the audit entry is
/// committed before any byte leaves.
/// </summary>
internal static class ODataPayload
{
    public const string Withheld = ODataModel.Namespace + ".withheld";
    public const string Unavailable = ODataModel.Namespace + ".unavailable";
    public const string Alerts = ODataModel.Namespace + ".alerts";

    public static async Task<IResult> CollectionAsync(IEdmModel model, Uri serviceRoot, ODataSet set, SelectExpandClause? selectExpand,
        IEnumerable<ODataEntity> entities, long? count, Uri? next)
    {
        return await WriteAsync(model, serviceRoot, selectExpand, async writer =>
        {
            var w = await writer.CreateODataResourceSetWriterAsync(set.EdmSet, set.Type);
            await w.WriteStartAsync(new ODataResourceSet { Count = count, NextPageLink = next });
            foreach (var entity in entities)
            {
                await EntityAsync(w, entity);
            }
            await w.WriteEndAsync();
            await w.FlushAsync();
        });
    }

    public static async Task<IResult> SingleAsync(IEdmModel model, Uri serviceRoot, ODataSet set, SelectExpandClause? selectExpand, ODataEntity entity) =>
        await WriteAsync(model, serviceRoot, selectExpand, async writer =>
        {
            var w = await writer.CreateODataResourceWriterAsync(set.EdmSet, set.Type);
            await EntityAsync(w, entity);
            await w.FlushAsync();
        }, entity.ETag);

    /// <summary>201 for a created entity: its key and record metadata (the writer knows the rest, having sent it).</summary>
    public static async Task<IResult> CreatedAsync(IEdmModel model, Uri serviceRoot, ODataSet set, IReadOnlyList<ODataProperty> properties, string etag,
        IReadOnlyList<string>? alerts = null) =>
        await WriteAsync(model, serviceRoot, null, async writer =>
        {
            var w = await writer.CreateODataResourceWriterAsync(set.EdmSet, set.Type);
            await EntityAsync(w, new ODataEntity(set, properties, etag, [], [], []) { Alerts = alerts ?? [] });
            await w.FlushAsync();
        }, etag, StatusCodes.Status201Created);

    public static async Task<IResult> ServiceDocumentAsync(IEdmModel model, Uri serviceRoot) =>
        await WriteAsync(model, serviceRoot, null, writer => writer.WriteServiceDocumentAsync(model.GenerateServiceDocument()));

    public static IResult Count(long count) => new ODataBody(Encoding.UTF8.GetBytes(count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        "text/plain; charset=utf-8", StatusCodes.Status200OK, null);

    public static IResult Error(int status, string code, string message, string? target = null)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { error = new { code, message, target } }, ErrorJson);
        return new ODataBody(body, "application/json; charset=utf-8", status, null);
    }

    private static readonly JsonSerializerOptions ErrorJson = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        // Served as application/json only, never inside HTML: quotes in a message need no escaping.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IResult Error(ODataRefusal refusal) => Error(refusal.Status, refusal.Code, refusal.Message, refusal.Target);

    private static async Task EntityAsync(ODataWriter w, ODataEntity entity)
    {
        var resource = new ODataResource { TypeName = entity.Set.Type.FullName(), Properties = entity.Properties, ETag = entity.ETag };
        if (entity.Withheld.Count > 0)
        {
            resource.InstanceAnnotations.Add(new ODataInstanceAnnotation(Withheld, Strings(entity.Withheld)));
        }
        if (entity.Unavailable.Count > 0)
        {
            resource.InstanceAnnotations.Add(new ODataInstanceAnnotation(Unavailable, Strings(entity.Unavailable)));
        }
        if (entity.Alerts.Count > 0)
        {
            resource.InstanceAnnotations.Add(new ODataInstanceAnnotation(Alerts, Strings(entity.Alerts)));
        }
        await w.WriteStartAsync(resource);
        foreach (var parts in entity.Parts)
        {
            await PartsAsync(w, parts);
        }
        foreach (var (navigation, targets) in entity.Expanded)
        {
            await w.WriteStartAsync(new ODataNestedResourceInfo { Name = navigation.Name, IsCollection = navigation.Many });
            if (navigation.Many)
            {
                await w.WriteStartAsync(new ODataResourceSet());
                foreach (var target in targets)
                {
                    await EntityAsync(w, target);
                }
                await w.WriteEndAsync();
            }
            else if (targets.Count == 1)
            {
                await EntityAsync(w, targets[0]);
            }
            else
            {
                await w.WriteStartAsync((ODataResource?)null);
                await w.WriteEndAsync();
            }
            await w.WriteEndAsync();
        }
        await w.WriteEndAsync();
    }

    private static async Task PartsAsync(ODataWriter w, ODataParts parts)
    {
        await w.WriteStartAsync(new ODataNestedResourceInfo { Name = parts.Name, IsCollection = true });
        await w.WriteStartAsync(new ODataResourceSet { TypeName = $"Collection({parts.ItemType})" });
        foreach (var part in parts.Items)
        {
            await w.WriteStartAsync(new ODataResource { TypeName = part.TypeName, Properties = part.Properties });
            foreach (var nested in part.Nested)
            {
                await PartsAsync(w, nested);
            }
            await w.WriteEndAsync();
        }
        await w.WriteEndAsync();
        await w.WriteEndAsync();
    }

    private static ODataCollectionValue Strings(IEnumerable<string> values) =>
        new() { TypeName = "Collection(Edm.String)", Items = values.Distinct().Cast<object>().ToList() };

    internal static async Task<IResult> WriteAsync(IEdmModel model, Uri serviceRoot, SelectExpandClause? selectExpand, Func<ODataMessageWriter, Task> write, string? etag = null,
        int status = StatusCodes.Status200OK)
    {
        var stream = new MemoryStream();
        var message = new ResponseMessage(stream);
        // The writer includes the instance annotations the response's Preference-Applied names: the hub's own always.
        message.SetHeader("Preference-Applied", $"odata.include-annotations=\"{ODataModel.Namespace}.*\"");
        var settings = new ODataMessageWriterSettings
        {
            BaseUri = serviceRoot,
            Version = ODataVersion.V4,
            EnableMessageStreamDisposal = false,
            ODataUri = new ODataUri { ServiceRoot = serviceRoot, SelectAndExpand = selectExpand },
        };
        settings.SetContentType(ODataFormat.Json);
        using (Core.Telemetry.HubDiagnostics.Source.StartActivity("response.write"))
        using (var writer = new ODataMessageWriter((IODataResponseMessageAsync)message, settings, model))
        {
            await write(writer);
        }
        return new ODataBody(stream.ToArray(), message.GetHeader("Content-Type") ?? "application/json", status, etag);
    }

    private sealed class ResponseMessage(Stream stream) : IODataResponseMessageAsync
    {
        private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

        public IEnumerable<KeyValuePair<string, string>> Headers => _headers;

        public int StatusCode { get; set; } = 200;

        public string? GetHeader(string headerName) => _headers.TryGetValue(headerName, out var value) ? value : null;

        public void SetHeader(string headerName, string headerValue) => _headers[headerName] = headerValue;

        public Stream GetStream() => stream;

        public Task<Stream> GetStreamAsync() => Task.FromResult(stream);
    }
}

/// <summary>A finished OData body with its status, so the audit filter sees the outcome before anything is sent.</summary>
internal sealed class ODataBody(byte[] body, string contentType, int status, string? etag) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => status;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.Headers["OData-Version"] = "4.0";
        if (etag is not null)
        {
            response.Headers.ETag = etag;
        }
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, httpContext.RequestAborted);
    }
}
