using Microsoft.Extensions.DependencyInjection.Extensions;
using SharingHub.Server.Health;

namespace SharingHub.Server.Hosting;

internal static class HostingDefaults
{
    /// <summary>"--demo" is the one switch people type; configuration keys do the rest.</summary>
    public static string[] ExpandSwitches(string[] args) =>
        args.Select(a => a == "--demo" ? "--SharingHub:Demo:Enabled=true" : a).ToArray();

    public static WebApplicationBuilder AddSharingHubHosting(this WebApplicationBuilder builder)
    {
        // Structured JSON logs; what is logged is ids, agency, purpose and outcome, never record contents.
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        // A start refused for a reason said on standard error (StartRefusal) is not logged again with its stack trace.
        builder.Logging.LeaveOutExplainedStartFailures();
        // Never SQL or a stack trace in the log (issue 28): EF's failed-command and save errors carry the statement and the
        // exception, the framework's exception handler the stack; the hub logs each failure itself, by type and request id.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Update", LogLevel.None);
        // A failed query is logged with its exception's stack trace and SQL: the hub logs the failure itself, by type.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Query", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware", LogLevel.None);
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.AddServerHeader = false;
            // Stated, not left to defaults (issue 28): Kestrel refuses anything beyond with 414 or 431 before the hub reads it.
            o.Limits.MaxRequestLineSize = RequestLimits.MaxRequestLineBytes;
            o.Limits.MaxRequestHeadersTotalSize = RequestLimits.MaxHeaderBytes;
            o.Limits.MaxRequestHeaderCount = RequestLimits.MaxHeaderCount;
            o.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        });
        return builder;
    }

    public static IServiceCollection AddSharingHubServer(this IServiceCollection services)
    {
        services.AddOptions<DemoSettings>()
            .BindConfiguration(DemoSettings.Section)
            .Validate(d => d.Families is > 0 and <= 100_000, $"{DemoSettings.Section}:Families must be between 1 and 100000")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        // Workflow bodies (enquiries, meetings, answers) name each member once, as FHIR and OData bodies must, and hold no empty list item.
        services.ConfigureHttpJsonOptions(o => JsonInput.Configure(o.SerializerOptions));
        services.AddSharingHubPolicies();
        services.AddSingleton<StartupState>();
        // The audit log first, so that start-up work (the demo's erasure) is audited; it stops last.
        services.AddHostedService(sp => sp.GetRequiredService<Data.Audit.AuditWriter>());
        services.AddHostedService<StartupTasks>();
        services.AddScoped<Audit.AuditScope>();
        services.AddHealthChecks()
            .AddCheck<StartupHealthCheck>("startup")
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<StorageHealthCheck>("storage")
            .AddCheck<ReplicaHealthCheck>("replica");
        // Lag-tolerant reads (statistics, audit reports and exports) use a configured replica while it is within its lag.
        services.AddHostedService<Data.Cluster.ReplicaLagMonitor>();
        // PostgreSQL: a linkage change made at one node clears the other nodes' cached linkage reads.
        services.AddSingleton<Data.Cluster.ClusterNotices>();
        services.AddHostedService(sp => sp.GetRequiredService<Data.Cluster.ClusterNotices>());
        // PostgreSQL: the coming months' audit partitions are made ahead of time.
        services.AddHostedService<Data.Audit.AuditPartitionMaintenance>();
        // The audit log's index by actor, kept apart from the log so appends do not write it, is brought up to date every second.
        services.AddHostedService<Data.Audit.AuditActorIndexing>();
        return services;
    }
}

/// <summary>What a request may be, wherever it goes: the request line, headers and (SecurityHeaders) the body.</summary>
internal static class RequestLimits
{
    /// <summary>The method, path and query: 16 KiB (a FHIR search or OData query longer than that is refused with 414).</summary>
    public const int MaxRequestLineBytes = 16 * 1024;

    /// <summary>All headers together: 32 KiB (a bearer token is a few hundred bytes).</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    public const int MaxHeaderCount = 64;
}
