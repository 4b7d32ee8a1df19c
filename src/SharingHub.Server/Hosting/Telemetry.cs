using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SharingHub.Core.Telemetry;

namespace SharingHub.Server.Hosting;

/// <summary>
/// Traces and metrics through OpenTelemetry, exported over OTLP when <c>SharingHub:Telemetry:OtlpEndpoint</c> is set
/// (or collected without export when <c>SharingHub:Telemetry:Enabled</c> is true). Spans: each request (by route
/// template), PostgreSQL commands, partner calls, linkage, the audit commit. Metrics: request rates and durations,
/// policy decisions by effect and purpose, audit commit time and queue depth. A request's path and query are
/// dropped from its span (they hold record ids, names, dates of birth and identifiers); so is a partner call's
/// query; the route template stays. Nothing else in a span comes from a record or a token.
/// </summary>
internal static class Telemetry
{
    public const string Section = "SharingHub:Telemetry";

    public static IServiceCollection AddSharingHubTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var endpoint = configuration[$"{Section}:OtlpEndpoint"];
        if (string.IsNullOrWhiteSpace(endpoint) && !configuration.GetValue<bool>($"{Section}:Enabled"))
        {
            return services;
        }
        var otlp = string.IsNullOrWhiteSpace(endpoint) ? null : new Uri(endpoint, UriKind.Absolute);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("sharinghub"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(HubDiagnostics.Name, "Npgsql")
                    .AddAspNetCoreInstrumentation(o =>
                    {
                        o.RecordException = false;
                        o.Filter = http => !http.Request.Path.StartsWithSegments("/health");
                        o.EnrichWithHttpRequest = (activity, _) => Scrub(activity);
                        o.EnrichWithHttpResponse = (activity, _) => Scrub(activity);
                    })
                    .AddHttpClientInstrumentation(o =>
                    {
                        o.RecordException = false;
                        o.EnrichWithHttpRequestMessage = (activity, request) => activity.SetTag("url.full", request.RequestUri?.GetLeftPart(UriPartial.Path));
                    });
                if (otlp is not null)
                {
                    tracing.AddOtlpExporter(o => o.Endpoint = otlp);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(HubDiagnostics.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(o => o.Endpoint = otlp);
                }
            });
        return services;
    }

    /// <summary>The request's path and query name records and people; the span keeps the route template (http.route) instead.</summary>
    private static void Scrub(System.Diagnostics.Activity activity)
    {
        activity.SetTag("url.path", null);
        activity.SetTag("url.query", null);
        activity.SetTag("url.full", null);
    }
}
