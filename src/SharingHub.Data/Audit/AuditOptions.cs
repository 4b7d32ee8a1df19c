namespace SharingHub.Data.Audit;

public sealed class AuditOptions
{
    public const string Section = "SharingHub:Audit";

    /// <summary>Sign a checkpoint after this many new entries ...</summary>
    public int CheckpointEvery { get; set; } = 1000;

    /// <summary>... or after this many seconds with any new entry, whichever comes first.</summary>
    public int CheckpointSeconds { get; set; } = 60;

    /// <summary>
    /// Sign a checkpoint over every committed batch, in the batch's own transaction, so no acknowledged entry is
    /// ever outside a signed checkpoint (one ECDSA signature and one small row per batch; no extra flush).
    /// </summary>
    public bool CheckpointEveryBatch { get; set; } = true;

    /// <summary>The most entries one transaction commits (group commit).</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>
    /// How often, in seconds, the log's index by actor is brought up to date (<see cref="AuditActorIndex"/>); 0 stops the
    /// rounds (a search by user stays complete: it reads from the log itself what the index does not yet hold).
    /// </summary>
    public int ActorIndexSeconds { get; set; } = 1;

    /// <summary>The audit signing key (ECDSA P-256, wrapped by the key ring).</summary>
    public string SigningKeyPath { get; set; } = "data/audit-signing-keys.json";
}
