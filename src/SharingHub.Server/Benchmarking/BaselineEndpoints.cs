using System.Collections.Frozen;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.Benchmarking;

/// <summary>
/// The benchmark's baseline: the same rows, the same mapping and decryption as the FHIR endpoints, with
/// security off (no token, purpose, policy or audit), so the benchmark can report what security costs
/// in the same process and run. Off by default, mapped only when SharingHub:Benchmark:Baseline is true,
/// and the hub refuses to start with it in Production.
/// </summary>
internal static class BaselineEndpoints
{
    public const string Setting = "SharingHub:Benchmark:Baseline";

    /// <summary>
    /// The profiler (an EF command interceptor too). Always registered, since test hosts add their settings after services
    /// are; it measures nothing until the benchmark switches it on, which only the baseline endpoints can do.
    /// </summary>
    public static IServiceCollection AddBenchmarkProfiler(this IServiceCollection services)
    {
        services.AddSingleton<RequestProfiler>();
        services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(sp => sp.GetRequiredService<RequestProfiler>());
        return services;
    }

    /// <summary>First in the pipeline when the baselines are mapped, so a request's whole time is measured.</summary>
    public static WebApplication UseBenchmarkProfiler(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>(Setting) && app.Services.GetService<RequestProfiler>() is { } profiler)
        {
            app.Use((http, next) => profiler.MeasureAsync(http, next));
        }
        return app;
    }

    public static WebApplication MapBenchmarkBaseline(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>(Setting))
        {
            return app;
        }
        if (app.Environment.IsProduction())
        {
            throw new Core.StartRefusedException($"{Setting} serves records without security, for benchmarks only; it is refused in Production");
        }
        // The baselines measure what the audit (and the rest of the security) costs, so they are the one place without it.
        var bench = app.MapGroup("/bench").WithMetadata(new Audit.NotAuditedAttribute("a benchmark baseline: it measures the cost of the audit itself"));
        bench.MapGet("/ping", () => Results.Text("ok")).AllowAnonymous();
        // The breakdown of where requests' time goes (RequestProfiler): switched on, then read and switched off.
        bench.MapPost("/profile/start", ([FromServices] RequestProfiler profiler) =>
        {
            profiler.Start();
            return Results.NoContent();
        }).AllowAnonymous().DisableAntiforgery();
        bench.MapPost("/profile/stop", ([FromServices] RequestProfiler profiler) => Results.Json(profiler.Stop())).AllowAnonymous().DisableAntiforgery();
        bench.MapGet("/ping-authenticated", () => Results.Text("ok")).RequireAuthorization();
        bench.MapGet("/baseline/Observation/{id:guid}", async (Guid id, IHubDbContextFactory contexts, Disclosures disclosures, FhirMapping map, CancellationToken ct) =>
        {
            await using var db = contexts.Create();
            var record = await db.Events.AsNoTracking().Include(e => e.Subjects).FirstOrDefaultAsync(e => e.Id == id, ct);
            return record is null ? FhirResults.NotFound(FhirTypes.Observation, id.ToString()) : FhirResults.Resource(map.Observation(disclosures.Of(record, Everything(record))), etag: record.ETag);
        }).AllowAnonymous();
        // decrypt=false leaves the sealed fields out, so the difference to the default is what decrypting (and writing) them costs.
        bench.MapGet("/baseline/Patient/{id:guid}/chronology", async (Guid id, bool? decrypt, IHubDbContextFactory contexts, Disclosures disclosures, FhirMapping map,
            FhirTasks tasks, TimeProvider clock, Data.Linkage.PersonLinker linker, CancellationToken ct) =>
        {
            // The same rows the secured chronology reads (the person, then their events, involvements, states, referrals and
            // Family Help), so the difference between the two is security and nothing else.
            await using var db = contexts.Create();
            var person = await db.People.AsNoTracking().Include(p => p.Identifiers).FirstOrDefaultAsync(p => p.Id == id, ct);
            if (person is null)
            {
                return FhirResults.NotFound(FhirTypes.Patient, id.ToString());
            }
            var subjects = (await linker.LinkAsync([id], ct)).Of(id).ToList();
            var events = await db.Events.AsNoTracking().Include(e => e.Subjects).About(db, subjects).OrderBy(e => e.OccurredAt).ToListAsync(ct);
            var involvements = await db.Involvements.AsNoTracking().Where(i => subjects.Contains(i.PersonId)).OrderBy(i => i.StartedAt).ToListAsync(ct);
            var states = await db.States.AsNoTracking().Where(s => subjects.Contains(s.PersonId)).OrderBy(s => s.StartedAt).ToListAsync(ct);
            var referrals = await db.Referrals.AsNoTracking().Where(r => subjects.Contains(r.SubjectPersonId)).OrderBy(r => r.ReceivedAt).ToListAsync(ct);
            var plans = await db.FamilyHelpPlans.AsNoTracking().Where(p => subjects.Contains(p.PersonId)).OrderBy(p => p.StartedAt).ToListAsync(ct);
            var now = clock.GetUtcNow();
            var entries = events.Select(e => (e.OccurredAt, (Record)e)).Concat(involvements.Select(i => (i.StartedAt, (Record)i))).Concat(states.Select(s => (s.StartedAt, (Record)s)))
                .Concat(referrals.Select(r => (r.ReceivedAt, (Record)r))).Concat(plans.Select(p => (p.StartedAt, (Record)p)))
                .OrderBy(r => r.Item1).Select(r => disclosures.Of(r.Item2, Everything(r.Item2, decrypt ?? true)))
                .Select(d => new BundleEntry(null, d.Record is Referral ? tasks.ReferralTask(d, now) : FhirTypes.ToResource(map, d))).ToList();
            return FhirResults.Resource(new Bundle("searchset") { Total = entries.Count, Entry = entries });
        }).AllowAnonymous();
        return app;
    }

    // The sealed fields of each record type, found once: the baseline is the least a read could cost, so it does not reflect
    // over a record's properties for every record (5% of the baseline chronology's time when it did).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, FrozenSet<string>> SealedFields = new();

    private static Decision Everything(Record record, bool sealedToo = true)
    {
        var sealedFields = SealedFields.GetOrAdd(record.GetType(), type => type.GetProperties()
            .Where(p => p.PropertyType == typeof(Core.Crypto.EncryptedValue) || p.Name == nameof(Person.Identifiers))
            .Select(p => Policies.Model.RecordFields.CamelCase(p.Name)).ToFrozenSet(StringComparer.Ordinal));
        var fields = RecordFacts.For(record).Fields.Select(f => f.Name).Where(f => sealedToo || !sealedFields.Contains(f)).ToHashSet(StringComparer.Ordinal);
        return new Decision(DecisionEffect.Permit, fields, new HashSet<string>(), [], [], null, null, null, false, false, "baseline");
    }
}
