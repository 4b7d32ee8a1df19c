using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Health;

public abstract class HealthEndpointTests(DatabaseEngine engine)
{
    [Fact]
    public async Task Given_a_new_database_when_the_hub_starts_then_health_reports_healthy_on_the_configured_engine()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var hub = new HubFactory(database);
        using var client = hub.CreateClient();

        var response = await client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(engine.ToString().ToLowerInvariant(), body.RootElement.GetProperty("engine").GetString());
        Assert.Equal("healthy", body.RootElement.GetProperty("checks").GetProperty("database").GetString());
    }

    [Fact]
    public async Task Given_demo_enabled_when_the_hub_starts_twice_then_demo_families_are_loaded_once()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var demo = new Dictionary<string, string?> { ["SharingHub:Demo:Enabled"] = "true", ["SharingHub:Demo:Families"] = "3" };
        int first;
        await using (var hub = new HubFactory(database, settings: demo))
        {
            hub.CreateClient().Dispose();
            first = await CountPeopleAsync(hub);
            Assert.True(first > 0);
        }
        await using (var again = new HubFactory(database, settings: demo))
        {
            again.CreateClient().Dispose();
            Assert.Equal(first, await CountPeopleAsync(again));
        }
    }

    [Fact]
    public async Task Given_production_when_demo_data_is_requested_then_the_hub_refuses_to_start()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var hub = new HubFactory(database, "Production", HubFactory.InProduction(new Dictionary<string, string?> { ["SharingHub:Demo:Enabled"] = "true" }));
        var error = Assert.Throws<Core.StartRefusedException>(() => hub.CreateClient());
        Assert.Contains("never loaded in Production", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_production_with_an_agency_contact_that_has_neither_phone_nor_email_then_the_hub_refuses_to_start_naming_it()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var settings = HubFactory.InProduction(new Dictionary<string, string?> { ["SharingHub:Mais:Contacts:police:Name"] = "Police safeguarding hub" });
        settings.Remove("SharingHub:Mais:Contacts:police:Email");
        settings.Remove("SharingHub:Mais:Contacts:probation:Email");
        await using var hub = new HubFactory(database, "Production", settings);

        var error = Assert.ThrowsAny<Exception>(() => hub.CreateClient());

        Assert.Contains("each agency's contact needs a phone or an email", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("none for police, probation", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<int> CountPeopleAsync(HubFactory hub)
    {
        await using var db = hub.Services.GetRequiredService<IHubDbContextFactory>().Create();
        return await db.People.CountAsync();
    }
}

public sealed class SqliteHealthEndpointTests() : HealthEndpointTests(DatabaseEngine.Sqlite);

public sealed class PostgresHealthEndpointTests() : HealthEndpointTests(DatabaseEngine.Postgres);

/// <summary>Readiness follows the database; liveness does not, so an orchestrator does not restart every node in a database outage.</summary>
public sealed class LivenessTests
{
    [Fact]
    public async Task Given_the_database_gone_then_health_says_not_ready_and_live_still_says_alive()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres);
        await using var hub = new HubFactory(database);
        using var client = hub.CreateClient();
        using (var ready = await client.GetAsync(new Uri("/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        await (await PostgresServer.GetAsync()).DropDatabaseAsync(new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString).Database!);

        using var notReady = await client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        using (var body = JsonDocument.Parse(await notReady.Content.ReadAsStringAsync()))
        {
            Assert.Equal("unhealthy", body.RootElement.GetProperty("checks").GetProperty("database").GetString());
        }
        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var liveBody = JsonDocument.Parse(await live.Content.ReadAsStringAsync());
        Assert.Equal("healthy", liveBody.RootElement.GetProperty("status").GetString());
    }
}
