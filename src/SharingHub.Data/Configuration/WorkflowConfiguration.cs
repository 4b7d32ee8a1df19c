using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Core.Records;

namespace SharingHub.Data.Configuration;

internal sealed class ConsentConfiguration : RecordConfiguration<Consent>
{
    protected override void ConfigureRecord(EntityTypeBuilder<Consent> builder)
    {
        builder.HasOne<Person>().WithMany().HasForeignKey(c => c.SubjectPersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Person>().WithMany().HasForeignKey(c => c.GrantorPersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(c => c.SubjectPersonId);
        builder.Property(x => x.SourceReference).HasMaxLength(128);
        builder.HasIndex(x => new { x.OwningOrganisation, x.SourceReference }).IsUnique();
    }
}

internal sealed class EnquiryConfiguration : RecordConfiguration<Enquiry>
{
    protected override void ConfigureRecord(EntityTypeBuilder<Enquiry> builder)
    {
        // Named here: HubDbContext.Enquiries is a query (read one query per part), not a set, so the name does not come from it.
        builder.ToTable("Enquiries");
        builder.Property(e => e.Reference).HasMaxLength(64).IsRequired();
        builder.HasIndex(e => e.Reference).IsUnique();
        builder.Property(e => e.LeadPractitioner).HasMaxLength(256).IsRequired();
        builder.HasMany(e => e.Members).WithOne().HasForeignKey(m => m.EnquiryId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(e => e.Subjects).WithOne().HasForeignKey(s => s.EnquiryId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(e => e.Members).AutoInclude();
        builder.Navigation(e => e.Subjects).AutoInclude();
        builder.HasMany(e => e.Fgdm).WithOne().HasForeignKey(f => f.EnquiryId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(e => e.Fgdm).AutoInclude();
        builder.Property(e => e.StrategyDecision).HasMaxLength(32);
        builder.Property(e => e.PlanCategory).HasMaxLength(32);
        builder.Property(e => e.OverdueEscalated).HasMaxLength(1000);
        builder.HasIndex(e => new { e.Status, e.Stage });
        builder.HasOne<Referral>().WithMany().HasForeignKey(e => e.ReferralId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(e => e.EmergencyActions).WithOne().HasForeignKey(a => a.EnquiryId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(e => e.EmergencyActions).AutoInclude();
        builder.HasMany(e => e.Conferences).WithOne().HasForeignKey(c => c.EnquiryId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(e => e.Conferences).AutoInclude();
        builder.HasMany(e => e.CoreGroupMeetings).WithOne().HasForeignKey(m => m.EnquiryId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(e => e.CoreGroupMeetings).AutoInclude();
    }
}

internal sealed class EmergencyActionConfiguration() : EnquiryPartConfiguration<EmergencyAction>("EnquiryEmergencyActions")
{
    protected override void ConfigurePart(EntityTypeBuilder<EmergencyAction> builder)
    {
        builder.Property(a => a.ActingAgency).HasMaxLength(32).IsRequired();
        builder.Property(a => a.ActedBy).HasMaxLength(256).IsRequired();
    }
}

internal sealed class CaseConferenceConfiguration() : EnquiryPartConfiguration<CaseConference>("EnquiryConferences")
{
    protected override void ConfigurePart(EntityTypeBuilder<CaseConference> builder)
    {
        builder.Property(c => c.Decision).HasMaxLength(32).IsRequired();
        builder.Property(c => c.Category).HasMaxLength(32);
    }
}

internal sealed class CoreGroupMeetingConfiguration() : EnquiryPartConfiguration<CoreGroupMeeting>("EnquiryCoreGroupMeetings")
{
    protected override void ConfigurePart(EntityTypeBuilder<CoreGroupMeeting> builder)
    {
    }
}

/// <summary>A part of a case in its own table: keyed by its own id (never generated), found by its case.</summary>
internal abstract class EnquiryPartConfiguration<T>(string table) : IEntityTypeConfiguration<T>
    where T : class, IEnquiryPart
{
    public void Configure(EntityTypeBuilder<T> builder)
    {
        builder.ToTable(table);
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).ValueGeneratedNever();
        builder.HasIndex(p => p.EnquiryId);
        ConfigurePart(builder);
    }

    protected abstract void ConfigurePart(EntityTypeBuilder<T> builder);
}

internal sealed class FgdmDecisionConfiguration() : EnquiryPartConfiguration<FgdmDecision>("EnquiryFgdm")
{
    protected override void ConfigurePart(EntityTypeBuilder<FgdmDecision> builder)
    {
        builder.Property(f => f.DecisionPoint).HasMaxLength(64).IsRequired();
        builder.Property(f => f.RecordedBy).HasMaxLength(256).IsRequired();
    }
}

internal sealed class StrategyMeetingConfiguration : RecordConfiguration<StrategyMeeting>
{
    protected override void ConfigureRecord(EntityTypeBuilder<StrategyMeeting> builder)
    {
        builder.ToTable("StrategyMeetings");
        builder.HasOne<Enquiry>().WithMany().HasForeignKey(m => m.EnquiryId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(m => m.EnquiryId);
    }
}

internal sealed class EnquiryMemberConfiguration : IEntityTypeConfiguration<EnquiryMember>
{
    public void Configure(EntityTypeBuilder<EnquiryMember> builder)
    {
        builder.ToTable("EnquiryMembers");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).ValueGeneratedNever();
        builder.Property(m => m.Agency).HasMaxLength(32).IsRequired();
        builder.Property(m => m.UserSubject).HasMaxLength(256).IsRequired();
        builder.Property(m => m.Role).HasMaxLength(32).IsRequired();
        // A member's lists (/me, and their "Your cases" page) ask, for each open case, whether this member belongs to it. The case's id is in
        // the index so that is one probe: on (Agency, UserSubject) alone SQLite chose it over the case's own index and read every
        // one of the member's memberships for every case (at the demo's 1M events, 5,460 by 5,460 rows; /me took 3.5 s).
        builder.HasIndex(m => new { m.Agency, m.UserSubject, m.EnquiryId });
    }
}

internal sealed class EnquirySubjectConfiguration : IEntityTypeConfiguration<EnquirySubject>
{
    public void Configure(EntityTypeBuilder<EnquirySubject> builder)
    {
        builder.ToTable("EnquirySubjects");
        builder.HasKey(s => new { s.EnquiryId, s.PersonId });
        builder.Property(s => s.Role).HasMaxLength(32);
        builder.HasOne<Person>().WithMany().HasForeignKey(s => s.PersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => s.PersonId);
    }
}

internal sealed class InformationRequestConfiguration : RecordConfiguration<InformationRequest>
{
    protected override void ConfigureRecord(EntityTypeBuilder<InformationRequest> builder)
    {
        builder.Property(r => r.RequestedAgency).HasMaxLength(32).IsRequired();
        builder.HasOne<Enquiry>().WithMany().HasForeignKey(r => r.EnquiryId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(r => r.Responses).WithOne().HasForeignKey(r => r.RequestId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => new { r.RequestedAgency, r.Status, r.DueAt });
    }
}

internal sealed class InformationResponseConfiguration : RecordConfiguration<InformationResponse>
{
    protected override void ConfigureRecord(EntityTypeBuilder<InformationResponse> builder) =>
        builder.HasIndex(r => r.RequestId);
}

internal sealed class ReferralConfiguration : RecordConfiguration<Referral>
{
    protected override void ConfigureRecord(EntityTypeBuilder<Referral> builder)
    {
        builder.HasOne<Person>().WithMany().HasForeignKey(r => r.SubjectPersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => new { r.Decision, r.DecisionDueAt });
        builder.Property(r => r.ConcernCategory).HasMaxLength(64);
        builder.Property(r => r.Reference).HasMaxLength(32);
        builder.Property(r => r.DecidedBy).HasMaxLength(128);
        builder.Property(r => r.SignedOffBy).HasMaxLength(128);
    }
}

internal sealed class MacptNominationConfiguration : IEntityTypeConfiguration<MacptNomination>
{
    public void Configure(EntityTypeBuilder<MacptNomination> builder)
    {
        builder.ToTable("MacptNominations");
        builder.HasKey(n => n.Id);
        builder.Property(n => n.Id).ValueGeneratedNever();
        builder.Property(n => n.Agency).HasMaxLength(32).IsRequired();
        builder.Property(n => n.Organisation).HasMaxLength(64).IsRequired();
        builder.Property(n => n.UserSubject).HasMaxLength(256).IsRequired();
        builder.Property(n => n.Role).HasMaxLength(32).IsRequired();
        builder.Property(n => n.NominatedBy).HasMaxLength(256).IsRequired();
        builder.Property(n => n.EndedBy).HasMaxLength(256);
        builder.HasIndex(n => new { n.Agency, n.UserSubject });
    }
}

internal sealed class FamilyHelpPlanConfiguration : RecordConfiguration<FamilyHelpPlan>
{
    protected override void ConfigureRecord(EntityTypeBuilder<FamilyHelpPlan> builder)
    {
        builder.HasOne<Person>().WithMany().HasForeignKey(p => p.PersonId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(p => p.PersonId);
        builder.Property(p => p.LeadPractitioner).HasMaxLength(256).IsRequired();
        builder.Property(p => p.SourceReference).HasMaxLength(128);
        builder.HasIndex(p => new { p.OwningOrganisation, p.SourceReference }).IsUnique();
        builder.HasMany(p => p.Leads).WithOne().HasForeignKey(l => l.PlanId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(p => p.Leads).AutoInclude();
    }
}

internal sealed class FamilyHelpLeadConfiguration : IEntityTypeConfiguration<FamilyHelpLead>
{
    public void Configure(EntityTypeBuilder<FamilyHelpLead> builder)
    {
        builder.ToTable("FamilyHelpLeads");
        builder.HasKey(l => l.Id);
        builder.Property(l => l.Id).ValueGeneratedNever();
        builder.Property(l => l.Practitioner).HasMaxLength(256);
        builder.Property(l => l.Agency).HasMaxLength(32);
        builder.Property(l => l.Organisation).HasMaxLength(64);
    }
}
