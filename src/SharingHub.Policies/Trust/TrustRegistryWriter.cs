using System.Text;

namespace SharingHub.Policies.Trust;

/// <summary>Writes a trust registry back as YAML the loader reads, for the CLI's registrations.</summary>
public static class TrustRegistryWriter
{
    public static string Write(TrustRegistry registry)
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("# Local registrations, written by 'sharinghub client register'. The hub reads this file beside policies/trust-registry.yaml.");
        yaml.AppendLine(registry.Issuers.Count == 0 ? "issuers: []" : "issuers:");
        foreach (var i in registry.Issuers)
        {
            yaml.AppendLine($"  - agency: {i.Agency}");
            yaml.AppendLine($"    issuer: {Quote(i.Issuer)}");
            yaml.AppendLine(i.JwksUri is not null ? $"    jwks-uri: {Quote(i.JwksUri.ToString())}" : $"    discovery-uri: {Quote(i.DiscoveryUri!.ToString())}");
            yaml.AppendLine($"    audiences: [{string.Join(", ", i.Audiences.Select(Quote))}]");
            yaml.AppendLine($"    token-types: [{string.Join(", ", i.TokenTypes.Select(Quote))}]");
            yaml.AppendLine($"    max-lifetime-minutes: {(int)i.MaxLifetime.TotalMinutes}");
            yaml.AppendLine($"    claims: {{ subject: {Quote(i.Claims.Subject)}, name: {Quote(i.Claims.Name)}, roles: {Quote(i.Claims.Roles)} }}");
            if (i.SignIn is { } signIn)
            {
                yaml.AppendLine(signIn.ClientSecretEnvironmentVariable is null
                    ? $"    signin: {{ client-id: {Quote(signIn.ClientId)} }}"
                    : $"    signin: {{ client-id: {Quote(signIn.ClientId)}, client-secret-env: {Quote(signIn.ClientSecretEnvironmentVariable)} }}");
            }
        }
        yaml.AppendLine(registry.Clients.Count == 0 ? "clients: []" : "clients:");
        foreach (var c in registry.Clients)
        {
            yaml.AppendLine($"  - client-id: {Quote(c.ClientId)}");
            yaml.AppendLine($"    agency: {c.Agency}");
            yaml.AppendLine($"    name: {Quote(c.Name)}");
            yaml.AppendLine(c.Jwks is not null ? $"    jwks: {Quote(c.Jwks)}" : $"    jwks-uri: {Quote(c.JwksUri!.ToString())}");
            yaml.AppendLine($"    scopes: [{string.Join(", ", c.Scopes.Select(Quote))}]");
            if (c.Organisation is not null)
            {
                yaml.AppendLine($"    organisation: {Quote(c.Organisation)}");
            }
            if (c.Role != RegisteredClient.SystemRole)
            {
                yaml.AppendLine($"    role: {Quote(c.Role)}");
            }
        }
        if (registry.Partners.Count > 0)
        {
            yaml.AppendLine("partners:");
            foreach (var p in registry.Partners)
            {
                yaml.AppendLine($"  - name: {Quote(p.Name)}");
                yaml.AppendLine($"    agency: {p.Agency}");
                if (p.SpeaksFor.Count > 1)
                {
                    yaml.AppendLine($"    speaks-for: [{string.Join(", ", p.SpeaksFor.Order(StringComparer.Ordinal))}]");
                }
                yaml.AppendLine($"    base-url: {Quote(p.BaseUrl.ToString())}");
                yaml.AppendLine($"    token-endpoint: {Quote(p.TokenEndpoint.ToString())}");
                yaml.AppendLine($"    client-id: {Quote(p.ClientId)}");
                yaml.AppendLine($"    key-file: {Quote(p.KeyFile)}");
                yaml.AppendLine($"    scope: {Quote(p.Scope)}");
                yaml.AppendLine($"    timeout-ms: {(int)p.Timeout.TotalMilliseconds}");
                yaml.AppendLine($"    max-concurrency: {p.MaxConcurrency}");
            }
        }
        return yaml.ToString();
    }

    /// <summary>Single-quoted YAML scalar: only the quote itself needs escaping (doubled).</summary>
    private static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
