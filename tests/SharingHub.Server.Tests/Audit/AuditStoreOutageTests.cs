using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SharingHub.Data.Storage;
using SharingHub.Server.Identity;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Audit;

/// <summary>The audit store becoming unavailable in the ways it does in production: the hub answers 503 and discloses nothing.</summary>
public sealed class AuditStoreOutageTests
{
    private static async Task<HttpResponseMessage> MeAsync(HubFactory hub, HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + hub.Services.GetRequiredService<DevelopmentIdentityProvider>().IssueFor("demo-la-lcpp"));
        return await client.SendAsync(request);
    }

    private static readonly Dictionary<string, string?> DevIdp = new() { ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true" };

    [Fact]
    public async Task Given_the_sqlite_file_locked_by_another_process_then_requests_fail_closed_and_recover_when_it_is_released()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var settings = new Dictionary<string, string?>(DevIdp)
        {
            // A short busy timeout, so the test does not wait the default 30 seconds for the lock.
            ["SharingHub:Database:ConnectionString"] = database.ConnectionString + ";Default Timeout=1",
        };
        await using var hub = new HubFactory(database, settings: settings);
        using var client = hub.CreateClient();
        (await MeAsync(hub, client)).Dispose();

        await using (var locker = new SqliteConnection(database.ConnectionString))
        {
            await locker.OpenAsync();
            await using (var exclusive = locker.CreateCommand())
            {
                exclusive.CommandText = "BEGIN EXCLUSIVE";
                await exclusive.ExecuteNonQueryAsync();
            }
            using var blocked = await MeAsync(hub, client);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, blocked.StatusCode);
            Assert.DoesNotContain("demo-la-lcpp", await blocked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var recovered = await MeAsync(hub, client);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task Given_postgres_connections_dropped_and_the_database_made_read_only_then_requests_fail_closed()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres);
        await using var hub = new HubFactory(database, settings: DevIdp);
        using var client = hub.CreateClient();
        (await MeAsync(hub, client)).Dispose();
        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;
        var admin = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;

        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"ALTER DATABASE {name} SET default_transaction_read_only = on; " +
                $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid();";
            await command.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < 3; i++)
        {
            using var response = await MeAsync(hub, client);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }
        await using var db = hub.Services.GetRequiredService<IHubDbContextFactory>().Create();
        Assert.Equal(1, await db.AuditEntries.CountAsync());
    }
}
