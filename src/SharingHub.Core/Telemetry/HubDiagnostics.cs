using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SharingHub.Core.Telemetry;

/// <summary>
/// The hub's own traces and metrics (exported through OpenTelemetry when configured). What they carry is
/// counts, codes, durations and route templates: never record contents, tokens, names, identifiers, or the
/// ids of the records and people a request was about.
/// </summary>
public static class HubDiagnostics
{
    public const string Name = "SharingHub";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>
    /// The span around a statement the hub runs outside EF, on a connection of its own where the statement stays prepared
    /// (the case read and audit proofs on SQLite): a database command like EF's, which the benchmark's profiler counts with them.
    /// </summary>
    public const string PreparedStatement = "db.prepared";

    public static readonly Meter Meter = new(Name);

    /// <summary>Policy decisions, by effect (permit or deny) and purpose of use.</summary>
    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>("sharinghub.policy.decisions", description: "Policy decisions on records, by effect and purpose");

    /// <summary>How long one audit batch took to commit (its entries, its checkpoint, one flush).</summary>
    public static readonly Histogram<double> AuditCommit = Meter.CreateHistogram<double>("sharinghub.audit.commit.duration", unit: "s", description: "Time to commit one audit batch");

    /// <summary>How many entries one audit batch committed (group commit: the callers that queued while the batch before it ran).</summary>
    public static readonly Histogram<int> AuditBatchEntries = Meter.CreateHistogram<int>("sharinghub.audit.batch.entries", unit: "{entry}", description: "Entries committed in one audit batch");

    /// <summary>Each step of one audit batch (tag <c>step</c>: gate, tail, chain, sign, insert, flush): where the writer's time goes.</summary>
    public static readonly Histogram<double> AuditBatchStep = Meter.CreateHistogram<double>("sharinghub.audit.batch.step.duration", unit: "s", description: "Time of one step of one audit batch, by step");
}
