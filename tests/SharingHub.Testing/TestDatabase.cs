using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SharingHub.Crypto;
using SharingHub.Data;
using SharingHub.Data.Storage;

namespace SharingHub.Testing;

/// <summary>
/// A fresh, empty hub database on the engine a test asks for (a temporary SQLite file, or a new
/// database on the shared PostgreSQL test server), with its own key ring. Every test makes its own.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _folder;

    private PostgresServer? _server;

    private TestDatabase(DatabaseEngine engine, string connectionString, string folder)
    {
        Engine = engine;
        ConnectionString = connectionString;
        _folder = folder;
    }

    public DatabaseEngine Engine { get; }
    public string ConnectionString { get; }
    public string Folder => _folder;
    public string KeyRingPath => Path.Combine(_folder, "keyring.json");

    /// <param name="engine">SQLite or PostgreSQL.</param>
    /// <param name="pooled">SQLite connections pooled as the hub's own connection string pools them (benchmarks); tests open
    /// each afresh so the file can be deleted with the test.</param>
    /// <param name="under">Where the test's folder goes (a small filesystem made for a disk-full test); on PostgreSQL the
    /// database's own files go there too, in a tablespace of their own. Default: the temporary folder.</param>
    /// <param name="server">PostgreSQL: a server of the test's own (<see cref="PostgresServer.StartOwnAsync"/>) rather than the shared one.</param>
    public static async Task<TestDatabase> CreateAsync(DatabaseEngine engine, bool pooled = false, string? under = null, PostgresServer? server = null)
    {
        var folder = Path.Combine(under ?? Path.GetTempPath(), "sharinghub-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        if (engine == DatabaseEngine.Sqlite)
        {
            return new TestDatabase(engine, $"Data Source={Path.Combine(folder, "hub.db")}{(pooled ? "" : ";Pooling=false")}", folder);
        }
        server ??= await PostgresServer.GetAsync();
        var name = await server.CreateDatabaseAsync(under is null ? null : Path.Combine(folder, "tablespace"));
        return new TestDatabase(engine, server.ConnectionString(name), folder) { _server = server };
    }

    /// <summary>Configuration keys a host needs to use this database and key ring.</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        [$"{DatabaseOptions.Section}:Engine"] = Engine.ToString(),
        [$"{DatabaseOptions.Section}:ConnectionString"] = ConnectionString,
        ["SharingHub:KeyRing:Path"] = KeyRingPath,
        ["SharingHub:Identity:SigningKeyPath"] = Path.Combine(_folder, "signing-keys.json"),
        ["SharingHub:Audit:SigningKeyPath"] = Path.Combine(_folder, "audit-signing-keys.json"),
    };

    /// <summary>The data services over this database, migrated unless <paramref name="migrate"/> is false (a test that builds the schema itself).</summary>
    /// <param name="clock">The clock, when not the system's.</param>
    /// <param name="migrate">Whether to migrate the schema.</param>
    /// <param name="interceptor">An EF interceptor every context gets (a test that watches the commands).</param>
    /// <param name="settings">Configuration over this database's (a test of a setting).</param>
    public async Task<ServiceProvider> StartServicesAsync(TimeProvider? clock = null, bool migrate = true, Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor? interceptor = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(Settings).AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build());
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        if (clock is not null)
        {
            services.Replace(ServiceDescriptor.Singleton(clock));
        }
        services.AddSharingHubCrypto();
        services.AddSharingHubData();
        if (interceptor is not null)
        {
            services.AddSingleton(interceptor);
        }
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        if (migrate)
        {
            await provider.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        }
        return provider;
    }

    public async ValueTask DisposeAsync()
    {
        if (Engine == DatabaseEngine.Postgres)
        {
            // Each test's database and its pooled connections go when the test does: a run of hundreds of tests
            // would otherwise hold the server's connections and fill the disk with databases nobody reads again.
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
            using (var pooled = new Npgsql.NpgsqlConnection(ConnectionString))
            {
                Npgsql.NpgsqlConnection.ClearPool(pooled);
            }
            var server = _server ?? await PostgresServer.GetAsync();
            await server.DropDatabaseAsync(builder.Database!);
        }
        else
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A SQLite file still held open by a pooled connection on another thread; tests/run.sh removes the run's folder.
        }
    }
}
