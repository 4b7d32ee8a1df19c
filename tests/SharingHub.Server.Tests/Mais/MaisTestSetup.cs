using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Mais;

/// <summary>What brokered-sharing tests need: a key for the hub's assertions, trust registry files naming partners, and query payloads.</summary>
internal sealed class MaisTestSetup : IDisposable
{
    public const string S47 = "https://www.legislation.gov.uk/ukpga/1989/41/section/47";

    private readonly string _folder = Directory.CreateTempSubdirectory("sharinghub-mais-").FullName;

    public MaisTestSetup()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        KeyFile = Path.Combine(_folder, "hub.pem");
        File.WriteAllText(KeyFile, key.ExportPkcs8PrivateKeyPem());
        var q = key.ExportParameters(false).Q;
        PublicJwks = JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "EC", crv = "P-384", x = Base64UrlEncoder.Encode(q.X), y = Base64UrlEncoder.Encode(q.Y), kid = "hub-a-1", use = "sig", alg = "ES384" } },
        });
    }

    /// <summary>The hub's private key for its client assertions (PEM), and its public half for a partner to register.</summary>
    public string KeyFile { get; }
    public string PublicJwks { get; }

    public string Registry(string name, string yaml)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>A partners: section for the stub's partners, each at its own path with its behaviour.</summary>
    public string StubPartners(StubMaisPartner stub, IEnumerable<(string Name, string Agency)> partners, int timeoutMs = 1_000)
    {
        var yaml = new StringBuilder("issuers: []\nclients: []\npartners:\n");
        foreach (var (name, agency) in partners)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"""
                  - name: {name}
                    agency: {agency}
                    base-url: '{stub.Url}/{name}/fhir'
                    token-endpoint: '{stub.Url}/{name}/token'
                    client-id: hub-a
                    key-file: '{KeyFile}'
                    scope: system/Patient.r
                    timeout-ms: {timeoutMs}
                    max-concurrency: 2

                """);
        }
        return Registry("partners.yaml", yaml.ToString());
    }

    public static string Query(string? nhsNumber = "9990000026", string? family = null, string? birthDate = null, string reason = S47, string? given = null) =>
        JsonSerializer.Serialize(new
        {
            resourceType = "Parameters",
            parameter = new object[]
            {
                new
                {
                    name = "resource",
                    resource = new Dictionary<string, object?>
                    {
                        ["resourceType"] = "Patient",
                        ["identifier"] = nhsNumber is null ? null : new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = nhsNumber } },
                        ["name"] = family is null ? null : given is null ? new object[] { new { family } } : [new { family, given = new[] { given } }],
                        ["birthDate"] = birthDate,
                    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value),
                },
                new { name = "reason", valueUri = reason },
            },
        });

    /// <summary>A client assertion signed with the hub's key, as it presents at a partner's token endpoint (SMART Backend Services).</summary>
    public string Assertion(string clientId, string tokenEndpoint)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(KeyFile));
        var now = DateTime.UtcNow;
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId, Audience = tokenEndpoint, IssuedAt = now, NotBefore = now, Expires = now.AddMinutes(4),
            Claims = new Dictionary<string, object> { ["sub"] = clientId, ["jti"] = Guid.NewGuid().ToString("N") },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = "hub-a-1", CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } },
                SecurityAlgorithms.EcdsaSha384),
        });
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
