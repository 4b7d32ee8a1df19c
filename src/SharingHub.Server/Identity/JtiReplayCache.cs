using System.Collections.Concurrent;

namespace SharingHub.Server.Identity;

/// <summary>Client assertion ids seen within their lifetime, per client: a replayed assertion is refused.</summary>
internal sealed class JtiReplayCache(TimeProvider clock)
{
    private const int Limit = 100_000;
    private readonly ConcurrentDictionary<(string Client, string Jti), DateTimeOffset> _seen = new();

    public bool TryUse(string clientId, string jti, DateTimeOffset until)
    {
        var now = clock.GetUtcNow();
        if (_seen.Count > Limit)
        {
            foreach (var expired in _seen.Where(e => e.Value <= now).Select(e => e.Key).ToList())
            {
                _seen.TryRemove(expired, out _);
            }
        }
        if (_seen.TryGetValue((clientId, jti), out var existing) && existing > now)
        {
            return false;
        }
        return _seen.TryAdd((clientId, jti), until) || (_seen.TryGetValue((clientId, jti), out existing) && existing <= now
            && _seen.TryUpdate((clientId, jti), until, existing));
    }
}
