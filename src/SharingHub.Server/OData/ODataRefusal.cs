namespace SharingHub.Server.OData;

/// <summary>
/// A query the hub will not run, with a code a client can act on. Thrown from deep inside the query
/// binder (a tree walk), caught in one place and answered as OData error JSON.
/// </summary>
internal sealed class ODataRefusal(int status, string code, string message, string? target = null) : Exception(message)
{
    public int Status => status;
    public string Code => code;
    public string? Target => target;

    public static ODataRefusal Invalid(string message, string? target = null) => new(400, ODataErrors.InvalidQuery, message, target);

    public static ODataRefusal NotSupported(string message, string? target = null) => new(400, ODataErrors.NotSupported, message, target);
}

/// <summary>The error codes the OData API answers with; each names what the client should change.</summary>
internal static class ODataErrors
{
    /// <summary>The OData code of one of the hub's own refusal codes (a purpose refusal: purpose_required, enquiry_required ...).</summary>
    public static string ForHubCode(string code) => code switch
    {
        "enquiry_required" => EnquiryRequired,
        "referral_required" or "invalid_referral" => ReferralRequired,
        "not_in_case" or "referral_unknown" or "case_closed" => OutsideCase,
        _ => PurposeRequired,
    };

    public const string InvalidQuery = "InvalidQuery";
    public const string NotSupported = "NotSupported";
    public const string EncryptedField = "EncryptedField";
    public const string WithheldField = "WithheldField";
    public const string TooComplex = "QueryTooComplex";
    public const string TooBroad = "QueryTooBroad";
    public const string Timeout = "QueryTimeout";
    public const string TopTooLarge = "TopTooLarge";
    public const string PurposeRequired = "PurposeRequired";
    public const string EnquiryRequired = "EnquiryRequired";
    public const string ReferralRequired = "ReferralRequired";
    public const string OutsideCase = "OutsideCase";
    public const string Forbidden = "Forbidden";
    public const string NotFound = "NotFound";
    public const string PreconditionFailed = "PreconditionFailed";
    public const string PreconditionRequired = "PreconditionRequired";
    public const string InvalidBody = "InvalidBody";
}
