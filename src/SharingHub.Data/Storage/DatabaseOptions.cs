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
}
