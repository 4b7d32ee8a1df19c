namespace SharingHub.Server.Access;

public sealed class AccessOptions
{
    public const string Section = "SharingHub:Access";

    /// <summary>How long enquiry members keep access after the enquiry closes (0: closure ends it).</summary>
    public int EnquiryGraceHours { get; set; }
}
