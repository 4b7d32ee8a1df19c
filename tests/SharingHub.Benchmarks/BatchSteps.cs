using System.Diagnostics.Metrics;
using System.Globalization;
using SharingHub.Core.Telemetry;

namespace SharingHub.Benchmarks;

/// <summary>
/// Where the audit writer's time goes while it runs (issue 27's 64 callers): the hub's own batch metrics
/// (<c>sharinghub.audit.batch.entries</c> and <c>sharinghub.audit.batch.step.duration</c> by step), summed from the moment
/// this is made until it is disposed, and written as a section of the report: how full the batches were, each step's
/// mean time per batch, and what the writer could reach with full batches at these costs.
/// </summary>
internal sealed class BatchSteps : IDisposable
{
    private static readonly string[] Order = ["gate", "lock", "tail", "chain", "sign", "insert", "flush"];
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, double> _seconds = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _batches;
    private long _entries;

    public BatchSteps()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == HubDiagnostics.Name && instrument.Name.StartsWith("sharinghub.audit.batch.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, entries, _, _) =>
        {
            lock (_gate)
            {
                _batches++;
                _entries += entries;
            }
        });
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "step", Value: string step })
                {
                    lock (_gate)
                    {
                        _seconds[step] = _seconds.GetValueOrDefault(step) + seconds;
                    }
                }
            }
        });
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>The report's section: the batches of a run of <paramref name="elapsed"/> seconds at <paramref name="rate"/> appends a second.</summary>
    public string Section(double rate, double elapsed)
    {
        lock (_gate)
        {
            if (_batches == 0)
            {
                return "### Where the 64 callers' batches spend their time\n\nNo batch was recorded (the writer's metrics did not reach the benchmark).";
            }
            var perBatch = Order.ToDictionary(s => s, s => _seconds.GetValueOrDefault(s) * 1_000 / _batches, StringComparer.Ordinal);
            var meanEntries = (double)_entries / _batches;
            var batchMs = perBatch.Values.Sum();
            var busy = batchMs * _batches / 1_000 / elapsed;
            // Chaining and inserting grow with the entries; the lock, the tail read, the signature and the flush are paid once a batch.
            var perEntryMs = (perBatch["chain"] + perBatch["insert"]) / meanEntries;
            var fixedMs = perBatch["lock"] + perBatch["tail"] + perBatch["sign"] + perBatch["flush"];
            var fullCeiling = 64 / (fixedMs + 64 * perEntryMs) * 1_000;
            var commit = FloorBenchmark.Measured.SqliteCommitMs;
            string Ms(double v) => v.ToString("N3", CultureInfo.InvariantCulture);
            string Pct(double v) => (v * 100).ToString("N0", CultureInfo.InvariantCulture) + "%";
            var steps = string.Join("; ", Order.Where(s => perBatch[s] > 0).Select(s => $"{s} {Ms(perBatch[s])} ms ({Pct(perBatch[s] / batchMs)})"));
            return $"""
                ### Where the 64 callers' batches spend their time (this run)

                {_batches:N0} batches for {_entries:N0} entries: {meanEntries:N1} entries a batch of the 64 possible; the writer was inside
                a batch {Pct(busy)} of the run ({rate:N0} appends a second). Mean time per batch, by step (the hub's metric
                `sharinghub.audit.batch.step.duration`): {steps}; in all {Ms(batchMs)} ms.
                The flush is {(double.IsNaN(commit) ? "-" : (perBatch["flush"] / commit).ToString("N1", CultureInfo.InvariantCulture) + "x")} the SQLite one-row commit above.
                Chaining and inserting cost {Ms(perEntryMs)} ms an entry; the lock, the tail read, the signature and the flush {Ms(fixedMs)} ms a
                batch. With every batch full (64) at these costs the writer alone could commit about {fullCeiling:N0} a second: what
                holds the 64 callers back is {(fullCeiling < 20_000 ? "the writer's own work per entry and per batch, not only how full the batches are" : "how full the batches are (the callers' turn-around on the machine's cores), not the writer's work")}.
                """;
        }
    }
}
