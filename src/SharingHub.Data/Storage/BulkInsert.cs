using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace SharingHub.Data.Storage;

/// <summary>
/// Writes every entity a context is tracking as added, in one transaction, as multi-row INSERTs built
/// from the EF model (table and column names, and each column's own type mapping, so values are
/// converted exactly as SaveChanges converts them). For bulk loads of new rows only: several times
/// faster than SaveChanges, which spends most of a large load building and propagating its commands.
/// Principal tables are written before their dependents, so foreign keys hold at every statement.
/// </summary>
internal static class BulkInsert
{
    /// <summary>
    /// Bound parameters per statement on PostgreSQL (well inside its limit), where each statement is a
    /// round trip. SQLite runs in process, and binds each named parameter by a linear search of the
    /// statement's names, so there one row per statement, prepared once, is fastest.
    /// </summary>
    private const int MaxPostgresParameters = 4000;

    public static async Task SaveAddedAsync(HubDbContext db, CancellationToken cancellationToken)
    {
        var added = db.ChangeTracker.Entries().Where(e => e.State == EntityState.Added).GroupBy(e => e.Metadata).ToDictionary(g => g.Key, g => g.ToList());
        if (db.ChangeTracker.Entries().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
        {
            throw new InvalidOperationException("a bulk insert writes new rows only");
        }
        var sql = db.GetService<ISqlGenerationHelper>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var type in PrincipalsFirst(added.Keys))
        {
            var table = StoreObjectIdentifier.Table(type.GetTableName() ?? throw new NotSupportedException($"{type.DisplayName()} is not mapped to a table"), type.GetSchema());
            var columns = type.GetProperties().Select(p => (Property: p, Column: p.GetColumnName(table))).Where(c => c.Column is not null).ToList();
            var rowsPerStatement = db.Database.IsSqlite() ? 1 : Math.Max(1, MaxPostgresParameters / columns.Count);
            DbCommand? full = null;
            try
            {
                foreach (var rows in added[type].Chunk(rowsPerStatement))
                {
                    // The full-size statement is made once and re-run with new values: the engine parses and plans it once.
                    var command = rows.Length == rowsPerStatement && full is not null ? full : Command(db, transaction, sql, table, columns, rows);
                    if (command == full)
                    {
                        var n = 0;
                        foreach (var row in rows)
                        {
                            foreach (var (property, _) in columns)
                            {
                                command.Parameters[n++].Value = ProviderValue(property, row);
                            }
                        }
                    }
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    if (rows.Length == rowsPerStatement)
                    {
                        full ??= command;
                    }
                    else
                    {
                        await command.DisposeAsync();
                    }
                }
            }
            finally
            {
                if (full is not null)
                {
                    await full.DisposeAsync();
                }
            }
        }
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
    }

    private static DbCommand Command(HubDbContext db, IDbContextTransaction transaction, ISqlGenerationHelper sql, StoreObjectIdentifier table,
        IReadOnlyList<(IProperty Property, string? Column)> columns, EntityEntry[] rows)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText = InsertText(sql, table, columns.Select(c => c.Column!).ToList(), rows.Length);
        var n = 0;
        foreach (var row in rows)
        {
            foreach (var (property, _) in columns)
            {
                command.Parameters.Add(property.GetRelationalTypeMapping().CreateParameter(command, sql.GenerateParameterName($"p{n++}"), row.CurrentValues[property], property.IsNullable));
            }
        }
        return command;
    }

    /// <summary>The value as the column's type mapping stores it (its converter applied), as <see cref="RelationalTypeMapping.CreateParameter"/> does.</summary>
    private static object ProviderValue(IProperty property, EntityEntry row)
    {
        var value = row.CurrentValues[property];
        if (value is not null && property.GetRelationalTypeMapping().Converter is { } converter)
        {
            value = converter.ConvertToProvider(value);
        }
        return value ?? DBNull.Value;
    }

    private static string InsertText(ISqlGenerationHelper sql, StoreObjectIdentifier table, IReadOnlyList<string> columns, int rows)
    {
        var text = new StringBuilder("INSERT INTO ").Append(sql.DelimitIdentifier(table.Name, table.Schema)).Append(" (")
            .AppendJoin(", ", columns.Select(c => sql.DelimitIdentifier(c))).Append(") VALUES ");
        var n = 0;
        for (var row = 0; row < rows; row++)
        {
            text.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < columns.Count; column++)
            {
                text.Append(column == 0 ? "" : ", ").Append(sql.GenerateParameterNamePlaceholder($"p{n++}"));
            }
            text.Append(')');
        }
        return text.ToString();
    }

    /// <summary>The entity types ordered so every principal comes before the types whose foreign keys point at it.</summary>
    private static List<IEntityType> PrincipalsFirst(IReadOnlyCollection<IEntityType> types)
    {
        var ordered = new List<IEntityType>();
        var visiting = new HashSet<IEntityType>();
        void Visit(IEntityType type)
        {
            if (ordered.Contains(type) || !visiting.Add(type))
            {
                return;
            }
            foreach (var principal in type.GetForeignKeys().Select(f => f.PrincipalEntityType).Where(p => p != type && types.Contains(p)))
            {
                Visit(principal);
            }
            ordered.Add(type);
        }
        foreach (var type in types.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            Visit(type);
        }
        return ordered;
    }
}
