using SharingHub.Core.People;

namespace SharingHub.Data.Linkage;

/// <summary>
/// The partnership's linkage thresholds (<c>SharingHub:Linkage</c>): from which model probability a pair of person records
/// links, and from which it waits for the council's data team. Unset, the model's own (0.98 and 0.9 by default; a model
/// kept before December 2026 keeps 0.99). Both or neither. Set them against labelled pairs of the area's own data: the benchmark's
/// calibration table prices a threshold in false links and reviews. They apply to pairs scored from then on.
/// </summary>
public sealed class LinkageOptions
{
    public const string Section = "SharingHub:Linkage";

    /// <summary>A pair links at or above this probability (below it, down to <see cref="ReviewAbove"/>, it is reviewed).</summary>
    public double? LinkAbove { get; set; }

    /// <summary>A pair waits for review at or above this probability; below it the records stay apart.</summary>
    public double? ReviewAbove { get; set; }

    /// <summary>Neither is set, or both are, as probabilities with review starting below linking.</summary>
    public bool IsValid() =>
        (LinkAbove, ReviewAbove) is (null, null) || (LinkAbove is > 0 and < 1 && ReviewAbove is > 0 and < 1 && ReviewAbove < LinkAbove);

    /// <summary>The model with these thresholds, or as it is when none are set.</summary>
    public FellegiSunterModel Apply(FellegiSunterModel model) =>
        LinkAbove is { } link && ReviewAbove is { } review
            ? model.WithThresholds(link, review)
            : model;
}
