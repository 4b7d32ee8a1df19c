using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Core.Records;

namespace SharingHub.Data.Configuration;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("AuditEntries");
        builder.HasKey(a => a.Sequence);
        // Sequence numbers are assigned by the single audit writer, so gaps and forks are detectable.
        builder.Property(a => a.Sequence).ValueGeneratedNever();
        builder.Property(a => a.RequestId).HasMaxLength(64).IsRequired();
        builder.Property(a => a.Agency).HasMaxLength(32).IsRequired();
        builder.Property(a => a.Actor).HasMaxLength(256).IsRequired();
        builder.Property(a => a.Purpose).HasMaxLength(64);
        builder.Property(a => a.Action).HasMaxLength(64).IsRequired();
        builder.Property(a => a.Outcome).HasMaxLength(32).IsRequired();
        builder.Property(a => a.Decision).HasMaxLength(8).IsRequired();
        builder.Property(a => a.Organisation).HasMaxLength(64).IsRequired().HasDefaultValue("");
        builder.Property(a => a.Disclosed).HasDefaultValue(0);
        builder.Property(a => a.Roles).HasMaxLength(256).IsRequired().HasDefaultValue("");
        builder.HasIndex(a => a.RecordedAt);
        builder.HasIndex(a => new { a.Agency, a.RecordedAt });
        // No index by actor here: with one, a batch of appends wrote a page of it per distinct actor (its flush 1.5 ms
        // against 0.5 ms without). Reads by actor go through AuditActors, kept up to date apart (AuditActorIndex).
    }
}

internal sealed class AuditActorConfiguration : IEntityTypeConfiguration<AuditActor>
{
    public void Configure(EntityTypeBuilder<AuditActor> builder)
    {
        builder.ToTable("AuditActors");
        builder.HasKey(a => new { a.Actor, a.Sequence });
        builder.Property(a => a.Actor).HasMaxLength(256);
        builder.Property(a => a.Sequence).ValueGeneratedNever();
        // How far the index has come: the highest sequence it holds.
        builder.HasIndex(a => a.Sequence);
    }
}

internal sealed class AuditCheckpointConfiguration : IEntityTypeConfiguration<AuditCheckpoint>
{
    public void Configure(EntityTypeBuilder<AuditCheckpoint> builder)
    {
        builder.ToTable("AuditCheckpoints");
        builder.HasKey(c => c.TreeSize);
        builder.Property(c => c.TreeSize).ValueGeneratedNever();
        builder.Property(c => c.KeyId).HasMaxLength(64).IsRequired();
    }
}

internal sealed class AuditNodeConfiguration : IEntityTypeConfiguration<AuditNode>
{
    public void Configure(EntityTypeBuilder<AuditNode> builder)
    {
        builder.ToTable("AuditNodes");
        builder.HasKey(n => new { n.Level, n.NodeIndex });
    }
}
