using System.Net;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Health;

/// <summary>The benchmark's unsecured baseline endpoints exist only when asked for, and never in Production.</summary>
public sealed class BenchmarkBaselineTests
{
    private static readonly Dictionary<string, string?> On = new() { ["SharingHub:Benchmark:Baseline"] = "true" };

    [Fact]
    public async Task Given_default_settings_then_there_are_no_baseline_endpoints()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var hub = new HubFactory(database);
        using var client = hub.CreateClient();

        using var response = await client.GetAsync($"/bench/baseline/Observation/{Guid.NewGuid()}");

        // No such endpoint: the request meets the hub's default (authentication required), never a record.
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized, response.StatusCode.ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(body.Length == 0 || body.Contains("\"invalid_request\"", StringComparison.Ordinal), body);
        Assert.DoesNotContain("resourceType", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_baseline_setting_in_production_then_the_hub_refuses_to_start()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var hub = new HubFactory(database, "Production", HubFactory.InProduction(On));

        var error = Assert.Throws<InvalidOperationException>(() => hub.CreateClient());

        Assert.Contains("refused in Production", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_baseline_setting_in_development_then_the_endpoints_answer_without_a_token()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var hub = new HubFactory(database, settings: On);
        using var client = hub.CreateClient();

        using var response = await client.GetAsync("/bench/ping");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
