using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Policies.Model;

namespace SharingHub.Server.Writing;

/// <summary>
/// What a written record must satisfy, whichever API it arrives through (FHIR or OData): each rule
/// answers null when the value is fine, or what is wrong with it, for the API to place in its own error.
/// </summary>
internal static class RecordRules
{
    public const int MaxSummary = 2_000;
    public const int MaxDetail = 20_000;
    public const int MaxName = 200;
    public const int MaxAddress = 500;
    public const int MaxSourceReference = 100;

    public static string? Category(string? category) =>
        category is { Length: > 0 and <= 80 } && category.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '-')
            ? null
            : "a category is required: a lower-case code of letters, digits and hyphens (up to 80)";

    public static string? Summary(string? summary) =>
        string.IsNullOrWhiteSpace(summary) || summary.Length > MaxSummary ? $"a summary (up to {MaxSummary:N0} characters) is required" : null;

    public static string? Detail(string? detail) => detail is { Length: > MaxDetail } ? $"the detail is longer than {MaxDetail:N0} characters" : null;

    /// <summary>
    /// An agency tags its events only with the data classes it owns. Classes every agency holds (consent,
    /// audit, referral, addresses) are governed by their own workflows and rules: an event tagged with one
    /// would change who sees it, so a writer may not choose them.
    /// </summary>
    public static string? DataClass(PolicySet policy, string agency, string? dataClass) =>
        dataClass is not null && policy.DataClasses.TryGetValue(dataClass, out var info) && info.Owner == agency
            ? null
            : $"a data class that {agency} owns is required ({string.Join(", ", policy.DataClasses.Values.Where(c => c.Owner == agency).Select(c => c.Code))})";

    public static string? SourceReference(string? reference) =>
        reference is null or { Length: > 0 and <= MaxSourceReference } ? null : $"the case system's reference is 1 to {MaxSourceReference} characters";

    public static string? Name(string? name, string which) =>
        string.IsNullOrWhiteSpace(name) || name.Length > MaxName ? $"a {which} name (up to {MaxName} characters) is required" : null;

    public static string? BirthDate(DateOnly birthDate, DateTimeOffset now) =>
        birthDate > DateOnly.FromDateTime(now.UtcDateTime) || birthDate.Year < 1900 ? "the date of birth is in the future or before 1900" : null;

    /// <summary>An unborn child's expected date of delivery: from six weeks ago (a late baby is still unborn) to ten months ahead.</summary>
    public static string? ExpectedDelivery(DateOnly expected, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        return expected < today.AddDays(-42) || expected > today.AddMonths(10)
            ? "the expected date of delivery is from six weeks ago to ten months ahead (once the child is born, give the date of birth instead)" : null;
    }

    public static string? Gender(string? gender) => gender is null or "male" or "female" or "other" or "unknown" ? null : "gender is male, female, other or unknown";

    public static string? Address(string? address) => address is { Length: > MaxAddress } ? $"the address is longer than {MaxAddress} characters" : null;

    public static string? Identifier(IdentifierKind kind, string? value) => value is not null && AgencyIdentifiers.IsValid(kind, value) ? null : $"not a valid {kind} (check digit or format)";

    /// <summary>A person under 18 on the day they are recorded is a child.</summary>
    public static PersonKind KindOn(DateOnly birthDate, DateTimeOffset now) =>
        birthDate.AddYears(18) > DateOnly.FromDateTime(now.UtcDateTime) ? PersonKind.Child : PersonKind.Adult;
}
