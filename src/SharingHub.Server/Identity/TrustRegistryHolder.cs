using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Data;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Trust;

namespace SharingHub.Server.Identity;

/// <summary>
/// The loaded trust registry, plus issuers the hub hosts itself (the development identity provider) with their keys.
/// The registry files are read again when they change (<see cref="TrustRegistryReloader"/>): a partner registered or
/// removed with <c>sharinghub client register</c> on the shared data folder is known to every node within seconds.
/// </summary>
internal sealed class TrustRegistryHolder(TrustRegistry loaded, Func<IReadOnlyList<string>> files)
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<SecurityKey>> _localKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TrustedIssuer> _localIssuers = new(StringComparer.Ordinal);
    private TrustRegistry _current = loaded;

    public TrustRegistry Current => _current;

    /// <summary>The files the registry is read from now (the operator's local registrations once that file exists).</summary>
    public IReadOnlyList<string> Files => files();

    public void AddLocalIssuer(TrustedIssuer issuer, IReadOnlyList<SecurityKey> keys)
    {
        _localKeys[issuer.Issuer] = keys;
        _localIssuers[issuer.Issuer] = issuer;
        Interlocked.Exchange(ref _current, _current.With([issuer], []));
    }

    /// <summary>Takes a registry read again from the files; the hub's own issuers stay.</summary>
    public void Replace(TrustRegistry reloaded) => Interlocked.Exchange(ref _current, reloaded.With([.. _localIssuers.Values], []));

    public IReadOnlyList<SecurityKey>? LocalKeys(string issuer) => _localKeys.GetValueOrDefault(issuer);
}

/// <summary>
/// Reads the trust registry files again when their content changes (checked every few seconds by hash, so a file
/// replaced on a shared folder is seen whatever its timestamps). A file that no longer loads (a typo, a client naming
/// an unknown agency) is reported and the registry in use is kept: a bad edit never opens or closes the door.
/// </summary>
internal sealed class TrustRegistryReloader(TrustRegistryHolder holder, Policies.Decisions.PolicyDecisionPoint policy, IOptions<IdentityOptions> options,
    ILogger<TrustRegistryReloader> logger) : QuietlyStoppedService
{
    private string? _loadedHash;

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        _loadedHash = Hash(holder.Files);
        var every = TimeSpan.FromSeconds(Math.Max(1, options.Value.TrustRegistryReloadSeconds));
        using var timer = new PeriodicTimer(every);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            ReloadIfChanged();
        }
    }

    /// <summary>One check: reloads when the files' content differs from what was last loaded.</summary>
    /// <returns>Whether a new registry was taken.</returns>
    public bool ReloadIfChanged()
    {
        var files = holder.Files;
        var hash = Hash(files);
        if (hash == _loadedHash)
        {
            return false;
        }
        try
        {
            var reloaded = TrustRegistryLoader.Load(files, policy.Policy);
            holder.Replace(reloaded);
            _loadedHash = hash;
            logger.LogWarning("Trust registry reloaded: {Issuers} issuers, {Clients} clients, {Partners} partners",
                reloaded.Issuers.Count, reloaded.Clients.Count, reloaded.Partners.Count);
            return true;
        }
        catch (PolicyLoadException e)
        {
            // Reported once per content: the same broken file is not logged every few seconds.
            _loadedHash = hash;
            logger.LogError("Trust registry files changed but do not load; the registry in use is kept: {Errors}", e.Message);
            return false;
        }
    }

    private static string Hash(IReadOnlyList<string> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(file + "\0"));
            try
            {
                sha.AppendData(File.ReadAllBytes(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                sha.AppendData("missing"u8);
            }
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
