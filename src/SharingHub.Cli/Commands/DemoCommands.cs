using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Demo;
using SharingHub.Data.Storage;

namespace SharingHub.Cli.Commands;

internal static class DemoCommands
{
    public static Command Create()
    {
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed always gives the same synthetic data", DefaultValueFactory = _ => new DemoOptions().Seed };
        var families = new Option<int?>("--families") { Description = "Number of families (default 8)" };
        var events = new Option<int?>("--events") { Description = "Approximate number of events instead of --families (100 per family), e.g. 100000" };
        var load = new Command("load", "Generate synthetic families across all five agencies and load them, encrypted, into the hub database")
        {
            seed, families, events,
        };
        HubServices.AddTo(load);
        load.Validators.Add(result =>
        {
            if (result.GetValue(families) is <= 0 || result.GetValue(events) is <= 0)
            {
                result.AddError("--families and --events must be positive");
            }
            if (result.GetValue(families) is not null && result.GetValue(events) is not null)
            {
                result.AddError("give --families or --events, not both");
            }
        });
        load.SetAction(async (parse, cancellationToken) =>
        {
            var options = parse.GetValue(events) is { } count
                ? DemoOptions.ForEventCount(count, parse.GetValue(seed))
                : new DemoOptions { Seed = parse.GetValue(seed), Families = parse.GetValue(families) ?? new DemoOptions().Families };
            using var host = HubServices.Build(parse, setUp: true);
            await host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            var progress = new ImmediateProgress<DemoLoadSummary>(s => output.WriteLine($"  {s.Families}/{options.Families} families, {s.Events} events"));
            DemoLoadSummary summary;
            try
            {
                summary = await host.Services.GetRequiredService<DemoDataLoader>().LoadAsync(options, progress, cancellationToken);
            }
            catch (DemoAlreadyLoadedException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(e.Message);
                return 2;
            }
            if (summary.Erasures.Count > 0)
            {
                var writer = host.Services.GetRequiredService<Data.Audit.AuditWriter>();
                await writer.StartAsync(cancellationToken);
                await host.Services.GetRequiredService<DemoErasures>().ApplyAsync(summary, cancellationToken);
                await writer.StopAsync(cancellationToken);
            }
            await output.WriteLineAsync($"loaded {summary.Families} families, {summary.People} person records, {summary.Events} events, {summary.Erasures.Count} record(s) erased (seed {options.Seed})");
            return 0;
        });
        return new Command("demo", "Synthetic demo and benchmark data") { load };
    }
}

/// <summary>Reports on the loading thread, so progress lines come out in order before the summary.</summary>
internal sealed class ImmediateProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
