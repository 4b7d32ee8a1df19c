using SharingHub.Core.People;

namespace SharingHub.Data.Linkage;

/// <summary>
/// The partnership's linkage thresholds (<c>SharingHub:Linkage</c>): from which model probability a pair of person records
/// links, and from which it waits for the council's data team. Unset, the model's own (0.98 and 0.9 by default; a model
/// kept before December 2026 keeps 0.99). Both or neither. Set them against labelled pairs of the area's own data: the benchmark's
/// calibration table prices a threshold in false links and reviews. They apply to pairs scored from then on. With them, the
/// records the hub will hold when full (<see cref="ExpectedRecords"/>), for the model's prior.
/// </summary>
public sealed class LinkageOptions
{
    public const string Section = "SharingHub:Linkage";

    /// <summary>A pair links at or above this probability (below it, down to <see cref="ReviewAbove"/>, it is reviewed).</summary>
    public double? LinkAbove { get; set; }

    /// <summary>A pair waits for review at or above this probability; below it the records stay apart.</summary>
    public double? ReviewAbove { get; set; }

    /// <summary>
    /// The person records the hub will hold once every agency's records are in: about the people the partnership's agencies
    /// know of (the area's population is a safe upper bound) times the agencies that hold a record of each (1.8 in the
    /// benchmark's population). The model's prior, the chance that a new record and a stored one are one person, is for this
    /// many records while the hub holds fewer: a record's person is as likely not to be stored yet as its namesake is, so
    /// an early record needs as much evidence to link as a late one. Unset, the prior is for the records stored so far, and
    /// a hub filling up links on less evidence than it will when full (linkage benchmark, records arriving in random order: false links 0 to 2 at 100k people, 74 to 107 at 1M).
    /// Larger is the safer side: more evidence to link, more pairs for review.
    /// </summary>
    public long? ExpectedRecords { get; set; }

    /// <summary>Neither threshold is set, or both are, as probabilities with review starting below linking; a population, if set, is a number of records.</summary>
    public bool IsValid() =>
        ((LinkAbove, ReviewAbove) is (null, null) || (LinkAbove is > 0 and < 1 && ReviewAbove is > 0 and < 1 && ReviewAbove < LinkAbove))
        && ExpectedRecords is null or > 0;

    /// <summary>The number of records the model's prior is for, with <paramref name="stored"/> records held now.</summary>
    public long PriorRecords(long stored) => Math.Max(Math.Max(1, stored), ExpectedRecords ?? 0);

    /// <summary>The model with these thresholds, or as it is when none are set.</summary>
    public FellegiSunterModel Apply(FellegiSunterModel model) =>
        LinkAbove is { } link && ReviewAbove is { } review
            ? model.WithThresholds(link, review)
            : model;
}
