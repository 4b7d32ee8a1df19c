using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SharingHub.Testing;

/// <summary>
/// A stand-in for one agency's OpenID Connect provider: a real HTTP server on 127.0.0.1 with its own
/// issuer URL, discovery document and JWKS, whose keys a test can rotate while the hub is running.
/// </summary>
public sealed class StubIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile IReadOnlyList<TestKey> _keys;

    private StubIdentityProvider(WebApplication app, string baseUrl, string agency, TestKey key)
    {
        _app = app;
        Agency = agency;
        Issuer = $"{baseUrl}/realms/{agency}";
        _keys = [key];
    }

    public string Agency { get; }
    public string Issuer { get; }
    public string DiscoveryUri => Issuer + "/.well-known/openid-configuration";
    public TestKey Key => _keys[0];
    public int JwksRequests { get; private set; }

    public static async Task<StubIdentityProvider> StartAsync(string agency, TestKey? key = null)
    {
        var app = LoopbackApp.Create();
        StubIdentityProvider? stub = null;
        app.MapGet("/realms/{realm}/.well-known/openid-configuration", (string realm) => Results.Json(new
        {
            issuer = stub!.Issuer,
            jwks_uri = stub.Issuer + "/jwks",
        }));
        app.MapGet("/realms/{realm}/jwks", () =>
        {
            stub!.JwksRequests++;
            return Results.Text(JsonSerializer.Serialize(new { keys = stub._keys.Select(k => k.PublicJwk()) }), "application/json");
        });
        await app.StartAsync();
        var address = LoopbackApp.AddressOf(app);
        stub = new StubIdentityProvider(app, address, agency, key ?? TestKey.NewRsa());
        return stub;
    }

    /// <summary>Publishes a new key first in the JWKS, keeping the old one unless told otherwise.</summary>
    public TestKey Rotate(bool dropOld = false)
    {
        var next = TestKey.NewEc();
        _keys = dropOld ? [next] : [next, .. _keys];
        return next;
    }

    /// <summary>A well-formed access token for the hub, which the test may then spoil one way.</summary>
    public string Token(string audience, string subject = "user-1", string[]? roles = null, TimeSpan? lifetime = null, TestKey? key = null,
        Action<Dictionary<string, object>>? header = null, Action<Dictionary<string, object>>? payload = null)
    {
        var signingKey = key ?? Key;
        var now = DateTimeOffset.UtcNow;
        var h = new Dictionary<string, object> { ["alg"] = signingKey.Alg, ["typ"] = "at+jwt", ["kid"] = signingKey.Kid };
        var p = new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = subject,
            ["aud"] = audience,
            ["iat"] = TestJwt.Unix(now),
            ["nbf"] = TestJwt.Unix(now),
            ["exp"] = TestJwt.Unix(now + (lifetime ?? TimeSpan.FromMinutes(10))),
            ["name"] = $"Test {Agency} user",
            ["roles"] = roles ?? ["macpt-member"],
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        header?.Invoke(h);
        payload?.Invoke(p);
        return TestJwt.Sign(signingKey, h, p);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
