using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using SharingHub.Core.Crypto;
using SharingHub.Crypto.Signing;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Trust;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Identity;

internal static class IdentityServiceCollectionExtensions
{
    public static IServiceCollection AddSharingHubIdentity(this IServiceCollection services)
    {
        services.AddOptions<IdentityOptions>()
            .BindConfiguration(IdentityOptions.Section)
            .Validate(o => Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out _), $"{IdentityOptions.Section}:PublicBaseUrl must be an absolute URL")
            .Validate(o => o.AccessTokenLifetimeSeconds is > 0 and <= 300, $"{IdentityOptions.Section}:AccessTokenLifetimeSeconds must be 1 to 300")
            .Validate(o => o.ClockSkewSeconds is >= 0 and <= 300, $"{IdentityOptions.Section}:ClockSkewSeconds must be 0 to 300")
            .Validate(o => o.TokenRequestsPerMinute is >= 0 and <= 100_000, $"{IdentityOptions.Section}:TokenRequestsPerMinute must be 0 (no limit) to 100000")
            .Validate(o => o.SessionLifetimeHours is >= 1 and <= 24, $"{IdentityOptions.Section}:SessionLifetimeHours must be 1 to 24")
            .Validate(o => o.SessionIdleMinutes is >= 5 and <= 480 && o.SessionIdleMinutes <= o.SessionLifetimeHours * 60,
                $"{IdentityOptions.Section}:SessionIdleMinutes must be 5 to 480, and no longer than the session lifetime")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<IdentityOptions>>().Value;
            return new HubSigningKeys(o.SigningKeyPath, TimeSpan.FromSeconds(o.AccessTokenLifetimeSeconds + o.ClockSkewSeconds),
                sp.GetRequiredService<IKeyEncryptionKeyProvider>(), sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<IdentityOptions>>().Value;
            IReadOnlyList<string> Files() => o.TrustRegistryFiles.Count > 0 ? o.TrustRegistryFiles : DefaultRegistryFiles(sp);
            return new TrustRegistryHolder(TrustRegistryLoader.Load(Files(), sp.GetRequiredService<PolicyDecisionPoint>().Policy), Files);
        });
        services.AddHttpClient(IssuerKeyCache.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<IssuerKeyCache>();
        services.AddSingleton<ClientKeyCache>();
        services.AddSingleton<ClientAssertionValidator>();
        services.AddSingleton<AccessTokenValidator>();
        services.AddSingleton<DevelopmentIdentityProvider>();
        services.AddSharingHubRateLimits();
        services.AddHostedService<IdentityStartupCheck>();
        services.AddHostedService<TrustRegistryReloader>();
        services.AddAuthentication(HubAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, HubAuthenticationHandler>(HubAuthenticationHandler.SchemeName, null);
        // Default deny at the door: every endpoint needs an authenticated caller unless it says otherwise.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(HubAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build());
        return services;
    }

    private static List<string> DefaultRegistryFiles(IServiceProvider sp)
    {
        var policies = sp.GetRequiredService<IOptions<PolicyOptions>>().Value.Path;
        var files = new List<string> { Path.Combine(policies, "trust-registry.yaml") };
        if (File.Exists(LocalRegistrations))
        {
            files.Add(LocalRegistrations);
        }
        return files;
    }

    /// <summary>Where "sharinghub client register" writes the operator's registrations by default.</summary>
    public const string LocalRegistrations = "data/trust-registry.yaml";
}

/// <summary>Loads the trust registry and signing keys before the first request; starts the development IdP when asked.</summary>
internal sealed class IdentityStartupCheck(IServiceProvider services, IOptions<IdentityOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<TrustRegistryHolder>();
        services.GetRequiredService<HubSigningKeys>();
        if (options.Value.DevelopmentIdentityProvider)
        {
            services.GetRequiredService<DevelopmentIdentityProvider>();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
