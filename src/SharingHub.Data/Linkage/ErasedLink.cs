using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SharingHub.Data.Linkage;

/// <summary>
/// A link an agency's person record had when that agency erased it (its identity fields crypto-shredded and
/// its blind indexes overwritten). Linkage can no longer find the record by evidence, so the link found at
/// that moment is kept: the agency's entries stay in the child's chronology, shown as from an erased record,
/// and a practitioner is never led to believe the agency holds nothing.
/// </summary>
public sealed class ErasedLink
{
    public Guid ErasedPersonId { get; set; }
    public Guid LinkedPersonId { get; set; }
    public DateTimeOffset ErasedAt { get; set; }
}

internal sealed class ErasedLinkConfiguration : IEntityTypeConfiguration<ErasedLink>
{
    public void Configure(EntityTypeBuilder<ErasedLink> builder)
    {
        builder.ToTable("ErasedLinks");
        builder.HasKey(l => new { l.ErasedPersonId, l.LinkedPersonId });
        builder.HasIndex(l => l.LinkedPersonId);
    }
}
