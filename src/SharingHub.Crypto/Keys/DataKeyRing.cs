using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using SharingHub.Core.Crypto;

namespace SharingHub.Crypto.Keys;

/// <summary>
/// Data keys per owning agency and data class, created on first use, wrapped by the agency's (or the
/// hub's) key-encryption key, and cached unwrapped in memory so the read path rarely unwraps. A cached
/// key is re-checked against the store every minute, so a key destroyed elsewhere (crypto-shredding by
/// the CLI) stops being served within that time. A key that cannot be unwrapped (its KEK revoked, its
/// provider down) makes its fields unavailable, never an error that could leak, and never plaintext.
/// </summary>
public sealed class DataKeyRing(IDataKeyStore store, IKeyEncryptionKeyProvider keks, TimeProvider clock)
{
    private static readonly TimeSpan Recheck = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (byte[] Key, DateTimeOffset CheckedAt)> _unwrapped = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Agency, string DataClass), string> _activeIds = new();

    /// <summary>The key new values of this agency and class are encrypted with; throws when it cannot be used (writes fail closed).</summary>
    public (string KeyId, byte[] Key) GetOrCreateActive(string agency, string dataClass)
    {
        if (_activeIds.TryGetValue((agency, dataClass), out var cachedId) && Cached(cachedId) is { } cachedKey)
        {
            return (cachedId, cachedKey);
        }
        var active = store.FindActive(agency, dataClass) ?? CreateNext(agency, dataClass);
        var key = Unwrap(active);
        _activeIds[(agency, dataClass)] = active.KeyId;
        return (active.KeyId, key);
    }

    /// <summary>
    /// The first key of a subject whose id was drawn at random just now (a new person's), so no key of it can exist in any
    /// store: made and cached without asking the store (its lookup, its generation count and a commit of its own were three
    /// round trips per new person), and returned for the caller to store in the same transaction as the record it seals,
    /// so the record and its key commit together or not at all. Should that transaction fail, the key is in no store and
    /// the subject in no record; the cache drops the key at its next recheck.
    /// </summary>
    public WrappedDataKey NewSubjectKey(string agency, string dataClass, Guid subject)
    {
        var scope = FieldContext.SubjectScope(dataClass, subject);
        var keyId = string.Create(CultureInfo.InvariantCulture, $"{agency}/{scope}/1");
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var kekId = keks.KekIdFor(agency);
        var wrapped = new WrappedDataKey(keyId, agency, scope, 1, kekId, keks.Wrap(kekId, dataKey), clock.GetUtcNow(), null);
        _unwrapped[keyId] = (dataKey, clock.GetUtcNow());
        _activeIds[(agency, scope)] = keyId;
        return wrapped;
    }

    /// <summary>
    /// Makes the first key of each scope that has never had one, all in one write (a bulk load of new
    /// people would otherwise commit one key row per person). Scopes that already have keys, or whose
    /// batch loses a race with another writer, are left to <see cref="GetOrCreateActive"/> on first use.
    /// </summary>
    public void PrepareNew(IEnumerable<(string Agency, string Scope)> scopes)
    {
        var wanted = scopes.Distinct().Where(s => !_activeIds.ContainsKey(s))
            .ToDictionary(s => string.Create(CultureInfo.InvariantCulture, $"{s.Agency}/{s.Scope}/1"), StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return;
        }
        var existing = store.FindMany(wanted.Keys).Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal);
        var made = new List<(WrappedDataKey Wrapped, byte[] Key)>();
        foreach (var (keyId, (agency, scope)) in wanted.Where(w => !existing.Contains(w.Key)))
        {
            var dataKey = RandomNumberGenerator.GetBytes(32);
            var kekId = keks.KekIdFor(agency);
            made.Add((new WrappedDataKey(keyId, agency, scope, 1, kekId, keks.Wrap(kekId, dataKey), clock.GetUtcNow(), null), dataKey));
        }
        if (made.Count > 0 && store.TryAddAll([.. made.Select(m => m.Wrapped)]))
        {
            foreach (var (wrapped, key) in made)
            {
                _unwrapped[wrapped.KeyId] = (key, clock.GetUtcNow());
                _activeIds[(wrapped.Agency, wrapped.DataClass)] = wrapped.KeyId;
            }
            return;
        }
        foreach (var (_, key) in made)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Null when the key is unknown, destroyed or cannot be unwrapped: its fields are then unavailable.</summary>
    public byte[]? Find(string keyId)
    {
        if (Cached(keyId) is { } cached)
        {
            return cached;
        }
        var stored = store.Find(keyId);
        if (stored is null || stored.DestroyedAt is not null)
        {
            return null;
        }
        try
        {
            return Unwrap(stored);
        }
        catch (KeyUnavailableException)
        {
            return null;
        }
    }

    /// <summary>
    /// Loads and unwraps, in one read of the store, every key among these that is not cached or is due
    /// its recheck, so a page of records sealed under many keys (each person has their own) costs one
    /// query rather than one per key. Destroyed, missing or unwrappable keys leave the cache as
    /// <see cref="Find"/> would drop them.
    /// </summary>
    public void Prefetch(IEnumerable<string> keyIds)
    {
        var now = clock.GetUtcNow();
        var due = keyIds.Distinct(StringComparer.Ordinal)
            .Where(id => !_unwrapped.TryGetValue(id, out var entry) || now - entry.CheckedAt >= Recheck).ToList();
        if (due.Count < 2)
        {
            return;
        }
        var stored = store.FindMany(due).ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        foreach (var keyId in due)
        {
            if (!stored.TryGetValue(keyId, out var key) || key.DestroyedAt is not null)
            {
                _unwrapped.TryRemove(keyId, out _);
                continue;
            }
            try
            {
                var plain = keks.Unwrap(key.KekId, key.WrappedKey);
                if (_unwrapped.TryGetValue(keyId, out var cached))
                {
                    // Still good: keep the cached copy (ciphers are cached against it), mark it checked.
                    CryptographicOperations.ZeroMemory(plain);
                    _unwrapped[keyId] = (cached.Key, now);
                }
                else
                {
                    _unwrapped[keyId] = (plain, now);
                }
            }
            catch (KeyUnavailableException)
            {
                _unwrapped.TryRemove(keyId, out _);
            }
        }
    }

    /// <summary>Starts a new generation for new writes; values under older generations stay readable.</summary>
    public string Rotate(string agency, string dataClass)
    {
        var created = Create(agency, dataClass, NextGeneration(agency, dataClass));
        _activeIds.TryRemove((agency, dataClass), out _);
        return created.KeyId;
    }

    /// <summary>
    /// Re-wraps every live data key under the key-encryption key that should hold it now (after a KEK
    /// rotation or an agency taking its own KEK). The ciphertexts are not touched. Returns how many changed.
    /// </summary>
    public int Rewrap()
    {
        var changed = 0;
        foreach (var key in store.All().Where(k => k.DestroyedAt is null))
        {
            var target = keks.KekIdFor(key.Agency);
            if (key.KekId == target)
            {
                continue;
            }
            var plain = keks.Unwrap(key.KekId, key.WrappedKey);
            try
            {
                store.Replace(key with { KekId = target, WrappedKey = keks.Wrap(target, plain) });
                changed++;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plain);
            }
        }
        return changed;
    }

    /// <summary>Crypto-shredding: the wrapped key is erased from the store, so every value under it is unreadable for good.</summary>
    public WrappedDataKey? Destroy(string keyId)
    {
        var stored = store.Find(keyId);
        if (stored is null || stored.DestroyedAt is not null)
        {
            return null;
        }
        var destroyed = stored with { DestroyedAt = clock.GetUtcNow(), WrappedKey = new byte[stored.WrappedKey.Length] };
        store.Replace(destroyed);
        _unwrapped.TryRemove(keyId, out _);
        foreach (var active in _activeIds.Where(a => a.Value == keyId).ToList())
        {
            _activeIds.TryRemove(active.Key, out _);
        }
        return destroyed;
    }

    /// <summary>
    /// Crypto-shredding one person: every data key of that subject, at every agency, is destroyed, so
    /// their own fields are unreadable for good while everyone else's stay readable. Returns the keys destroyed.
    /// </summary>
    public IReadOnlyList<WrappedDataKey> DestroySubject(Guid subject) =>
        store.OfSubject(FieldContext.SubjectSuffix(subject)).Where(k => k.DestroyedAt is null).Select(k => Destroy(k.KeyId)).OfType<WrappedDataKey>().ToList();

    /// <summary>
    /// Makes every cached key be checked against the store at its next use, as if its minute were up: another process has
    /// destroyed keys or revoked a key-encryption key (on PostgreSQL it says so at once, and every hub node calls this).
    /// </summary>
    public void RecheckAll()
    {
        foreach (var (keyId, entry) in _unwrapped)
        {
            _unwrapped.TryUpdate(keyId, (entry.Key, DateTimeOffset.MinValue), entry);
        }
    }

    /// <summary>One past every generation ever made, destroyed ones included: a shredded key's id is never reused.</summary>
    private int NextGeneration(string agency, string dataClass) => store.MaxGeneration(agency, dataClass) + 1;

    private byte[]? Cached(string keyId)
    {
        if (!_unwrapped.TryGetValue(keyId, out var entry))
        {
            return null;
        }
        if (clock.GetUtcNow() - entry.CheckedAt < Recheck)
        {
            return entry.Key;
        }
        var stored = store.Find(keyId);
        try
        {
            // Destroyed, or its key-encryption key revoked since it was cached: stop serving it.
            if (stored is null || stored.DestroyedAt is not null)
            {
                _unwrapped.TryRemove(keyId, out _);
                return null;
            }
            CryptographicOperations.ZeroMemory(keks.Unwrap(stored.KekId, stored.WrappedKey));
        }
        catch (KeyUnavailableException)
        {
            _unwrapped.TryRemove(keyId, out _);
            return null;
        }
        _unwrapped[keyId] = (entry.Key, clock.GetUtcNow());
        return entry.Key;
    }

    /// <summary>
    /// The scope's next key, where none is in use. Two writers on their first value of a scope (two threads, or two nodes)
    /// both found none; one added generation 1, and the other, counting generations after that, added a generation 2 that
    /// nothing had asked for. So the generations are counted first and the store asked again: a generation counted is a
    /// key that second look finds, unless it was destroyed, when a new one is due.
    /// </summary>
    private WrappedDataKey CreateNext(string agency, string dataClass)
    {
        var generation = NextGeneration(agency, dataClass);
        return store.FindActive(agency, dataClass) ?? Create(agency, dataClass, generation);
    }

    private WrappedDataKey Create(string agency, string dataClass, int generation)
    {
        var keyId = string.Create(CultureInfo.InvariantCulture, $"{agency}/{dataClass}/{generation}");
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var kekId = keks.KekIdFor(agency);
            var candidate = new WrappedDataKey(keyId, agency, dataClass, generation, kekId, keks.Wrap(kekId, dataKey), clock.GetUtcNow(), null);
            if (store.TryAdd(candidate))
            {
                return candidate;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
        // Another writer created it first; use theirs so every process agrees on one key.
        return store.Find(keyId) ?? throw new CryptographicException($"data key {keyId} was created concurrently but cannot be read back");
    }

    private byte[] Unwrap(WrappedDataKey stored)
    {
        if (_unwrapped.TryGetValue(stored.KeyId, out var cached))
        {
            return cached.Key;
        }
        var key = keks.Unwrap(stored.KekId, stored.WrappedKey);
        _unwrapped[stored.KeyId] = (key, clock.GetUtcNow());
        return key;
    }
}
