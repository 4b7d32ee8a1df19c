using System.Net.Http.Headers;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Identity;

/// <summary>
/// A hub that trusts five stub agency identity providers (one per agency, each with its own keys on
/// its own port) and one registered partner system, over the real HTTP pipeline.
/// </summary>
public sealed class IdentityFixture : IAsyncLifetime
{
    public const string Audience = "https://hub.test/api";
    public const string HubBase = "http://localhost";
    public const string TokenEndpoint = HubBase + "/token";
    public const string ClientId = "mosaic-test";
    public const string OtherClientId = "niche-test";

    private TestDatabase _database = null!;
    private HubFactory _hub = null!;
    private HubFactory _secondNode = null!;

    public Dictionary<string, StubIdentityProvider> Idps { get; } = new(StringComparer.Ordinal);
    public TestKey ClientKey { get; } = TestKey.NewEc("ES384");
    public TestKey OtherClientKey { get; } = TestKey.NewRsa("RS384");
    public StubIdentityProvider Police => Idps["police"];
    public StubIdentityProvider Health => Idps["health"];
    public HttpClient Client { get; private set; } = null!;

    /// <summary>A second hub node on the same database (several nodes behind a load balancer share what they must).</summary>
    public HttpClient SecondNode { get; private set; } = null!;
    public IServiceProvider Services => _hub.Services;

    public async Task InitializeAsync()
    {
        foreach (var agency in new[] { "la", "police", "health", "education", "probation" })
        {
            Idps[agency] = await StubIdentityProvider.StartAsync(agency, agency == "health" ? TestKey.NewEc() : TestKey.NewRsa());
        }
        _database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        var registry = Path.Combine(_database.Folder, "trust-registry.yaml");
        var issuers = string.Join("\n", Idps.Values.Select(i => $"""
              - agency: {i.Agency}
                issuer: {i.Issuer}
                discovery-uri: {i.DiscoveryUri}
                audiences: [{Audience}]
                max-lifetime-minutes: 60
            """));
        await File.WriteAllTextAsync(registry, $"""
            issuers:
            {issuers}
            clients:
              - client-id: {ClientId}
                agency: la
                name: Mosaic (test)
                jwks: '{ClientKey.PublicJwks()}'
                scopes: [system/*.rs, system/Task.cruds]
              - client-id: {OtherClientId}
                agency: police
                name: Niche (test)
                jwks: '{OtherClientKey.PublicJwks()}'
                scopes: [system/Patient.rs]
            """);
        var settings = new Dictionary<string, string?>
        {
            ["SharingHub:Identity:PublicBaseUrl"] = HubBase,
            ["SharingHub:Identity:Audience"] = Audience,
            ["SharingHub:Identity:TrustRegistryFiles:0"] = registry,
            // The attack suites send thousands of assertions from one address; the limit has its own test.
            ["SharingHub:Identity:TokenRequestsPerMinute"] = "0",
        };
        _hub = new HubFactory(_database, settings: settings);
        Client = _hub.CreateClient();
        _secondNode = new HubFactory(_database, settings: settings);
        SecondNode = _secondNode.CreateClient();
    }

    public async Task<HttpResponseMessage> GetMeAsync(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }
        return await Client.SendAsync(request);
    }

    /// <summary>A client assertion as SMART Backend Services specifies it, which the test may spoil one way.</summary>
    public string Assertion(TestKey? key = null, string? clientId = null, Action<Dictionary<string, object>>? header = null, Action<Dictionary<string, object>>? payload = null)
    {
        var signingKey = key ?? ClientKey;
        var id = clientId ?? ClientId;
        var now = DateTimeOffset.UtcNow;
        var h = new Dictionary<string, object> { ["alg"] = signingKey.Alg, ["typ"] = "JWT", ["kid"] = signingKey.Kid };
        var p = new Dictionary<string, object>
        {
            ["iss"] = id,
            ["sub"] = id,
            ["aud"] = TokenEndpoint,
            ["exp"] = TestJwt.Unix(now.AddMinutes(4)),
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        header?.Invoke(h);
        payload?.Invoke(p);
        return TestJwt.Sign(signingKey, h, p);
    }

    public async Task<HttpResponseMessage> RequestTokenAsync(string assertion, string scope = "system/*.rs", string? clientId = null,
        string assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", HttpClient? via = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = assertionType,
            ["client_assertion"] = assertion,
            ["scope"] = scope,
        };
        if (clientId is not null)
        {
            form["client_id"] = clientId;
        }
        return await (via ?? Client).PostAsync(new Uri("/token", UriKind.Relative), new FormUrlEncodedContent(form));
    }

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public async Task DisposeAsync()
    {
        Client.Dispose();
        SecondNode.Dispose();
        await _secondNode.DisposeAsync();
        await _hub.DisposeAsync();
        foreach (var idp in Idps.Values)
        {
            await idp.DisposeAsync();
        }
        await _database.DisposeAsync();
    }
}
