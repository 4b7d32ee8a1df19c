using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Data.Cluster;
using SharingHub.Data.Storage;

namespace SharingHub.Server.Identity;

/// <summary>
/// ASP.NET Core's data-protection keys (they protect the session cookie, the sign-in state and the forms' anti-forgery
/// tokens) kept in the hub's database, so a person signed in through one hub node stays signed in on the others, and a
/// restarted node keeps everyone's sessions. Each key's XML is encrypted under the hub's key ring before it is stored:
/// a copy of the database alone cannot forge a session.
/// </summary>
internal sealed class DatabaseXmlRepository(IHubDbContextFactory contexts, TimeProvider clock) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var db = contexts.Create();
        return db.Set<DataProtectionKeyRow>().AsNoTracking().OrderBy(k => k.Name).Select(k => k.Xml).ToList().Select(x => XElement.Parse(x)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var db = contexts.Create();
        // Two nodes starting on an empty database may each make a key; both are kept, and each node reads the other's.
        db.Set<DataProtectionKeyRow>().Add(new DataProtectionKeyRow
        {
            Name = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting), StoredAt = clock.GetUtcNow(),
        });
        db.SaveChanges();
    }
}

/// <summary>
/// Encrypts a data-protection key's XML with a fresh 256-bit key (AES-GCM), and that key with the hub's current
/// key-encryption key, as a person's data keys are (envelope encryption; works with a local ring or a vault).
/// </summary>
internal sealed class KeyRingXmlEncryptor(IKeyEncryptionKeyProvider keks) : IXmlEncryptor
{
    public const string ElementName = "sharinghubEncryptedKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var kekId = keks.CurrentKekId;
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
            var nonce = RandomNumberGenerator.GetBytes(12);
            var sealedBytes = new byte[plaintext.Length];
            var tag = new byte[16];
            using (var aes = new AesGcm(dataKey, tag.Length))
            {
                aes.Encrypt(nonce, plaintext, sealedBytes, tag, Encoding.UTF8.GetBytes(kekId));
            }
            var element = new XElement(ElementName,
                new XAttribute("kek", kekId),
                new XAttribute("wrappedKey", Convert.ToBase64String(keks.Wrap(kekId, dataKey))),
                new XAttribute("nonce", Convert.ToBase64String(nonce)),
                new XAttribute("tag", Convert.ToBase64String(tag)),
                Convert.ToBase64String(sealedBytes));
            return new EncryptedXmlInfo(element, typeof(KeyRingXmlDecryptor));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }
}

/// <summary>The reverse of <see cref="KeyRingXmlEncryptor"/>; made by data protection with the service provider.</summary>
internal sealed class KeyRingXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var keks = services.GetRequiredService<IKeyEncryptionKeyProvider>();
        var kekId = (string?)encryptedElement.Attribute("kek") ?? throw new CryptographicException("the key has no key-encryption key id");
        var dataKey = keks.Unwrap(kekId, Convert.FromBase64String((string?)encryptedElement.Attribute("wrappedKey") ?? ""));
        try
        {
            var sealedBytes = Convert.FromBase64String(encryptedElement.Value);
            var plaintext = new byte[sealedBytes.Length];
            using (var aes = new AesGcm(dataKey, 16))
            {
                aes.Decrypt(Convert.FromBase64String((string?)encryptedElement.Attribute("nonce") ?? ""), sealedBytes,
                    Convert.FromBase64String((string?)encryptedElement.Attribute("tag") ?? ""), plaintext, Encoding.UTF8.GetBytes(kekId));
            }
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }
}

internal static class SharedDataProtectionExtensions
{
    /// <summary>Data protection for every node of one hub: one application name, keys in the database, encrypted under the key ring.</summary>
    public static IServiceCollection AddSharedDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("SharingHub");
        services.AddSingleton<DatabaseXmlRepository>();
        services.AddSingleton<KeyRingXmlEncryptor>();
        services.AddOptions<KeyManagementOptions>().Configure<DatabaseXmlRepository, KeyRingXmlEncryptor>((o, repository, encryptor) =>
        {
            o.XmlRepository = repository;
            o.XmlEncryptor = encryptor;
        });
        return services;
    }
}
