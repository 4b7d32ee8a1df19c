using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace SharingHub.Testing;

/// <summary>A signing key as a test holds it: private key, key id, algorithm, and its public JWK.</summary>
public sealed class TestKey
{
    private TestKey(string kid, string alg, RSA? rsa, ECDsa? ec)
    {
        Kid = kid;
        Alg = alg;
        Rsa = rsa;
        Ec = ec;
    }

    public string Kid { get; }
    public string Alg { get; }
    public RSA? Rsa { get; }
    public ECDsa? Ec { get; }

    public static TestKey NewRsa(string alg = "RS256", string? kid = null) => new(kid ?? "rsa-" + Guid.NewGuid().ToString("N")[..8], alg, RSA.Create(2048), null);

    public static TestKey NewEc(string alg = "ES256", string? kid = null) =>
        new(kid ?? "ec-" + Guid.NewGuid().ToString("N")[..8], alg, null,
            ECDsa.Create(alg == "ES384" ? ECCurve.NamedCurves.nistP384 : alg == "ES512" ? ECCurve.NamedCurves.nistP521 : ECCurve.NamedCurves.nistP256));

    public byte[] Sign(byte[] data, string? alg = null) => (alg ?? Alg) switch
    {
        "RS256" => Rsa!.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        "RS384" => Rsa!.SignData(data, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
        "RS512" => Rsa!.SignData(data, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
        "PS256" => Rsa!.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
        "ES256" => Ec!.SignData(data, HashAlgorithmName.SHA256),
        "ES384" => Ec!.SignData(data, HashAlgorithmName.SHA384),
        "ES512" => Ec!.SignData(data, HashAlgorithmName.SHA512),
        var other => throw new ArgumentException($"test key cannot sign {other}"),
    };

    public Dictionary<string, object> PublicJwk()
    {
        if (Rsa is not null)
        {
            var p = Rsa.ExportParameters(false);
            return new() { ["kty"] = "RSA", ["kid"] = Kid, ["use"] = "sig", ["alg"] = Alg, ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) };
        }
        var q = Ec!.ExportParameters(false);
        var crv = Alg switch { "ES384" => "P-384", "ES512" => "P-521", _ => "P-256" };
        return new() { ["kty"] = "EC", ["kid"] = Kid, ["use"] = "sig", ["alg"] = Alg, ["crv"] = crv, ["x"] = Base64UrlEncoder.Encode(q.Q.X), ["y"] = Base64UrlEncoder.Encode(q.Q.Y) };
    }

    public string PublicJwks() => JsonSerializer.Serialize(new { keys = new[] { PublicJwk() } });

    /// <summary>The public key's bytes, for the classic attack of using them as an HMAC secret.</summary>
    public byte[] PublicKeyBytes() => Rsa is not null ? Rsa.ExportSubjectPublicKeyInfo() : Ec!.ExportSubjectPublicKeyInfo();
}

/// <summary>Builds compact JWS by hand, so tests can craft exactly the malformed tokens an attacker would.</summary>
public static class TestJwt
{
    public static string Encode(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    public static string Json(object value) => JsonSerializer.Serialize(value);

    public static string Sign(TestKey key, string headerJson, string payloadJson, string? alg = null)
    {
        var signingInput = Encode(headerJson) + "." + Encode(payloadJson);
        return signingInput + "." + Base64UrlEncoder.Encode(key.Sign(Encoding.ASCII.GetBytes(signingInput), alg));
    }

    public static string Sign(TestKey key, object header, object payload) => Sign(key, Json(header), Json(payload));

    public static string Hmac(byte[] secret, string alg, object header, object payload)
    {
        var signingInput = Encode(Json(header)) + "." + Encode(Json(payload));
        var mac = alg switch
        {
            "HS384" => HMACSHA384.HashData(secret, Encoding.ASCII.GetBytes(signingInput)),
            "HS512" => HMACSHA512.HashData(secret, Encoding.ASCII.GetBytes(signingInput)),
            _ => HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)),
        };
        return signingInput + "." + Base64UrlEncoder.Encode(mac);
    }

    public static long Unix(DateTimeOffset at) => at.ToUnixTimeSeconds();
}
