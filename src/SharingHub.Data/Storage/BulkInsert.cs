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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await WriteAsync(db, transaction, added, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
    }

    /// <summary>
    /// Writes these tracked new rows in the context's current transaction, principals first, and marks them saved
    /// (Unchanged), as SaveChanges would. For a unit of work that saves most of its rows with SaveChanges and a large set
    /// of one kind (a transaction bundle's events) this way: their states must be set Unchanged before that SaveChanges,
    /// so it does not write them too, and this runs after it, so that the rows they point at exist. A constraint that
    /// refuses a row throws the provider's own exception; the caller's transaction then writes nothing.
    /// </summary>
    public static async Task InsertAsync(HubDbContext db, IReadOnlyCollection<EntityEntry> rows, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException("rows are inserted in the unit of work's own transaction");
        await WriteAsync(db, transaction, rows.GroupBy(e => e.Metadata).ToDictionary(g => g.Key, g => g.ToList()), cancellationToken);
        foreach (var row in rows)
        {
            row.State = EntityState.Unchanged;
        }
    }

    private static async Task WriteAsync(HubDbContext db, IDbContextTransaction transaction, Dictionary<IEntityType, List<EntityEntry>> added, CancellationToken cancellationToken)
    {
        var sql = db.GetService<ISqlGenerationHelper>();
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
                                command.Parameters[n++].Value = ProviderValue(property.GetRelationalTypeMapping(), row.CurrentValues[property]);
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
    internal static object ProviderValue(RelationalTypeMapping mapping, object? value)
    {
        if (value is not null && mapping.Converter is { } converter)
        {
            value = converter.ConvertToProvider(value);
        }
        return value ?? DBNull.Value;
    }

    internal static string InsertText(ISqlGenerationHelper sql, StoreObjectIdentifier table, IReadOnlyList<string> columns, int rows)
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

/// <summary>
/// Inserts rows of one entity type on a connection its owner keeps open (the audit writer's), from the EF model
/// as <see cref="BulkInsert"/> does (table, columns, each column's type mapping and converter) but from the
/// objects themselves, with no context or change tracking: on SQLite one prepared single-row statement run per
/// row (in process, so a row costs microseconds), elsewhere every row in one batch (one round trip).
/// </summary>
internal sealed class RowInserter<T> : IAsyncDisposable, IDisposable
    where T : class
{
    private readonly DbConnection _connection;
    private readonly string _text;
    private readonly (IProperty Property, RelationalTypeMapping Mapping)[] _columns;
    private readonly ISqlGenerationHelper _sql;
    private DbCommand? _prepared;

    /// <summary>
    /// Inserts on <paramref name="connection"/>, which the caller keeps open, with the table and columns of <paramref name="db"/>'s
    /// model. With <paramref name="skipExisting"/> a row whose key is already stored is skipped (SQLite's <c>INSERT OR IGNORE</c>,
    /// PostgreSQL's <c>ON CONFLICT DO NOTHING</c>) instead of failing the statement.
    /// </summary>
    public RowInserter(HubDbContext db, DbConnection connection, bool skipExisting = false)
    {
        var type = db.Model.FindEntityType(typeof(T)) ?? throw new NotSupportedException($"{typeof(T).Name} is not in the model");
        var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        var columns = type.GetProperties().Select(p => (Property: p, Column: p.GetColumnName(table))).Where(c => c.Column is not null).ToList();
        _sql = db.GetService<ISqlGenerationHelper>();
        _connection = connection;
        _columns = columns.Select(c => (c.Property, c.Property.GetRelationalTypeMapping())).ToArray();
        var text = BulkInsert.InsertText(_sql, table, columns.Select(c => c.Column!).ToList(), 1);
        _text = !skipExisting ? text : db.Database.IsSqlite() ? "INSERT OR IGNORE" + text["INSERT".Length..] : text + " ON CONFLICT DO NOTHING";
    }

    public async Task InsertAsync(IReadOnlyCollection<T> rows, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }
        if (!_connection.CanCreateBatch)
        {
            _prepared ??= _connection.CreateCommand();
            _prepared.CommandText = _text;
            _prepared.Transaction = transaction;
            foreach (var row in rows)
            {
                Bind(_prepared, row);
                await _prepared.ExecuteNonQueryAsync(cancellationToken);
            }
            return;
        }
        await using var batch = _connection.CreateBatch();
        batch.Transaction = transaction;
        AddTo(batch, rows);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Adds one insert per row to a batch its caller runs (with other statements, in one round trip). Only where the
    /// connection makes batches (<see cref="DbConnection.CanCreateBatch"/>; PostgreSQL).
    /// </summary>
    public void AddTo(DbBatch batch, IReadOnlyCollection<T> rows)
    {
        foreach (var row in rows)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = _text;
            using var maker = _connection.CreateCommand();
            for (var n = 0; n < _columns.Length; n++)
            {
                // A batch command makes no parameters of its own in every provider: the mapping makes it on a plain command.
                var (property, mapping) = _columns[n];
                command.Parameters.Add(mapping.CreateParameter(maker, _sql.GenerateParameterName($"p{n}"), property.GetGetter().GetClrValue(row), property.IsNullable));
            }
            batch.BatchCommands.Add(command);
        }
    }

    /// <summary>
    /// Sets the prepared statement's values for one row. Its parameters are made once, by each column's type mapping, and
    /// after that only their values change (converted as the mapping converts them): making a row's parameters again cost
    /// more than running its statement.
    /// </summary>
    private void Bind(DbCommand command, T row)
    {
        if (command.Parameters.Count != _columns.Length)
        {
            command.Parameters.Clear();
            for (var n = 0; n < _columns.Length; n++)
            {
                var (property, mapping) = _columns[n];
                command.Parameters.Add(mapping.CreateParameter(command, _sql.GenerateParameterName($"p{n}"), property.GetGetter().GetClrValue(row), property.IsNullable));
            }
            return;
        }
        for (var n = 0; n < _columns.Length; n++)
        {
            var (property, mapping) = _columns[n];
            command.Parameters[n].Value = BulkInsert.ProviderValue(mapping, property.GetGetter().GetClrValue(row));
        }
    }

    public void Dispose() => _prepared?.Dispose();

    public async ValueTask DisposeAsync()
    {
        if (_prepared is not null)
        {
            await _prepared.DisposeAsync();
        }
    }
}
