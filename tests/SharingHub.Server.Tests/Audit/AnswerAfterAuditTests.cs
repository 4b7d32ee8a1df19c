using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SharingHub.Core.Audit;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Audit;

/// <summary>
/// A FHIR chronology is sent only once its audit entry has committed, and never when the entry cannot commit (503, nothing of
/// it). The audit log is held here by a gate in front of the real writer, so the test controls when, and whether, an entry commits.
/// </summary>
public abstract class AnswerAfterAuditTests(DatabaseEngine engine) : IAsyncLifetime
{
    private readonly HeldAudit _held = new();
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartAsync(engine, services: services =>
        services.Replace(ServiceDescriptor.Singleton<IAuditLog>(sp => _held.Over(sp.GetRequiredService<AuditWriter>()))));

    public async Task DisposeAsync()
    {
        _held.Release(commit: true);
        await _hub.DisposeAsync();
    }

    private Task<HttpResponseMessage> ReadChronology(CaseRecords c) =>
        _hub.GetAsync($"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id);

    [Fact]
    public async Task Given_the_audit_entry_slow_to_commit_then_the_chronology_is_sent_only_once_the_entry_has_committed()
    {
        var c = await _hub.CaseAsync();
        _held.Hold();
        var answering = ReadChronology(c);
        await _held.WaitingAsync(1);
        await Task.Delay(200);
        Assert.False(answering.IsCompleted, "the chronology was sent before its audit entry had committed");

        _held.Release(commit: true);
        using var answer = await answering;

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var bundle = await FhirTestHub.JsonAsync(answer);
        Assert.Equal(3, bundle.GetProperty("total").GetInt32());
        Assert.Equal([c.HealthContact.Id.ToString(), c.PoliceIncident.Id.ToString(), c.LaVisit.Id.ToString()],
            bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()));
        Assert.Contains("Neighbour reported shouting", bundle.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_audit_entry_cannot_commit_then_nothing_of_the_chronology_is_sent()
    {
        var c = await _hub.CaseAsync();
        _held.Hold();
        var answering = ReadChronology(c);
        await _held.WaitingAsync(1);
        _held.Release(commit: false);
        using var answer = await answering;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.Contains("OperationOutcome", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Bundle", text, StringComparison.Ordinal);
        Assert.DoesNotContain("shouting", text, StringComparison.Ordinal);
        Assert.DoesNotContain(c.PoliceIncident.Id.ToString(), text, StringComparison.Ordinal);
    }

    /// <summary>The hub's audit log with a gate in front: while held, each entry waits; released, each commits or fails as the audit store would.</summary>
    private sealed class HeldAudit
    {
        private TaskCompletionSource<bool>? _gate;
        private int _waiting;

        public IAuditLog Over(IAuditLog log) => new Gated(this, log);

        public void Hold() => Volatile.Write(ref _gate, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));

        public void Release(bool commit) => Interlocked.Exchange(ref _gate, null)?.TrySetResult(commit);

        public async Task WaitingAsync(int entries)
        {
            for (var waited = Stopwatch.StartNew(); Volatile.Read(ref _waiting) < entries; await Task.Delay(5))
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "no audit entry came to be committed");
            }
        }

        private sealed class Gated(HeldAudit held, IAuditLog log) : IAuditLog
        {
            public async Task<long> AppendAsync(AuditRecord record, CancellationToken cancellationToken)
            {
                if (Volatile.Read(ref held._gate) is { } gate)
                {
                    Interlocked.Increment(ref held._waiting);
                    if (!await gate.Task)
                    {
                        throw new AuditUnavailableException("the test's audit store is down");
                    }
                }
                return await log.AppendAsync(record, cancellationToken);
            }
        }
    }
}

public sealed class SqliteAnswerAfterAuditTests() : AnswerAfterAuditTests(DatabaseEngine.Sqlite);

public sealed class PostgresAnswerAfterAuditTests() : AnswerAfterAuditTests(DatabaseEngine.Postgres);
