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
/// A FHIR answer is written in memory while its audit entry commits, and sent only once the entry has committed; an answer
/// whose entry cannot commit is never sent (503, nothing of it). The audit log is held here by a gate in front of the real writer.
/// </summary>
public abstract class AnswerWhileAuditedTests(DatabaseEngine engine) : IAsyncLifetime
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

    /// <summary>The chronology read with a trace of its own, and the moment the hub finished writing its answer (its response.write span).</summary>
    private (Task<HttpResponseMessage> Answer, Task Written, ActivityListener Listener) ReadChronology(CaseRecords c)
    {
        var trace = ActivityTraceId.CreateRandom();
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is Core.Telemetry.HubDiagnostics.Name or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == trace && activity.OperationName == "response.write")
                {
                    written.TrySetResult();
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var answer = _hub.SendAsync(HttpMethod.Get, $"/fhir/Patient/{c.LaChild.Id}/$chronology", "demo-la-lcpp", "s47-enquiry", c.Enquiry.Id,
            change: r => r.Headers.TryAddWithoutValidation("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01"));
        return (answer, written.Task, listener);
    }

    private static async Task WrittenAsync(Task written) =>
        Assert.True(await Task.WhenAny(written, Task.Delay(TimeSpan.FromSeconds(20))) == written, "the chronology was not written while its audit entry waited to commit");

    [Fact]
    public async Task Given_the_audit_entry_slow_to_commit_then_the_chronology_is_written_meanwhile_and_sent_only_once_the_entry_has_committed()
    {
        var c = await _hub.CaseAsync();
        _held.Hold();
        var (answering, written, listener) = ReadChronology(c);
        using (listener)
        {
            await _held.WaitingAsync(1);
            // The answer is made while its entry waits to commit, and nothing of it reaches the caller before the entry has committed.
            await WrittenAsync(written);
            await Task.Delay(100);
            Assert.False(answering.IsCompleted, "the chronology was sent before its audit entry had committed");
            _held.Release(commit: true);
            using var answer = await answering;

            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var body = await answer.Content.ReadAsByteArrayAsync();
            Assert.Equal(body.Length, answer.Content.Headers.ContentLength);
            var bundle = System.Text.Json.JsonDocument.Parse(body).RootElement;
            Assert.Equal(3, bundle.GetProperty("total").GetInt32());
            Assert.Equal([c.HealthContact.Id.ToString(), c.PoliceIncident.Id.ToString(), c.LaVisit.Id.ToString()],
                bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()));
            Assert.Contains("Neighbour reported shouting", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Given_the_audit_entry_cannot_commit_then_the_chronology_written_meanwhile_is_never_sent()
    {
        var c = await _hub.CaseAsync();
        _held.Hold();
        var (answering, written, listener) = ReadChronology(c);
        using (listener)
        {
            await _held.WaitingAsync(1);
            await WrittenAsync(written);
            _held.Release(commit: false);
            using var answer = await answering;

            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            var text = await answer.Content.ReadAsStringAsync();
            Assert.Contains("OperationOutcome", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Bundle", text, StringComparison.Ordinal);
            Assert.DoesNotContain("shouting", text, StringComparison.Ordinal);
            Assert.DoesNotContain(c.PoliceIncident.Id.ToString(), text, StringComparison.Ordinal);
        }
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

public sealed class SqliteAnswerWhileAuditedTests() : AnswerWhileAuditedTests(DatabaseEngine.Sqlite);

public sealed class PostgresAnswerWhileAuditedTests() : AnswerWhileAuditedTests(DatabaseEngine.Postgres);
