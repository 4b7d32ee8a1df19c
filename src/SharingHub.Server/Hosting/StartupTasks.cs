using Microsoft.Extensions.Options;
using SharingHub.Data.Demo;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Hosting;

/// <summary>Readiness: the hub reports healthy only once the schema is current and any demo data is in.</summary>
internal sealed class StartupState
{
    private volatile bool _ready;
    public bool IsReady => _ready;
    public void MarkReady() => _ready = true;
}

/// <summary>
/// Runs before Kestrel accepts requests (hosted services start first): migrate the schema, then load
/// the demo set into an empty database when asked. A failure here stops the hub rather than serving
/// from a half-made database. The audit writer is started before this (it touches the database only when
/// an entry arrives or a checkpoint falls due), so the demo's erasure is audited like any other.
/// </summary>
internal sealed class StartupTasks(
    DatabaseMigrator migrator,
    DemoDataLoader demo,
    DemoErasures erasures,
    Data.Linkage.LinkageBackfill linkage,
    Data.Cluster.KeyRingFingerprint keyRing,
    IOptions<DatabaseOptions> database,
    IOptions<DemoSettings> demoSettings,
    IHostEnvironment environment,
    IOptions<Identity.IdentityOptions> identity,
    IOptions<Data.Linkage.LinkageOptions> linkageOptions,
    Workflow.DevelopmentNominations nominations,
    StartupState state,
    ILogger<StartupTasks> logger) : IHostedService, IDisposable
{
    private IDisposable? _sqliteLock;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = demoSettings.Value;
        if (environment.IsProduction() && linkageOptions.Value.ExpectedRecords is null)
        {
            logger.LogWarning("SharingHub:Linkage:ExpectedRecords is not set: record linkage takes its prior from the records stored so far, so while the hub fills up a name and birth date count for more than they will when it is full; set it to the person records the hub will hold (README, record linkage)");
        }
        if (database.Value.Engine == DatabaseEngine.Sqlite)
        {
            // Refused with a clear message when another hub process serves the same file.
            _sqliteLock = SqliteNodeLock.Acquire(database.Value.ConnectionString);
        }
        if (settings.Enabled && environment.IsProduction())
        {
            throw new Core.StartRefusedException("demo data is synthetic and is never loaded in Production; remove --demo or SharingHub:Demo:Enabled");
        }
        if (database.Value.MigrateOnStart)
        {
            await migrator.MigrateAsync(cancellationToken);
        }
        // A node with another key ring (one it made itself on first start) is stopped before it writes anything.
        await keyRing.CheckAsync(cancellationToken);
        // Records written before probabilistic linkage are encoded and linked before the hub serves anyone.
        await linkage.RunAsync(cancellationToken);
        if (identity.Value.DevelopmentIdentityProvider && !environment.IsProduction())
        {
            // The development identity provider's MACPT people are nominated, as their agencies would have nominated them.
            await nominations.SeedAsync(cancellationToken);
        }
        if (settings.Enabled)
        {
            var loaded = await demo.LoadIfEmptyAsync(new DemoOptions { Seed = settings.Seed, Families = settings.Families }, cancellationToken);
            if (loaded is not null)
            {
                await erasures.ApplyAsync(loaded, cancellationToken);
            }
            logger.LogInformation("Demo data {Outcome}", loaded is not null ? "loaded" : "already present");
        }
        state.MarkReady();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _sqliteLock?.Dispose();
}
