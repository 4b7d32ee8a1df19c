namespace SharingHub.Core.Agencies;

/// <summary>
/// The five agencies every partnership has. The trust registry may add more, so agency codes are
/// strings everywhere; these constants only name the ones the hub ships with.
/// </summary>
public static class AgencyCodes
{
    public const string LocalAuthority = "la";
    public const string Police = "police";
    public const string Health = "health";
    public const string Education = "education";
    public const string Probation = "probation";

    public static IReadOnlyList<string> Builtin { get; } =
        [LocalAuthority, Police, Health, Education, Probation];

    /// <summary>Agency codes are lower-case ASCII words with dashes, so they are safe in key ids and URLs.</summary>
    public static bool IsWellFormed(string? code) =>
        !string.IsNullOrEmpty(code)
        && code.Length <= 32
        && char.IsAsciiLetterLower(code[0])
        && code.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
