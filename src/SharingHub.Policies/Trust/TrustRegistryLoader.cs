using System.Text.Json;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Model;

namespace SharingHub.Policies.Trust;

/// <summary>
/// Reads trust registry files (issuers and clients per agency), checked as strictly as the policies:
/// any error stops start-up with file, line and reason. Several files may be read (the shipped one and
/// the operator's local registrations); an issuer or client id may appear only once across them.
/// </summary>
public static class TrustRegistryLoader
{
    public static TrustRegistry Load(IEnumerable<string> files, PolicySet policy)
    {
        var errors = new PolicyErrors();
        var issuers = new List<TrustedIssuer>();
        var clients = new List<RegisteredClient>();
        var partners = new List<RegisteredPartner>();
        foreach (var path in files)
        {
            var name = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) + "/" + Path.GetFileName(path);
            if (!File.Exists(path))
            {
                errors.Add(name, 0, "trust registry file not found");
                continue;
            }
            var doc = YamlMap.Parse(File.ReadAllText(path), name, errors);
            if (doc is null)
            {
                continue;
            }
            foreach (var entry in doc.Maps("issuers", required: false))
            {
                if (ReadIssuer(entry, policy) is { } issuer)
                {
                    if (issuers.Any(i => i.Issuer == issuer.Issuer))
                    {
                        errors.Add(name, entry.Line, $"issuer '{issuer.Issuer}' is registered twice");
                    }
                    issuers.Add(issuer);
                }
            }
            foreach (var entry in doc.Maps("clients", required: false))
            {
                if (ReadClient(entry, policy) is { } client)
                {
                    if (clients.Any(c => c.ClientId == client.ClientId))
                    {
                        errors.Add(name, entry.Line, $"client '{client.ClientId}' is registered twice");
                    }
                    clients.Add(client);
                }
            }
            foreach (var entry in doc.Maps("partners", required: false))
            {
                if (ReadPartner(entry, policy) is { } partner)
                {
                    if (partners.Any(p => p.Name == partner.Name))
                    {
                        errors.Add(name, entry.Line, $"partner '{partner.Name}' is registered twice");
                    }
                    partners.Add(partner);
                }
            }
            doc.RejectUnknownKeys();
        }
        errors.ThrowIfAny();
        return new TrustRegistry(issuers, clients) { Partners = partners };
    }

    private static TrustedIssuer? ReadIssuer(YamlMap entry, PolicySet policy)
    {
        var agency = entry.String("agency");
        var issuer = entry.String("issuer");
        var jwks = entry.String("jwks-uri", required: false);
        var discovery = entry.String("discovery-uri", required: false);
        var audiences = entry.Words("audiences").Select(w => w.Value).ToHashSet(StringComparer.Ordinal);
        var types = entry.Words("token-types", required: false).Select(w => w.Value).ToHashSet(StringComparer.Ordinal);
        var claims = entry.Map("claims", required: false);
        var mapping = new ClaimMapping(
            claims?.String("subject", required: false) ?? "sub",
            claims?.String("name", required: false) ?? "name",
            claims?.String("roles", required: false) ?? "roles")
        {
            Organisation = claims?.String("organisation", required: false) ?? "org",
        };
        claims?.RejectUnknownKeys();
        var maxLifetime = entry.Int("max-lifetime-minutes") ?? 60;
        SignInClient? signIn = null;
        if (entry.Map("signin", required: false) is { } s)
        {
            var clientId = s.String("client-id");
            var secretEnv = s.String("client-secret-env", required: false);
            s.RejectUnknownKeys();
            signIn = clientId is null ? null : new SignInClient(clientId, secretEnv);
        }
        entry.RejectUnknownKeys();
        if (agency is null || issuer is null)
        {
            return null;
        }
        if (!policy.Agencies.ContainsKey(agency))
        {
            entry.Errors.Add(entry.File, entry.LineOf("agency"), $"unknown agency '{agency}'");
            return null;
        }
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out _))
        {
            entry.Errors.Add(entry.File, entry.LineOf("issuer"), $"issuer must be an absolute URI, not '{issuer}'");
            return null;
        }
        var jwksUri = Absolute(entry, "jwks-uri", jwks);
        var discoveryUri = Absolute(entry, "discovery-uri", discovery);
        if ((jwksUri is null) == (discoveryUri is null))
        {
            entry.Errors.Add(entry.File, entry.Line, $"issuer '{issuer}' needs exactly one of jwks-uri or discovery-uri");
            return null;
        }
        if (signIn is not null && discoveryUri is null)
        {
            entry.Errors.Add(entry.File, entry.LineOf("signin"), $"issuer '{issuer}' signs people in, so it needs a discovery-uri for its endpoints");
            return null;
        }
        return new TrustedIssuer(agency, issuer, jwksUri, discoveryUri, audiences,
            types.Count > 0 ? types : new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "at+jwt", "JWT" },
            mapping, TimeSpan.FromMinutes(maxLifetime), signIn);
    }

    private static RegisteredClient? ReadClient(YamlMap entry, PolicySet policy)
    {
        var id = entry.String("client-id");
        var agency = entry.String("agency");
        var name = entry.String("name");
        var jwks = entry.String("jwks", required: false);
        var jwksUriText = entry.String("jwks-uri", required: false);
        var scopes = entry.Words("scopes");
        var organisation = entry.String("organisation", required: false);
        var role = entry.String("role", required: false) ?? RegisteredClient.SystemRole;
        entry.RejectUnknownKeys();
        if (id is null || agency is null || name is null)
        {
            return null;
        }
        // A system acts for its agency (role system); a neighbouring hub that only asks MAIS queries holds a role that does nothing else.
        if (role != RegisteredClient.SystemRole && !(policy.Roles.TryGetValue(role, out var asker) && asker.PersonInfoQueryOnly && asker.IsHeldAt(agency)))
        {
            entry.Errors.Add(entry.File, entry.LineOf("role"), $"client '{id}': role '{role}' is neither '{RegisteredClient.SystemRole}' nor a role that only asks the person-info-query");
            return null;
        }
        if (!policy.Agencies.ContainsKey(agency))
        {
            entry.Errors.Add(entry.File, entry.LineOf("agency"), $"unknown agency '{agency}'");
            return null;
        }
        if (organisation is not null && policy.OrganisationIn(agency, organisation) is null)
        {
            entry.Errors.Add(entry.File, entry.LineOf("organisation"), $"client '{id}': '{organisation}' is not an organisation of agency '{agency}'");
            return null;
        }
        foreach (var (scope, line) in scopes.Where(s => !SmartScope.TryParse(s.Value, out _)))
        {
            entry.Errors.Add(entry.File, line, $"'{scope}' is not a SMART v2 system scope (for example system/Patient.rs)");
        }
        var jwksUri = Absolute(entry, "jwks-uri", jwksUriText);
        if ((jwks is null) == (jwksUri is null))
        {
            entry.Errors.Add(entry.File, entry.Line, $"client '{id}' needs exactly one of jwks or jwks-uri");
            return null;
        }
        if (jwks is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(jwks);
                if (!doc.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array || keys.GetArrayLength() == 0)
                {
                    entry.Errors.Add(entry.File, entry.LineOf("jwks"), $"client '{id}': jwks must be a JSON Web Key Set with at least one key");
                    return null;
                }
                if (keys.EnumerateArray().Any(k => k.TryGetProperty("d", out _) || k.TryGetProperty("k", out _)))
                {
                    entry.Errors.Add(entry.File, entry.LineOf("jwks"), $"client '{id}': jwks holds private or symmetric key material; register public keys only");
                    return null;
                }
            }
            catch (JsonException)
            {
                entry.Errors.Add(entry.File, entry.LineOf("jwks"), $"client '{id}': jwks is not valid JSON");
                return null;
            }
        }
        return new RegisteredClient(id, agency, name, jwks, jwksUri, scopes.Select(s => s.Value).ToHashSet(StringComparer.Ordinal)) { Organisation = organisation, Role = role };
    }

    private static RegisteredPartner? ReadPartner(YamlMap entry, PolicySet policy)
    {
        var name = entry.String("name");
        var agency = entry.String("agency");
        var baseUrl = Absolute(entry, "base-url", entry.String("base-url"));
        var tokenEndpoint = Absolute(entry, "token-endpoint", entry.String("token-endpoint"));
        var clientId = entry.String("client-id");
        var keyFile = entry.String("key-file");
        var scope = entry.String("scope", required: false) ?? "system/Patient.r";
        var timeout = entry.Int("timeout-ms") ?? 3_000;
        var concurrency = entry.Int("max-concurrency") ?? 4;
        var speaksFor = entry.Words("speaks-for", required: false);
        entry.RejectUnknownKeys();
        if (name is null || agency is null || baseUrl is null || tokenEndpoint is null || clientId is null || keyFile is null)
        {
            return null;
        }
        if (!policy.Agencies.ContainsKey(agency))
        {
            entry.Errors.Add(entry.File, entry.LineOf("agency"), $"unknown agency '{agency}'");
            return null;
        }
        if (timeout is < 100 or > 60_000 || concurrency is < 1 or > 64)
        {
            entry.Errors.Add(entry.File, entry.Line, $"partner '{name}': timeout-ms is 100 to 60000 and max-concurrency 1 to 64");
            return null;
        }
        foreach (var unknown in speaksFor.Where(w => !policy.Agencies.ContainsKey(w.Value)))
        {
            entry.Errors.Add(entry.File, unknown.Line, $"partner '{name}' speaks for unknown agency '{unknown.Value}'");
            return null;
        }
        return new RegisteredPartner(name, agency, baseUrl, tokenEndpoint, clientId, keyFile, scope, TimeSpan.FromMilliseconds(timeout), concurrency)
        {
            SpeaksFor = speaksFor.Select(w => w.Value).Append(agency).ToHashSet(StringComparer.Ordinal),
        };
    }

    private static Uri? Absolute(YamlMap entry, string key, string? text)
    {
        if (text is null)
        {
            return null;
        }
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.IsLoopback))
        {
            return uri;
        }
        entry.Errors.Add(entry.File, entry.LineOf(key), $"{key} must be an https URI (http only on loopback), not '{text}'");
        return null;
    }
}
