using System.CommandLine;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Model;
using SharingHub.Policies.Testing;

namespace SharingHub.Cli.Commands;

internal static class PolicyCommands
{
    private static readonly Option<string> PolicyFolder = new("--policies")
    {
        Description = "The policy folder (default: policies)",
        DefaultValueFactory = _ => "policies",
    };

    public static Command Create()
    {
        var tests = new Option<string?>("--tests") { Description = "The decision tests folder (default: <policies>/tests)" };
        var test = new Command("test", "Load and check the policies, then run their decision tests") { PolicyFolder, tests };
        test.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            if (Load(parse) is not { } pdp)
            {
                return 2;
            }
            var folder = parse.GetValue(tests) ?? Path.Combine(parse.GetValue(PolicyFolder)!, "tests");
            IReadOnlyList<PolicyTestResult> results;
            try
            {
                results = PolicyTestRunner.Run(pdp, folder);
            }
            catch (PolicyLoadException e)
            {
                parse.InvocationConfiguration.Error.WriteLine(e.Message);
                return 2;
            }
            foreach (var result in results)
            {
                output.WriteLine(result.Passed ? $"  ok    {result.Name}" : $"  FAIL  {result.Name} ({result.Location})\n        {result.Failure}");
            }
            var failed = results.Count(r => !r.Passed);
            output.WriteLine($"policy tests (policy version {pdp.Policy.Version}): {results.Count - failed} passed, {failed} failed");
            return failed == 0 ? 0 : 1;
        });

        var caseFile = new Argument<string>("cases") { Description = "A YAML file of requests, written as the decision tests are (expect is ignored)" };
        var explain = new Command("explain", "Explain why each request in a file would be allowed or refused") { PolicyFolder, caseFile };
        explain.SetAction(parse =>
        {
            if (Load(parse) is not { } pdp)
            {
                return 2;
            }
            var path = parse.GetValue(caseFile)!;
            if (!File.Exists(path))
            {
                parse.InvocationConfiguration.Error.WriteLine($"{path}: file not found");
                return 2;
            }
            IReadOnlyList<PolicyTestCase> cases;
            try
            {
                cases = PolicyTestCase.LoadQuestions(path, pdp.Policy);
            }
            catch (PolicyLoadException e)
            {
                parse.InvocationConfiguration.Error.WriteLine(e.Message);
                return 2;
            }
            foreach (var c in cases)
            {
                Write(parse.InvocationConfiguration.Output, c, pdp.Decide(c.ToRequest(), PolicyTestRunner.Now));
            }
            return 0;
        });
        return new Command("policy", "Sharing policies: check, test and explain") { test, explain };
    }

    private static PolicyDecisionPoint? Load(ParseResult parse)
    {
        try
        {
            return new PolicyDecisionPoint(PolicyLoader.Load(parse.GetValue(PolicyFolder)!, RecordFields.All));
        }
        catch (PolicyLoadException e)
        {
            parse.InvocationConfiguration.Error.WriteLine(e.Message);
            return null;
        }
    }

    private static void Write(TextWriter output, PolicyTestCase c, Decision d)
    {
        output.WriteLine($"{c.Name} ({c.Location})");
        output.WriteLine($"  decision:      {(d.IsPermit ? "PERMIT" : "DENY")} (policy version {d.PolicyVersion})");
        if (d.IsPermit)
        {
            output.WriteLine($"  fields:        {string.Join(", ", d.Fields.Order(StringComparer.Ordinal))}");
            if (d.RedactedFields.Count > 0)
            {
                output.WriteLine($"  redacted:      {string.Join(", ", d.RedactedFields.Order(StringComparer.Ordinal))}");
            }
            output.WriteLine($"  lawful basis:  {d.LawfulBasis}");
            output.WriteLine($"  consent:       {d.ConsentBasis}");
            output.WriteLine($"  obligations:   {(d.NotifyOwner is { } n ? $"notify the owning agency after {n.DelayHours} h; " : "")}{(d.FlagForReview ? "flag for IG review" : "none")}");
        }
        output.WriteLine($"  rules:         {(d.RuleIds.Count == 0 ? "none" : string.Join(", ", d.RuleIds))}");
        foreach (var reason in d.Reasons)
        {
            output.WriteLine($"    - {reason}");
        }
        output.WriteLine();
    }
}
