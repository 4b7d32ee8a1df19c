using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SharingHub.Data.Storage;

/// <summary>
/// Sizes SQLite's page cache for a hub's data rather than SQLite's default (2 MiB), once per physical
/// connection. With the default a store of a million events reads most index pages with a system call
/// each, and lookups by random ids (every key here is a GUID) slow down as the file grows. PostgreSQL
/// sizes its own shared buffers.
/// <para>
/// The file is not memory-mapped (mmap_size 0, stated so that a build of SQLite with another default
/// cannot turn it on). Every secured request commits an audit entry, so nearly every read transaction
/// begins after another connection's commit; SQLite then drops the reading connection's cache and, with
/// a memory map, unmaps the whole file and maps it again, each page the read touches faulting back in.
/// Measured on a 1M-row table of GUID keys: a lookup after another connection's commit 0.51-0.53 ms
/// mapped against 0.11-0.14 ms through the page cache, and 0.09 against 0.07 ms without a commit between
/// (docs/performance.md, "Where the hub stands").
/// </para>
/// <para>
/// It also hands waiting for the write lock to SQLite's own busy handler. Without a busy timeout SQLite
/// answers SQLITE_BUSY at once and Microsoft.Data.Sqlite retries after sleeping 150 ms, so a request
/// that found the audit writer committing waited 150, 300, 450 ms for a lock held for well under one:
/// the parser run's writes over a second on SQLite were that. SQLite's handler polls within a few
/// milliseconds and gives up after the connection's own timeout (`Default Timeout` in the connection string, 30 seconds
/// unless an operator sets it; 0, no limit, as Microsoft.Data.Sqlite reads it).
/// </para>
/// </summary>
internal sealed class SqliteTuning : DbConnectionInterceptor
{
    /// <summary>Page cache per connection, in KiB (a negative cache_size is KiB).</summary>
    private const int CacheKiB = 32 * 1024;

    private static readonly ConditionalWeakTable<object, object> Tuned = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Tune(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Tune(connection);
        return Task.CompletedTask;
    }

    /// <summary>How long a statement waits for another connection's lock before SQLITE_BUSY, in milliseconds: the connection's timeout.</summary>
    private static int BusyTimeoutMs(SqliteConnection connection) =>
        connection.DefaultTimeout <= 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, connection.DefaultTimeout * 1000L);

    /// <summary>Tunes a SQLite connection the hub opened itself, outside EF (the audit writer's); other engines are left alone.</summary>
    public static void Tune(DbConnection connection)
    {
        // A pooled connection reopened keeps its settings: tune each underlying handle once.
        if (connection is not SqliteConnection { Handle: { } handle } sqlite || Tuned.TryGetValue(handle, out _))
        {
            return;
        }
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA cache_size=-{CacheKiB}; PRAGMA mmap_size=0; PRAGMA busy_timeout={BusyTimeoutMs(sqlite)};";
        command.ExecuteNonQuery();
        Tuned.AddOrUpdate(handle, handle);
    }
}
