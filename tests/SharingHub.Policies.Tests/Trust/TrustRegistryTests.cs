using SharingHub.Policies.Loading;
using SharingHub.Policies.Trust;

namespace SharingHub.Policies.Tests.Trust;

public sealed class TrustRegistryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharinghub-trust-").FullName;
    private const string PublicJwks = """{"keys":[{"kty":"EC","crv":"P-384","x":"AAAA","y":"BBBB","kid":"k1"}]}""";

    private string Write(string yaml)
    {
        var path = Path.Combine(_folder, "trust-registry.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Given_the_shipped_registry_then_it_loads_and_trusts_nobody_by_default()
    {
        var registry = TrustRegistryLoader.Load([Path.Combine(ShippedPolicies.Folder, "trust-registry.yaml")], ShippedPolicies.Policy);
        Assert.Empty(registry.Issuers);
        Assert.Empty(registry.Clients);
    }

    [Fact]
    public void Given_a_registry_written_by_the_cli_when_read_back_then_it_is_the_same()
    {
        var original = new TrustRegistry(
            [new TrustedIssuer("police", "https://idp.police.example/realms/x", null, new Uri("https://idp.police.example/realms/x/.well-known/openid-configuration"),
                new HashSet<string> { "sharinghub" }, new HashSet<string> { "at+jwt" }, new ClaimMapping("sub", "preferred_username", "groups"), TimeSpan.FromMinutes(30))],
            [new RegisteredClient("mosaic-1", "la", "Mosaic (O'Brien's council)", PublicJwks, null, new HashSet<string> { "system/*.rs", "system/Task.cruds" }),
             new RegisteredClient("hub-east", "health", "East hub", PublicJwks, null, new HashSet<string> { "system/Patient.r" }) { Organisation = "trust-northgate", Role = "mais-asker" }]);
        var path = Write(TrustRegistryWriter.Write(original));

        var read = TrustRegistryLoader.Load([path], ShippedPolicies.Policy);

        Assert.Equal(original.Clients[0].Name, read.Clients[0].Name);
        Assert.Equal(original.Clients[0].Jwks, read.Clients[0].Jwks);
        Assert.Equal(original.Clients[0].Scopes.Order(), read.Clients[0].Scopes.Order());
        Assert.Equal(original.Issuers[0].Claims, read.Issuers[0].Claims);
        Assert.Equal(original.Issuers[0].MaxLifetime, read.Issuers[0].MaxLifetime);
        // A rewrite keeps what each registration is: its organisation, and a neighbouring hub's ask-only role.
        Assert.Equal((null, "system"), (read.Clients[0].Organisation, read.Clients[0].Role));
        Assert.Equal(("trust-northgate", "mais-asker"), (read.Clients[1].Organisation, read.Clients[1].Role));
    }

    [Theory]
    [InlineData("clients:\n  - client-id: a\n    agency: council\n    name: A\n    jwks-uri: https://a.example/jwks\n    scopes: [system/*.rs]\n", "unknown agency 'council'")]
    [InlineData("clients:\n  - client-id: a\n    agency: la\n    name: A\n    jwks-uri: https://a.example/jwks\n    scopes: [patient/*.rs]\n", "not a SMART v2 system scope")]
    [InlineData("clients:\n  - client-id: a\n    agency: la\n    name: A\n    jwks-uri: http://a.example/jwks\n    scopes: [system/*.rs]\n", "must be an https URI")]
    [InlineData("clients:\n  - client-id: a\n    agency: la\n    name: A\n    jwks: '{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}'\n    scopes: [system/*.rs]\n", "private or symmetric key material")]
    [InlineData("clients:\n  - client-id: a\n    agency: la\n    name: A\n    scopes: [system/*.rs]\n", "exactly one of jwks or jwks-uri")]
    [InlineData("clients:\n  - client-id: a\n    agency: police\n    organisation: school-hillside\n    name: A\n    jwks-uri: https://a.example/jwks\n    scopes: [system/*.rs]\n", "'school-hillside' is not an organisation of agency 'police'")]
    [InlineData("clients:\n  - client-id: a\n    agency: la\n    name: A\n    jwks-uri: https://a.example/jwks\n    scopes: [system/*.rs]\n    role: lcpp\n", "role 'lcpp' is neither 'system' nor a role that only asks the person-info-query")]
    [InlineData("issuers:\n  - agency: la\n    issuer: https://idp.example\n    audiences: [hub]\n", "exactly one of jwks-uri or discovery-uri")]
    [InlineData("issuers:\n  - agency: la\n    issuer: https://idp.example\n    jwks-uri: https://idp.example/jwks\n    audiences: [hub]\n  - agency: police\n    issuer: https://idp.example\n    jwks-uri: https://idp.example/jwks\n    audiences: [hub]\n", "registered twice")]
    // The 100,000-input parser run, seed 28: a tag that is not a URI made YamlDotNet throw ArgumentException.
    [InlineData("clients: []\n!!binary[[[[ #\n", "not valid YAML")]
    public void Given_a_bad_registry_entry_when_loaded_then_start_up_stops_with_file_line_and_reason(string yaml, string reason)
    {
        var path = Write(yaml);
        var error = Assert.Throws<PolicyLoadException>(() => TrustRegistryLoader.Load([path], ShippedPolicies.Policy));
        Assert.Contains(error.Errors, e => e.Reason.Contains(reason, StringComparison.Ordinal) && e.Line > 0 && e.File.EndsWith("trust-registry.yaml", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("system/Patient.rs", true)]
    [InlineData("system/*.cruds", true)]
    [InlineData("system/Patient.sr", false)]
    [InlineData("system/Patient.rr", false)]
    [InlineData("system/Patient.read", false)]
    [InlineData("user/Patient.rs", false)]
    [InlineData("system/patient.rs", false)]
    [InlineData("system/.rs", false)]
    public void Given_a_scope_text_then_only_smart_v2_system_scopes_parse(string text, bool valid) =>
        Assert.Equal(valid, SmartScope.TryParse(text, out _));

    [Fact]
    public void Given_registered_scopes_then_a_request_is_covered_only_within_them()
    {
        SmartScope.TryParse("system/*.rs", out var all);
        SmartScope.TryParse("system/Patient.r", out var read);
        Assert.True(SmartScope.TryParse("system/Patient.cr", out var create));
        Assert.True(all!.Covers(read!));
        Assert.False(all.Covers(create!));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
