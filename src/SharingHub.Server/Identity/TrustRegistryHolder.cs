using System.Collections.Concurrent;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Policies.Trust;

namespace SharingHub.Server.Identity;

/// <summary>The loaded trust registry, plus issuers the hub hosts itself (the development identity provider) with their keys.</summary>
internal sealed class TrustRegistryHolder(TrustRegistry loaded)
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<SecurityKey>> _localKeys = new(StringComparer.Ordinal);
    private TrustRegistry _current = loaded;

    public TrustRegistry Current => _current;

    public void AddLocalIssuer(TrustedIssuer issuer, IReadOnlyList<SecurityKey> keys)
    {
        _localKeys[issuer.Issuer] = keys;
        Interlocked.Exchange(ref _current, _current.With([issuer], []));
    }

    public IReadOnlyList<SecurityKey>? LocalKeys(string issuer) => _localKeys.GetValueOrDefault(issuer);
}
