using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SharingHub.Data.Linkage;

/// <summary>What linkage concluded about a pair of person records, scored when either was written.</summary>
public enum PairOutcome
{
    /// <summary>Scored above the upper threshold, or the same identifier asserted by its issuer on both.</summary>
    Link,

    /// <summary>Scored between the thresholds: a person of the council's data team decides.</summary>
    Review,
}

/// <summary>Who decided a pair last: the score, or a person (whose decision always beats the score).</summary>
public enum PairState
{
    Automatic,
    Confirmed,
    Rejected,
    Unlinked,
}

/// <summary>
/// A pair of person records that linkage scored as one individual or as a possible one, with its evidence (each field's
/// level of agreement and weight, the total, the probability) and any person's decision on it. Linked when scored a link
/// and left to the score, or confirmed by a person; a pending review while scored for review and left to the score.
/// Rejected and unlinked pairs keep their decision, so rescoring never undoes it. Ids and weights only, never a name.
/// </summary>
public sealed class PersonPair
{
    public Guid Id { get; set; }

    /// <summary>The two records, the smaller id first, so a pair is stored once.</summary>
    public Guid PersonA { get; set; }
    public Guid PersonB { get; set; }
    public PairOutcome Outcome { get; set; }
    public PairState State { get; set; }
    public double Weight { get; set; }
    public double Probability { get; set; }

    /// <summary>JSON: [{"field":"FamilyName","level":"similar spelling","weight":6.6}, ...].</summary>
    public string Evidence { get; set; } = "[]";
    public DateTimeOffset ScoredAt { get; set; }
    public string? DecidedBy { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public string? Reason { get; set; }
    public long Version { get; set; }

    public bool IsLinked => State == PairState.Confirmed || (State == PairState.Automatic && Outcome == PairOutcome.Link);

    public bool AwaitsReview => State == PairState.Automatic && Outcome == PairOutcome.Review;

    public static (Guid A, Guid B) Ordered(Guid x, Guid y) => x.CompareTo(y) < 0 ? (x, y) : (y, x);
}

internal sealed class PersonPairConfiguration : IEntityTypeConfiguration<PersonPair>
{
    public void Configure(EntityTypeBuilder<PersonPair> builder)
    {
        builder.ToTable("PersonPairs");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).ValueGeneratedNever();
        builder.HasIndex(p => new { p.PersonA, p.PersonB }).IsUnique();
        builder.HasIndex(p => p.PersonB);
        builder.HasIndex(p => new { p.State, p.Outcome });
        builder.Property(p => p.Outcome).HasConversion<string>().HasMaxLength(16);
        builder.Property(p => p.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(p => p.Evidence).HasMaxLength(4_000);
        builder.Property(p => p.DecidedBy).HasMaxLength(200);
        builder.Property(p => p.Reason).HasMaxLength(1_000);
        builder.Property(p => p.Version).IsConcurrencyToken();
        builder.Ignore(p => p.IsLinked);
        builder.Ignore(p => p.AwaitsReview);
    }
}
