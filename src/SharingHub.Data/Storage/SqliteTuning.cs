using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SharingHub.Data.Storage;

/// <summary>
/// Sizes SQLite's caches for a hub's data rather than SQLite's defaults (a 2 MiB page cache, no memory
/// map), once per physical connection. With the defaults a store of a million events reads most index
/// pages with a system call each, and lookups by random ids (every key here is a GUID) slow down as
/// the file grows. The memory map is read-only (writes still go through the journal and its fsync), so
/// durability is unchanged. PostgreSQL sizes its own shared buffers.
/// </summary>
internal sealed class SqliteTuning : DbConnectionInterceptor
{
    /// <summary>Page cache per connection, in KiB (a negative cache_size is KiB).</summary>
    private const int CacheKiB = 32 * 1024;

    /// <summary>How much of the file may be memory-mapped (SQLite caps this at its own compile-time limit).</summary>
    private const long MapBytes = 4L * 1024 * 1024 * 1024;

    private static readonly ConditionalWeakTable<object, object> Tuned = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Tune(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Tune(connection);
        return Task.CompletedTask;
    }

    private static void Tune(DbConnection connection)
    {
        // A pooled connection reopened keeps its settings: tune each underlying handle once.
        if (connection is not SqliteConnection { Handle: { } handle } || Tuned.TryGetValue(handle, out _))
        {
            return;
        }
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA cache_size=-{CacheKiB}; PRAGMA mmap_size={MapBytes};";
        command.ExecuteNonQuery();
        Tuned.AddOrUpdate(handle, handle);
    }
}
