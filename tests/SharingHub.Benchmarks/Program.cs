using SharingHub.Benchmarks;

// A benchmark prints figures; it is not a test. Run from the repository root:
//   dotnet run -c Release --project tests/SharingHub.Benchmarks -- [policy|audit|crypto] [--smoke]
var smoke = args.Contains("--smoke");
var which = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).DefaultIfEmpty("all").First();
var report = new Report();
if (which is "all" or "policy")
{
    PolicyBenchmark.Run(report, smoke);
}
if (which is "all" or "audit")
{
    await AuditBenchmark.RunAsync(report, smoke);
}
if (which is "all" or "crypto")
{
    await CryptoBenchmark.RunAsync(report, smoke);
}
report.Print();
return 0;
