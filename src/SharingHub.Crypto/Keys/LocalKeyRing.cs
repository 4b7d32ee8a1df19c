using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

using SharingHub.Core.Crypto;
using SharingHub.Crypto.Fields;

namespace SharingHub.Crypto.Keys;

/// <summary>
/// The embedded default key provider: key-encryption keys and the blind-index key in a file created
/// on first run with owner-only permissions. A key file readable by others stops start-up.
/// </summary>
public sealed class LocalKeyRing : IKeyEncryptionKeyProviderWithIndexKey
{
    private const int FileFormat = 1;
    private readonly Dictionary<string, byte[]> _keks;

    private readonly Dictionary<string, string> _agencyKeks;
    private readonly string _path;
    private string? _passphrase;
    private DateTime _lastCheck = DateTime.UtcNow;
    private DateTime _loadedWrite;

    private LocalKeyRing(string path, string currentKekId, Dictionary<string, byte[]> keks, Dictionary<string, string> agencyKeks, byte[] indexKey)
    {
        _path = path;
        CurrentKekId = currentKekId;
        _keks = keks;
        _agencyKeks = agencyKeks;
        BlindIndexKey = indexKey;
        _loadedWrite = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : default;
    }

    public string CurrentKekId { get; private set; }

    public IReadOnlyCollection<string> KekIds => _keks.Keys;

    public IReadOnlyDictionary<string, string> AgencyKeks => _agencyKeks;

    public string KekIdFor(string agency) => _agencyKeks.TryGetValue(agency, out var own) && _keks.ContainsKey(own) ? own : CurrentKekId;

    public byte[] BlindIndexKey { get; }

    /// <summary>The environment variable whose passphrase protects the key ring file; never a setting in a file.</summary>
    public const string PassphraseVariable = "SHARINGHUB_KEYRING_PASSPHRASE";
    private const int Pbkdf2Iterations = 600_000;

    public static LocalKeyRing OpenOrCreate(string path) => OpenOrCreate(path, Environment.GetEnvironmentVariable(PassphraseVariable));

    /// <summary>Opens the key ring; with a passphrase, a new file is created sealed under it and a sealed file can be opened.</summary>
    public static LocalKeyRing OpenOrCreate(string path, string? passphrase) => Open(path, passphrase, create: true);

    /// <summary>
    /// Opens a key ring that must already exist: a command that only uses or changes a ring must not leave a new, empty one
    /// at a mistyped path (its data keys would then be "not in the key ring", and the stray file would hold real keys).
    /// </summary>
    public static LocalKeyRing OpenExisting(string path) => Open(path, Environment.GetEnvironmentVariable(PassphraseVariable), create: false);

