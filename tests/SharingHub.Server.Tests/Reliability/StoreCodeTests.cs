using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Tests.Reliability;

/// <summary>
/// A failed request's log line names why the store refused (PostgreSQL's SQLSTATE, SQLite's result code) so an operator can tell a
/// full disk from a lost grant or a lock, and never the store's message, which can quote a value the caller sent.
/// </summary>
public sealed class StoreCodeTests
{
    [Fact]
    public void Given_a_postgres_refusal_inside_an_update_failure_then_the_log_names_its_sqlstate_and_not_its_message()
    {
        var failure = new DbUpdateException("An error occurred while saving", new PostgresException("value \"Mia Fhirtest\" refused", "ERROR", "ERROR", "53100"));

        var code = ErrorHandling.StoreCode(failure);

        Assert.Equal("(SQLSTATE 53100)", code);
        Assert.DoesNotContain("Mia", code, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_sqlite_failure_then_the_log_names_its_result_codes_and_a_failure_outside_the_store_names_none()
    {
        Assert.Equal("(SQLite result 13, extended 13)", ErrorHandling.StoreCode(new DbUpdateException("saving", new SqliteException("database or disk is full", 13, 13))));
        Assert.Equal("", ErrorHandling.StoreCode(new InvalidOperationException("not the store's", new TimeoutException())));
    }
}
