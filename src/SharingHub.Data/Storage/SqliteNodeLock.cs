using Microsoft.Data.Sqlite;

namespace SharingHub.Data.Storage;

/// <summary>
/// SQLite is for one hub node: the hub holds an exclusive lock on a file beside the database while it serves, and a
/// second hub process started on the same file is refused with a clear message (its link cache, rate limits and audit
/// writer assume one process). Hubs in one process (the tests) share the lock; the CLI (backup, audit verify) never
/// takes it, so it runs beside a serving hub. The operating system releases the lock when the process dies.
/// </summary>
public static class SqliteNodeLock
{
    private static readonly Dictionary<string, (FileStream File, int Holders)> Held = new(StringComparer.Ordinal);

    /// <summary>Takes the lock for the database in <paramref name="connectionString"/>; null for an in-memory database.</summary>
    public static IDisposable? Acquire(string connectionString)
    {
        var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(dataSource) || dataSource == ":memory:" || connectionString.Contains("Mode=Memory", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var path = SqliteLocation.Prepare(dataSource) + ".node-lock";
        lock (Held)
        {
            if (Held.TryGetValue(path, out var held))
            {
                Held[path] = (held.File, held.Holders + 1);
                return new Release(path);
            }
            // Made first without a lock, so a full disk or a read-only folder fails as itself, not as "another hub".
            if (!File.Exists(path))
            {
                SqliteLocation.Guarded(path, () => File.WriteAllBytes(path, []));
            }
            try
            {
                var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                Held[path] = (file, 1);
                return new Release(path);
            }
            catch (IOException)
            {
                throw new Core.StartRefusedException(
                    $"another hub process is serving the SQLite database {Path.GetFullPath(dataSource)} (it holds {path}); SQLite is for one hub node: stop the other process, or run several nodes on PostgreSQL (deploy/README.md)");
            }
        }
    }

    private sealed class Release(string path) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1)
            {
                return;
            }
            lock (Held)
            {
                var held = Held[path];
                if (held.Holders > 1)
                {
                    Held[path] = (held.File, held.Holders - 1);
                    return;
                }
                held.File.Dispose();
                Held.Remove(path);
            }
        }
    }
}
