using System.Data.Common;
using System.Globalization;
using System.Text;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// The tree's right edge over the log's first n entries, read from the complete subtrees the log keeps: one per set bit of
/// n (at most 63 rows, in one statement) and, when n is odd, the last entry's hash. Before, a process starting on a log
/// hashed every entry again to build it (the writer in its first batch's transaction, the checkpointer on the writer's
/// loop): 1.25 s at a million entries, growing with the log. Null when one of them is not stored (a log from before each
/// batch stored the subtrees it closes): the caller builds the edge from the entries, as before.
/// </summary>
internal static class AuditTreeEdge
{
    public static async Task<MerkleFrontier?> ReadAsync(DbConnection connection, DbTransaction? transaction, long size, CancellationToken cancellationToken)
    {
        var edge = MerkleFrontier.Edge(size);
        var roots = new Dictionary<(int Level, long Index), byte[]>(edge.Count);
        var nodes = edge.Where(e => e.Level > 0).ToList();
        if (nodes.Count > 0)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // Parameter names made here from positions; every value is a parameter.
            var text = new StringBuilder("""SELECT "Level", "NodeIndex", "Hash" FROM "AuditNodes" WHERE """);
            for (var n = 0; n < nodes.Count; n++)
            {
                text.Append(CultureInfo.InvariantCulture, $"""{(n == 0 ? "" : " OR ")}("Level" = @l{n} AND "NodeIndex" = @i{n})""");
                command.WithParameter($"@l{n}", nodes[n].Level);
                command.WithParameter($"@i{n}", nodes[n].Index);
            }
            command.CommandText = text.ToString();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                roots[(reader.GetInt32(0), reader.GetInt64(1))] = reader.GetFieldValue<byte[]>(2);
            }
        }
        if (edge.Count > 0 && edge[^1].Level == 0)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """SELECT "EntryHash" FROM "AuditEntries" WHERE "Sequence" = @s""";
            command.WithParameter("@s", size);
            if (await command.ExecuteScalarAsync(cancellationToken) is byte[] leaf)
            {
                roots[edge[^1]] = leaf;
            }
        }
        return edge.All(roots.ContainsKey) ? MerkleFrontier.FromEdge(size, edge.Select(e => roots[e]).ToList()) : null;
    }
}
