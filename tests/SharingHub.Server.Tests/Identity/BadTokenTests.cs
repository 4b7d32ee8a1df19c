using System.Net;
using System.Text;
using SharingHub.Testing;
using static SharingHub.Server.Tests.Identity.IdentityFixture;

namespace SharingHub.Server.Tests.Identity;

/// <summary>
/// Crafted bad access tokens, each of which must be refused with a bare 401: no body, no hint of
/// which check failed.
/// </summary>
public sealed class BadTokenTests(IdentityFixture hub) : IClassFixture<IdentityFixture>
{
    private static string Tamper(string token, int part, Func<string, string> change)
    {
        var parts = token.Split('.');
        parts[part] = change(parts[part]);
        return string.Join('.', parts);
    }

    private static string FlipMiddle(string segment)
    {
        var chars = segment.ToCharArray();
        var i = chars.Length / 2;
        chars[i] = chars[i] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    private static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static TheoryData<string> Cases() =>
    [
        "alg none", "alg None", "alg NONE", "alg nOnE", "alg none with a signature",
        "HS256 signed with the RSA public key", "HS384 signed with the RSA public key", "HS512 signed with the RSA public key",
        "alg RSA-OAEP", "alg ES512 outside the list", "alg PS512 outside the list", "alg missing",
        "signature stripped", "signature altered", "payload altered after signing", "header altered after signing",
        "unknown kid", "path traversal kid", "SQL injection kid", "kid missing", "kid of a registered key but signed by another key",
        "jku header", "x5u header", "jwk header with the attacker's key", "x5c header",
        "unregistered issuer", "police key claiming the health issuer", "health key claiming the police issuer", "hub issuer signed by an agency key",
        "wrong audience", "missing audience", "audience list without the hub",
        "wrong typ", "expired", "not yet valid", "missing exp", "exp as a string", "lifetime over the issuer maximum", "issued in the future",
        "duplicate member in the payload", "duplicate member in the header", "unknown crit", "crit b64",
        "oversized", "empty", "garbage", "two segments", "five segments (JWE)", "padding in a segment", "non-canonical base64url signature",
        "payload is a JSON array", "Basic scheme instead of Bearer", "two Authorization headers",
    ];

    private string Build(string name)
    {
        var police = hub.Police;
        var valid = police.Token(Audience);
        var rsa = police.Key;
        var attacker = TestKey.NewRsa(kid: rsa.Kid);
        Dictionary<string, object> Header(string alg) => new() { ["alg"] = alg, ["typ"] = "at+jwt", ["kid"] = rsa.Kid };
        Dictionary<string, object> Payload() => new()
        {
            ["iss"] = police.Issuer, ["sub"] = "u1", ["aud"] = Audience, ["iat"] = Now, ["nbf"] = Now, ["exp"] = Now + 600, ["roles"] = new[] { "macpt-member" },
        };
        string Unsigned(string alg, string signature = "") => TestJwt.Encode(TestJwt.Json(Header(alg))) + "." + TestJwt.Encode(TestJwt.Json(Payload())) + "." + signature;
        return name switch
        {
            "alg none" => Unsigned("none"),
            "alg None" => Unsigned("None"),
            "alg NONE" => Unsigned("NONE"),
            "alg nOnE" => Unsigned("nOnE"),
            "alg none with a signature" => Unsigned("none", valid.Split('.')[2]),
            "HS256 signed with the RSA public key" => TestJwt.Hmac(rsa.PublicKeyBytes(), "HS256", Header("HS256"), Payload()),
            "HS384 signed with the RSA public key" => TestJwt.Hmac(rsa.PublicKeyBytes(), "HS384", Header("HS384"), Payload()),
            "HS512 signed with the RSA public key" => TestJwt.Hmac(rsa.PublicKeyBytes(), "HS512", Header("HS512"), Payload()),
            "alg RSA-OAEP" => police.Token(Audience, header: h => h["alg"] = "RSA-OAEP"),
            "alg ES512 outside the list" => police.Token(Audience, key: TestKey.NewEc("ES512", kid: rsa.Kid)),
            "alg PS512 outside the list" => police.Token(Audience, header: h => h["alg"] = "PS512"),
            "alg missing" => police.Token(Audience, header: h => h.Remove("alg")),
            "signature stripped" => Tamper(valid, 2, _ => ""),
            "signature altered" => Tamper(valid, 2, FlipMiddle),
            "payload altered after signing" => Tamper(valid, 1, _ => TestJwt.Encode(TestJwt.Json(Payload() is var p && (p["sub"] = "someone-else") is not null ? p : p))),
            "header altered after signing" => Tamper(valid, 0, _ => TestJwt.Encode(TestJwt.Json(Header("RS256") is var h && (h["typ"] = "JWT") is not null ? h : h))),
            "unknown kid" => police.Token(Audience, header: h => h["kid"] = "no-such-key"),
            "path traversal kid" => police.Token(Audience, header: h => h["kid"] = "../../../../dev/null"),
            "SQL injection kid" => police.Token(Audience, header: h => h["kid"] = "' OR '1'='1"),
            "kid missing" => police.Token(Audience, header: h => h.Remove("kid")),
            "kid of a registered key but signed by another key" => police.Token(Audience, key: attacker),
            "jku header" => police.Token(Audience, key: attacker, header: h => h["jku"] = "https://attacker.example/jwks"),
            "x5u header" => police.Token(Audience, header: h => h["x5u"] = "https://attacker.example/cert.pem"),
            "jwk header with the attacker's key" => police.Token(Audience, key: attacker, header: h => h["jwk"] = attacker.PublicJwk()),
            "x5c header" => police.Token(Audience, header: h => h["x5c"] = new[] { Convert.ToBase64String(rsa.PublicKeyBytes()) }),
            "unregistered issuer" => police.Token(Audience, payload: p => p["iss"] = "https://idp.attacker.example/realms/health"),
            "police key claiming the health issuer" => police.Token(Audience, payload: p => p["iss"] = hub.Health.Issuer),
            "health key claiming the police issuer" => hub.Health.Token(Audience, payload: p => p["iss"] = police.Issuer),
            "hub issuer signed by an agency key" => police.Token(Audience, payload: p => { p["iss"] = HubBase; p["client_id"] = ClientId; p["sub"] = ClientId; }),
            "wrong audience" => police.Token("https://another-hub.example/api"),
            "missing audience" => police.Token(Audience, payload: p => p.Remove("aud")),
            "audience list without the hub" => police.Token(Audience, payload: p => p["aud"] = new[] { "account", "broker" }),
            "wrong typ" => police.Token(Audience, header: h => h["typ"] = "secevent+jwt"),
            "expired" => police.Token(Audience, payload: p => { p["iat"] = Now - 1200; p["nbf"] = Now - 1200; p["exp"] = Now - 600; }),
            "not yet valid" => police.Token(Audience, payload: p => { p["nbf"] = Now + 600; p["exp"] = Now + 1200; }),
            "missing exp" => police.Token(Audience, payload: p => p.Remove("exp")),
            "exp as a string" => police.Token(Audience, payload: p => p["exp"] = (Now + 600).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "lifetime over the issuer maximum" => police.Token(Audience, lifetime: TimeSpan.FromHours(3)),
            "issued in the future" => police.Token(Audience, payload: p => p["iat"] = Now + 900),
            "duplicate member in the payload" => TestJwt.Sign(rsa, TestJwt.Json(Header("RS256")),
                TestJwt.Json(Payload())[..^1] + $",\"aud\":\"https://another-hub.example/api\"}}"),
            "duplicate member in the header" => TestJwt.Sign(rsa, "{\"alg\":\"none\",\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"" + rsa.Kid + "\"}", TestJwt.Json(Payload())),
            "unknown crit" => police.Token(Audience, header: h => { h["crit"] = new[] { "urn:example:must-understand" }; h["urn:example:must-understand"] = true; }),
            "crit b64" => police.Token(Audience, header: h => { h["crit"] = new[] { "b64" }; h["b64"] = false; }),
            "oversized" => police.Token(Audience, payload: p => p["padding"] = new string('x', 12_000)),
            "empty" => "",
            "garbage" => "not-a-token-at-all",
            "two segments" => string.Join('.', valid.Split('.').Take(2)),
            "five segments (JWE)" => valid + ".AAAA.BBBB",
            "padding in a segment" => Tamper(valid, 1, s => s + "=="),
            "non-canonical base64url signature" => NonCanonical(valid),
            "payload is a JSON array" => TestJwt.Sign(rsa, TestJwt.Json(Header("RS256")), "[\"iss\",\"sub\"]"),
            _ => valid,
        };
    }

    /// <summary>Changes only the unused low bits of the last signature character: same bytes, another spelling.</summary>
    private static string NonCanonical(string token)
    {
        var signature = token.Split('.')[2];
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var last = alphabet.IndexOf(signature[^1], StringComparison.Ordinal);
        var unusedBits = (signature.Length * 6) % 8;
        var sibling = alphabet[last ^ ((1 << unusedBits) - 1)];
        return Tamper(token, 2, s => s[..^1] + sibling);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Given_a_crafted_bad_token_when_used_then_it_is_refused_with_a_401_that_names_the_failed_check_in_fixed_words(string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        var token = name is "Basic scheme instead of Bearer" or "two Authorization headers" ? hub.Police.Token(Audience) : Build(name);
        switch (name)
        {
            case "Basic scheme instead of Bearer":
                request.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("user:" + token)));
                break;
            case "two Authorization headers":
                request.Headers.TryAddWithoutValidation("Authorization", ["Bearer " + token, "Bearer " + token]);
                break;
            default:
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
                break;
        }

        using var response = await hub.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.StartsWith("Bearer realm=\"sharinghub\", error=\"invalid_token\", error_description=\"", challenge, StringComparison.Ordinal);
        var description = challenge.Split("error_description=\"")[1].TrimEnd('"');
        Assert.Contains(description, KnownDescriptions);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(description, body.RootElement.GetProperty("error_description").GetString());
        var expected = name switch
        {
            "expired" => "the token has expired",
            "wrong audience" => "the token is for another audience",
            "unknown kid" => "the token is signed with a key the hub does not know",
            _ => null,
        };
        Assert.True(expected is null || expected == description, $"{name}: {description}");
    }

    private static readonly string[] KnownDescriptions =
    [
        "the token is not valid", "the token has expired", "the token is not valid yet", "the token is for another audience",
        "the token is signed with a key the hub does not know", "the token's signature does not verify", "the token's issuer is not trusted",
        "the token's client is not registered", "send one Authorization header with a Bearer token",
    ];

    [Fact]
    public async Task Given_the_list_of_attacks_then_there_are_at_least_forty_and_a_valid_token_still_passes()
    {
        Assert.True(Cases().Count >= 40);
        using var response = await hub.GetMeAsync(hub.Police.Token(Audience));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
