using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SharingHub.Core.Audit;
using SharingHub.Core.Crypto;
using SharingHub.Data.Audit;
using SharingHub.Core.Records;
using SharingHub.Data.Demo;
using SharingHub.Data.Keys;
using SharingHub.Data.Storage;

namespace SharingHub.Data;

public static class DataServiceCollectionExtensions
{
    public static IServiceCollection AddSharingHubData(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), $"{DatabaseOptions.Section}:ConnectionString is required")
            .Validate(o => Enum.IsDefined(o.Engine), $"{DatabaseOptions.Section}:Engine must be Sqlite or Postgres")
            .Validate(o => string.IsNullOrWhiteSpace(o.ReplicaConnectionString) || o.Engine == DatabaseEngine.Postgres,
                $"{DatabaseOptions.Section}:ReplicaConnectionString is for PostgreSQL (a streaming standby); SQLite has no replica: remove it")
            .Validate(o => o.ReplicaMaxLagSeconds is > 0 and <= 3600, $"{DatabaseOptions.Section}:ReplicaMaxLagSeconds must be between 0 and 3600")
            .ValidateOnStart();

        // Interceptors registered by the host (the benchmark's profiler, when its baselines are on) join the hub's own.
        // Pooled: the contexts hold no state of their own, and a context made afresh for every query resolved its services
        // again each time (measured at about a tenth of a secured read's database work; issue 27).
        // A list in a query (ids.Contains(x)) goes to SQLite as one parameter (json_each), as it goes to PostgreSQL (an array), not
        // EF Core 10's default of a parameter per item: SQLite refuses a statement of more than 32,766 parameters (a request over a
        // person with that many linked records or subjects answered 500), and EF Core makes (and caches) another statement for
        // each length of list. Measured on the census return at 1M events (issue 27): 3.1 s to 0.08 s of SQL.
        services.AddPooledDbContextFactory<SqliteHubDbContext>((sp, o) => o.UseSqlite(Options(sp).ConnectionString,
                sqlite => sqlite.UseParameterizedCollectionMode(ParameterTranslationMode.Parameter))
            .AddInterceptors([new SqliteTuning(), .. sp.GetServices<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>()]));
        services.AddPooledDbContextFactory<PostgresHubDbContext>((sp, o) => o.UseNpgsql(PostgresPreparation.Apply(Options(sp).ConnectionString))
            .AddInterceptors(sp.GetServices<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>()));
        services.TryAddSingleton<IHubDbContextFactory>(sp => Options(sp).Engine switch
        {
            DatabaseEngine.Postgres => new HubDbContextFactory<PostgresHubDbContext>(
                sp.GetRequiredService<IDbContextFactory<PostgresHubDbContext>>(), DatabaseEngine.Postgres),
            _ => new HubDbContextFactory<SqliteHubDbContext>(
                sp.GetRequiredService<IDbContextFactory<SqliteHubDbContext>>(), DatabaseEngine.Sqlite),
        });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IRecordStore, EfRecordStore>();
        services.TryAddSingleton<IDataKeyStore, EfDataKeyStore>();
        services.TryAddSingleton<SubjectKeys>();
        services.TryAddSingleton<ReencryptionJob>();
        services.TryAddSingleton<SubjectShredding>();
        services.TryAddSingleton<DatabaseMigrator>();
        services.TryAddSingleton<Cluster.ExpiringMarks>();
        services.TryAddSingleton<Cluster.KeyRingFingerprint>();
        services.TryAddSingleton<Cluster.LagTolerantReads>();
        services.TryAddSingleton<SqliteStatements>();
        services.TryAddSingleton<SqliteWriteTurns>();
        services.TryAddSingleton<CaseReads>();
        services.TryAddSingleton<DemoDataLoader>();
        services.TryAddSingleton<DemoErasures>();
        services.TryAddSingleton<Linkage.PersonLinker>();
        services.TryAddSingleton<Linkage.LinkageBackfill>();
        services.AddOptions<Linkage.LinkageOptions>()
            .BindConfiguration(Linkage.LinkageOptions.Section)
            .Validate(o => o.IsValid(), $"{Linkage.LinkageOptions.Section}: set both LinkAbove and ReviewAbove or neither, each a probability between 0 and 1, ReviewAbove below LinkAbove; ExpectedRecords, if set, a number of records above 0")
            .ValidateOnStart();
        services.AddOptions<AuditOptions>()
            .BindConfiguration(AuditOptions.Section)
            .Validate(o => o.CheckpointEvery > 0 && o.CheckpointSeconds > 0 && o.MaxBatch is > 0 and <= 10_000 && o.ActorIndexSeconds >= 0, $"{AuditOptions.Section} values must be positive")
            .ValidateOnStart();
        services.TryAddSingleton<AuditCheckpointer>();
        services.TryAddSingleton<AuditProofs>();
        services.TryAddSingleton<AuditPartitions>();
        services.TryAddSingleton<AuditActorIndex>();
        services.TryAddSingleton<StorageHealth>();
        services.TryAddSingleton<AuditWriter>();
        services.TryAddSingleton<IAuditLog>(sp => sp.GetRequiredService<AuditWriter>());
        return services;
    }

    private static DatabaseOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
}
