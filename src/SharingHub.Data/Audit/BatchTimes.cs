using System.Diagnostics;

namespace SharingHub.Data.Audit;

/// <summary>The steps of one audit batch, in order: what a request's wait for its entry is made of (issue 27's breakdown).</summary>
internal enum BatchPhase
{
    /// <summary>Waiting for the writer's connection (another batch, or a bulk load, was on it).</summary>
    Gate,

    /// <summary>
    /// SQLite: the batch's turn among the hub's steady writers and SQLite's write lock taken (an immediate transaction begun).
    /// On PostgreSQL the lock is taken in the same round trip as the tail's read, in <see cref="Tail"/>.
    /// </summary>
    Lock,

    /// <summary>The log's tail read (on PostgreSQL with the transaction begun and the writers' lock taken, in one round trip).</summary>
    Tail,

    /// <summary>The entries made, hashed and chained, and the Merkle tree's right edge brought up to date.</summary>
    Chain,

    /// <summary>The batch's checkpoint signed (when each batch is signed).</summary>
    Sign,

    /// <summary>The entries, checkpoint and completed subtrees inserted (SQLite; on PostgreSQL they go with the commit, in <see cref="Flush"/>).</summary>
    Insert,

    /// <summary>The commit, with its durable flush (on PostgreSQL the inserts with it, in one round trip).</summary>
    Flush,
}

/// <summary>
/// When each step of one audit batch ended (Stopwatch timestamps), shared by the batch's entries. A request waiting for its
/// entry reports them, after the fact, as spans inside its <c>audit.wait</c>: the time queued, then each step of its batch.
/// They are made only while something listens to the hub's spans (the benchmark's profiler, a tracing exporter).
/// </summary>
internal sealed class BatchTimes(long started)
{
    private readonly long[] _ends = new long[Enum.GetValues<BatchPhase>().Length];

    public long Started { get; } = started;

    public void Mark(BatchPhase phase) => _ends[(int)phase] = Stopwatch.GetTimestamp();

    private static readonly string[] Names = Enum.GetValues<BatchPhase>().Select(p => p.ToString().ToLowerInvariant()).ToArray();

    /// <summary>Each step the batch took, from the end of the one before (or the batch's start) to its own end.</summary>
    private IEnumerable<(BatchPhase Phase, long From, long To)> Steps()
    {
        var from = Started;
        foreach (var phase in Enum.GetValues<BatchPhase>())
        {
            var end = _ends[(int)phase];
            if (end != 0)
            {
                yield return (phase, from, end);
                from = end;
            }
        }
    }

    /// <summary>
    /// Records the committed batch in the hub's metrics: its entries, and each step's time (tagged with the step), only while
    /// something listens to them (an exporter, the benchmark's breakdown of the 64-caller run).
    /// </summary>
    public void Record(int entries)
    {
        Core.Telemetry.HubDiagnostics.AuditBatchEntries.Record(entries);
        if (!Core.Telemetry.HubDiagnostics.AuditBatchStep.Enabled)
        {
            return;
        }
        foreach (var (phase, from, to) in Steps())
        {
            Core.Telemetry.HubDiagnostics.AuditBatchStep.Record(Stopwatch.GetElapsedTime(from, to).TotalSeconds, new KeyValuePair<string, object?>("step", Names[(int)phase]));
        }
    }

    /// <summary>Reports, as child spans of the current one, the entry's time in the queue and each step of its batch.</summary>
    public void Trace(long queued)
    {
        var source = Core.Telemetry.HubDiagnostics.Source;
        if (!source.HasListeners())
        {
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var ticks = Stopwatch.GetTimestamp();
        DateTimeOffset At(long timestamp) => now - Stopwatch.GetElapsedTime(timestamp, ticks);
        void Span(string name, long from, long to)
        {
            if (from == 0 || to < from)
            {
                return;
            }
            using var span = source.StartActivity(name, ActivityKind.Internal, default(ActivityContext), startTime: At(from));
            span?.SetEndTime(At(to).UtcDateTime);
        }
        Span("audit.wait.queued", queued, Math.Max(queued, Started));
        foreach (var (phase, from, to) in Steps())
        {
            Span("audit.wait." + Names[(int)phase], from, to);
        }
    }
}
