namespace SharingHub.Server.Hosting;

/// <summary>
/// Headers on every response: nothing the hub sends is cached by a browser or proxy (records about children,
/// tokens and audit entries alike), sniffed into another type, framed by another site, or leaked through a
/// Referer. Pages run no script; their styles are inline.
/// </summary>
internal static class SecurityHeaders
{
    /// <summary>
    /// X-Forwarded-For and -Proto are honoured only from the proxies the operator names
    /// (<c>SharingHub:Hosting:TrustedProxies</c>, IP addresses): anyone else could make the audit record a
    /// client address of their choosing, or make the hub believe a plain-HTTP request arrived over TLS.
    /// None by default, not even loopback.
    /// </summary>
    public static WebApplication UseSharingHubForwardedHeaders(this WebApplication app)
    {
        var proxies = app.Configuration.GetSection("SharingHub:Hosting:TrustedProxies").Get<string[]>() ?? [];
        if (proxies.Length == 0)
        {
            return app;
        }
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto,
            ForwardLimit = 1,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
        {
            options.KnownProxies.Add(System.Net.IPAddress.TryParse(proxy, out var address)
                ? address
                : throw new Core.StartRefusedException($"SharingHub:Hosting:TrustedProxies: '{proxy}' is not an IP address"));
        }
        app.UseForwardedHeaders(options);
        return app;
    }

    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static WebApplication UseSharingHubSecurityHeaders(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XFrameOptions = "DENY";
                if (!headers.ContainsKey("Cache-Control"))
                {
                    headers.CacheControl = "no-store";
                    headers.Pragma = "no-cache";
                }
                return Task.CompletedTask;
            });
            return next(http);
        });
        return app;
    }
}

/// <summary>
/// Workflow bodies (enquiries, meetings, information requests and answers, brokered queries) are held to the
/// same 1 MiB as a FHIR write: refused at once when the declared length is larger, and cut off by the server
/// when a body without one grows past it. FHIR and OData read their bodies through their own bounded reader.
/// </summary>
internal static class WorkflowBodyLimit
{
    public const long MaxBytes = BoundedBody.MaxBytes;
    private static readonly string[] Prefixes = ["/enquiries", "/information-requests", "/mais"];

    public static WebApplication UseSharingHubWorkflowBodyLimit(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (HttpMethods.IsGet(http.Request.Method) || !Prefixes.Any(p => http.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
            {
                await next(http);
                return;
            }
            if (http.Request.ContentLength > MaxBytes)
            {
                http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await http.Response.WriteAsJsonAsync(new { title = "Request body too large", status = 413, detail = $"the body is larger than the {MaxBytes} bytes accepted" },
                    (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
                return;
            }
            if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxBytes;
            }
            await next(http);
        });
        return app;
    }
}
