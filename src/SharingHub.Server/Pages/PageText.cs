using System.Globalization;
using SharingHub.Policies.Model;

namespace SharingHub.Server.Pages;

/// <summary>The words and dates the pages show: UK time and the GOV.UK style for dates ("6 January 2027"; the invariant culture has the English month names).</summary>
internal static class PageText
{
    public static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
    private static readonly CultureInfo English = CultureInfo.InvariantCulture;

    public static DateTimeOffset Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, London);

    public static string Date(DateTimeOffset at) => Local(at).ToString("d MMMM yyyy", English);

    public static string DateTime(DateTimeOffset at) => Local(at).ToString("d MMMM yyyy, h:mmtt", English).Replace("AM", "am", StringComparison.Ordinal).Replace("PM", "pm", StringComparison.Ordinal);

    public static string Stage(string stage) => stage switch
    {
        "strategy-discussion" => "Strategy discussion",
        "section-47" => "Section 47 enquiry",
        "awaiting-conference" => "Awaiting initial conference",
        "child-protection-plan" => "Child protection plan",
        _ => stage,
    };

    public static string Due(string item) => item switch
    {
        "initial-conference" => "Initial child protection conference",
        "core-group" => "First core group meeting",
        "review-conference" => "Review conference",
        _ when item.StartsWith("information-request:", StringComparison.Ordinal) => $"Information request to {item["information-request:".Length..]}",
        _ => item,
    };

    /// <summary>A code as words: "missing-episode" as "Missing episode".</summary>
    public static string Words(string? code) => string.IsNullOrEmpty(code) ? "" : char.ToUpperInvariant(code[0]) + code[1..].Replace('-', ' ').Replace('.', ' ');

    public static string Agency(PolicySet policy, string agency) => policy.Agencies.TryGetValue(agency, out var a) ? a.Name : agency;

    public static string Organisation(PolicySet policy, string agency, string organisation) =>
        organisation != agency && policy.Organisations.TryGetValue(organisation, out var o) ? o.Name : Agency(policy, agency);
}
