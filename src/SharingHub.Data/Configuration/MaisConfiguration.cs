using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Core.Records;

namespace SharingHub.Data.Configuration;

internal sealed class InvolvementConfiguration : RecordConfiguration<Involvement>
{
    protected override void ConfigureRecord(EntityTypeBuilder<Involvement> builder)
    {
        builder.Property(i => i.Service).HasMaxLength(64).IsRequired();
        builder.Property(i => i.Team).HasMaxLength(128);
        builder.HasOne<Person>().WithMany().HasForeignKey(i => i.PersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(i => new { i.PersonId, i.Status });
        builder.Property(x => x.SourceReference).HasMaxLength(128);
        builder.HasIndex(x => new { x.OwningOrganisation, x.SourceReference }).IsUnique();
    }
}

internal sealed class PersonStateConfiguration : RecordConfiguration<PersonState>
{
    protected override void ConfigureRecord(EntityTypeBuilder<PersonState> builder)
    {
        builder.ToTable("States");
        builder.Property(s => s.Code).HasMaxLength(64).IsRequired();
        builder.HasOne<Person>().WithMany().HasForeignKey(s => s.PersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => s.PersonId);
        builder.Property(x => x.SourceReference).HasMaxLength(128);
        builder.HasIndex(x => new { x.OwningOrganisation, x.SourceReference }).IsUnique();
    }
}

internal sealed class ChronologyEventConfiguration : RecordConfiguration<ChronologyEvent>
{
    protected override void ConfigureRecord(EntityTypeBuilder<ChronologyEvent> builder)
    {
        builder.ToTable("Events");
        builder.Property(e => e.Category).HasMaxLength(64).IsRequired();
        builder.Property(e => e.SourceReference).HasMaxLength(128);
        // Case systems push the same event again after a time-out; the source reference makes that a no-op.
        // Per organisation: two schools may use the same reference in their own systems.
        builder.HasIndex(e => new { e.OwningOrganisation, e.SourceReference }).IsUnique();
        builder.HasIndex(e => e.OccurredAt);
        builder.HasMany(e => e.Subjects).WithOne().HasForeignKey(s => s.EventId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(e => e.Subjects).AutoInclude();
    }
}

internal sealed class EventSubjectConfiguration : IEntityTypeConfiguration<EventSubject>
{
    public void Configure(EntityTypeBuilder<EventSubject> builder)
    {
        builder.ToTable("EventSubjects");
        builder.HasKey(s => new { s.EventId, s.PersonId });
        builder.HasOne<Person>().WithMany().HasForeignKey(s => s.PersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => s.PersonId);
    }
}
