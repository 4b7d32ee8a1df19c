using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace SharingHub.Data.Storage;

/// <summary>
/// A few SQLite connections of the hub's own (tuned as every hub connection is), each keeping the statements run on it
/// prepared. Microsoft.Data.Sqlite prepares each new command's SQL afresh (it keeps no statement cache across commands:
/// dotnet/efcore#14044), and with EF's pipeline around it that was most of a small hot read's time (issue 27): the case
/// behind every case-bound request, an audit proof. A read here rents a connection, binds its values to the statement
/// already prepared there and steps it. The statement's text is fixed by the caller (values only ever as parameters);
/// it is prepared on a connection the first time that connection runs it.
/// </summary>
public sealed class SqliteStatements(IHubDbContextFactory contexts) : IDisposable
{
    /// <summary>Idle connections kept (more are opened under load and closed when returned past this).</summary>
    private const int MaxIdle = 16;

    private readonly ConcurrentBag<Connection> _idle = [];
    private readonly Lazy<string> _connectionString = new(() =>
    {
        using var db = contexts.Create();
        return db.Database.GetConnectionString() ?? throw new InvalidOperationException("the hub's database has no connection string");
    });
    private int _idleCount;
    private bool _disposed;

    /// <summary>
    /// Runs the statement <paramref name="text"/> (its parameters made by <paramref name="parameters"/> when it is first
    /// prepared on a connection) through <paramref name="read"/>, which sets the parameters' values and reads the rows.
    /// With <paramref name="snapshot"/> the read runs in one deferred read transaction, so a text of several statements
    /// sees one state of the database.
    /// </summary>
    public async Task<T> ReadAsync<T>(string text, Action<SqliteCommand> parameters, Func<SqliteCommand, CancellationToken, Task<T>> read,
        bool snapshot, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (contexts.Engine != DatabaseEngine.Sqlite)
        {
            throw new InvalidOperationException("statements kept prepared here are for SQLite; PostgreSQL prepares its own per pooled connection");
        }
        using var span = Core.Telemetry.HubDiagnostics.Source.StartActivity(Core.Telemetry.HubDiagnostics.PreparedStatement);
        var connection = Rent();
        try
        {
            var command = connection.Statement(text, parameters);
            T result;
            if (snapshot)
            {
                await using var transaction = connection.Sqlite.BeginTransaction(deferred: true);
                command.Transaction = transaction;
                result = await read(command, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                command.Transaction = null;
            }
            else
            {
                result = await read(command, cancellationToken);
            }
            Return(connection);
            return result;
        }
        catch
        {
            // A read that failed or was cancelled leaves nothing half-done on a connection that is then closed.
            connection.Dispose();
            throw;
        }
    }

    private Connection Rent()
    {
        if (_idle.TryTake(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            return connection;
        }
        return new Connection(_connectionString.Value);
    }

    private void Return(Connection connection)
    {
        if (_disposed || Interlocked.Increment(ref _idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
            return;
        }
        _idle.Add(connection);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }

    /// <summary>One connection and the statements prepared on it, by their text.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

        public Connection(string connectionString)
        {
            Sqlite = new SqliteConnection(connectionString);
            try
            {
                Sqlite.Open();
                SqliteTuning.Tune(Sqlite);
            }
            catch
            {
                Sqlite.Dispose();
                throw;
            }
        }

        public SqliteConnection Sqlite { get; }

        public SqliteCommand Statement(string text, Action<SqliteCommand> parameters)
        {
            if (!_statements.TryGetValue(text, out var command))
            {
                command = Sqlite.CreateCommand();
                command.CommandText = text;
                parameters(command);
                command.Prepare();
                _statements.Add(text, command);
            }
            return command;
        }

        public void Dispose()
        {
            foreach (var command in _statements.Values)
            {
                command.Dispose();
            }
            Sqlite.Dispose();
        }
    }
}
