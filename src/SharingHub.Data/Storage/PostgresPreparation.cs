using System.Data.Common;
using Npgsql;

namespace SharingHub.Data.Storage;

/// <summary>
/// The hub's PostgreSQL connections prepare the statements they repeat (Npgsql's automatic preparation): a statement run
/// <see cref="MinUsages"/> times on a connection is parsed and planned once there and afterwards only bound and run. Every
/// request repeats the same few statements with new values (its case, its records, the audit writer's tail), and
/// PostgreSQL otherwise parsed and planned each one afresh every time (issue 27). A plan stays the server's to keep
/// right: a table changed (a partition added, a migration) makes it plan again, and the values are still parameters.
/// An operator who names either setting in the connection string keeps theirs (for example <c>Max Auto Prepare=0</c>
/// behind a pooler that cannot keep prepared statements, such as PgBouncer in transaction mode before 1.21).
/// </summary>
public static class PostgresPreparation
{
    /// <summary>How many distinct statements a connection keeps prepared; the least recently used gives way to a new one.</summary>
    public const int MaxStatements = 128;

    /// <summary>How many runs on one connection before a statement is prepared.</summary>
    public const int MinUsages = 2;

    public static string Apply(string connectionString)
    {
        var named = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!named.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = MaxStatements;
        }
        if (!named.Contains("AutoPrepareMinUsages"))
        {
            builder.AutoPrepareMinUsages = MinUsages;
        }
        return builder.ConnectionString;
    }
}
