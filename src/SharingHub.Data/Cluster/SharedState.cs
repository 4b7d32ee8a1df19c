using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Cluster;

/// <summary>
/// Something a hub node marked as used or ended until a moment: a client assertion's jti (a replay through any
/// node is refused), a signed-out session (its cookie is refused by every node). Kept in the database so that
/// several hub nodes on one database agree; expired marks are deleted as new ones are made.
/// </summary>
public sealed class ExpiringMark
{
    public string Kind { get; set; } = "";

    /// <summary>The SHA-256 (hex) of what was marked: bounded in size whatever a caller sent, and no token id kept as sent.</summary>
    public string Key { get; set; } = "";

    /// <summary>Unix milliseconds: the same integer on both engines, so one upsert statement serves both.</summary>
    public long ExpiresAt { get; set; }
}

/// <summary>One ASP.NET Core data-protection key (its XML, encrypted under the hub's key ring), shared by every node.</summary>
public sealed class DataProtectionKeyRow
{
    public string Name { get; set; } = "";
    public string Xml { get; set; } = "";
    public DateTimeOffset StoredAt { get; set; }
}

/// <summary>
/// How many requests one caller (SHA-256 of its rate-limit key) made in one minute window, summed over every hub node on
/// the database, so that N nodes do not allow N times a limit.
/// </summary>
public sealed class RateCounter
{
    public string Key { get; set; } = "";

    /// <summary>Unix minutes.</summary>
    public long Window { get; set; }

    public long Count { get; set; }
}

internal sealed class RateCounterConfiguration : IEntityTypeConfiguration<RateCounter>
{
    public void Configure(EntityTypeBuilder<RateCounter> builder)
    {
        builder.ToTable("RateCounters");
        builder.HasKey(c => new { c.Key, c.Window });
        builder.Property(c => c.Key).HasMaxLength(64);
        builder.HasIndex(c => c.Window);
    }
}

internal sealed class ExpiringMarkConfiguration : IEntityTypeConfiguration<ExpiringMark>
{
    public void Configure(EntityTypeBuilder<ExpiringMark> builder)
    {
        builder.ToTable("ExpiringMarks");
        builder.HasKey(m => new { m.Kind, m.Key });
        builder.Property(m => m.Kind).HasMaxLength(32);
        builder.Property(m => m.Key).HasMaxLength(64);
        builder.HasIndex(m => m.ExpiresAt);
    }
}

internal sealed class DataProtectionKeyRowConfiguration : IEntityTypeConfiguration<DataProtectionKeyRow>
{
    public void Configure(EntityTypeBuilder<DataProtectionKeyRow> builder)
    {
        builder.ToTable("DataProtectionKeys");
        builder.HasKey(k => k.Name);
        builder.Property(k => k.Name).HasMaxLength(100);
    }
}

/// <summary>
/// Marks shared by every hub node through the database. <see cref="TryMarkAsync"/> is one statement (an upsert that
/// only takes over an expired mark), so two nodes marking the same key at once cannot both succeed.
/// </summary>
public sealed class ExpiringMarks(IHubDbContextFactory contexts, TimeProvider clock)
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);
    private long _nextSweep;

    /// <summary>True when this call made the mark (nobody held it, or only an expired one); false when it is held.</summary>
    public async Task<bool> TryMarkAsync(string kind, string key, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var expires = until.ToUnixTimeMilliseconds();
        key = Hash(key);
        await using var db = contexts.Create();
        await SweepAsync(db, now, cancellationToken);
        var made = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "ExpiringMarks" ("Kind", "Key", "ExpiresAt") VALUES ({kind}, {key}, {expires})
            ON CONFLICT ("Kind", "Key") DO UPDATE SET "ExpiresAt" = excluded."ExpiresAt" WHERE "ExpiringMarks"."ExpiresAt" <= {now}
            """, cancellationToken);
        return made == 1;
    }

    /// <summary>Marks the key until <paramref name="until"/> (or later, if it is already marked for longer).</summary>
    public async Task MarkAsync(string kind, string key, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var expires = until.ToUnixTimeMilliseconds();
        key = Hash(key);
        await using var db = contexts.Create();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "ExpiringMarks" ("Kind", "Key", "ExpiresAt") VALUES ({kind}, {key}, {expires})
            ON CONFLICT ("Kind", "Key") DO UPDATE SET "ExpiresAt" = excluded."ExpiresAt" WHERE "ExpiringMarks"."ExpiresAt" < excluded."ExpiresAt"
            """, cancellationToken);
    }

    public async Task<bool> IsMarkedAsync(string kind, string key, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        key = Hash(key);
        await using var db = contexts.Create();
        return await db.Set<ExpiringMark>().AnyAsync(m => m.Kind == kind && m.Key == key && m.ExpiresAt > now, cancellationToken);
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>At most once a minute per node: expired marks go (one indexed range delete).</summary>
    private async Task SweepAsync(HubDbContext db, long now, CancellationToken cancellationToken)
    {
        var due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + (long)SweepEvery.TotalMilliseconds, due) != due)
        {
            return;
        }
        await db.Set<ExpiringMark>().Where(m => m.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
    }
}
