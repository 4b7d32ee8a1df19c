using SharingHub.Policies.Decisions;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Model;

namespace SharingHub.Policies.Testing;

public sealed record PolicyTestResult(string Name, string Location, bool Passed, string? Failure, Decision Decision);

/// <summary>
/// Runs the decision tests kept beside the policies (policies/tests/*.yaml). Each test reads as an
/// information sharing agreement does: given this requester, purpose, enquiry and record, expect
/// permit with these fields, or deny because...
/// </summary>
public static class PolicyTestRunner
{
    /// <summary>Tests run at a fixed moment, so time windows and consent periods give the same answer every day.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    public static IReadOnlyList<PolicyTestResult> Run(PolicyDecisionPoint pdp, string testsDirectory)
    {
        var cases = PolicyTestCase.LoadAll(testsDirectory, pdp.Policy);
        return cases.Select(c => Run(pdp, c)).ToList();
    }

    public static PolicyTestResult Run(PolicyDecisionPoint pdp, PolicyTestCase test)
    {
        var decision = test.Action is { } action ? pdp.MayTake(test.Requester, action) : pdp.Decide(test.ToRequest(), Now);
        var failure = Check(test, decision);
        return new PolicyTestResult(test.Name, test.Location.ToString(), failure is null, failure, decision);
    }

    private static string? Check(PolicyTestCase test, Decision decision)
    {
        var expected = test.ExpectPermit ? "permit" : "deny";
        var actual = decision.IsPermit ? "permit" : "deny";
        if (expected != actual)
        {
            return $"expected {expected} but the decision was {actual}: {string.Join("; ", decision.Reasons)}";
        }
        if (test.ExpectFields is { } fields && !fields.SetEquals(decision.Fields))
        {
            return $"expected fields [{string.Join(", ", fields.Order())}] but got [{string.Join(", ", decision.Fields.Order())}]";
        }
        var missingRules = test.ExpectRules.Where(r => !decision.RuleIds.Contains(r)).ToList();
        if (missingRules.Count > 0)
        {
            return $"expected rule(s) {string.Join(", ", missingRules)} to decide, but the rules were [{string.Join(", ", decision.RuleIds)}]";
        }
        if (test.ExpectBecause is { } because && !decision.Reasons.Any(r => r.Contains(because, StringComparison.OrdinalIgnoreCase)))
        {
            return $"expected a reason containing '{because}' but the reasons were: {string.Join("; ", decision.Reasons)}";
        }
        if (test.ExpectReview is { } review && review != decision.FlagForReview)
        {
            return review ? "expected the disclosure to be flagged for IG review" : "expected no IG review flag";
        }
        if (test.ExpectNotify is { } notify && notify != (decision.NotifyOwner is not null))
        {
            return notify ? "expected the owning agency to be notified" : "expected no notification of the owning agency";
        }
        if (test.ExpectNotifyDelayHours is { } delay && decision.NotifyOwner?.DelayHours != delay)
        {
            return $"expected the owner to be notified after {delay} hours, but got {(decision.NotifyOwner is null ? "no notification" : decision.NotifyOwner.DelayHours + " hours")}";
        }
        return null;
    }
}

/// <summary>One decision test, read from YAML; see policies/tests/README.md for the format.</summary>
public sealed record PolicyTestCase(
    string Name,
    SourceLocation Location,
    Principal Requester,
    string Purpose,
    EnquiryFacts? Enquiry,
    ResourceFacts Record,
    IReadOnlyList<ConsentFacts> Consents,
    string? Override,
    bool ExpectPermit,
    IReadOnlySet<string>? ExpectFields,
    IReadOnlyList<string> ExpectRules,
    string? ExpectBecause,
    bool? ExpectReview,
    bool? ExpectNotify,
    int? ExpectNotifyDelayHours,
    bool PersonInfoQuery = false)
{
    /// <summary>The action an action test asks about (<c>action: enquiry.open</c>), or null for a record decision.</summary>
    public string? Action { get; init; }

    /// <summary>The referral a front-door test names (<c>referral: { open, about-subject }</c>), or null.</summary>
    public ReferralFacts? Referral { get; init; }

    public AccessRequest ToRequest() => new(Requester, Purpose, Enquiry, Record, Consents, Override, PersonInfoQuery) { Referral = Referral };

    public static IReadOnlyList<PolicyTestCase> LoadAll(string directory, PolicySet policy)
    {
        var errors = new PolicyErrors();
        var files = Directory.Exists(directory) ? Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal).ToList() : [];
        if (files.Count == 0)
        {
            errors.Add(directory, 0, "no policy test files (*.yaml)");
        }
        var cases = files.SelectMany(path => Read(path, policy, errors, questionsOnly: false)).ToList();
        errors.ThrowIfAny();
        return cases;
    }

    /// <summary>
    /// The questions in one file, for <c>policy explain</c>: only that file is read, and a question needs no
    /// <c>expect:</c> (explaining asks what the decision is, not whether it is the expected one).
    /// </summary>
    public static IReadOnlyList<PolicyTestCase> LoadQuestions(string path, PolicySet policy)
    {
        var errors = new PolicyErrors();
        var cases = Read(path, policy, errors, questionsOnly: true);
        errors.ThrowIfAny();
        return cases;
    }

    private static List<PolicyTestCase> Read(string path, PolicySet policy, PolicyErrors errors, bool questionsOnly)
    {
        var name = Path.Combine(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ""), Path.GetFileName(path));
        var doc = YamlMap.Parse(File.ReadAllText(path), name, errors);
        if (doc is null)
        {
            return [];
        }
        var cases = doc.Maps("tests").Select(t => PolicyTestReader.Read(t, policy, questionsOnly)).OfType<PolicyTestCase>().ToList();
        doc.RejectUnknownKeys();
        return cases;
    }
}
