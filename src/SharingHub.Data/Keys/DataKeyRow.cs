using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Core.Crypto;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Keys;

public sealed class DataKeyRow
{
    public string KeyId { get; set; } = "";
    public string Agency { get; set; } = "";
    public string DataClass { get; set; } = "";
    public int Generation { get; set; }
    public string KekId { get; set; } = "";
    public byte[] WrappedKey { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DestroyedAt { get; set; }

    /// <summary>The stored row of a wrapped key (a new person's key is stored with the person, in the writer's transaction).</summary>
    public static DataKeyRow From(WrappedDataKey key) => new()
    {
        KeyId = key.KeyId,
        Agency = key.Agency,
        DataClass = key.DataClass,
        Generation = key.Generation,
        KekId = key.KekId,
        WrappedKey = key.WrappedKey,
        CreatedAt = key.CreatedAt,
        DestroyedAt = key.DestroyedAt,
    };

    internal WrappedDataKey ToWrapped() => new(KeyId, Agency, DataClass, Generation, KekId, WrappedKey, CreatedAt, DestroyedAt);
}

internal sealed class DataKeyRowConfiguration : IEntityTypeConfiguration<DataKeyRow>
{
    public void Configure(EntityTypeBuilder<DataKeyRow> builder)
    {
        builder.ToTable("DataKeys");
        builder.HasKey(k => k.KeyId);
        builder.Property(k => k.KeyId).HasMaxLength(128);
        builder.Property(k => k.Agency).HasMaxLength(32).IsRequired();
        builder.Property(k => k.DataClass).HasMaxLength(64).IsRequired();
        builder.Property(k => k.KekId).HasMaxLength(128).IsRequired();
        builder.HasIndex(k => new { k.Agency, k.DataClass, k.Generation }).IsUnique();
    }
}

/// <summary>Wrapped data keys in the hub database. Reads are rare: the key ring caches unwrapped keys.</summary>
internal sealed class EfDataKeyStore(IHubDbContextFactory contexts) : IDataKeyStore
{
    public WrappedDataKey? Find(string keyId)
    {
        using var db = contexts.Create();
        return db.DataKeys.AsNoTracking().FirstOrDefault(k => k.KeyId == keyId)?.ToWrapped();
    }

    public WrappedDataKey? FindActive(string agency, string dataClass)
    {
        using var db = contexts.Create();
        return db.DataKeys.AsNoTracking()
            .Where(k => k.Agency == agency && k.DataClass == dataClass && k.DestroyedAt == null)
            .OrderByDescending(k => k.Generation)
            .FirstOrDefault()?.ToWrapped();
    }

    public int MaxGeneration(string agency, string dataClass)
    {
        using var db = contexts.Create();
        return db.DataKeys.AsNoTracking().Where(k => k.Agency == agency && k.DataClass == dataClass).Select(k => (int?)k.Generation).Max() ?? 0;
    }

    public IReadOnlyList<WrappedDataKey> OfSubject(string subjectSuffix)
    {
        using var db = contexts.Create();
        return db.DataKeys.AsNoTracking().Where(k => k.DataClass.EndsWith(subjectSuffix)).AsEnumerable().Select(k => k.ToWrapped()).ToList();
    }

    public IReadOnlyList<WrappedDataKey> All()
    {
        using var db = contexts.Create();
        return db.DataKeys.AsNoTracking().OrderBy(k => k.KeyId).AsEnumerable().Select(k => k.ToWrapped()).ToList();
    }

    public void Replace(WrappedDataKey key)
    {
        using var db = contexts.Create();
        var row = db.DataKeys.Single(k => k.KeyId == key.KeyId);
        row.KekId = key.KekId;
        row.WrappedKey = key.WrappedKey;
        row.DestroyedAt = key.DestroyedAt;
        db.SaveChanges();
    }

    public bool TryAdd(WrappedDataKey key)
    {
        using var db = contexts.Create();
        db.DataKeys.Add(DataKeyRow.From(key));
        try
        {
            db.SaveChanges();
            return true;
        }
        catch (DbUpdateException) when (Find(key.KeyId) is not null)
        {
            return false;
        }
    }

    public bool TryAddAll(IReadOnlyCollection<WrappedDataKey> keys)
    {
        using var db = contexts.Create();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        db.DataKeys.AddRange(keys.Select(DataKeyRow.From));
        try
        {
            // One SaveChanges is one transaction: a conflict on any key adds none of them.
            db.SaveChanges();
            return true;
        }
        catch (DbUpdateException) when (FindMany(keys.Select(k => k.KeyId).ToList()).Count > 0)
        {
            return false;
        }
    }

    public IReadOnlyList<WrappedDataKey> FindMany(IReadOnlyCollection<string> keyIds)
    {
        using var db = contexts.Create();
        var found = new List<WrappedDataKey>(keyIds.Count);
        // In slices, so a large batch stays within every engine's limit on bound parameters.
        foreach (var slice in keyIds.Chunk(500))
        {
            found.AddRange(db.DataKeys.AsNoTracking().Where(k => slice.Contains(k.KeyId)).AsEnumerable().Select(k => k.ToWrapped()));
        }
        return found;
    }
}
