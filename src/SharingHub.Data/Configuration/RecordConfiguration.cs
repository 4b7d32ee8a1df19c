using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Core.Records;

namespace SharingHub.Data.Configuration;

/// <summary>What every record table has: owner, data class, times, and the version as a concurrency token.</summary>
internal abstract class RecordConfiguration<T> : IEntityTypeConfiguration<T>
    where T : Record
{
    public void Configure(EntityTypeBuilder<T> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.OwningAgency).HasMaxLength(32).IsRequired();
        builder.Property(r => r.DataClass).HasMaxLength(64).IsRequired();
        builder.Property(r => r.Version).IsConcurrencyToken();
        builder.Ignore(r => r.ETag);
        builder.HasOne<Storage.Agency>().WithMany().HasForeignKey(r => r.OwningAgency).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => r.OwningAgency);
        // Read through the property, so a record written without an organisation belongs to its sector's default.
        builder.Property(r => r.OwningOrganisation).HasMaxLength(64).IsRequired().UsePropertyAccessMode(PropertyAccessMode.Property);
        ConfigureRecord(builder);
    }

    protected abstract void ConfigureRecord(EntityTypeBuilder<T> builder);
}