    private static LocalKeyRing Open(string path, string? passphrase, bool create)
    {
        var full = System.IO.Path.GetFullPath(path);
        passphrase = string.IsNullOrEmpty(passphrase) ? null : passphrase;
        if (!File.Exists(full))
        {
            if (!create)
            {
                throw new KeyRingException(Directory.Exists(full)
                    ? $"key ring {full} is a folder, not a key ring file"
                    : $"there is no key ring at {full}: give the hub's own (--key-ring, or SharingHub__KeyRing__Path); a hub creates its ring on its first start");
            }
            Create(full, passphrase);
        }
        CheckPermissions(full);
        KeyRingFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllText(full), KeyRingJson.Default.KeyRingFile);
        }
        catch (JsonException e)
        {
            throw new KeyRingException($"key ring {full} is not valid JSON (line {e.LineNumber + 1})", e);
        }
        if (file?.Sealed is { Length: > 0 })
        {
            file = Unseal(full, file, passphrase);
        }
        if (file is null || file.Format != FileFormat || file.Keks.Count == 0 || string.IsNullOrEmpty(file.IndexKey))
        {
            throw new KeyRingException($"key ring {full} is incomplete or of an unknown format");
        }
        var keks = file.Keks.ToDictionary(k => k.Id, k => DecodeKey(full, k.Key), StringComparer.Ordinal);
        if (!keks.ContainsKey(file.Current))
        {
            throw new KeyRingException($"key ring {full} names a current key '{file.Current}' that it does not hold");
        }
        return new LocalKeyRing(full, file.Current, keks, new Dictionary<string, string>(file.AgencyKeks, StringComparer.Ordinal), DecodeKey(full, file.IndexKey))
        {
            _passphrase = passphrase,
        };
    }

    private static KeyRingFile Unseal(string full, KeyRingFile outer, string? passphrase)
    {
        if (passphrase is null)
        {
            throw new KeyRingException($"key ring {full} is protected by a passphrase: set {PassphraseVariable}");
        }
        try
        {
            var key = Rfc2898DeriveBytes.Pbkdf2(passphrase, Convert.FromBase64String(outer.Salt), outer.Iterations, HashAlgorithmName.SHA256, 32);
            var inner = AesGcmLayout.Open(key, Convert.FromBase64String(outer.Sealed!), "sharinghub-keyring/v1"u8);
            CryptographicOperations.ZeroMemory(key);
            return JsonSerializer.Deserialize(inner, KeyRingJson.Default.KeyRingFile) ?? throw new KeyRingException($"key ring {full} is empty");
        }
        catch (CryptographicException e)
        {
            throw new KeyRingException($"key ring {full}: the passphrase is wrong or the file was altered", e);
        }
    }

    /// <summary>Adds a new key-encryption key; it becomes the hub's current one, or the named agency's own.</summary>
    public string AddKek(string? agency = null)
    {
        var kekId = "kek-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        _keks[kekId] = RandomNumberGenerator.GetBytes(32);
        if (agency is null)
        {
            CurrentKekId = kekId;
        }
        else
        {
            _agencyKeks[agency] = kekId;
        }
        Save();
        return kekId;
    }

    /// <summary>Removes a key-encryption key for good: every data key it wraps becomes unreadable (revocation).</summary>
    public void RevokeKek(string kekId)
    {
        if (kekId == CurrentKekId)
        {
            throw new KeyRingException("the hub's current key-encryption key cannot be revoked; rotate first");
        }
        if (!_keks.Remove(kekId))
        {
            throw new KeyRingException($"key-encryption key '{kekId}' is not in the key ring");
        }
        foreach (var agency in _agencyKeks.Where(a => a.Value == kekId).Select(a => a.Key).ToList())
        {
            _agencyKeks.Remove(agency);
        }
        Save();
    }

    private void Save()
    {
        var file = new KeyRingFile
        {
            Format = FileFormat,
            Current = CurrentKekId,
            Keks = _keks.Select(k => new KekEntry { Id = k.Key, Key = Convert.ToBase64String(k.Value) }).ToList(),
            AgencyKeks = new Dictionary<string, string>(_agencyKeks, StringComparer.Ordinal),
            IndexKey = Convert.ToBase64String(BlindIndexKey),
        };
        WriteFile(_path, file, overwrite: true, _passphrase);
        _loadedWrite = File.GetLastWriteTimeUtc(_path);
    }

    public byte[] Wrap(string kekId, ReadOnlySpan<byte> dataKey)
    {
        var kek = Kek(kekId);
        var output = new byte[AesGcmLayout.Overhead + dataKey.Length];
        AesGcmLayout.Seal(kek, dataKey, System.Text.Encoding.UTF8.GetBytes(kekId), output);
        return output;
    }

    public byte[] Unwrap(string kekId, ReadOnlySpan<byte> wrappedKey)
    {
        var kek = Kek(kekId);
        return AesGcmLayout.Open(kek, wrappedKey, System.Text.Encoding.UTF8.GetBytes(kekId));
    }

    private byte[] Kek(string kekId)
    {
        lock (_keks)
        {
            RefreshIfChanged();
            return _keks.TryGetValue(kekId, out var kek)
                ? kek
                : throw new KeyUnavailableException($"key-encryption key '{kekId}' is not in the key ring (revoked or never held)");
        }
    }

    /// <summary>The CLI may have added or revoked a key since this process read the file: look at it again every ten seconds.</summary>
    private void RefreshIfChanged()
    {
        if (DateTime.UtcNow - _lastCheck < TimeSpan.FromSeconds(10) || !File.Exists(_path))
        {
            return;
        }
        _lastCheck = DateTime.UtcNow;
        var written = File.GetLastWriteTimeUtc(_path);
        if (written == _loadedWrite)
        {
            return;
        }
        var fresh = Open(_path, _passphrase, create: false);
        _keks.Clear();
        foreach (var (id, key) in fresh._keks)
        {
            _keks[id] = key;
        }
        _agencyKeks.Clear();
        foreach (var (agency, id) in fresh._agencyKeks)
        {
            _agencyKeks[agency] = id;
        }
        CurrentKekId = fresh.CurrentKekId;
        _loadedWrite = written;
    }

    private static void Create(string full, string? passphrase)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var kekId = "kek-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        // Several hub nodes started at once on one shared key folder: the first ring written is everyone's ring.
        WriteFile(full, new KeyRingFile
        {
            Format = FileFormat,
            Current = kekId,
            Keks = [new KekEntry { Id = kekId, Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }],
            IndexKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        }, overwrite: false, passphrase);
    }

    /// <summary>Writes the whole file beside the old one with owner-only permissions, then moves it into place.</summary>
    private static void WriteFile(string full, KeyRingFile file, bool overwrite, string? passphrase)
    {
        if (passphrase is not null)
        {
            // Sealed: the whole file's content under a key derived from the passphrase (PBKDF2-SHA256).
            var salt = RandomNumberGenerator.GetBytes(16);
            var key = Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, Pbkdf2Iterations, HashAlgorithmName.SHA256, 32);
            var inner = JsonSerializer.SerializeToUtf8Bytes(file, KeyRingJson.Default.KeyRingFile);
            var sealedBytes = new byte[AesGcmLayout.Overhead + inner.Length];
            AesGcmLayout.Seal(key, inner, "sharinghub-keyring/v1"u8, sealedBytes);
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(inner);
            file = new KeyRingFile { Format = FileFormat, Salt = Convert.ToBase64String(salt), Iterations = Pbkdf2Iterations, Sealed = Convert.ToBase64String(sealedBytes) };
        }
        KeyFiles.Write(full, stream => JsonSerializer.Serialize(stream, file, KeyRingJson.Default.KeyRingFile), overwrite);
    }

    private static void CheckPermissions(string full)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var mode = File.GetUnixFileMode(full);
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        if ((mode & others) != 0)
        {
            throw new KeyRingException($"key ring {full} is readable or writable by other users; run: chmod 600 {full}");
        }
    }

    private static byte[] DecodeKey(string full, string base64)
    {
        try
        {
            var key = Convert.FromBase64String(base64);
            return key.Length == 32 ? key : throw new KeyRingException($"key ring {full} holds a key that is not 256 bits");
        }
        catch (FormatException e)
        {
            throw new KeyRingException($"key ring {full} holds a key that is not base64", e);
        }
    }
}

/// <summary>The local key ring also holds the blind-index key; a vault-backed provider will too.</summary>
public interface IKeyEncryptionKeyProviderWithIndexKey : SharingHub.Core.Crypto.IKeyEncryptionKeyProvider
{
    byte[] BlindIndexKey { get; }
}

public sealed class KeyRingException : Exception
{
    public KeyRingException(string message) : base(message) { }
    public KeyRingException(string message, Exception inner) : base(message, inner) { }
}

internal sealed class KeyRingFile
{
    public int Format { get; set; }
    public string Current { get; set; } = "";
    public List<KekEntry> Keks { get; set; } = [];
    public Dictionary<string, string> AgencyKeks { get; set; } = [];
    public string IndexKey { get; set; } = "";
    public string Salt { get; set; } = "";
    public int Iterations { get; set; }
    public string? Sealed { get; set; }
}

internal sealed class KekEntry
{
    public string Id { get; set; } = "";
    public string Key { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(KeyRingFile))]
internal sealed partial class KeyRingJson : JsonSerializerContext;
