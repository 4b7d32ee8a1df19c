using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SharingHub.Data.Storage;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Health;

internal static class HealthEndpoints
{
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        // Ready: started, database reachable and seeded, storage not full (a load balancer's and Kubernetes' readiness probe).
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteAsync }).AllowAnonymous();
        // Alive: the process answers, whatever the database does (a liveness probe: restarting every node because the
        // database is down would only add to an outage).
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous();
        return app;
    }

    /// <summary>In a check's data: what it checks is not configured on this hub, so /health does not list it.</summary>
    public const string NotConfigured = "not-configured";

    /// <summary>Status per check and the engine in use; no connection strings, paths or exception text.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var engine = context.RequestServices.GetRequiredService<IHubDbContextFactory>().Engine;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            engine = engine.ToString().ToLowerInvariant(),
            // A check of something not configured here (no replica) is left out rather than shown healthy.
            checks = report.Entries.Where(e => !e.Value.Data.ContainsKey(NotConfigured))
                .ToDictionary(e => e.Key, e => e.Value.Status.ToString().ToLowerInvariant()),
        }));
    }
}

internal sealed class StartupHealthCheck(StartupState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsReady ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("starting"));
}

internal sealed class DatabaseHealthCheck(IHubDbContextFactory contexts, ILogger<DatabaseHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = contexts.Create();
            // Reads the seeded agencies: proves the schema is there, not just that a connection opens.
            return await db.Agencies.AnyAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("schema not seeded");
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            logger.LogWarning("Database health check failed: {ErrorType}", e.GetType().Name);
            return HealthCheckResult.Unhealthy("database unavailable");
        }
    }
}

/// <summary>
/// The database's storage: unhealthy while commits are failing because it is full (either engine) or when the SQLite file's
/// filesystem has under a mebibyte left; degraded under 64 MiB, so an operator hears before the hub refuses work.
/// </summary>
internal sealed class StorageHealthCheck(StorageHealth storage) : IHealthCheck
{
    private const long Full = 1L << 20;
    private const long NearlyFull = 64L << 20;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(storage.IsFullNow || storage.FreeBytes() < Full ? HealthCheckResult.Unhealthy("storage full")
            : storage.FreeBytes() < NearlyFull ? HealthCheckResult.Degraded("storage nearly full")
            : HealthCheckResult.Healthy());
}

/// <summary>
/// The read replica, when one is configured: healthy while lag-tolerant reads go to it; degraded (the node still ready:
/// those reads go to the primary) while it is unreachable, not a standby, or further behind than the stated lag.
/// </summary>
internal sealed class ReplicaHealthCheck(Data.Cluster.LagTolerantReads reads) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = reads.State;
        if (!state.Configured)
        {
            return Task.FromResult(HealthCheckResult.Healthy(data: new Dictionary<string, object> { [HealthEndpoints.NotConfigured] = true }));
        }
        return Task.FromResult(reads.Choose() == Data.Cluster.ReadSource.Replica
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded(state.Problem ?? "behind by more than the stated lag"));
    }
}
