using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace SharingHub.Testing;

/// <summary>
/// A stand-in for Azure Key Vault on 127.0.0.1: the same key read, wrapKey and unwrapKey calls, with
/// real RSA-OAEP-256 keys that never leave it, a bearer token check, and switches to take it down or
/// delete a key (revocation).
/// </summary>
public sealed class StubKeyVault : IAsyncDisposable
{
    public const string Token = "stub-vault-token";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (string Version, RSA Key)> _keys = new(StringComparer.Ordinal);

    private StubKeyVault(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    public Uri Uri { get; }
    public bool Down { get; set; }
    public int Calls { get; private set; }

    public void CreateKey(string name) => _keys[name] = ("v" + Guid.NewGuid().ToString("N")[..8], RSA.Create(2048));

    public void DeleteKey(string name) => _keys.TryRemove(name, out _);

    public static async Task<StubKeyVault> StartAsync()
    {
        var app = LoopbackApp.Create();
        StubKeyVault? vault = null;
        app.Use(async (context, next) =>
        {
            vault!.Calls++;
            if (vault.Down)
            {
                context.Response.StatusCode = 503;
                return;
            }
            if (context.Request.Headers.Authorization != $"Bearer {Token}")
            {
                context.Response.StatusCode = 401;
                return;
            }
            await next();
        });
        app.MapGet("/keys/{name}", (string name) => vault!._keys.TryGetValue(name, out var k)
            ? Results.Json(new { key = new { kid = vault.Kid(name, k.Version), kty = "RSA" } })
            : Results.NotFound());
        app.MapPost("/keys/{name}/{version}/{operation}", async (string name, string version, string operation, HttpRequest request) =>
        {
            if (!vault!._keys.TryGetValue(name, out var k) || k.Version != version)
            {
                return Results.NotFound();
            }
            using var body = await JsonDocument.ParseAsync(request.Body);
            if (body.RootElement.GetProperty("alg").GetString() != "RSA-OAEP-256")
            {
                return Results.BadRequest();
            }
            var input = Base64UrlEncoder.DecodeBytes(body.RootElement.GetProperty("value").GetString());
            try
            {
                var output = operation switch
                {
                    "wrapkey" => k.Key.Encrypt(input, RSAEncryptionPadding.OaepSHA256),
                    "unwrapkey" => k.Key.Decrypt(input, RSAEncryptionPadding.OaepSHA256),
                    _ => null,
                };
                return output is null ? Results.NotFound() : Results.Json(new { kid = vault.Kid(name, version), value = Base64UrlEncoder.Encode(output) });
            }
            catch (CryptographicException)
            {
                return Results.BadRequest();
            }
        });
        await app.StartAsync();
        var address = LoopbackApp.AddressOf(app);
        vault = new StubKeyVault(app, new Uri(address + "/"));
        return vault;
    }

    private string Kid(string name, string version) => new Uri(Uri, $"keys/{name}/{version}").AbsoluteUri;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>A credential that hands out the stub vault's token.</summary>
public sealed class StubVaultCredential : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(StubKeyVault.Token, DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
