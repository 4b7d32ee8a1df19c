using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SharingHub.Data.Linkage;

/// <summary>
/// A linkage model the hub estimated from its own records (m and u per field and level, the prior, the number of records
/// it was estimated from); the latest scores every new record. Parameters only: no record, name or encoding.
/// </summary>
public sealed class LinkageModelRow
{
    public Guid Id { get; set; }
    public DateTimeOffset EstimatedAt { get; set; }
    public long Records { get; set; }
    public string Parameters { get; set; } = "";
}

internal sealed class LinkageModelConfiguration : IEntityTypeConfiguration<LinkageModelRow>
{
    public void Configure(EntityTypeBuilder<LinkageModelRow> builder)
    {
        builder.ToTable("LinkageModels");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).ValueGeneratedNever();
        builder.Property(m => m.Parameters).HasMaxLength(8_000);
        builder.HasIndex(m => m.EstimatedAt);
    }
}
