using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Core.Crypto;
using SharingHub.Crypto.Keys;

namespace SharingHub.Crypto.Signing;

/// <summary>
/// The token service's ES256 signing keys, in a file whose private keys are wrapped by the key ring's
/// key-encryption key. Rotation adds a key and retires the old one; a retired key stays in the JWKS
/// until every token it signed has expired.
/// </summary>
public sealed class HubSigningKeys
{
    private readonly string _path;
    private readonly IKeyEncryptionKeyProvider _keks;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _overlap;
    private readonly Lock _gate = new();
    private SigningKeyFile _file;
    private IReadOnlyList<(StoredSigningKey Stored, ECDsaSecurityKey Key)> _keys = [];
    private DateTime _fileWrittenAt;
    private DateTimeOffset _lastCheck;

    // overlap: how long a retired key stays published, the longest token lifetime plus clock skew.
    public HubSigningKeys(string path, TimeSpan overlap, IKeyEncryptionKeyProvider keks, TimeProvider clock)
    {
        _path = Path.GetFullPath(path);
        _keks = keks;
        _clock = clock;
        _overlap = overlap;
        // Whether there was a file is decided once: asked again before the first key is written, a node that found none
        // could see another node's file made in between and overwrite it, and the two would sign with different keys.
        var existed = File.Exists(_path);
        _file = existed ? Read() : new SigningKeyFile();
        if (_file.Keys.Count == 0)
        {
            Rotate(firstKey: !existed);
        }
        Unwrap();
        _fileWrittenAt = File.GetLastWriteTimeUtc(_path);
    }

    /// <summary>The key new tokens are signed with.</summary>
    public ECDsaSecurityKey Current
    {
        get
        {
            lock (_gate)
            {
                ReloadIfChanged();
                return _keys.Where(k => k.Stored.RetiredAt is null).MaxBy(k => k.Stored.CreatedAt).Key;
            }
        }
    }

    /// <summary>Keys that may have signed a token still alive: the current one and those retired within the overlap.</summary>
    public IReadOnlyList<ECDsaSecurityKey> Published
    {
        get
        {
            var now = _clock.GetUtcNow();
            lock (_gate)
            {
                ReloadIfChanged();
                return _keys.Where(k => k.Stored.RetiredAt is null || k.Stored.RetiredAt.Value + _overlap > now).Select(k => k.Key).ToList();
            }
        }
    }

    /// <summary>Adds a new current key and retires the previous one (kept published through the overlap).</summary>
    public string Rotate() => Rotate(firstKey: false);

    /// <param name="firstKey">Making the file: if another node of a shared key folder made it meanwhile, theirs is used.</param>
    private string Rotate(bool firstKey)
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            foreach (var key in _file.Keys.Where(k => k.RetiredAt is null))
            {
                key.RetiredAt = now;
            }
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var kid = "hub-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            var privateKey = ecdsa.ExportPkcs8PrivateKey();
            var kekId = _keks.CurrentKekId;
            _file.Keys.Add(new StoredSigningKey
            {
                Kid = kid,
                CreatedAt = now,
                KekId = kekId,
                WrappedPrivateKey = Convert.ToBase64String(_keks.Wrap(kekId, privateKey)),
            });
            CryptographicOperations.ZeroMemory(privateKey);
            // Keys retired long ago are of no further use: drop them so the file does not grow for ever.
            _file.Keys.RemoveAll(k => k.RetiredAt is { } retired && retired + _overlap + _overlap < now);
            if (!Write(overwrite: !firstKey))
            {
                _file = Read();
                Unwrap();
                _fileWrittenAt = File.GetLastWriteTimeUtc(_path);
                return _keys.Where(k => k.Stored.RetiredAt is null).MaxBy(k => k.Stored.CreatedAt).Key.KeyId;
            }
            Unwrap();
            _fileWrittenAt = File.GetLastWriteTimeUtc(_path);
            return kid;
        }
    }

    /// <summary>The public half as a JWK, with only the members RFC 7517/7518 define for an EC signing key.</summary>
    public static IReadOnlyDictionary<string, string> PublicJwk(ECDsaSecurityKey key)
    {
        var parameters = key.ECDsa.ExportParameters(includePrivateParameters: false);
        return new Dictionary<string, string>
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
            ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
            ["kid"] = key.KeyId,
            ["use"] = "sig",
            ["alg"] = SecurityAlgorithms.EcdsaSha256,
        };
    }

    /// <summary>The public key back from a P-256 JWK as <see cref="PublicJwk"/> writes it (for verifiers).</summary>
    public static ECDsa PublicKeyFromJwk(System.Text.Json.JsonElement jwk) => ECDsa.Create(new ECParameters
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint
        {
            X = Base64UrlEncoder.DecodeBytes(jwk.GetProperty("x").GetString()),
            Y = Base64UrlEncoder.DecodeBytes(jwk.GetProperty("y").GetString()),
        },
    });

    /// <summary>Another process (the CLI's rotate-signing) may have rotated the keys: look at the file every ten seconds.</summary>
    private void ReloadIfChanged()
    {
        var now = _clock.GetUtcNow();
        if (now - _lastCheck < TimeSpan.FromSeconds(10))
        {
            return;
        }
        _lastCheck = now;
        var written = File.Exists(_path) ? File.GetLastWriteTimeUtc(_path) : _fileWrittenAt;
        if (written != _fileWrittenAt)
        {
            _file = Read();
            Unwrap();
            _fileWrittenAt = written;
        }
    }

    private void Unwrap()
    {
        _keys = _file.Keys.Select(k =>
        {
            var ecdsa = ECDsa.Create();
            var privateKey = _keks.Unwrap(k.KekId, Convert.FromBase64String(k.WrappedPrivateKey));
            ecdsa.ImportPkcs8PrivateKey(privateKey, out _);
            CryptographicOperations.ZeroMemory(privateKey);
            return (k, new ECDsaSecurityKey(ecdsa) { KeyId = k.Kid });
        }).ToList();
    }

    private SigningKeyFile Read()
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(_path), SigningKeyJson.Default.SigningKeyFile) ?? new SigningKeyFile();
        }
        catch (JsonException e)
        {
            throw new SigningKeyFileException($"signing key file {_path} is not valid JSON (line {e.LineNumber + 1}); restore it from a backup", e);
        }
    }

    /// <summary>Writes the file; false when it was not to be overwritten and another writer had made it.</summary>
    private bool Write(bool overwrite) =>
        KeyFiles.Write(_path, stream => stream.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(_file, SigningKeyJson.Default.SigningKeyFile))), overwrite);
}

internal sealed class SigningKeyFile
{
    public List<StoredSigningKey> Keys { get; set; } = [];
}

internal sealed class StoredSigningKey
{
    public string Kid { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
    public string KekId { get; set; } = "";
    public string WrappedPrivateKey { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SigningKeyFile))]
internal sealed partial class SigningKeyJson : JsonSerializerContext;

/// <summary>A signing-key file the hub cannot read: what an operator must mend (restore it), not a fault of the hub's own.</summary>
public sealed class SigningKeyFileException(string message, Exception inner) : InvalidOperationException(message, inner);
