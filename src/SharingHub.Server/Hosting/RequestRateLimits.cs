using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Hosting;

/// <summary>
/// Rate limits on every request: one fixed window a minute per person, per partner system and (for callers
/// without a valid token) per client address, and the token endpoint's own per-address window; on PostgreSQL the
/// counts are shared by every hub node (<see cref="SharedRateCounters"/>). A refused
/// request gets 429 with Retry-After in the API's own error format (FHIR OperationOutcome, OData error,
/// RFC 6749 error, problem+json). It never reached an endpoint, so it is logged, not audited.
/// </summary>
internal static class RequestRateLimits
{
    public static IServiceCollection AddSharingHubRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => new[] { o.PersonRequestsPerMinute, o.SystemRequestsPerMinute, o.AnonymousRequestsPerMinute }.All(n => n is >= 0 and <= 1_000_000),
                $"{RateLimitOptions.Section}: each limit is 0 (no limit) to 1000000 a minute")
            .Validate(o => o.RejectionDelayMilliseconds is >= 0 and <= 10_000, $"{RateLimitOptions.Section}:RejectionDelayMilliseconds is 0 to 10000")
            .ValidateOnStart();
        services.AddSingleton<SharedRateCounters>();
        services.AddHostedService(sp => sp.GetRequiredService<SharedRateCounters>());
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectAsync;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                if (http.Request.Path.StartsWithSegments("/token"))
                {
                    // The token endpoint has its own window (TokenRequestsPerMinute), set apart from other anonymous traffic.
                    return RateLimitPartition.GetNoLimiter("token");
                }
                var (key, perMinute) = http.FindHubPrincipal() is { } who
                    ? (who.ClientId is not null ? $"system:{who.Agency}:{who.ClientId}" : $"person:{who.Agency}:{who.Subject}",
                        who.ClientId is not null ? limits.SystemRequestsPerMinute : limits.PersonRequestsPerMinute)
                    : ("address:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown"), limits.AnonymousRequestsPerMinute);
                return PerMinute(http, key, perMinute);
            });
            limiter.AddPolicy(TokenRateLimit.Policy, http => PerMinute(http,
                "token:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown"),
                http.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value.TokenRequestsPerMinute));
        });
        return services;
    }

    /// <summary>A fixed one-minute window per caller, its counts shared by every hub node on the database (<see cref="SharedRateCounters"/>).</summary>
    private static RateLimitPartition<string> PerMinute(HttpContext http, string key, int perMinute) => perMinute <= 0
        ? RateLimitPartition.GetNoLimiter(key)
        : RateLimitPartition.Get(key, k => new SharedWindowLimiter(http.RequestServices.GetRequiredService<SharedRateCounters>(), k, perMinute,
            http.RequestServices.GetRequiredService<TimeProvider>()));

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        // A refusal is held back a moment before it is sent (a tarpit): a client that floods by waiting for each answer
        // before its next request is slowed to its number of connections a second, which costs the hub a timer, not a core.
        // Measured by the flood benchmark (README, Reliability).
        var delay = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.RejectionDelayMilliseconds;
        if (delay > 0)
        {
            try
            {
                await Task.Delay(delay, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? (int)Math.Ceiling(after.TotalSeconds) : 60;
        http.Response.Headers.RetryAfter = Math.Max(1, retry).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var path = http.Request.Path;
        var message = $"too many requests; try again in {Math.Max(1, retry)} s";
        if (path.StartsWithSegments("/token"))
        {
            await http.Response.WriteAsJsonAsync(new OAuthError("slow_down", "too many token requests from this address; try again in a minute"), ct);
        }
        else
        {
            await ApiErrors.For(http, new ApiError(StatusCodes.Status429TooManyRequests, "throttled", "Too many requests", message)).ExecuteAsync(http);
        }
    }
}
