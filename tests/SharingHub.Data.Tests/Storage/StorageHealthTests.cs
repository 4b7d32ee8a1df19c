using Microsoft.Data.Sqlite;
using Npgsql;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Tests.Storage;

/// <summary>Which failures the hub reports as "storage is full" (503 with Retry-After, health unhealthy) rather than "unavailable".</summary>
public sealed class StorageHealthTests
{
    public static TheoryData<string, Exception, bool> Failures => new()
    {
        { "SQLite SQLITE_FULL", new SqliteException("database or disk is full", 13), true },
        { "PostgreSQL disk_full", new PostgresException("could not extend file", "ERROR", "ERROR", "53100"), true },
        { "a file the hub writes on a full disk (ENOSPC)", new IOException("No space left on device", 28), true },
        { "a full disk inside the audit writer's failure", new InvalidOperationException("batch failed", new IOException("No space left on device", 28)), true },
        { "a file the hub may not write (EACCES)", new IOException("Permission denied", 13), false },
        { "SQLite busy", new SqliteException("database is locked", 5), false },
        { "PostgreSQL lost connection", new PostgresException("terminating connection", "FATAL", "FATAL", "57P01"), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Given_a_failure_then_it_counts_as_the_storage_being_full_only_when_the_disk_or_database_said_so(string what, Exception failure, bool full)
    {
        Assert.True(StorageHealth.IsFull(failure) == full, $"{what}: expected full={full}");
    }
}
