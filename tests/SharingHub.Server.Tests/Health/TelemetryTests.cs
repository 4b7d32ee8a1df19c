using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Identity;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Health;

/// <summary>Traces carry routes, counts and timings, never a record's contents, a token or who a request was about (issue 19).</summary>
public abstract class TelemetryTests(DatabaseEngine engine) : IAsyncLifetime
{
    private readonly List<Activity> _spans = [];
    private TestDatabase _database = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(engine);
        _hub = new HubFactory(_database, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true",
        }, services: s =>
        {
            // The hub's own registration, as Program makes it when SharingHub:Telemetry:Enabled is set (a test host's
            // settings arrive after Program has registered its services), and an exporter the test can read.
            var enabled = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["SharingHub:Telemetry:Enabled"] = "true" }).Build();
            SharingHub.Server.Hosting.Telemetry.AddSharingHubTelemetry(s, enabled);
            s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_spans));
        });
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _database.DisposeAsync();
    }

    /// <summary>The spans exported so far (the exporter appends from whichever thread ends a span).</summary>
    private Activity[] Snapshot()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return [.. _spans];
            }
            catch (InvalidOperationException) when (attempt < 100)
            {
                Thread.Sleep(10);
            }
        }
    }

    [Fact]
    public async Task Given_reads_searches_and_a_write_then_spans_name_routes_and_the_audit_commit_and_hold_no_personal_data_or_token()
    {
        var client = _hub.CreateClient();
        var builder = new RecordBuilder(_hub.Services.GetRequiredService<Core.Crypto.IFieldCipher>(), _hub.Services.GetRequiredService<Core.Crypto.IBlindIndexer>());
        var child = await _hub.Services.GetRequiredService<IRecordStore>().AddAsync(
            builder.Person("la", "Telemetria", "Quietfield", "2017-03-09", IdentifierKind.LaPersonId, "7654321"), CancellationToken.None);
        var referral = new Referral
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "referral", SubjectPersonId = child.Id,
            ReceivedAt = DateTimeOffset.UtcNow.AddHours(-1), DecisionDueAt = DateTimeOffset.UtcNow.AddHours(23),
        };
        referral.Concern = builder.Seal(referral, nameof(Referral.Concern), "Telemetria was seen with bruises");
        await _hub.Services.GetRequiredService<IRecordStore>().AddAsync(referral, CancellationToken.None);
        var token = _hub.Services.GetRequiredService<DevelopmentIdentityProvider>().IssueFor("demo-la-front-door");
        var secrets = new[] { "Telemetria", "Quietfield", "2017-03-09", "7654321", child.Id.ToString(), token! };

        foreach (var path in new[]
        {
            $"/fhir/Patient?family=Quietfield&birthdate=2017-03-09", $"/fhir/Patient/{child.Id}", $"/fhir/Patient?identifier=urn:sharinghub:la-person-id|7654321",
            $"/odata/People?$filter=familyName eq 'Quietfield'", $"/fhir/Patient/{child.Id}/$chronology",
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.TryAddWithoutValidation("X-Purpose-Of-Use", "front-door-triage");
            request.Headers.TryAddWithoutValidation("X-Referral-Id", referral.Id.ToString());
            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode < HttpStatusCode.InternalServerError, $"{path}: {(int)response.StatusCode}");
        }
        _hub.Services.GetRequiredService<TracerProvider>().ForceFlush();

        var spans = Snapshot();
        Assert.Contains(spans, s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("http.route") == "/fhir/{type}/{id}");
        Assert.Contains(spans, s => s.OperationName == "audit.commit");
        Assert.Contains(spans, s => s.OperationName == "policy.decide" && (string?)s.GetTagItem("sharinghub.decision.effect") is "permit" or "deny");
        foreach (var span in spans)
        {
            var text = span.DisplayName + " " + string.Join(" ", span.TagObjects.Select(t => $"{t.Key}={t.Value}"))
                + " " + string.Join(" ", span.Events.Select(e => e.Name));
            Assert.All(secrets, secret => Assert.False(text.Contains(secret, StringComparison.Ordinal), $"a span holds '{secret[..Math.Min(12, secret.Length)]}': {text}"));
        }
    }
}

public sealed class SqliteTelemetryTests() : TelemetryTests(DatabaseEngine.Sqlite);

public sealed class PostgresTelemetryTests() : TelemetryTests(DatabaseEngine.Postgres);
