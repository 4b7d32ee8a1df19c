using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// The tree's right edge over the log's first n entries, read from the complete subtrees the log keeps: one per set bit of
/// n (at most 63 rows) and, when n is odd, the last entry's hash, in one statement (<see cref="AuditTreeNodes"/>, the one
/// proofs use). Before, a process starting on a log hashed every entry again to build it (the writer in its first batch's
/// transaction, the checkpointer on the writer's loop): 1.25 s at a million entries, growing with the log. Null when one of
/// them is not stored (a log from before each batch stored the subtrees it closes): the caller builds the edge from the
/// entries, as before.
/// </summary>
internal static class AuditTreeEdge
{
    public static async Task<MerkleFrontier?> ReadAsync(DbConnection connection, DbTransaction? transaction, long size, CancellationToken cancellationToken)
    {
        var edge = MerkleFrontier.Edge(size);
        if (edge.Count == 0)
        {
            return new MerkleFrontier();
        }
        var roots = await AuditTreeNodes.ReadAsync(connection, transaction, edge, cancellationToken);
        return edge.All(roots.ContainsKey) ? MerkleFrontier.FromEdge(size, edge.Select(e => roots[e]).ToList()) : null;
    }
}

/// <summary>
/// Reads stored tree positions in one statement: a leaf (level 0, index i) is entry i + 1's hash, a higher position the stored
/// complete subtree. One text per engine whatever the positions (on SQLite as JSON arrays, on PostgreSQL as arrays), so a
/// caller that keeps it prepared (<see cref="AuditProofs"/>) parses and plans it once; the positions are made by the caller
/// from sizes and sequence numbers, never from input, and reach the database as parameters.
/// </summary>
internal static class AuditTreeNodes
{
    /// <summary>
    /// The statement on SQLite: the leaves by sequence (the entries' rowid) and the stored subtrees by their key, one lookup per
    /// position named in the two JSON arrays (<c>[sequence, ...]</c> and <c>[[level, index], ...]</c>); the arrays are the
    /// outer loops (CROSS JOIN keeps SQLite from reordering them).
    /// </summary>
    public const string SqliteText = """
        SELECT 0, e."Sequence" - 1, e."EntryHash" FROM json_each(@s) AS s CROSS JOIN "AuditEntries" AS e WHERE e."Sequence" = s.value
        UNION ALL
        SELECT n."Level", n."NodeIndex", n."Hash" FROM json_each(@n) AS w CROSS JOIN "AuditNodes" AS n
        WHERE n."Level" = json_extract(w.value, '$[0]') AND n."NodeIndex" = json_extract(w.value, '$[1]')
        """;

    /// <summary>The statement on PostgreSQL: leaves from <paramref name="entries"/> (the partitioned table or one month's; none
    /// when null) and the stored subtrees.</summary>
    public static string PostgresText(string? entries) => (entries is null ? "" : $"""
        SELECT 0, "Sequence" - 1, "EntryHash" FROM {entries} WHERE "Sequence" = ANY(@s)
        UNION ALL

        """) + """
        SELECT n."Level", n."NodeIndex", n."Hash" FROM "AuditNodes" n JOIN unnest(@l, @i) AS w(l, i) ON n."Level" = w.l AND n."NodeIndex" = w.i
        """;

    /// <summary>The leaves' sequence numbers and the higher positions of <paramref name="needed"/>.</summary>
    public static (long[] Leaves, (int Level, long Index)[] Nodes) Split(IEnumerable<(int Level, long Index)> needed)
    {
        var all = needed as IReadOnlyCollection<(int Level, long Index)> ?? needed.ToList();
        return (all.Where(n => n.Level == 0).Select(n => n.Index + 1).ToArray(), all.Where(n => n.Level > 0).ToArray());
    }

    /// <summary>Declares the SQLite statement's two parameters (a prepared command's, once).</summary>
    public static void DeclareSqlite(DbCommand command)
    {
        command.Parameters.Add(new SqliteParameter("@s", SqliteType.Text));
        command.Parameters.Add(new SqliteParameter("@n", SqliteType.Text));
    }

    /// <summary>Sets the SQLite statement's values: the leaves' sequence numbers and the positions, as JSON arrays of numbers.</summary>
    public static void BindSqlite(DbCommand command, long[] leaves, (int Level, long Index)[] nodes)
    {
        command.Parameters[0].Value = $"[{string.Join(',', leaves.Select(l => l.ToString(CultureInfo.InvariantCulture)))}]";
        command.Parameters[1].Value = $"[{string.Join(',', nodes.Select(n => string.Create(CultureInfo.InvariantCulture, $"[{n.Level},{n.Index}]")))}]";
    }

    /// <summary>Adds the PostgreSQL statement's values: the leaves' sequence numbers (when there are any) and the positions.</summary>
    public static void BindPostgres(DbCommand command, long[] leaves, (int Level, long Index)[] nodes)
    {
        if (leaves.Length > 0)
        {
            command.WithParameter("@s", leaves);
        }
        command.WithParameter("@l", nodes.Select(n => n.Level).ToArray());
        command.WithParameter("@i", nodes.Select(n => n.Index).ToArray());
    }

    /// <summary>Runs the statement and adds each position it finds to <paramref name="found"/>.</summary>
    public static async Task ReadAsync(DbCommand command, Dictionary<(int Level, long Index), byte[]> found, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found[(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetInt64(1))] = reader.GetFieldValue<byte[]>(2);
        }
    }

    /// <summary>
    /// The positions of <paramref name="needed"/> that are stored, read on <paramref name="connection"/> in
    /// <paramref name="transaction"/> (the audit writer's own, whose batch must see what it holds), through the partitioned
    /// table on PostgreSQL.
    /// </summary>
    public static async Task<Dictionary<(int Level, long Index), byte[]>> ReadAsync(DbConnection connection, DbTransaction? transaction,
        IReadOnlyCollection<(int Level, long Index)> needed, CancellationToken cancellationToken)
    {
        var found = new Dictionary<(int Level, long Index), byte[]>(needed.Count);
        var (leaves, nodes) = Split(needed);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        if (connection is SqliteConnection)
        {
            command.CommandText = SqliteText;
            DeclareSqlite(command);
            BindSqlite(command, leaves, nodes);
        }
        else
        {
            command.CommandText = PostgresText(leaves.Length == 0 ? null : "\"AuditEntries\"");
            BindPostgres(command, leaves, nodes);
        }
        await ReadAsync(command, found, cancellationToken);
        return found;
    }
}
