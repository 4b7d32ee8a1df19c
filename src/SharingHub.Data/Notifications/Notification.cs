using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SharingHub.Data.Notifications;

/// <summary>
/// One message to one organisation's system, in the outbox until delivered. The payload carries ids and
/// codes only (what happened, to which record), never record contents: the receiver reads the record
/// through the API, under its own purpose and policy.
/// </summary>
public sealed class Notification
{
    public Guid Id { get; set; }
    /// <summary>The organisation (data controller) it is for: a school, a trust, a force; a sector's default carries the sector's code.</summary>
    public string Organisation { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Payload { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Not sent before this moment (police may delay an owner notification so a suspect is not tipped off).</summary>
    public DateTimeOffset DueAt { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>Set when delivery gave up: the notification stays listed as a dead letter for an operator.</summary>
    public DateTimeOffset? DeadAt { get; set; }
    public string? LastError { get; set; }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> builder)
    {
        builder.ToTable("Notifications");
        builder.HasKey(n => n.Id);
        builder.Property(n => n.Id).ValueGeneratedNever();
        builder.Property(n => n.Organisation).HasMaxLength(64);
        builder.Property(n => n.Kind).HasMaxLength(64);
        builder.Property(n => n.LastError).HasMaxLength(300);
        builder.HasIndex(n => new { n.DeliveredAt, n.DeadAt, n.NextAttemptAt }).HasDatabaseName("IX_Notifications_Pending");
        builder.HasIndex(n => n.Organisation);
    }
}
