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
        // Never SQL or a stack trace in the log (issue 28): EF's failed-command and save errors carry the statement and the
        // exception, the framework's exception handler the stack; the hub logs each failure itself, by type and request id.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Update", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware", LogLevel.None);
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        return builder;
    }

    public static IServiceCollection AddSharingHubServer(this IServiceCollection services)
    {
        services.AddOptions<DemoSettings>()
            .BindConfiguration(DemoSettings.Section)
            .Validate(d => d.Families is > 0 and <= 100_000, $"{DemoSettings.Section}:Families must be between 1 and 100000")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        // Workflow bodies (enquiries, meetings, answers) name each member once, as FHIR and OData bodies must.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.AllowDuplicateProperties = false);
        services.AddSharingHubPolicies();
        services.AddSingleton<StartupState>();
        // The audit log first, so that start-up work (the demo's erasure) is audited; it stops last.
        services.AddHostedService(sp => sp.GetRequiredService<Data.Audit.AuditWriter>());
        services.AddHostedService<StartupTasks>();
        services.AddScoped<Audit.AuditScope>();
        services.AddHealthChecks()
            .AddCheck<StartupHealthCheck>("startup")
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<StorageHealthCheck>("storage");
        return services;
    }
}
