using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Mais;

/// <summary>
/// Two hubs federate: hub B (a neighbouring partnership, on Kestrel) registers hub A as a partner system;
/// hub A lists hub B as a MAIS partner. An enquiry member at A asks, and B answers from its own records
/// under its own rules, with its own audit.
/// </summary>
public sealed class FederationTests : IAsyncLifetime
{
    private readonly MaisTestSetup _setup = new();
    private TestDatabase _databaseB = null!;
    private HubFactory _hubB = null!;
    private FhirTestHub _hubA = null!;
    private string _baseB = "";

    public async Task InitializeAsync()
    {
        var port = Loopback.FreePort();
        _baseB = $"http://127.0.0.1:{port}";
        _databaseB = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var clients = _setup.Registry("hub-b.yaml", $"""
            issuers: []
            clients:
              - client-id: hub-a
                agency: la
                name: Hub A (neighbouring partnership)
                jwks: '{_setup.PublicJwks}'
                scopes: [system/Patient.r]
                role: mais-asker
            """);
        _hubB = new HubFactory(_databaseB, settings: new Dictionary<string, string?>
        {
            ["SharingHub:Identity:PublicBaseUrl"] = _baseB,
            ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true",
            ["SharingHub:Identity:TrustRegistryFiles:0"] = clients,
            ["SharingHub:Mais:Contacts:health:Name"] = "Hub B ICB safeguarding team",
        });
        _hubB.UseKestrel(port);
        _hubB.StartServer();
        var partners = _setup.Registry("hub-a.yaml", $"""
            issuers: []
            clients: []
            partners:
              - name: hub-b
                agency: health
                speaks-for: [la, education]
                base-url: '{_baseB}/fhir'
                token-endpoint: '{_baseB}/token'
                client-id: hub-a
                key-file: '{_setup.KeyFile}'
                scope: system/Patient.r
                timeout-ms: 3000
                max-concurrency: 2
              - name: hub-c
                agency: police
                base-url: 'http://127.0.0.1:{Loopback.FreePort()}/fhir'
                token-endpoint: 'http://127.0.0.1:{Loopback.FreePort()}/token'
                client-id: hub-a
                key-file: '{_setup.KeyFile}'
                scope: system/Patient.r
                timeout-ms: 1000
                max-concurrency: 2
            """);
        _hubA = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?> { ["SharingHub:Identity:TrustRegistryFiles:0"] = partners });
    }

    public async Task DisposeAsync()
    {
        await _hubA.DisposeAsync();
        await _hubB.DisposeAsync();
        await _databaseB.DisposeAsync();
        _setup.Dispose();
    }

    /// <summary>Hub B's records of Ivy: her NHS number at the trust, and her school's record of her, each with an open involvement.</summary>
    private async Task<(Person Health, Person School, Person Council)> IvyAtHubBAsync()
    {
        var services = _hubB.Services;
        var builder = new RecordBuilder(services.GetRequiredService<IFieldCipher>(), services.GetRequiredService<IBlindIndexer>());
        var store = services.GetRequiredService<IRecordStore>();
        var child = await store.AddAsync(builder.Person("health", "Ivy", "Federatetest", "2018-08-09", IdentifierKind.NhsNumber, IvyNhsNumber), CancellationToken.None);
        await store.AddAsync(new Involvement
        {
            Id = Guid.NewGuid(), OwningAgency = "health", DataClass = "health.clinical", PersonId = child.Id, Service = "Community paediatrics",
            Status = InvolvementStatus.Open, StartedAt = new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero),
        }, CancellationToken.None);
        // Hub B speaks for three agencies: the school and the council know Ivy there too.
        var council = await store.AddAsync(builder.Person("la", "Ivy", "Federatetest", "2018-08-09", IdentifierKind.LaPersonId, "7000111"), CancellationToken.None);
        await store.AddAsync(new Involvement
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "la.social-care", PersonId = council.Id, Service = "Child in need",
            Status = InvolvementStatus.Closed, StartedAt = new DateTimeOffset(2024, 1, 8, 9, 0, 0, TimeSpan.Zero), EndedAt = new DateTimeOffset(2024, 7, 1, 9, 0, 0, TimeSpan.Zero),
        }, CancellationToken.None);
        var school = await store.AddAsync(builder.Person("education", "Ivy", "Federatetest", "2018-08-09", IdentifierKind.Upn,
            AgencyIdentifiers.UpnCheckLetter("900555000111") + "900555000111"), CancellationToken.None);
        await store.AddAsync(new Involvement
        {
            Id = Guid.NewGuid(), OwningAgency = "education", DataClass = "education.attendance", PersonId = school.Id, Service = "school-place",
            Status = InvolvementStatus.Open, StartedAt = new DateTimeOffset(2025, 9, 1, 9, 0, 0, TimeSpan.Zero),
        }, CancellationToken.None);
        return (child, school, council);
    }

    /// <summary>Ivy's NHS number, which hub A's health record of the enquiry's child holds too (she is the same child).</summary>
    private const string IvyNhsNumber = "9990000026";

    [Fact]
    public async Task Given_two_hubs_that_trust_each_other_when_an_lcpp_asks_at_hub_a_then_hub_b_answers_from_its_own_records_under_its_own_rules()
    {
        var services = _hubB.Services;
        await IvyAtHubBAsync();
        var c = await _hubA.CaseAsync();

        using var response = await _hubA.SendAsync(HttpMethod.Post, "/mais/person-info-query", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id,
            new StringContent(MaisTestSetup.Query(IvyNhsNumber), Encoding.UTF8, "application/fhir+json"));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var merged = JsonDocument.Parse(body).RootElement;
        var partners = merged.GetProperty("partners").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        var hubB = partners["hub-b"];
        Assert.True(hubB.GetProperty("state").GetString() == "answered", hubB.ToString());
        // Hub C is down: the answer says so, and is incomplete, rather than reading its silence as "not known".
        Assert.Equal("error", partners["hub-c"].GetProperty("state").GetString());
        Assert.False(merged.GetProperty("complete").GetBoolean());
        Assert.Equal(["hub-c"], merged.GetProperty("unanswered").EnumerateArray().Select(u => u.GetString()));
        var answer = hubB.GetProperty("answer");
        Assert.True(answer.GetProperty("match").GetBoolean());
        // One contact per agency that knows Ivy at hub B, each as hub B configures it.
        var contacts = answer.GetProperty("contacts").EnumerateArray()
            .Select(c => (c.GetProperty("agency").GetString(), c.GetProperty("name").GetString(), c.GetProperty("phone").GetString())).ToList();
        Assert.Equal([("education", "Demo Education Safeguarding Team", "01632 960004"), ("health", "Hub B ICB safeguarding team", "01632 960003"),
            ("la", "Demo Council Integrated Front Door", "01632 960001")], contacts);
        // Each involvement keeps the agency hub B named: the school place is education's, not relabelled as hub B's own.
        var involvements = answer.GetProperty("involvements").EnumerateArray()
            .Select(i => (i.GetProperty("agency").GetString(), i.GetProperty("service").GetString(), i.GetProperty("status").GetString())).ToList();
        Assert.Equal([("la", "Child in need", "closed"), ("education", "school-place", "open"), ("health", "Community paediatrics", "open")], involvements);
        // Hub A knows the enquiry's child at the council, the police and the trust; only hub B knows her school.
        Assert.Equal(["education", "health", "la", "police"], merged.GetProperty("knownTo").EnumerateArray().Select(a => a.GetString()).Order(StringComparer.Ordinal));
        Assert.True(merged.GetProperty("hub").GetProperty("match").GetBoolean());
        Assert.True(merged.GetProperty("known").GetBoolean());

        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();
        var entry = await db.AuditEntries.Where(a => a.Action == "mais.answer").SingleAsync();
        Assert.Equal("la", entry.Agency);
        Assert.Equal("hub-a", entry.Actor);
        Assert.Contains(MaisTestSetup.S47, entry.Body, StringComparison.Ordinal);
        // Both hubs record the exchange under one correlation id (the trace id of the traceparent hub A sent).
        var correlation = merged.GetProperty("correlation").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", correlation);
        Assert.Equal(correlation, JsonDocument.Parse(entry.Body).RootElement.GetProperty("correlation").GetString());
        await using var dbA = _hubA.Contexts.Create();
        var asked = await dbA.AuditEntries.Where(a => a.Action == "mais.brokered").SingleAsync();
        Assert.Equal(correlation, JsonDocument.Parse(asked.Body).RootElement.GetProperty("correlation").GetString());
    }

    [Fact]
    public async Task Given_an_asker_that_gives_up_halfway_through_sending_its_query_then_hub_b_still_audits_the_request()
    {
        var token = await HubAsTokenAtHubBAsync();
        var query = Encoding.UTF8.GetBytes(MaisTestSetup.Query(IvyNhsNumber));
        var traceId = System.Diagnostics.ActivityTraceId.CreateRandom().ToHexString();
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(IPAddress.Loopback, new Uri(_baseB).Port);
            var stream = socket.GetStream();
            var head = $"POST /fhir/Patient/$person-info-query HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nX-Purpose-Of-Use: s47-enquiry\r\n"
                + $"traceparent: 00-{traceId}-00f067aa0ba902b7-01\r\nContent-Type: application/fhir+json\r\nContent-Length: {query.Length}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            // Half the query, then the asker's deadline passes and it hangs up.
            await stream.WriteAsync(query.AsMemory(0, query.Length / 2));
            await stream.FlushAsync();
            await Task.Delay(200);
        }

        await using var db = _hubB.Services.GetRequiredService<IHubDbContextFactory>().Create();
        AuditEntry? entry = null;
        for (var i = 0; i < 50 && entry is null; i++)
        {
            entry = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "mais.answer").FirstOrDefaultAsync();
            await Task.Delay(entry is null ? 100 : 0);
        }
        Assert.NotNull(entry);
        Assert.Equal(("la", "hub-a"), (entry.Agency, entry.Actor));
        var body = JsonDocument.Parse(entry.Body).RootElement;
        Assert.Equal(traceId, body.GetProperty("correlation").GetString());
        // Nothing was sent: the entry says the request went unfinished, and discloses nothing.
        Assert.True(body.GetProperty("status").GetInt32() is 400 or 499, entry.Body);
        Assert.Equal(0, entry.Disclosed);
    }

    private async Task<string> HubAsTokenAtHubBAsync()
    {
        using var http = new HttpClient();
        using var tokenResponse = await http.PostAsync($"{_baseB}/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = _setup.Assertion("hub-a", $"{_baseB}/token"),
            ["scope"] = "system/Patient.r",
        }));
        var tokenBody = await tokenResponse.Content.ReadAsStringAsync();
        Assert.True(tokenResponse.IsSuccessStatusCode, tokenBody);
        return JsonDocument.Parse(tokenBody).RootElement.GetProperty("access_token").GetString()!;
    }

    [Fact]
    public async Task Given_the_token_hub_a_holds_at_hub_b_then_it_asks_the_person_info_query_and_reads_and_writes_nothing()
    {
        var (ivy, _, council) = await IvyAtHubBAsync();
        var token = await HubAsTokenAtHubBAsync();
        using var http = new HttpClient();

        async Task<HttpResponseMessage> AskAsync(HttpMethod method, string path, string purpose, string? body = null)
        {
            using var request = new HttpRequestMessage(method, _baseB + path);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("X-Purpose-Of-Use", purpose);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
            }
            return await http.SendAsync(request);
        }

        // What the registration is for: the query, answered from hub B's records.
        using var asked = await AskAsync(HttpMethod.Post, "/fhir/Patient/$person-info-query", "s47-enquiry", MaisTestSetup.Query(IvyNhsNumber));
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        Assert.Contains("\"valueBoolean\":true", await asked.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Nothing else, under any purpose: not the child's record, not a search, not a write in the council's name.
        foreach (var purpose in new[] { "family-help", "front-door-triage", "s47-enquiry", "strategy-meeting" })
        {
            // The council's record is the registering agency's own: the case it would have been read as before.
            using var own = await AskAsync(HttpMethod.Get, $"/fhir/Patient/{council.Id}", purpose);
            Assert.True(own.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{purpose}: {own.StatusCode}");
            Assert.DoesNotContain("Federatetest", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var read = await AskAsync(HttpMethod.Get, $"/fhir/Patient/{ivy.Id}", purpose);
            using var search = await AskAsync(HttpMethod.Get, "/fhir/Patient?family=Federatetest", purpose);
            var readBody = await read.Content.ReadAsStringAsync();
            Assert.True(read.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{purpose}: {read.StatusCode} {readBody}");
            Assert.DoesNotContain("Federatetest", readBody, StringComparison.Ordinal);
            Assert.DoesNotContain("Federatetest", await search.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.DoesNotContain(IvyNhsNumber, readBody, StringComparison.Ordinal);
        }
        using var write = await AskAsync(HttpMethod.Post, "/fhir/Patient", "family-help",
            "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Planted\",\"given\":[\"Ann\"]}],\"birthDate\":\"2017-01-01\"}");
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        await using var db = _hubB.Services.GetRequiredService<IHubDbContextFactory>().Create();
        // Only hub B's own council record of Ivy: nothing was written in the asking hub's name.
        Assert.Equal(1, await db.People.CountAsync(p => p.OwningAgency == "la"));
    }
}
