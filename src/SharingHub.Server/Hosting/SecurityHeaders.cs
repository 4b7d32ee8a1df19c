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
                : throw new InvalidOperationException($"SharingHub:Hosting:TrustedProxies: '{proxy}' is not an IP address"));
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
