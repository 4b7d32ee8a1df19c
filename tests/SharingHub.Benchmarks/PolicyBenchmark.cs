using System.Diagnostics;
using SharingHub.Core.Records;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Model;

namespace SharingHub.Benchmarks;

/// <summary>
/// Policy decisions per second and allocations per decision with the shipped policies, for a typical
/// enquiry read (permit, several rules in play) and for a refusal, against a baseline of the cheapest
/// decision there is (an unknown purpose, refused before any rule is read).
/// </summary>
internal static class PolicyBenchmark
{
    public static void Run(Report report, bool smoke)
    {
        var pdp = new PolicyDecisionPoint(PolicyLoader.Load("policies", RecordFields.All));
        var now = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var child = Guid.NewGuid();
        var enquiry = new EnquiryFacts(Guid.NewGuid(), "S47-BENCH", null, new HashSet<Guid> { child },
            [new EnquiryMemberFacts("police", "officer-1", now.AddDays(-3), null)]);
        var fields = new[] { "occurredAt", "category", "significance", "summary", "detail", "subjects" }.Select(f => new FieldFacts(f)).ToArray();
        AccessRequest Request(string purpose, string owner, string dataClass) => new(
            new Principal("police", "officer-1", new HashSet<string> { "macpt-member" }), purpose, enquiry,
            new ResourceFacts("event", Guid.NewGuid(), owner, dataClass, new HashSet<Guid> { child }, now.AddDays(-10), fields), []);

        var baseline = Request("not-a-purpose", "health", "health.clinical");
        var permit = Request("s47-enquiry", "health", "health.clinical");
        var deny = Request("family-help", "probation", "probation.risk");
        if (!pdp.Decide(permit, now).IsPermit || pdp.Decide(deny, now).IsPermit)
        {
            throw new InvalidOperationException("the benchmark requests no longer decide as expected; fix the benchmark before reading its figures");
        }
        var iterations = smoke ? 2_000 : 400_000;
        var (baseRate, baseBytes) = Measure(pdp, baseline, now, iterations);
        var (permitRate, permitBytes) = Measure(pdp, permit, now, iterations);
        var (denyRate, denyBytes) = Measure(pdp, deny, now, iterations);
        report.Add(new Figure("policy", "decision: unknown purpose (baseline)", baseRate, baseBytes, 1, "itself"));
        report.Add(new Figure("policy", "decision: s47 permit, 6 fields", permitRate, permitBytes, baseRate / permitRate, "unknown purpose (cost ratio)"));
        report.Add(new Figure("policy", "decision: family-help deny", denyRate, denyBytes, baseRate / denyRate, "unknown purpose (cost ratio)"));
    }

    private static (double PerSecond, double Bytes) Measure(PolicyDecisionPoint pdp, AccessRequest request, DateTimeOffset now, int iterations)
    {
        for (var i = 0; i < iterations / 10; i++)
        {
            pdp.Decide(request, now);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            pdp.Decide(request, now);
        }
        clock.Stop();
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)iterations;
        return (iterations / clock.Elapsed.TotalSeconds, bytes);
    }
}
