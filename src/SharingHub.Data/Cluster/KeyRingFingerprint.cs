using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Cluster;

/// <summary>A setting the hub itself keeps in its database (one row per name), such as the key ring's fingerprint.</summary>
public sealed class HubSetting
{
    public string Name { get; set; } = "";
    public string Value { get; set; } = "";
}

internal sealed class HubSettingConfiguration : IEntityTypeConfiguration<HubSetting>
{
    public void Configure(EntityTypeBuilder<HubSetting> builder)
    {
        builder.ToTable("HubSettings");
        builder.HasKey(s => s.Name);
        builder.Property(s => s.Name).HasMaxLength(64);
        builder.Property(s => s.Value).HasMaxLength(200);
    }
}

/// <summary>
/// The database remembers which key ring wrote it: the fingerprint of the blind-index key (an HMAC of a fixed label
/// under it, so the key itself cannot be learnt from it). A hub node whose key ring is another one (a node that made
/// its own ring on first start, or was given the wrong file) is stopped before it serves anyone: its blind indexes would
/// match nothing written by the others, and what it encrypted no other node could read.
/// </summary>
public sealed class KeyRingFingerprint(IHubDbContextFactory contexts, IKeyEncryptionKeyProviderWithIndexKey keys)
{
    public const string SettingName = "key-ring.fingerprint";

    /// <summary>The fingerprint of this process's key ring: 128 bits of HMAC-SHA256 under the blind-index key, hex.</summary>
    public string Current => Convert.ToHexStringLower(HMACSHA256.HashData(keys.BlindIndexKey, Encoding.UTF8.GetBytes("SharingHub key ring fingerprint v1"))[..16]);

    /// <summary>
    /// Records the fingerprint when the database has none (its first node, or a database from before this check), then
    /// compares: one insert that does nothing when a row is there, so the first of several nodes starting at once wins.
    /// </summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var mine = Current;
        await using var db = contexts.Create();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "HubSettings" ("Name", "Value") VALUES ({SettingName}, {mine}) ON CONFLICT ("Name") DO NOTHING
            """, cancellationToken);
        var stored = await db.Set<HubSetting>().AsNoTracking().Where(s => s.Name == SettingName).Select(s => s.Value).SingleAsync(cancellationToken);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stored), Encoding.ASCII.GetBytes(mine)))
        {
            throw new KeyRingMismatchException(
                $"this hub's key ring (fingerprint {mine}) is not the one the database was written with (fingerprint {stored}): "
                + "every hub node needs the same keyring.json (SharingHub:KeyRing:Path); copy it from a running node or restore it, and never let a node make its own");
        }
    }
}

public sealed class KeyRingMismatchException(string message) : Core.StartRefusedException(message);
