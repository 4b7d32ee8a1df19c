using System.Net;
using System.Text.Json;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
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

        var error = Assert.Throws<SharingHub.Core.StartRefusedException>(() => hub.CreateClient());

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

    [Fact]
    public async Task Given_default_settings_then_no_one_can_switch_the_profiler_on()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var hub = new HubFactory(database);
        using var client = hub.CreateClient();

        using var response = await client.PostAsync("/bench/profile/start", null);

        Assert.False(response.IsSuccessStatusCode, response.StatusCode.ToString());
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Given_the_profiler_on_when_a_secured_read_is_made_then_its_time_is_shown_part_by_part_with_its_database_commands(DatabaseEngine engine)
    {
        await using var fhir = await FhirTestHub.StartAsync(engine, On);
        var c = await fhir.CaseAsync();
        using (var started = await fhir.Client.PostAsync("/bench/profile/start", null))
        {
            Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        }

        using (var read = await fhir.GetAsync($"/fhir/Observation/{c.LaVisit.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        using var stopped = await fhir.Client.PostAsync("/bench/profile/stop", null);
        var routes = JsonDocument.Parse(await stopped.Content.ReadAsStringAsync()).RootElement;
        var route = routes.EnumerateArray().Single(r => r.GetProperty("route").GetString() == "GET /fhir/{type}/{id}");
        var spans = route.GetProperty("spans").EnumerateArray().ToDictionary(x => x.GetProperty("name").GetString()!, x => x.GetProperty("ms").GetDouble());

        Assert.Equal(1, route.GetProperty("requests").GetInt32());
        // The parts a secured read is made of, each measured: the token, the case, the decision, the audit entry's commit.
        Assert.Contains("auth.token", spans.Keys);
        Assert.Contains("access.case", spans.Keys);
        Assert.Contains("policy.decide", spans.Keys);
        Assert.Contains("audit.wait", spans.Keys);
        Assert.True(route.GetProperty("commands").GetDouble() >= 2, "the enquiry and the record are read from the database");
        // The wait for the audit entry, step by step: its time queued, then its batch's steps up to the durable commit.
        var steps = spans.Where(s => s.Key.StartsWith("audit.wait.", StringComparison.Ordinal)).ToDictionary();
        Assert.Contains("audit.wait.queued", steps.Keys);
        Assert.Contains("audit.wait.flush", steps.Keys);
        Assert.True(spans["audit.wait"] >= steps.Values.Sum() - 0.001, "the steps fit inside the wait");
        Assert.True(route.GetProperty("totalMs").GetDouble() >= spans.Where(s => !steps.ContainsKey(s.Key)).Sum(s => s.Value) - 0.001, "the parts fit inside the whole");
        // Garbage collections' pauses are counted inside the request and inside each part, never more than the time they are inside.
        Assert.True(route.GetProperty("collections").GetDouble() >= 0);
        Assert.InRange(route.GetProperty("gcMs").GetDouble(), 0, route.GetProperty("totalMs").GetDouble());
        Assert.All(route.GetProperty("spans").EnumerateArray(), x => Assert.InRange(x.GetProperty("gcMs").GetDouble(), 0, x.GetProperty("ms").GetDouble() + 0.001));
        // Switched off again: a read made now is not measured.
        using (await fhir.GetAsync($"/fhir/Observation/{c.LaVisit.Id}", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id))
        {
        }
        using var again = await fhir.Client.PostAsync("/bench/profile/stop", null);
        Assert.Equal("[]", (await again.Content.ReadAsStringAsync()).Trim());
    }
}
