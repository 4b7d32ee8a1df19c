using Microsoft.Data.Sqlite;
using Npgsql;

namespace SharingHub.Data.Storage;

/// <summary>
/// Whether the database's storage is full: SQLite's SQLITE_FULL (the disk, or the file's size limit), PostgreSQL's
/// disk_full (53100) and a file of the hub's own that meets a full disk (ENOSPC) are told apart from other failures, so a
/// request refused for it says so and health reports it. The state is set by any failed commit for that reason and
/// cleared by the next commit that succeeds (the audit writer commits for every audited request), or after
/// <see cref="Memory"/> without another such failure.
/// </summary>
public sealed class StorageHealth(TimeProvider clock, Microsoft.Extensions.Options.IOptions<DatabaseOptions> options)
{
    private const int SqliteFull = 13;
    private const int SqliteIoError = 10;
    private const int SqliteShmSize = 4874;
    private const long NoRoom = 1L << 20;
    public static readonly TimeSpan Memory = TimeSpan.FromSeconds(30);

    /// <summary>What a caller is told when its request met a full store (never the path, engine message or query).</summary>
    public const string Refusal = "The hub's storage is full: the request was not carried out, and nothing was disclosed or changed. Try again later.";

    /// <summary>Seconds a refused caller is asked to wait (Retry-After).</summary>
    public const int RetryAfterSeconds = 30;
    private long _fullAtTicks;

    /// <summary>Whether this failure, or one inside it, is the storage being full.</summary>
    public static bool IsFull(Exception? failure) => failure switch
    {
        null => false,
        SqliteException sqlite when sqlite.SqliteErrorCode == SqliteFull => true,
        PostgresException postgres when postgres.SqlState == PostgresErrorCodes.DiskFull => true,
        // The hub's own files on a full disk (a key ring or signing key written beside the database): ENOSPC on Linux,
        // ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL on Windows.
        IOException io when io.HResult is NoSpace or unchecked((int)0x80070070) or unchecked((int)0x80070027) => true,
        _ => IsFull(failure.InnerException),
    };

    private const int NoSpace = 28;

    /// <summary>
    /// Notes a failure; true when it was the storage being full. SQLite reports a full disk as SQLITE_FULL when a write fails,
    /// but as an I/O error when its shared-memory index cannot grow (SQLITE_IOERR_SHMSIZE) or a flush fails: an I/O error
    /// counts as full when the database's filesystem has under a mebibyte left.
    /// </summary>
    public bool Observe(Exception failure)
    {
        if (!IsFull(failure) && !(SqliteIo(failure) is { } io && (io.SqliteExtendedErrorCode == SqliteShmSize || FreeBytes() < NoRoom)))
        {
            return false;
        }
        Interlocked.Exchange(ref _fullAtTicks, clock.GetUtcNow().UtcTicks);
        return true;
    }

    /// <summary>Free bytes on the SQLite database's filesystem (null for PostgreSQL, whose disk the hub cannot see).</summary>
    public long? FreeBytes()
    {
        if (options.Value.Engine != DatabaseEngine.Sqlite)
        {
            return null;
        }
        try
        {
            var file = Path.GetFullPath(new SqliteConnectionStringBuilder(options.Value.ConnectionString).DataSource);
            return new DriveInfo(Path.GetDirectoryName(file)!).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static SqliteException? SqliteIo(Exception? failure) => failure switch
    {
        null => null,
        SqliteException sqlite when sqlite.SqliteErrorCode == SqliteIoError => sqlite,
        _ => SqliteIo(failure.InnerException),
    };

    public void Committed() => Interlocked.Exchange(ref _fullAtTicks, 0);

    public bool IsFullNow
    {
        get
        {
            var at = Interlocked.Read(ref _fullAtTicks);
            return at != 0 && clock.GetUtcNow().UtcTicks - at < Memory.Ticks;
        }
    }
}
