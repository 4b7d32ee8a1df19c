namespace SharingHub.Data.Storage;

public enum DatabaseEngine
{
    Sqlite,
    Postgres,
}

public sealed class DatabaseOptions
{
    public const string Section = "SharingHub:Database";

    /// <summary>SQLite by default: nothing to install. PostgreSQL is what a partnership runs.</summary>
    public DatabaseEngine Engine { get; set; } = DatabaseEngine.Sqlite;

    public string ConnectionString { get; set; } = "Data Source=data/sharinghub.db";

    /// <summary>Apply pending migrations when the hub starts (the CLI's "db migrate" does the same on demand).</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// PostgreSQL only: a streaming replica (a hot standby) for reads that tolerate a stated lag (statistics, audit
    /// reports and exports). Never used for a decision. Empty: every read goes to the primary.
    /// </summary>
    public string? ReplicaConnectionString { get; set; }

    /// <summary>The most a lag-tolerant read may be behind the primary; a replica further behind is not used until it catches up.</summary>
    public double ReplicaMaxLagSeconds { get; set; } = 30;
}
