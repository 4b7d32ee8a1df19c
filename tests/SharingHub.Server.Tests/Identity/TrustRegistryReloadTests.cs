using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Identity;

/// <summary>
/// A partner registered or removed in the trust registry files (as <c>sharinghub client register</c> writes them on the
/// data folder every node shares) is known to every running node within seconds, without a restart; a file that no
/// longer loads leaves the registry in use as it was.
/// </summary>
public sealed class TrustRegistryReloadTests : IAsyncLifetime
{
    private const string TokenEndpoint = IdentityFixture.TokenEndpoint;
    private readonly TestKey _first = TestKey.NewEc("ES384");
    private readonly TestKey _second = TestKey.NewEc("ES384");
    private TestDatabase _database = null!;
    private string _registry = "";
    private HubFactory _a = null!;
    private HubFactory _b = null!;
    private HttpClient _atA = null!;
    private HttpClient _atB = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        _registry = Path.Combine(_database.Folder, "trust-registry.yaml");
        await WriteRegistryAsync(("reload-first", _first));
        var settings = new Dictionary<string, string?>
        {
            ["SharingHub:Identity:PublicBaseUrl"] = IdentityFixture.HubBase,
            ["SharingHub:Identity:Audience"] = IdentityFixture.Audience,
            ["SharingHub:Identity:TrustRegistryFiles:0"] = _registry,
            ["SharingHub:Identity:TrustRegistryReloadSeconds"] = "1",
        };
        _a = new HubFactory(_database, settings: settings);
        _b = new HubFactory(_database, settings: settings);
        _atA = _a.CreateClient();
        _atB = _b.CreateClient();
    }

    private async Task WriteRegistryAsync(params (string Id, TestKey Key)[] clients)
    {
        var entries = string.Join("\n", clients.Select(c => $"""
              - client-id: {c.Id}
                agency: police
                name: Reload test {c.Id}
                jwks: '{c.Key.PublicJwks()}'
                scopes: [system/Patient.rs]
            """));
        // Written aside and moved into place, as the CLI writes it: a node never reads half a file.
        var temporary = _registry + ".new";
        await File.WriteAllTextAsync(temporary, "clients:\n" + entries + "\n");
        File.Move(temporary, _registry, overwrite: true);
    }

    private static string Assertion(string clientId, TestKey key) => TestJwt.Sign(key,
        new Dictionary<string, object> { ["alg"] = key.Alg, ["typ"] = "JWT", ["kid"] = key.Kid },
        new Dictionary<string, object>
        {
            ["iss"] = clientId, ["sub"] = clientId, ["aud"] = TokenEndpoint, ["exp"] = TestJwt.Unix(DateTimeOffset.UtcNow.AddMinutes(4)),
            ["jti"] = Guid.NewGuid().ToString("N"),
        });

    private static async Task<(HttpStatusCode Status, string? Token)> TokenAsync(HttpClient node, string clientId, TestKey key)
    {
        using var response = await node.PostAsync(new Uri("/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Assertion(clientId, key), ["scope"] = "system/Patient.rs",
        }));
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString() : null);
    }

    /// <summary>Asks until the node answers as expected (the reload is checked every second), for at most 15 s.</summary>
    private static async Task<(HttpStatusCode Status, string? Token)> EventuallyAsync(HttpClient node, string clientId, TestKey key, HttpStatusCode expected)
    {
        (HttpStatusCode Status, string? Token) last = default;
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(15); await Task.Delay(250))
        {
            last = await TokenAsync(node, clientId, key);
            if (last.Status == expected)
            {
                return last;
            }
        }
        return last;
    }

    private async Task<HttpStatusCode> MeAsync(HttpClient node, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        request.Headers.Authorization = IdentityFixture.Bearer(token);
        using var response = await node.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Given_a_partner_registered_while_the_nodes_run_then_every_node_accepts_it_and_a_removed_one_is_refused_at_once()
    {
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(_atA, "reload-first", _first)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenAsync(_atB, "reload-second", _second)).Status);
        var firstToken = (await TokenAsync(_atB, "reload-first", _first)).Token!;
        // Used at node A before the change, so A holds it validated in its token cache.
        Assert.Equal(HttpStatusCode.OK, await MeAsync(_atA, firstToken));

        await WriteRegistryAsync(("reload-second", _second));

        // Registered: both nodes take the new partner without a restart.
        Assert.Equal(HttpStatusCode.OK, (await EventuallyAsync(_atA, "reload-second", _second, HttpStatusCode.OK)).Status);
        Assert.Equal(HttpStatusCode.OK, (await EventuallyAsync(_atB, "reload-second", _second, HttpStatusCode.OK)).Status);
        // Removed: no new token, and the token it already holds is refused at its next request, at either node (A's cached
        // validation was made against the registry before, so it no longer counts).
        Assert.Equal(HttpStatusCode.Unauthorized, (await EventuallyAsync(_atA, "reload-first", _first, HttpStatusCode.Unauthorized)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await EventuallyAsync(_atB, "reload-first", _first, HttpStatusCode.Unauthorized)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(_atA, firstToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(_atB, firstToken));
    }

    [Fact]
    public async Task Given_the_registry_file_broken_by_an_edit_then_the_nodes_keep_the_registry_they_had()
    {
        await File.WriteAllTextAsync(_registry, "clients:\n  - client-id: [unterminated\n");
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(_atA, "reload-first", _first)).Status);
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(_atB, "reload-first", _first)).Status);
        // Mended: the next good content is taken.
        await WriteRegistryAsync(("reload-second", _second));
        Assert.Equal(HttpStatusCode.OK, (await EventuallyAsync(_atA, "reload-second", _second, HttpStatusCode.OK)).Status);
    }

    public async Task DisposeAsync()
    {
        _atA.Dispose();
        _atB.Dispose();
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _database.DisposeAsync();
    }
}
