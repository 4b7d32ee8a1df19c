using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Core.Records;

namespace SharingHub.Data.Configuration;

internal sealed class PersonConfiguration : RecordConfiguration<Person>
{
    protected override void ConfigureRecord(EntityTypeBuilder<Person> builder)
    {
        builder.ToTable("People");
        builder.Property(p => p.Sex).HasMaxLength(16);
        builder.HasIndex(p => p.FamilyNameIndex);
        builder.HasIndex(p => p.BirthDateIndex);
        builder.HasIndex(p => p.PostcodeIndex);
        // The blocking keys of linkage: each finds a bounded set of candidates for a new record, whatever the population.
        builder.HasIndex(p => new { p.BirthDateIndex, p.FamilyPhoneticIndex });
        builder.HasIndex(p => new { p.BirthDateIndex, p.GivenNameIndex });
        builder.HasIndex(p => new { p.BirthDateIndex, p.PostcodeSectorIndex });
        builder.HasIndex(p => new { p.BirthYearMonthIndex, p.FamilyNameIndex, p.GivenNameIndex });
        // A birth date recorded with day and month swapped: without this index the key read every person (a full scan on each
        // write: 118 ms of a bundle's 141 ms at a million events on SQLite, issue 27).
        builder.HasIndex(p => new { p.BirthDateSwappedIndex, p.FamilyPhoneticIndex });
        // A given name's frequency among everyone, where the birth month's cohort is too small to count within.
        builder.HasIndex(p => p.GivenNameIndex);
        // Records encoded before family names were compared a letter apart (LinkageBackfill.AwaitingFamilyVariants): an index
        // of only those, so that each start finds none in one lookup instead of reading every person.
        builder.HasIndex(p => p.Id, "IX_People_AwaitingFamilyVariants")
            .HasFilter("\"FamilyPhoneticIndex\" IS NOT NULL AND \"FamilyVariantIndexes\" IS NULL");
        builder.HasMany(p => p.Identifiers).WithOne().HasForeignKey(i => i.PersonId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(p => p.Identifiers).AutoInclude();
    }
}

internal sealed class PersonIdentifierConfiguration : IEntityTypeConfiguration<PersonIdentifier>
{
    public void Configure(EntityTypeBuilder<PersonIdentifier> builder)
    {
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).ValueGeneratedNever();
        builder.HasIndex(i => new { i.Kind, i.ValueIndex });
    }
}

internal sealed class HouseholdConfiguration : RecordConfiguration<Household>
{
    protected override void ConfigureRecord(EntityTypeBuilder<Household> builder)
    {
        builder.Property(h => h.Reference).HasMaxLength(64).IsRequired();
        builder.HasIndex(h => new { h.OwningOrganisation, h.Reference }).IsUnique();
        builder.HasIndex(h => h.PostcodeIndex);
        builder.HasMany(h => h.Members).WithOne().HasForeignKey(m => m.HouseholdId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(h => h.Members).AutoInclude();
    }
}

internal sealed class HouseholdMemberConfiguration : IEntityTypeConfiguration<HouseholdMember>
{
    public void Configure(EntityTypeBuilder<HouseholdMember> builder)
    {
        builder.ToTable("HouseholdMembers");
        builder.HasKey(m => new { m.HouseholdId, m.PersonId });
        builder.Property(m => m.Role).HasMaxLength(32);
        builder.HasOne<Person>().WithMany().HasForeignKey(m => m.PersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(m => m.PersonId);
    }
}

internal sealed class RelationshipConfiguration : RecordConfiguration<Relationship>
{
    protected override void ConfigureRecord(EntityTypeBuilder<Relationship> builder)
    {
        builder.HasOne<Person>().WithMany().HasForeignKey(r => r.PersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Person>().WithMany().HasForeignKey(r => r.RelatedPersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => r.PersonId);
        builder.HasIndex(r => r.RelatedPersonId);
        builder.Property(x => x.SourceReference).HasMaxLength(128);
        builder.HasIndex(x => new { x.OwningOrganisation, x.SourceReference }).IsUnique();
    }
}
