using System.Net;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using SharingHub.Testing;
using static SharingHub.Server.Tests.Identity.IdentityFixture;

namespace SharingHub.Server.Tests.Identity;

public sealed class TokenServiceTests(IdentityFixture hub) : IClassFixture<IdentityFixture>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Given_a_registered_partner_system_when_it_presents_a_signed_assertion_then_it_gets_a_short_at_jwt_for_its_own_agency()
    {
        using var response = await hub.RequestTokenAsync(hub.Assertion(), "system/Patient.rs system/Task.cruds");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await JsonAsync(response);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(300, body.GetProperty("expires_in").GetInt32());
        var token = body.GetProperty("access_token").GetString()!;
        Assert.Equal("at+jwt", JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(token.Split('.')[0])).RootElement.GetProperty("typ").GetString());

        using var me = await hub.GetMeAsync(token);
        var who = await JsonAsync(me);
        Assert.Equal("la", who.GetProperty("agency").GetString());
        Assert.Equal(ClientId, who.GetProperty("client_id").GetString());
        Assert.Equal(["system"], who.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["system/Patient.rs", "system/Task.cruds"], who.GetProperty("scopes").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Given_an_rs384_client_when_it_asks_then_it_gets_a_token_for_its_agency()
    {
        using var response = await hub.RequestTokenAsync(hub.Assertion(hub.OtherClientKey, OtherClientId), "system/Patient.r");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var me = await hub.GetMeAsync((await JsonAsync(response)).GetProperty("access_token").GetString());
        Assert.Equal("police", (await JsonAsync(me)).GetProperty("agency").GetString());
    }

    [Theory]
    [InlineData("system/Observation.rs")]
    [InlineData("system/Patient.cruds")]
    [InlineData("user/Patient.rs")]
    [InlineData("system/*.rs patient/*.rs")]
    [InlineData("")]
    public async Task Given_a_scope_outside_the_registration_when_asked_then_invalid_scope(string scope)
    {
        using var response = await hub.RequestTokenAsync(hub.Assertion(hub.OtherClientKey, OtherClientId), scope);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_scope", (await JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Given_an_assertion_used_once_when_replayed_then_it_is_refused()
    {
        var assertion = hub.Assertion();
        using (var first = await hub.RequestTokenAsync(assertion))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using var second = await hub.RequestTokenAsync(assertion);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Equal("invalid_client", (await JsonAsync(second)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Given_an_assertion_used_at_one_hub_node_when_replayed_through_another_then_it_is_refused()
    {
        var assertion = hub.Assertion();
        using (var first = await hub.RequestTokenAsync(assertion))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using var replayed = await hub.RequestTokenAsync(assertion, via: hub.SecondNode);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal("invalid_client", (await JsonAsync(replayed)).GetProperty("error").GetString());
        using var fresh = await hub.RequestTokenAsync(hub.Assertion(), via: hub.SecondNode);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    public static TheoryData<string> AssertionAttacks() =>
    [
        "alg none", "RS256 not allowed", "ES256 not allowed", "HS256 with the public key", "iss differs from sub", "iss and sub of another client",
        "aud is the issuer, not the token endpoint", "aud elsewhere", "exp more than five minutes ahead", "expired", "missing exp", "missing jti",
        "jku not registered", "jwk header", "unknown kid", "registered kid, other key", "duplicate member", "crit header",
        "unregistered client", "client_id parameter differs", "wrong assertion type", "oversized", "signature stripped", "exp as a string",
        "aud an array with another audience", "iat in the future", "typ at+jwt",
    ];

    [Theory]
    [MemberData(nameof(AssertionAttacks))]
    public async Task Given_a_crafted_client_assertion_when_presented_then_invalid_client_and_nothing_more(string name)
    {
        var now = DateTimeOffset.UtcNow;
        var key = hub.ClientKey;
        string? clientIdParameter = null;
        var assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        var assertion = name switch
        {
            "alg none" => TestJwt.Encode("{\"alg\":\"none\"}") + "." + TestJwt.Encode(TestJwt.Json(new { iss = ClientId, sub = ClientId, aud = TokenEndpoint, exp = now.AddMinutes(4).ToUnixTimeSeconds(), jti = "n1" })) + ".",
            "RS256 not allowed" => hub.Assertion(TestKey.NewRsa("RS256", kid: hub.OtherClientKey.Kid), OtherClientId),
            "ES256 not allowed" => hub.Assertion(TestKey.NewEc("ES256", kid: key.Kid)),
            "HS256 with the public key" => TestJwt.Hmac(key.PublicKeyBytes(), "HS256", new { alg = "HS256", kid = key.Kid },
                new { iss = ClientId, sub = ClientId, aud = TokenEndpoint, exp = now.AddMinutes(4).ToUnixTimeSeconds(), jti = Guid.NewGuid().ToString() }),
            "iss differs from sub" => hub.Assertion(payload: p => p["sub"] = "someone"),
            "iss and sub of another client" => hub.Assertion(payload: p => { p["iss"] = OtherClientId; p["sub"] = OtherClientId; }),
            "aud is the issuer, not the token endpoint" => hub.Assertion(payload: p => p["aud"] = HubBase),
            "aud elsewhere" => hub.Assertion(payload: p => p["aud"] = "https://other.example/token"),
            "exp more than five minutes ahead" => hub.Assertion(payload: p => p["exp"] = now.AddMinutes(30).ToUnixTimeSeconds()),
            "expired" => hub.Assertion(payload: p => p["exp"] = now.AddMinutes(-10).ToUnixTimeSeconds()),
            "missing exp" => hub.Assertion(payload: p => p.Remove("exp")),
            "missing jti" => hub.Assertion(payload: p => p.Remove("jti")),
            "jku not registered" => hub.Assertion(header: h => h["jku"] = "https://attacker.example/jwks"),
            "jwk header" => hub.Assertion(header: h => h["jwk"] = key.PublicJwk()),
            "unknown kid" => hub.Assertion(header: h => h["kid"] = "nope"),
            "registered kid, other key" => hub.Assertion(TestKey.NewEc("ES384", kid: key.Kid)),
            "duplicate member" => TestJwt.Sign(key, TestJwt.Json(new { alg = "ES384", kid = key.Kid }),
                TestJwt.Json(new { iss = ClientId, sub = ClientId, aud = TokenEndpoint, exp = now.AddMinutes(4).ToUnixTimeSeconds(), jti = Guid.NewGuid().ToString() })[..^1] + ",\"sub\":\"admin\"}"),
            "crit header" => hub.Assertion(header: h => h["crit"] = new[] { "exp" }),
            "unregistered client" => hub.Assertion(TestKey.NewEc("ES384"), "ghost-client"),
            "client_id parameter differs" => hub.Assertion(),
            "wrong assertion type" => hub.Assertion(),
            "oversized" => hub.Assertion(payload: p => p["pad"] = new string('x', 10_000)),
            "signature stripped" => string.Join('.', hub.Assertion().Split('.').Take(2)) + ".",
            "exp as a string" => hub.Assertion(payload: p => p["exp"] = now.AddMinutes(4).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "aud an array with another audience" => hub.Assertion(payload: p => p["aud"] = new[] { TokenEndpoint, "https://other.example/token" }),
            "iat in the future" => hub.Assertion(payload: p => p["iat"] = now.AddMinutes(3).ToUnixTimeSeconds()),
            "typ at+jwt" => hub.Assertion(header: h => h["typ"] = "at+jwt"),
            _ => hub.Assertion(),
        };
        if (name == "client_id parameter differs")
        {
            clientIdParameter = OtherClientId;
        }
        if (name == "wrong assertion type")
        {
            assertionType = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer";
        }

        using var response = await hub.RequestTokenAsync(assertion, clientId: clientIdParameter, assertionType: assertionType);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.Equal("client authentication failed", body.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task Given_a_grant_other_than_client_credentials_then_unsupported_grant_type()
    {
        using var response = await hub.Client.PostAsync(new Uri("/token", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "password", ["username"] = "a", ["password"] = "b" }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unsupported_grant_type", (await JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Given_discovery_then_it_names_the_token_endpoint_and_only_asymmetric_client_authentication()
    {
        var smart = await JsonAsync(await hub.Client.GetAsync(new Uri("/.well-known/smart-configuration", UriKind.Relative)));
        Assert.Equal(TokenEndpoint, smart.GetProperty("token_endpoint").GetString());
        Assert.Equal(["private_key_jwt"], smart.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
        var jwks = await JsonAsync(await hub.Client.GetAsync(new Uri("/jwks", UriKind.Relative)));
        Assert.All(jwks.GetProperty("keys").EnumerateArray(), k => Assert.False(k.TryGetProperty("d", out _)));
    }

    [Fact]
    public async Task Given_a_valid_hub_token_when_mutated_at_random_then_no_mutation_is_ever_accepted()
    {
        using var issued = await hub.RequestTokenAsync(hub.Assertion());
        var token = (await JsonAsync(issued)).GetProperty("access_token").GetString()!;
        using (var ok = await hub.GetMeAsync(token))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
        var mutation = Gen.Choose(0, 4).SelectMany(kind => Gen.Choose(0, token.Length - 1).SelectMany(at => Gen.Choose(0, alphabet.Length - 1).Select(c => (kind, at, c))));
        var property = Prop.ForAll(mutation.ToArbitrary(), m =>
        {
            var (kind, at, c) = m;
            var mutated = kind switch
            {
                0 => token[..at] + alphabet[c] + token[(at + 1)..],
                1 => token.Remove(at, 1),
                2 => token.Insert(at, alphabet[c].ToString()),
                3 => token[..at],
                _ => string.Concat(token.Split('.').Reverse()),
            };
            if (mutated == token)
            {
                return true;
            }
            using var response = hub.GetMeAsync(mutated).GetAwaiter().GetResult();
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                throw new InvalidOperationException($"status {response.StatusCode} for mutation {kind} at {at} of {token.Length} with '{alphabet[c]}': {mutated} original {token}");
            }
            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), property);
    }

    [Fact]
    public void Given_a_valid_client_assertion_when_mutated_at_random_then_no_mutation_gets_a_token()
    {
        var mutation = Gen.Choose(0, 3).SelectMany(kind => Gen.Choose(0, 1000).SelectMany(at => Gen.Choose(0, 63).Select(c => (kind, at, c))));
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var property = Prop.ForAll(mutation.ToArbitrary(), m =>
        {
            var assertion = hub.Assertion();
            var at = m.at % assertion.Length;
            var mutated = m.kind switch
            {
                0 => assertion[..at] + alphabet[m.c] + assertion[(at + 1)..],
                1 => assertion.Remove(at, 1),
                2 => assertion.Insert(at, alphabet[m.c].ToString()),
                _ => assertion[..at],
            };
            if (mutated == assertion)
            {
                return true;
            }
            using var response = hub.RequestTokenAsync(mutated).GetAwaiter().GetResult();
            return response.StatusCode == HttpStatusCode.Unauthorized
                ? true
                : throw new InvalidOperationException($"status {response.StatusCode} for assertion mutation {m.kind} at {at}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }
}
